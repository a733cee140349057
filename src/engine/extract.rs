//! `kql_extract(text, pattern, group)`: Kusto's `extract()`, the text of capture group
//! `group` of the first match of `pattern` in `text` ('' when there is none), with the regex
//! crate (the RE2 syntax Kusto uses). A log column repeats a few values many times, so each
//! chunk runs the expression once per distinct text, not once per row.

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;
use foldhash::{HashMap, HashMapExt};
use regex::Regex;

use super::vectors::{map_strings, Outcome};

/// The text of group `group` of the first match of `re` in `text`; '' without a match or
/// when the group took no part in it.
pub fn extract(re: &Regex, text: &str, group: usize) -> String {
    re.captures(text)
        .and_then(|c| c.get(group))
        .map_or_else(String::new, |m| m.as_str().to_string())
}

/// The pattern, group and answers of the rows read so far in a chunk.
struct Memo {
    pattern: String,
    group: i64,
    re: Regex,
    answers: HashMap<String, String>,
}

impl Memo {
    fn new(pattern: &str, group: i64) -> Result<Memo, Box<dyn std::error::Error>> {
        let re = Regex::new(pattern)
            .map_err(|e| format!("extract(): bad regular expression {pattern:?}: {e}"))?;
        Ok(Memo {
            pattern: pattern.to_string(),
            group,
            re,
            answers: HashMap::new(),
        })
    }

    fn answer(&mut self, text: &str) -> Result<&str, Box<dyn std::error::Error>> {
        if !self.answers.contains_key(text) {
            let group = usize::try_from(self.group)
                .map_err(|_| format!("extract(): group {} is negative", self.group))?;
            if group >= self.re.captures_len() {
                return Err(
                    format!("extract(): {:?} has no capture group {group}", self.pattern).into(),
                );
            }
            let value = extract(&self.re, text, group);
            self.answers.insert(text.to_string(), value);
        }
        Ok(self.answers[text].as_str())
    }
}

struct Extract;
impl VScalar for Extract {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        // The pattern is nearly always a constant: keep each distinct one once, not per row.
        let mut distinct: Vec<String> = Vec::new();
        let patterns = map_strings(input, 1, |_, p| {
            let p = p?;
            Some(match distinct.iter().position(|d| d == p) {
                Some(at) => at,
                None => {
                    distinct.push(p.to_owned());
                    distinct.len() - 1
                }
            })
        });
        let group_vector = input.flat_vector(2);
        // SAFETY: argument 2 is declared BIGINT and flattened to `len` rows.
        let groups = unsafe { group_vector.as_slice_with_len::<i64>(input.len()) };
        let mut memo: Option<Memo> = None;
        let mut out = output.flat_vector();
        let mut failure = None;
        map_strings(input, 0, |i, text| {
            if failure.is_some() {
                return;
            }
            let (Some(text), Some(pattern)) = (text, patterns[i].map(|p| distinct[p].as_str()))
            else {
                out.set_null(i);
                return;
            };
            if group_vector.row_is_null(i as u64) {
                out.set_null(i);
                return;
            }
            let group = groups[i];
            if !memo
                .as_ref()
                .is_some_and(|m| m.pattern == pattern && m.group == group)
            {
                match Memo::new(pattern, group) {
                    Ok(m) => memo = Some(m),
                    Err(e) => {
                        failure = Some(e);
                        return;
                    }
                }
            }
            if let Some(m) = memo.as_mut() {
                match m.answer(text) {
                    Ok(value) => out.insert(i, value),
                    Err(e) => failure = Some(e),
                }
            }
        });
        failure.map_or(Ok(()), Err)
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![
                LogicalTypeHandle::from(LogicalTypeId::Varchar),
                LogicalTypeHandle::from(LogicalTypeId::Varchar),
                LogicalTypeHandle::from(LogicalTypeId::Bigint),
            ],
            LogicalTypeHandle::from(LogicalTypeId::Varchar),
        )]
    }
}

/// Registers `kql_extract` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<Extract>("kql_extract")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_the_first_match() {
        let re = Regex::new("([^.]*).{0,7}$").unwrap();
        assert_eq!(extract(&re, "www.google.com", 1), "google");
        assert_eq!(extract(&re, "cdn.example.co.uk", 1), "example");
        let re = Regex::new(r"user=(\w+)(?:;(\d+))?").unwrap();
        assert_eq!(extract(&re, "a user=bob; b", 1), "bob");
        assert_eq!(extract(&re, "a user=bob; b", 2), "");
        assert_eq!(extract(&re, "nobody here", 1), "");
        assert_eq!(extract(&re, "user=amy;42", 0), "user=amy;42");
    }
}
