//! Result rendering (lead).
