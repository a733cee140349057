//! `kql_has(text, term)` and `kql_has_cs(text, term)`: Kusto's `has` and `has_cs` when the
//! term is a column rather than a constant. A constant term compiles to one regular
//! expression; a term that changes by row made DuckDB build a regular expression per row.

use std::marker::PhantomData;

use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use super::vectors::{map_strings, write_values, Outcome};

/// Whether `term` stands in `text` as a whole term: with no ASCII letter or digit right
/// before or after it (the boundaries of quarry's `has` pattern). `fold` ignores case.
pub fn has_term(text: &str, term: &str, fold: bool) -> bool {
    let (text, term) = if fold {
        (text.to_lowercase(), term.to_lowercase())
    } else {
        (text.to_string(), term.to_string())
    };
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(term.as_str())) {
        let at = from + found;
        let end = at + term.len();
        let open = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let close = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if open && close {
            return true;
        }
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Whether the function ignores case.
trait Case {
    const FOLD: bool;
}

struct AnyCase;
impl Case for AnyCase {
    const FOLD: bool = true;
}

struct ExactCase;
impl Case for ExactCase {
    const FOLD: bool = false;
}

struct HasTerm<C>(PhantomData<C>);

impl<C: Case> VScalar for HasTerm<C> {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let terms = map_strings(input, 1, |_, t| t.map(str::to_owned));
        let found = map_strings(input, 0, |i, text| {
            Some(has_term(text?, terms[i].as_deref()?, C::FOLD))
        });
        write_values(output, found.into_iter());
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        let text = || LogicalTypeHandle::from(LogicalTypeId::Varchar);
        vec![ScalarFunctionSignature::exact(
            vec![text(), text()],
            LogicalTypeHandle::from(LogicalTypeId::Boolean),
        )]
    }
}

/// Registers `kql_has` and `kql_has_cs` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<HasTerm<AnyCase>>("kql_has")?;
    conn.register_scalar_function::<HasTerm<ExactCase>>("kql_has_cs")
}

#[cfg(test)]
mod tests {
    use super::has_term;

    #[test]
    fn terms_need_boundaries() {
        assert!(has_term("TCP,UDP", "udp", true));
        assert!(!has_term("TCP,UDP", "udp", false));
        assert!(has_term("tcp", "TCP", true));
        assert!(!has_term("tcpx,udp", "tcp", true));
        // A later occurrence can have the boundaries an earlier one lacks.
        assert!(has_term("tcpx tcp", "tcp", true));
        assert!(has_term("dns-over-https", "over", true));
        assert!(!has_term("", "tcp", true));
        assert!(has_term("é tcp", "TCP", true));
    }
}
