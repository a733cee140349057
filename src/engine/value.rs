//! Value conversion (lead).
