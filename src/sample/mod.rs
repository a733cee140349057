//! Sample generator (sample helper).
