//! DuckDB functions from text to text written in Rust (`quarry_url_host`, `kql_parse_xml`,
//! `kql_json_text`): each is a [`TextMap`], made a function by [`register`].

use std::marker::PhantomData;

use foldhash::{HashMap, HashMapExt};

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use super::vectors::{json_type, map_strings, Outcome};

/// A function from text to text.
pub trait TextMap {
    /// The value for one text; `None` becomes NULL.
    fn map(text: &str) -> Option<String>;

    /// Whether DuckDB must compute it once per row where the query writes it, instead of
    /// copying it into every condition that reads its result.
    const VOLATILE: bool = false;

    /// Whether a chunk computes each distinct text once: worth it for log columns, which
    /// repeat a few values many times, not for documents, which never repeat.
    const MEMO: bool = true;

    /// Whether the text is always JSON, typed as DuckDB's JSON so that reading it as JSON
    /// does not parse it to check it first.
    const JSON: bool = false;
}

/// The DuckDB function of a [`TextMap`].
struct TextMapFunction<M>(PhantomData<M>);

impl<M: TextMap> VScalar for TextMapFunction<M> {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        map_varchar(input, output, M::MEMO, M::map);
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        let result = if M::JSON {
            json_type()
        } else {
            LogicalTypeHandle::from(LogicalTypeId::Varchar)
        };
        vec![ScalarFunctionSignature::exact(
            vec![LogicalTypeHandle::from(LogicalTypeId::Varchar)],
            result,
        )]
    }

    fn volatile() -> bool {
        M::VOLATILE
    }
}

/// Registers the [`TextMap`] `M` on `conn` as the function `name`.
pub fn register<M: TextMap>(conn: &Connection, name: &str) -> duckdb::Result<()> {
    conn.register_scalar_function::<TextMapFunction<M>>(name)
}

/// Maps every VARCHAR of argument 0 through `f` into the VARCHAR result (NULL stays NULL,
/// `None` becomes NULL). With `memo`, a chunk calls `f` once per distinct text.
fn map_varchar(
    input: &DataChunkHandle,
    output: &mut dyn WritableVector,
    memo: bool,
    f: impl Fn(&str) -> Option<String>,
) {
    let mut seen: HashMap<String, Option<String>> = HashMap::new();
    let mut out = output.flat_vector();
    map_strings(input, 0, |i, text| {
        let Some(text) = text else {
            out.set_null(i);
            return;
        };
        let fresh;
        let value = if memo {
            if !seen.contains_key(text) {
                seen.insert(text.to_string(), f(text));
            }
            &seen[text]
        } else {
            fresh = f(text);
            &fresh
        };
        match value {
            Some(v) => out.insert(i, v.as_str()),
            None => out.set_null(i),
        }
    });
}
