//! More scalar functions: text, time, math, dynamic values and IP helpers. The core ones
//! (conversions, conditionals, `bin`, `ago`) live in [`super::functions`], which falls back
//! to [`scalar`] here for the rest.

use super::functions::{index, quote_str, to_dynamic, to_string, Typed};
use super::KqlType as K;

fn arity(name: &str, args: &[Typed], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        return Err(format!(
            "{name}() takes {min}{} argument(s), got {}",
            if max > min {
                format!(" to {max}")
            } else {
                String::new()
            },
            args.len()
        ));
    }
    Ok(())
}

fn s(t: &Typed) -> String {
    to_string(t).sql
}

fn real(t: &Typed) -> String {
    format!("CAST({} AS DOUBLE)", t.sql)
}

/// Microseconds in a `datetime_diff`/`datetime_add` period name.
fn period(p: &str) -> Option<&'static str> {
    Some(match p.to_ascii_lowercase().as_str() {
        "year" => "year",
        "quarter" => "quarter",
        "month" => "month",
        "week" => "week",
        "day" => "day",
        "hour" => "hour",
        "minute" => "minute",
        "second" => "second",
        "millisecond" => "millisecond",
        "microsecond" => "microsecond",
        _ => return None,
    })
}

/// Kusto `format_datetime` tokens to strftime.
fn datetime_format(f: &str) -> String {
    let tokens = [
        ("yyyy", "%Y"),
        ("yy", "%y"),
        ("MM", "%m"),
        ("dd", "%d"),
        ("HH", "%H"),
        ("hh", "%I"),
        ("mm", "%M"),
        ("ss", "%S"),
        ("fffffff", "%f0"),
        ("ffffff", "%f"),
        ("fff", "%g"),
        ("tt", "%p"),
    ];
    let mut out = String::new();
    let mut rest = f;
    'outer: while !rest.is_empty() {
        for (k, v) in tokens {
            if let Some(r) = rest.strip_prefix(k) {
                out.push_str(v);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The scalar functions of this module; `None` when the name is not one of them.
pub fn scalar(name: &str, args: &[Typed]) -> Option<Result<Typed, String>> {
    let r = (|| -> Result<Typed, String> {
        Ok(match name {
            "trim" | "trim_start" | "trim_end" => {
                arity(name, args, 2, 2)?;
                let re = args[0]
                    .str_lit()
                    .ok_or(format!("{name}() needs a constant regular expression"))?;
                let pattern = match name {
                    "trim" => format!("^({re})+|({re})+$"),
                    "trim_start" => format!("^({re})+"),
                    _ => format!("({re})+$"),
                };
                Typed::new(
                    format!(
                        "regexp_replace({}, {}, '', 'g')",
                        s(&args[1]),
                        quote_str(&pattern)
                    ),
                    K::String,
                )
            }
            "indexof" => {
                arity(name, args, 2, 2)?;
                Typed::new(
                    format!(
                        "CAST(strpos({}, {}) - 1 AS BIGINT)",
                        s(&args[0]),
                        s(&args[1])
                    ),
                    K::Long,
                )
            }
            "replace_regex" => {
                arity(name, args, 3, 3)?;
                // Kusto writes groups as \1; RE2 in DuckDB takes the same form.
                Typed::new(
                    format!(
                        "regexp_replace({}, {}, {}, 'g')",
                        s(&args[0]),
                        s(&args[1]),
                        s(&args[2])
                    ),
                    K::String,
                )
            }
            "extract_all" => {
                arity(name, args, 2, 3)?;
                let (re, text) = (&args[0], args.last().unwrap_or(&args[1]));
                Typed::new(
                    format!("to_json(regexp_extract_all({}, {}, 1))", s(text), s(re)),
                    K::Dynamic,
                )
            }
            "countof" => {
                arity(name, args, 2, 3)?;
                Typed::new(
                    format!(
                        "CAST(len(regexp_extract_all({}, {})) AS BIGINT)",
                        s(&args[0]),
                        quote_str(&super::sqlgen::regex_escape(
                            args[1].str_lit().unwrap_or("")
                        ))
                    ),
                    K::Long,
                )
            }
            "reverse" => {
                arity(name, args, 1, 1)?;
                Typed::new(format!("reverse({})", s(&args[0])), K::String)
            }
            "parse_url" => {
                arity(name, args, 1, 1)?;
                let u = s(&args[0]);
                let re = "^(?:([A-Za-z][A-Za-z0-9+.-]*)://)?(?:([^:@/]*)(?::([^@/]*))?@)?([^:/?#]*)(?::([0-9]+))?([^?#]*)(?:\\?([^#]*))?(?:#(.*))?$";
                let part = |i: u8| format!("regexp_extract({u}, {}, {i})", quote_str(re));
                Typed::new(
                    format!(
                        "json_object('Scheme', {}, 'Username', {}, 'Password', {}, 'Host', {}, \
                         'Port', {}, 'Path', {}, 'Query Parameters', {}, 'Fragment', {})",
                        part(1),
                        part(2),
                        part(3),
                        part(4),
                        part(5),
                        part(6),
                        part(7),
                        part(8)
                    ),
                    K::Dynamic,
                )
            }
            "hash" | "hash_sha256" | "hash_md5" => {
                arity(name, args, 1, 2)?;
                let f = match name {
                    "hash_sha256" => "sha256",
                    "hash_md5" => "md5",
                    _ => "hash",
                };
                let ty = if f == "hash" { K::Long } else { K::String };
                let v = if f == "hash" {
                    format!(
                        "CAST(hash({}) % 9223372036854775807 AS BIGINT)",
                        s(&args[0])
                    )
                } else {
                    format!("{f}({})", s(&args[0]))
                };
                Typed::new(v, ty)
            }
            "startofweek" | "startofmonth" | "startofyear" | "endofday" => {
                arity(name, args, 1, 1)?;
                let x = &args[0].sql;
                let v = match name {
                    // Kusto weeks start on Sunday.
                    "startofweek" => {
                        format!("date_trunc('day', {x}) - to_days(CAST(dayofweek({x}) AS INTEGER))")
                    }
                    "startofmonth" => format!("date_trunc('month', {x})"),
                    "startofyear" => format!("date_trunc('year', {x})"),
                    _ => {
                        format!("date_trunc('day', {x}) + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND")
                    }
                };
                Typed::new(v, K::DateTime)
            }
            "datetime_diff" => {
                arity(name, args, 3, 3)?;
                let p = args[0]
                    .str_lit()
                    .and_then(period)
                    .ok_or("datetime_diff() needs a period name such as 'day'")?;
                Typed::new(
                    format!("date_diff('{p}', {}, {})", args[2].sql, args[1].sql),
                    K::Long,
                )
            }
            "datetime_add" => {
                arity(name, args, 3, 3)?;
                let p = args[0]
                    .str_lit()
                    .and_then(period)
                    .ok_or("datetime_add() needs a period name such as 'day'")?;
                let n = format!("CAST({} AS BIGINT)", args[1].sql);
                let step = match p {
                    "quarter" => format!("to_months({n} * 3)"),
                    _ => format!("to_{p}s({n})"),
                };
                Typed::new(format!("({} + {step})", args[2].sql), K::DateTime)
            }
            "format_datetime" => {
                arity(name, args, 2, 2)?;
                let f = args[1]
                    .str_lit()
                    .ok_or("format_datetime() needs a constant format")?;
                Typed::new(
                    format!(
                        "strftime({}, {})",
                        args[0].sql,
                        quote_str(&datetime_format(f))
                    ),
                    K::String,
                )
            }
            "totimespan" | "time" => {
                arity(name, args, 1, 1)?;
                match args[0].ty {
                    K::TimeSpan => args[0].clone(),
                    _ => Typed::new(
                        format!("TRY_CAST({} AS INTERVAL)", s(&args[0])),
                        K::TimeSpan,
                    ),
                }
            }
            "dayofweek" => {
                arity(name, args, 1, 1)?;
                Typed::new(
                    format!("to_days(CAST(dayofweek({}) AS INTEGER))", args[0].sql),
                    K::TimeSpan,
                )
            }
            "hourofday" | "getyear" | "getmonth" | "dayofmonth" => {
                arity(name, args, 1, 1)?;
                let f = match name {
                    "hourofday" => "hour",
                    "getyear" => "year",
                    "getmonth" => "month",
                    _ => "day",
                };
                Typed::new(format!("CAST({f}({}) AS INTEGER)", args[0].sql), K::Int)
            }
            "unixtime_seconds_todatetime" | "unixtime_milliseconds_todatetime" => {
                arity(name, args, 1, 1)?;
                let scale = if name.contains("milli") {
                    1000
                } else {
                    1_000_000
                };
                Typed::new(
                    format!(
                        "make_timestamp(CAST({} * {scale} AS BIGINT))",
                        real(&args[0])
                    ),
                    K::DateTime,
                )
            }
            "log" | "log10" | "log2" | "sqrt" | "exp" => {
                arity(name, args, 1, 1)?;
                let f = if name == "log" { "ln" } else { name };
                Typed::new(
                    format!(
                        "CASE WHEN {x} > 0 OR '{f}' = 'exp' THEN {f}({x}) END",
                        x = real(&args[0])
                    ),
                    K::Real,
                )
            }
            "pow" => {
                arity(name, args, 2, 2)?;
                Typed::new(
                    format!("pow({}, {})", real(&args[0]), real(&args[1])),
                    K::Real,
                )
            }
            "ceiling" => {
                arity(name, args, 1, 1)?;
                Typed::new(format!("ceil({})", args[0].sql), args[0].ty)
            }
            "tobool" | "toboolean" => {
                arity(name, args, 1, 1)?;
                Typed::new(
                    match args[0].ty {
                        K::Bool => args[0].sql.clone(),
                        K::String => format!(
                            "CASE lower(trim({x})) WHEN 'true' THEN true WHEN 'false' THEN false \
                             WHEN '1' THEN true WHEN '0' THEN false END",
                            x = args[0].sql
                        ),
                        _ => format!("TRY_CAST({} AS BOOLEAN)", args[0].sql),
                    },
                    K::Bool,
                )
            }
            "pack_array" => {
                let items: Vec<String> = args.iter().map(|a| to_dynamic(a).sql).collect();
                Typed::new(format!("json_array({})", items.join(", ")), K::Dynamic)
            }
            "pack" | "bag_pack" => {
                if !args.len().is_multiple_of(2) {
                    return Err(format!("{name}() takes key and value pairs"));
                }
                let items: Vec<String> = args
                    .chunks(2)
                    .map(|kv| format!("{}, {}", s(&kv[0]), to_dynamic(&kv[1]).sql))
                    .collect();
                Typed::new(format!("json_object({})", items.join(", ")), K::Dynamic)
            }
            "set_has_element" | "array_index_of" => {
                arity(name, args, 2, 2)?;
                let arr = to_dynamic(&args[0]).sql;
                let v = to_dynamic(&args[1]).sql;
                let pos = format!(
                    "list_position(CAST(json_extract({arr}, '$[*]') AS VARCHAR[]), CAST({v} AS VARCHAR))"
                );
                if name == "set_has_element" {
                    Typed::new(format!("coalesce({pos} IS NOT NULL, false)"), K::Bool)
                } else {
                    Typed::new(format!("coalesce(CAST({pos} AS BIGINT) - 1, -1)"), K::Long)
                }
            }
            "array_slice" => {
                arity(name, args, 3, 3)?;
                let arr = to_dynamic(&args[0]).sql;
                Typed::new(
                    format!(
                        "to_json(list_slice(json_extract({arr}, '$[*]'), ({}) + 1, ({}) + 1))",
                        args[1].sql, args[2].sql
                    ),
                    K::Dynamic,
                )
            }
            "series_stats_dynamic" => {
                arity(name, args, 1, 2)?;
                let l = format!(
                    "CAST(json_extract({}, '$[*]') AS DOUBLE[])",
                    to_dynamic(&args[0]).sql
                );
                Typed::new(
                    format!(
                        "json_object('min', list_min({l}), 'min_idx', list_position({l}, list_min({l})) - 1, \
                         'max', list_max({l}), 'max_idx', list_position({l}, list_max({l})) - 1, \
                         'avg', list_avg({l}), 'stdev', list_aggregate({l}, 'stddev_samp'), \
                         'variance', list_aggregate({l}, 'var_samp'))"
                    ),
                    K::Dynamic,
                )
            }
            "array_sum" => {
                arity(name, args, 1, 1)?;
                Typed::new(
                    format!(
                        "list_sum(CAST(json_extract({}, '$[*]') AS DOUBLE[]))",
                        to_dynamic(&args[0]).sql
                    ),
                    K::Real,
                )
            }
            "bag_keys" => {
                arity(name, args, 1, 1)?;
                Typed::new(
                    format!("to_json(json_keys({}))", to_dynamic(&args[0]).sql),
                    K::Dynamic,
                )
            }
            "geo_info_from_ip_address" => {
                arity(name, args, 1, 1)?;
                Typed::new("json_object()", K::Dynamic)
            }
            "ipv4_is_in_range"
            | "ipv4_is_in_any_range"
            | "ipv4_compare"
            | "parse_ipv4"
            | "ipv6_is_match"
            | "ipv4_is_match_any" => {
                let parts: Vec<String> = match (name, args.get(1).and_then(|a| a.list.as_ref())) {
                    ("ipv4_is_in_any_range", Some(items)) => {
                        let l: Vec<String> = items.iter().map(s).collect();
                        vec![s(&args[0]), format!("[{}]::VARCHAR[]", l.join(", "))]
                    }
                    ("ipv4_is_in_any_range", None) if args.len() > 2 => {
                        let l: Vec<String> = args[1..].iter().map(s).collect();
                        vec![s(&args[0]), format!("[{}]::VARCHAR[]", l.join(", "))]
                    }
                    _ => args
                        .iter()
                        .map(|a| match a.ty {
                            K::Int | K::Long => a.sql.clone(),
                            _ => s(a),
                        })
                        .collect(),
                };
                let ty = match name {
                    "ipv4_compare" => K::Int,
                    "parse_ipv4" => K::Long,
                    _ => K::Bool,
                };
                Typed::new(format!("{name}({})", parts.join(", ")), ty)
            }
            "dynamic_element" => {
                arity(name, args, 2, 2)?;
                index(&args[0], &args[1])?
            }
            "isnan" => {
                arity(name, args, 1, 1)?;
                Typed::new(format!("isnan({})", real(&args[0])), K::Bool)
            }
            "isascii" => {
                arity(name, args, 1, 1)?;
                Typed::new(
                    format!("regexp_matches({}, '^[\\x00-\\x7F]*$')", s(&args[0])),
                    K::Bool,
                )
            }
            "url_decode" => {
                arity(name, args, 1, 1)?;
                Typed::new(format!("url_decode({})", s(&args[0])), K::String)
            }
            "base64_decode_tostring" => {
                arity(name, args, 1, 1)?;
                Typed::new(
                    format!("TRY_CAST(from_base64({}) AS VARCHAR)", s(&args[0])),
                    K::String,
                )
            }
            "new_guid" => {
                arity(name, args, 0, 0)?;
                Typed::new("uuid()", K::Guid)
            }
            _ => return Err(String::new()),
        })
    })();
    match r {
        Err(e) if e.is_empty() => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kusto_datetime_formats_become_strftime() {
        assert_eq!(datetime_format("yyyy-MM-dd HH:mm:ss"), "%Y-%m-%d %H:%M:%S");
        assert_eq!(datetime_format("100%"), "100%%");
    }

    #[test]
    fn unknown_names_are_none() {
        assert!(scalar("no_such_function", &[]).is_none());
        assert!(scalar("indexof", &[]).unwrap().is_err());
    }
}
