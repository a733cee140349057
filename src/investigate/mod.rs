//! The investigation half of quarry: findings an analyst keeps, pivots on an entity across
//! the case, timelines of activity, and ATT&CK coverage of the hunts.

pub mod capture;
pub mod coverage;
pub mod entity;
pub mod findings;
pub mod pivot;
pub mod timeline;
