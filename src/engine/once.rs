//! `quarry_once(x)`: returns its argument, and is declared volatile. The KQL compiler wraps
//! a costly column of `extend` or `project` in it (an IP range test, a regular expression),
//! so DuckDB computes the column once per row where it is defined instead of copying its
//! expression into every filter that reads the column.

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use super::vectors::{map_strings, write_values, Outcome};

struct Once;

impl VScalar for Once {
    type State = ();

    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let vector = input.flat_vector(0);
        match vector.logical_type().id() {
            LogicalTypeId::Boolean => {
                // SAFETY: BOOLEAN is stored as one byte per row; the chunk has `len` rows.
                let raw = unsafe { vector.as_slice_with_len::<u8>(input.len()) };
                let values = raw
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (!vector.row_is_null(i as u64)).then_some(*v));
                write_values(output, values);
            }
            _ => {
                let mut out = output.flat_vector();
                map_strings(input, 0, |i, text| match text {
                    Some(text) => out.insert(i, text),
                    None => out.set_null(i),
                });
            }
        }
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        [LogicalTypeId::Varchar, LogicalTypeId::Boolean]
            .into_iter()
            .map(|id| {
                ScalarFunctionSignature::exact(
                    vec![LogicalTypeHandle::from(id)],
                    LogicalTypeHandle::from(id),
                )
            })
            .collect()
    }

    fn volatile() -> bool {
        true
    }
}

/// Registers `quarry_once` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<Once>("quarry_once")
}
