//! Terminal-safe text (lead).
