//! The DuckDB side of the IP functions: reading argument vectors, writing results.

use std::rc::Rc;

use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::ffi::duckdb_string_t;
use duckdb::types::DuckString;
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use super::net;
use crate::engine::vectors::{map_strings, write_values, Outcome};

/// The strings of argument `col`, `None` for NULL rows.
fn strings(input: &DataChunkHandle, col: usize) -> Vec<Option<String>> {
    map_strings(input, col, |_, s| s.map(str::to_owned))
}

/// The integer argument `col` (a prefix length), `None` for NULL rows or values outside 0..=255.
fn prefixes(input: &DataChunkHandle, col: usize) -> Vec<Option<u8>> {
    let vector = input.flat_vector(col);
    // SAFETY: the argument is declared INTEGER (i32) and flattened to `len` rows.
    let raw = unsafe { vector.as_slice_with_len::<i32>(input.len()) };
    raw.iter()
        .enumerate()
        .map(|(i, v)| {
            if vector.row_is_null(i as u64) {
                None
            } else {
                u8::try_from(*v).ok()
            }
        })
        .collect()
}

/// The VARCHAR[] argument `col`, parsed as a list of IPv4 networks per row.
fn lists(input: &DataChunkHandle, col: usize) -> Vec<Option<Rc<net::V4List>>> {
    let list = input.list_vector(col);
    let total = list.len();
    let child = list.child(total);
    // SAFETY: the list's children are VARCHAR and the child vector holds `total` entries.
    let raw = unsafe { child.as_slice_with_len::<duckdb_string_t>(total) };
    let mut previous: Option<((usize, usize), Rc<net::V4List>)> = None;
    (0..input.len())
        .map(|row| {
            if list.row_is_null(row as u64) {
                return None;
            }
            let (offset, len) = list.get_entry(row);
            // Constant lists repeat the same entry on every row: parse them once.
            if let Some((entry, parsed)) = &previous {
                if *entry == (offset, len) {
                    return Some(Rc::clone(parsed));
                }
            }
            let texts: Vec<Option<String>> = (offset..offset + len)
                .map(|i| {
                    (!child.row_is_null(i as u64))
                        .then(|| DuckString::new(&mut { raw[i] }).as_str().into_owned())
                })
                .collect();
            let parsed = Rc::new(net::V4List::parse(texts.iter().map(|t| t.as_deref())));
            previous = Some(((offset, len), parsed.clone()));
            Some(parsed)
        })
        .collect()
}

fn ty(id: LogicalTypeId) -> LogicalTypeHandle {
    LogicalTypeHandle::from(id)
}

fn varchar_list() -> LogicalTypeHandle {
    LogicalTypeHandle::list(&ty(LogicalTypeId::Varchar))
}

/// Signatures `(VARCHAR, VARCHAR) -> ret` and `(VARCHAR, VARCHAR, INTEGER) -> ret`.
fn pair_with_prefix(ret: LogicalTypeId) -> Vec<ScalarFunctionSignature> {
    vec![
        ScalarFunctionSignature::exact(
            vec![ty(LogicalTypeId::Varchar), ty(LogicalTypeId::Varchar)],
            ty(ret),
        ),
        ScalarFunctionSignature::exact(
            vec![
                ty(LogicalTypeId::Varchar),
                ty(LogicalTypeId::Varchar),
                ty(LogicalTypeId::Integer),
            ],
            ty(ret),
        ),
    ]
}

/// Applies `f` to the two string arguments and the optional prefix of each row.
fn over_pairs<T>(
    input: &DataChunkHandle,
    f: impl Fn(&str, &str, Option<u8>) -> Option<T>,
) -> Vec<Option<T>> {
    let a = strings(input, 0);
    let p = (input.num_columns() > 2).then(|| prefixes(input, 2));
    map_strings(input, 1, |i, b| {
        let prefix = match &p {
            Some(p) => Some(p[i]?),
            None => None,
        };
        f(a[i].as_deref()?, b?, prefix)
    })
}

struct IsPrivate;
impl VScalar for IsPrivate {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let private = map_strings(input, 0, |_, ip| net::is_private_v4(ip?));
        write_values(output, private.into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![ty(LogicalTypeId::Varchar)],
            ty(LogicalTypeId::Boolean),
        )]
    }
}

struct ParseIpv4;
impl VScalar for ParseIpv4 {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let parsed = map_strings(input, 0, |_, ip| net::parse_ipv4(ip?));
        write_values(output, parsed.into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![ty(LogicalTypeId::Varchar)],
            ty(LogicalTypeId::Bigint),
        )]
    }
}

struct MatchV4;
impl VScalar for MatchV4 {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        write_values(output, over_pairs(input, net::match_v4).into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        pair_with_prefix(LogicalTypeId::Boolean)
    }
}

struct CompareV4;
impl VScalar for CompareV4 {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        write_values(output, over_pairs(input, net::compare_v4).into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        pair_with_prefix(LogicalTypeId::Integer)
    }
}

struct InRangeV4;
impl VScalar for InRangeV4 {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        write_values(
            output,
            over_pairs(input, |ip, range, _| net::in_range_v4(ip, range)).into_iter(),
        );
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![ty(LogicalTypeId::Varchar), ty(LogicalTypeId::Varchar)],
            ty(LogicalTypeId::Boolean),
        )]
    }
}

struct MatchV6;
impl VScalar for MatchV6 {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        write_values(output, over_pairs(input, net::match_v6).into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        pair_with_prefix(LogicalTypeId::Boolean)
    }
}

/// `ipv4_is_match_any` and `ipv4_is_in_any_range`: an address against a list of networks.
struct InAnyV4;
impl VScalar for InAnyV4 {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let nets = lists(input, 1);
        let found = map_strings(input, 0, |i, ip| nets[i].as_ref()?.contains(ip?));
        write_values(output, found.into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![ty(LogicalTypeId::Varchar), varchar_list()],
            ty(LogicalTypeId::Boolean),
        )]
    }
}

/// Registers every function under its Kusto name.
pub fn register_all(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<IsPrivate>("ipv4_is_private")?;
    conn.register_scalar_function::<ParseIpv4>("parse_ipv4")?;
    conn.register_scalar_function::<MatchV4>("ipv4_is_match")?;
    conn.register_scalar_function::<CompareV4>("ipv4_compare")?;
    conn.register_scalar_function::<InRangeV4>("ipv4_is_in_range")?;
    conn.register_scalar_function::<MatchV6>("ipv6_is_match")?;
    conn.register_scalar_function::<InAnyV4>("ipv4_is_match_any")?;
    conn.register_scalar_function::<InAnyV4>("ipv4_is_in_any_range")?;
    Ok(())
}
