//! Log ingest (ingest helper).
