//! Reading argument vectors and writing result vectors for quarry's scalar functions.

use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::ffi::duckdb_string_t;
use duckdb::types::DuckString;
use duckdb::vtab::arrow::WritableVector;

/// DuckDB's JSON type (text that DuckDB's JSON functions read without checking it first),
/// for functions whose result is always JSON.
pub(crate) fn json_type() -> LogicalTypeHandle {
    let mut json = LogicalTypeHandle::from(LogicalTypeId::Varchar);
    json.set_alias("JSON");
    json
}

/// What a scalar function's `invoke` returns.
pub(crate) type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Maps the text of every row of VARCHAR argument `col` through `f` (`None` for NULL rows),
/// borrowing each string instead of copying it.
pub(crate) fn map_strings<T>(
    input: &DataChunkHandle,
    col: usize,
    mut f: impl FnMut(usize, Option<&str>) -> T,
) -> Vec<T> {
    let vector = input.flat_vector(col);
    let len = input.len();
    // SAFETY: the argument is declared VARCHAR, whose physical storage is duckdb_string_t,
    // and the C API flattens every input vector to `len` rows before calling us.
    let raw = unsafe { vector.as_slice_with_len::<duckdb_string_t>(len) };
    raw.iter()
        .enumerate()
        .map(|(i, s)| {
            if vector.row_is_null(i as u64) {
                f(i, None)
            } else {
                // Short strings live inside the struct itself, so read them from a copy.
                let mut copy = *s;
                let bytes = DuckString::new(&mut copy).as_bytes();
                // DuckDB keeps VARCHAR as UTF-8: the check is the fast path, not a copy.
                match std::str::from_utf8(bytes) {
                    Ok(text) => f(i, Some(text)),
                    Err(_) => f(i, Some(&String::from_utf8_lossy(bytes))),
                }
            }
        })
        .collect()
}

/// Writes one value of type `T` per row (`bool` for BOOLEAN, `i64` for BIGINT and TIMESTAMP,
/// `i32` for INTEGER); `None` becomes NULL.
pub(crate) fn write_values<T: Copy>(
    output: &mut dyn WritableVector,
    values: impl Iterator<Item = Option<T>>,
) {
    let mut out = output.flat_vector();
    for (i, v) in values.enumerate() {
        match v {
            // SAFETY: `T` is the storage of the declared return type and i < chunk size.
            Some(x) => unsafe { out.as_mut_slice::<T>()[i] = x },
            None => out.set_null(i),
        }
    }
}
