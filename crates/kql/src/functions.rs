//! KQL scalar and aggregate functions and how each maps to DuckDB SQL.

use chrono::{Duration, NaiveDateTime};

use super::ast::Lit;
use super::KqlType;

/// A compiled expression: its SQL, its KQL type, and its value when it is a constant.
#[derive(Debug, Clone)]
pub struct Typed {
    /// DuckDB SQL text.
    pub sql: String,
    /// KQL type.
    pub ty: KqlType,
    /// The constant value, for literals (lets constant folding and `in` lists work).
    pub lit: Option<Lit>,
    /// The elements, for `dynamic([...])` array values.
    pub list: Option<Vec<Typed>>,
    /// For an array of strings made from a DuckDB list (`split()`): the list's SQL, so one
    /// element is read from the list instead of from the array written as JSON.
    pub texts: Option<String>,
    /// For `parse_xml(x)`: the SQL of the text `x`, so a member chain reads its part from
    /// the XML instead of from the whole document written as JSON.
    pub xml: Option<String>,
}

impl Typed {
    /// A computed (non-constant) value.
    pub fn new(sql: impl Into<String>, ty: KqlType) -> Self {
        Typed {
            sql: sql.into(),
            ty,
            lit: None,
            list: None,
            texts: None,
            xml: None,
        }
    }

    /// A constant.
    pub fn lit(l: Lit) -> Self {
        let (sql, ty) = match &l {
            Lit::Bool(b) => (b.to_string(), KqlType::Bool),
            Lit::Long(n) => (n.to_string(), KqlType::Long),
            Lit::Real(r) if r.is_finite() => (format!("CAST({r:?} AS DOUBLE)"), KqlType::Real),
            Lit::Real(r) => (format!("CAST('{r}' AS DOUBLE)"), KqlType::Real),
            Lit::Str(s) => (quote_str(s), KqlType::String),
            Lit::TimeSpan(us) => (format!("INTERVAL '{us} microseconds'"), KqlType::TimeSpan),
            Lit::DateTime(t) => (
                format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
                KqlType::DateTime,
            ),
            Lit::Null => ("NULL".to_string(), KqlType::DateTime),
        };
        Typed {
            sql,
            ty,
            lit: Some(l),
            list: None,
            texts: None,
            xml: None,
        }
    }

    /// The constant string value, if this is a string literal.
    pub fn str_lit(&self) -> Option<&str> {
        match &self.lit {
            Some(Lit::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether the type is numeric.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self.ty,
            KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
        )
    }
}

/// The DuckDB type that holds values of a KQL type.
pub fn sql_type(ty: KqlType) -> &'static str {
    match ty {
        KqlType::Bool => "BOOLEAN",
        KqlType::Int => "INTEGER",
        KqlType::Long => "BIGINT",
        KqlType::Real => "DOUBLE",
        KqlType::Decimal => "DECIMAL(38, 10)",
        KqlType::String => "VARCHAR",
        KqlType::DateTime => "TIMESTAMP",
        KqlType::TimeSpan => "INTERVAL",
        KqlType::Guid => "UUID",
        KqlType::Dynamic => "JSON",
    }
}

/// The KQL type a type name (`int`, `string`, `datetime`, ...) stands for.
pub fn type_by_name(name: &str) -> Option<KqlType> {
    Some(match name {
        "bool" | "boolean" => KqlType::Bool,
        "int" | "int32" => KqlType::Int,
        "long" | "int64" => KqlType::Long,
        "real" | "double" => KqlType::Real,
        "decimal" => KqlType::Decimal,
        "string" => KqlType::String,
        "datetime" | "date" => KqlType::DateTime,
        "timespan" | "time" => KqlType::TimeSpan,
        "guid" | "uuid" | "uniqueid" => KqlType::Guid,
        "dynamic" => KqlType::Dynamic,
        _ => return None,
    })
}

/// The value as a DuckDB JSON value (dynamic).
pub fn to_dynamic(t: &Typed) -> Typed {
    match (t.ty, &t.list) {
        (KqlType::Dynamic, _) => t.clone(),
        (_, _) if matches!(t.lit, Some(Lit::Null)) => {
            Typed::new("CAST(NULL AS JSON)", KqlType::Dynamic)
        }
        (KqlType::String, _) => Typed::new(format!("to_json({})", t.sql), KqlType::Dynamic),
        _ => Typed::new(format!("to_json({})", t.sql), KqlType::Dynamic),
    }
}

/// Converts a dynamic value to a scalar type, the way `tostring`, `toint`, ... do.
pub fn convert_dynamic(t: &Typed, ty: KqlType) -> Typed {
    if ty == KqlType::Dynamic {
        return t.clone();
    }
    let text = format!("json_extract_string({}, '$')", t.sql);
    match ty {
        KqlType::String => to_string(t),
        KqlType::Int | KqlType::Long => Typed::new(
            format!(
                "TRY_CAST(trunc(TRY_CAST({text} AS DOUBLE)) AS {})",
                sql_type(ty)
            ),
            ty,
        ),
        _ => Typed::new(format!("TRY_CAST({text} AS {})", sql_type(ty)), ty),
    }
}

/// `x.key` on a dynamic value.
pub fn member(base: &Typed, key: &str) -> Typed {
    json_path(base, &format!(".\"{}\"", key.replace('"', "\\\"")))
}

/// `json_extract` of one path step (`."key"`, `[0]`) from a dynamic value. A step from a
/// `json_extract` extends its path, so `a.b.c` parses the JSON document once, not three
/// times; a path into `parse_xml(x)` is `kql_xml_path(x, path)`, which writes only the part
/// it reads.
fn json_path(base: &Typed, step: &str) -> Typed {
    let b = to_dynamic(base);
    let (function, doc, path) = match (&b.xml, outer_json_path(&b.sql)) {
        (Some(xml), _) => ("kql_xml_path", xml.clone(), format!("${step}")),
        (None, Some((function, doc, path))) => (function, doc.to_string(), format!("{path}{step}")),
        (None, None) => ("json_extract", b.sql, format!("${step}")),
    };
    Typed::new(
        format!("{function}({doc}, {})", quote_str(&path)),
        KqlType::Dynamic,
    )
}

/// `json_extract(doc, '$path')` (or `kql_xml_path`) split into the function, the
/// document's SQL and the path's text.
fn outer_json_path(sql: &str) -> Option<(&'static str, &str, String)> {
    let (function, inner) = ["json_extract", "kql_xml_path"].into_iter().find_map(|f| {
        let inner = sql.strip_prefix(f)?.strip_prefix('(')?.strip_suffix("')")?;
        Some((f, inner))
    })?;
    let (doc, path) = inner.rsplit_once(", '$")?;
    // The path is one SQL string literal, in which every quote is doubled.
    if path.replace("''", "").contains('\'') {
        return None;
    }
    Some((function, doc, format!("${}", path.replace("''", "'"))))
}

/// `x[i]` on a dynamic array (negative indexes count from the end), or `x["key"]`.
pub fn index(base: &Typed, i: &Typed) -> Result<Typed, String> {
    if let (Some(list), Some(Lit::Long(n))) = (&base.texts, &i.lit) {
        // DuckDB counts list elements from 1, and from the end as Kusto does.
        if let Some(at) = if *n >= 0 { n.checked_add(1) } else { Some(*n) } {
            return Ok(Typed::new(
                format!("to_json({list}[{at}])"),
                KqlType::Dynamic,
            ));
        }
    }
    let b = to_dynamic(base);
    match (&i.lit, i.ty) {
        (Some(Lit::Str(k)), _) => Ok(member(&b, k)),
        (Some(Lit::Long(n)), _) if *n < 0 => Ok(json_path(&b, &format!("[#{n}]"))),
        (Some(Lit::Long(n)), _) => Ok(json_path(&b, &format!("[{n}]"))),
        (_, KqlType::Int | KqlType::Long) => Ok(Typed::new(
            format!(
                "json_extract({}, '$[' || CASE WHEN {i} < 0 THEN '#' || {i} ELSE CAST({i} AS VARCHAR) END || ']')",
                b.sql,
                i = i.sql
            ),
            KqlType::Dynamic,
        )),
        (_, KqlType::String) => Ok(Typed::new(
            format!("json_extract({}, '$.\"' || {} || '\"')", b.sql, i.sql),
            KqlType::Dynamic,
        )),
        (_, other) => Err(format!("cannot index a dynamic value with a {other:?}")),
    }
}

/// `expr AS name`, or `expr` alone when it already is the column `name` (`"x"` or `l."x"`
/// for `"x"`): DuckDB parses every token, and a hunt's SQL names most columns as they are.
pub fn named(expr: &str, name: &str) -> String {
    let column = match expr.split_once('.') {
        Some((table, column))
            if !table.is_empty()
                && table
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            column
        }
        _ => expr,
    };
    if column == name {
        expr.to_string()
    } else {
        format!("{expr} AS {name}")
    }
}

/// A SQL string literal.
pub fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A double-quoted SQL identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Whether `sql` is one `coalesce(..., '')` as a whole, which is never null: the text of a
/// string already read as Kusto reads it. Quoted text and identifiers are skipped when the
/// parentheses are matched.
fn is_coalesced(sql: &str) -> bool {
    let Some(inner) = sql.strip_prefix("coalesce(") else {
        return false;
    };
    if !sql.ends_with(", '')") {
        return false;
    }
    let mut depth = 1usize;
    let mut quote: Option<char> = None;
    for (i, ch) in inner.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1 == inner.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// The value as a Kusto string (`tostring`): never NULL, datetimes in ISO 8601 with `Z`.
pub fn to_string(t: &Typed) -> Typed {
    if let Some(Lit::Str(_)) = t.lit {
        return t.clone();
    }
    let sql = match t.ty {
        KqlType::String if is_coalesced(&t.sql) => t.sql.clone(),
        KqlType::String => format!("coalesce({}, '')", t.sql),
        KqlType::DateTime => format!(
            "coalesce(strftime({x}, '%Y-%m-%dT%H:%M:%S') || CASE WHEN microsecond({x}) % 1000000 = 0 \
             THEN '' ELSE '.' || lpad(CAST(microsecond({x}) % 1000000 AS VARCHAR), 6, '0') || '0' END || 'Z', '')",
            x = t.sql
        ),
        KqlType::Dynamic => format!("coalesce(kql_json_text({}), '')", t.sql),
        _ => format!("coalesce(CAST({} AS VARCHAR), '')", t.sql),
    };
    Typed::new(sql, KqlType::String)
}

fn arity(name: &str, args: &[Typed], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "{name}() takes {want} argument(s), got {}",
            args.len()
        ));
    }
    Ok(())
}

fn want(name: &str, t: &Typed, ty: &[KqlType]) -> Result<(), String> {
    if ty.contains(&t.ty) {
        Ok(())
    } else {
        Err(format!("{name}() does not accept a {:?} argument", t.ty))
    }
}

/// Converts to an integer type the Kusto way (reals truncate toward zero; bad text is null).
fn to_integer(t: &Typed, sql_ty: &str, ty: KqlType) -> Typed {
    let sql = match t.ty {
        KqlType::Real | KqlType::Decimal => format!("TRY_CAST(trunc({}) AS {sql_ty})", t.sql),
        KqlType::String => format!(
            "TRY_CAST(trunc(TRY_CAST(trim({}) AS DOUBLE)) AS {sql_ty})",
            t.sql
        ),
        _ => format!("TRY_CAST({} AS {sql_ty})", t.sql),
    };
    Typed::new(sql, ty)
}

/// Type of `iff`/`case` branches: the first non-null-literal branch decides.
fn common_type(items: &[&Typed]) -> KqlType {
    items
        .iter()
        .find(|t| !matches!(t.lit, Some(Lit::Null)))
        .map_or(KqlType::String, |t| t.ty)
}

/// Offset between 0001-01-01 (Kusto's datetime bin origin) and the Unix epoch, in microseconds.
const YEAR1_OFFSET_US: i64 = 62_135_596_800_000_000;

/// `bin(value, size)`: rounds down to a multiple of `size`.
fn bin(args: &[Typed]) -> Result<Typed, String> {
    arity("bin", args, 2, 2)?;
    let (v, size) = (&args[0], &args[1]);
    match (v.ty, size.ty) {
        (KqlType::DateTime, KqlType::TimeSpan) => {
            let Some(Lit::TimeSpan(us)) = size.lit else {
                return Err("bin() on a datetime needs a constant timespan size".into());
            };
            if us <= 0 {
                return Err("bin() needs a positive size".into());
            }
            Ok(Typed::new(
                format!(
                    "make_timestamp(((epoch_us({}) + {YEAR1_OFFSET_US}) // {us}) * {us} - {YEAR1_OFFSET_US})",
                    v.sql
                ),
                KqlType::DateTime,
            ))
        }
        (KqlType::Int | KqlType::Long, KqlType::Int | KqlType::Long) => Ok(Typed::new(
            format!(
                "CAST(floor({} / {}) * {} AS BIGINT)",
                v.sql, size.sql, size.sql
            ),
            v.ty,
        )),
        (a, b)
            if [a, b].iter().all(|t| {
                matches!(
                    t,
                    KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
                )
            }) =>
        {
            Ok(Typed::new(
                format!("(floor({} / {}) * {})", v.sql, size.sql, size.sql),
                KqlType::Real,
            ))
        }
        (a, b) => Err(format!("bin() on {a:?} by {b:?} is not supported yet")),
    }
}

/// Compiles a scalar function call. `None` means quarry does not know the function.
pub fn scalar(name: &str, args: &[Typed], now: NaiveDateTime) -> Option<Result<Typed, String>> {
    use KqlType as K;
    let r = (|| -> Result<Typed, String> {
        match name {
            "tostring" => {
                arity(name, args, 1, 1)?;
                Ok(to_string(&args[0]))
            }
            "toint" | "tolong" | "todouble" | "toreal" | "tobool" | "toboolean"
                if args.len() == 1 && args[0].ty == K::Dynamic =>
            {
                let ty = match name {
                    "toint" => K::Int,
                    "tolong" => K::Long,
                    "tobool" | "toboolean" => K::Bool,
                    _ => K::Real,
                };
                Ok(convert_dynamic(&args[0], ty))
            }
            "toint" => {
                arity(name, args, 1, 1)?;
                Ok(to_integer(&args[0], "INTEGER", K::Int))
            }
            "tolong" => {
                arity(name, args, 1, 1)?;
                Ok(to_integer(&args[0], "BIGINT", K::Long))
            }
            "extract" => {
                arity(name, args, 3, 4)?;
                want(name, &args[1], &[K::Int, K::Long])?;
                let Some(re) = args[0].str_lit() else {
                    return Err("extract() needs the regular expression as a string literal".into());
                };
                // quarry's kql_extract: no match gives '', Kusto's empty string, and a chunk
                // reads each distinct text once.
                Ok(Typed::new(
                    format!(
                        "kql_extract({}, {}, {})",
                        to_string(&args[2]).sql,
                        quote_str(re),
                        args[1].sql
                    ),
                    K::String,
                ))
            }
            "split" => {
                arity(name, args, 2, 3)?;
                let list = format!(
                    "string_split({}, {})",
                    to_string(&args[0]).sql,
                    to_string(&args[1]).sql
                );
                let parts = Typed {
                    texts: Some(list.clone()),
                    ..Typed::new(format!("to_json({list})"), K::Dynamic)
                };
                Ok(match args.get(2) {
                    None => parts,
                    Some(i) => index(&parts, i)
                        .map(|e| Typed::new(format!("json_array({})", e.sql), K::Dynamic))?,
                })
            }
            "parse_json" | "todynamic" => {
                arity(name, args, 1, 1)?;
                Ok(match args[0].ty {
                    K::Dynamic => args[0].clone(),
                    K::String => Typed::new(
                        format!(
                            "CASE WHEN json_valid({x}) THEN CAST({x} AS JSON) ELSE to_json({x}) END",
                            x = args[0].sql
                        ),
                        K::Dynamic,
                    ),
                    _ => to_dynamic(&args[0]),
                })
            }
            "parse_xml" => {
                arity(name, args, 1, 1)?;
                let text = to_string(&args[0]).sql;
                Ok(Typed {
                    xml: Some(text.clone()),
                    ..Typed::new(format!("CAST(kql_parse_xml({text}) AS JSON)"), K::Dynamic)
                })
            }
            "array_length" => {
                arity(name, args, 1, 1)?;
                Ok(Typed::new(
                    format!(
                        "CAST(json_array_length({}) AS BIGINT)",
                        to_dynamic(&args[0]).sql
                    ),
                    K::Long,
                ))
            }
            "todouble" | "toreal" => {
                arity(name, args, 1, 1)?;
                Ok(Typed::new(
                    format!("TRY_CAST({} AS DOUBLE)", args[0].sql),
                    K::Real,
                ))
            }
            "tolower" | "toupper" => {
                arity(name, args, 1, 1)?;
                let f = if name == "tolower" { "lower" } else { "upper" };
                Ok(Typed::new(
                    format!("{f}({})", to_string(&args[0]).sql),
                    K::String,
                ))
            }
            "strlen" => {
                arity(name, args, 1, 1)?;
                Ok(Typed::new(
                    format!("CAST(length({}) AS BIGINT)", to_string(&args[0]).sql),
                    K::Long,
                ))
            }
            "strcat" => {
                arity(name, args, 1, 64)?;
                let parts: Vec<String> = args.iter().map(|a| to_string(a).sql).collect();
                Ok(Typed::new(
                    format!("concat({})", parts.join(", ")),
                    K::String,
                ))
            }
            "iff" | "iif" => {
                arity(name, args, 3, 3)?;
                want(name, &args[0], &[K::Bool])?;
                Ok(Typed::new(
                    format!(
                        "CASE WHEN {} THEN {} ELSE {} END",
                        args[0].sql, args[1].sql, args[2].sql
                    ),
                    common_type(&[&args[1], &args[2]]),
                ))
            }
            "case" => {
                if args.len() < 3 || args.len().is_multiple_of(2) {
                    return Err(
                        "case() takes pairs of predicate and value, then an else value".into(),
                    );
                }
                let mut sql = String::from("CASE");
                let mut values = Vec::new();
                for pair in args[..args.len() - 1].chunks(2) {
                    want(name, &pair[0], &[K::Bool])?;
                    sql.push_str(&format!(" WHEN {} THEN {}", pair[0].sql, pair[1].sql));
                    values.push(&pair[1]);
                }
                let last = &args[args.len() - 1];
                values.push(last);
                sql.push_str(&format!(" ELSE {} END", last.sql));
                Ok(Typed::new(sql, common_type(&values)))
            }
            "coalesce" => {
                arity(name, args, 2, 64)?;
                let ty = common_type(&args.iter().collect::<Vec<_>>());
                let parts: Vec<String> = args
                    .iter()
                    .map(|a| {
                        if a.ty == K::String {
                            format!("nullif({}, '')", a.sql)
                        } else {
                            a.sql.clone()
                        }
                    })
                    .collect();
                let sql = format!("coalesce({})", parts.join(", "));
                Ok(if ty == K::String {
                    Typed::new(format!("coalesce({sql}, '')"), ty)
                } else {
                    Typed::new(sql, ty)
                })
            }
            "isempty" | "isnotempty" => {
                arity(name, args, 1, 1)?;
                let a = &args[0];
                let empty = if a.ty == K::String {
                    format!("({x} IS NULL OR {x} = '')", x = a.sql)
                } else {
                    format!("({} IS NULL)", a.sql)
                };
                Ok(Typed::new(
                    if name == "isempty" {
                        empty
                    } else {
                        format!("(NOT {empty})")
                    },
                    K::Bool,
                ))
            }
            "isnull" | "isnotnull" => {
                arity(name, args, 1, 1)?;
                let a = &args[0];
                // Kusto strings are never null: isnull() on a string is always false.
                let null = if a.ty == K::String {
                    "false".to_string()
                } else {
                    format!("({} IS NULL)", a.sql)
                };
                Ok(Typed::new(
                    if name == "isnull" {
                        null
                    } else {
                        format!("(NOT {null})")
                    },
                    K::Bool,
                ))
            }
            "not" => {
                arity(name, args, 1, 1)?;
                want(name, &args[0], &[K::Bool])?;
                Ok(Typed::new(format!("(NOT {})", args[0].sql), K::Bool))
            }
            "bin" | "floor" => bin(args),
            "ago" => {
                arity(name, args, 1, 1)?;
                want(name, &args[0], &[K::TimeSpan])?;
                Ok(match args[0].lit {
                    Some(Lit::TimeSpan(us)) => Typed::lit(Lit::DateTime(
                        now.checked_sub_signed(Duration::microseconds(us))
                            .ok_or("ago(): datetime out of range")?,
                    )),
                    _ => Typed::new(
                        format!("({} - {})", Typed::lit(Lit::DateTime(now)).sql, args[0].sql),
                        K::DateTime,
                    ),
                })
            }
            "now" => {
                arity(name, args, 0, 1)?;
                let offset = match args.first() {
                    None => 0,
                    Some(Typed {
                        lit: Some(Lit::TimeSpan(us)),
                        ..
                    }) => *us,
                    Some(_) => return Err("now() takes a constant timespan offset".into()),
                };
                Ok(Typed::lit(Lit::DateTime(
                    now.checked_add_signed(Duration::microseconds(offset))
                        .ok_or("now(): datetime out of range")?,
                )))
            }
            "ipv4_is_private" => {
                arity(name, args, 1, 1)?;
                Ok(Typed::new(
                    format!("ipv4_is_private({})", to_string(&args[0]).sql),
                    K::Bool,
                ))
            }
            "ipv4_is_match" => {
                arity(name, args, 2, 2)?;
                let ip = to_string(&args[0]).sql;
                Ok(match &args[1].list {
                    Some(items) => {
                        let parts: Vec<String> = items.iter().map(|i| to_string(i).sql).collect();
                        Typed::new(
                            format!("ipv4_is_match_any({ip}, [{}]::VARCHAR[])", parts.join(", ")),
                            K::Bool,
                        )
                    }
                    None => Typed::new(
                        format!("ipv4_is_match({ip}, {})", to_string(&args[1]).sql),
                        K::Bool,
                    ),
                })
            }
            "int" | "long" | "real" | "double" | "bool" | "boolean" | "string" | "timespan" => {
                arity(name, args, 1, 1)?;
                let (sql_ty, ty) = match name {
                    "int" => ("INTEGER", K::Int),
                    "long" => ("BIGINT", K::Long),
                    "real" | "double" => ("DOUBLE", K::Real),
                    "bool" | "boolean" => ("BOOLEAN", K::Bool),
                    "string" => ("VARCHAR", K::String),
                    _ => ("INTERVAL", K::TimeSpan),
                };
                if args[0].lit.is_none() {
                    return Err(format!("{name}() takes a literal"));
                }
                Ok(Typed::new(format!("CAST({} AS {sql_ty})", args[0].sql), ty))
            }
            "todatetime" => {
                arity(name, args, 1, 1)?;
                Ok(match args[0].ty {
                    K::DateTime => args[0].clone(),
                    _ => Typed::new(
                        format!("TRY_CAST({} AS TIMESTAMP)", to_string(&args[0]).sql),
                        K::DateTime,
                    ),
                })
            }
            "startofday" => {
                arity(name, args, 1, 1)?;
                want(name, &args[0], &[K::DateTime])?;
                Ok(Typed::new(
                    format!("date_trunc('day', {})", args[0].sql),
                    K::DateTime,
                ))
            }
            "round" => {
                arity(name, args, 1, 2)?;
                let digits = args.get(1).map_or("0".to_string(), |d| d.sql.clone());
                Ok(Typed::new(
                    format!("round(CAST({} AS DOUBLE), {digits})", args[0].sql),
                    K::Real,
                ))
            }
            "abs" => {
                arity(name, args, 1, 1)?;
                Ok(Typed::new(format!("abs({})", args[0].sql), args[0].ty))
            }
            "substring" => {
                arity(name, args, 2, 3)?;
                let s = to_string(&args[0]).sql;
                let start = &args[1].sql;
                Ok(Typed::new(
                    match args.get(2) {
                        Some(len) => format!("substring({s}, ({start}) + 1, {})", len.sql),
                        None => format!("substring({s}, ({start}) + 1)"),
                    },
                    K::String,
                ))
            }
            "strcat_delim" => {
                arity(name, args, 3, 64)?;
                let parts: Vec<String> = args.iter().map(|a| to_string(a).sql).collect();
                Ok(Typed::new(
                    format!("concat_ws({})", parts.join(", ")),
                    K::String,
                ))
            }
            "replace_string" => {
                arity(name, args, 3, 3)?;
                let p: Vec<String> = args.iter().map(|a| to_string(a).sql).collect();
                Ok(Typed::new(
                    format!("replace({}, {}, {})", p[0], p[1], p[2]),
                    K::String,
                ))
            }
            _ => super::builtins::scalar(name, args).unwrap_or(Err(String::new())),
        }
    })();
    match r {
        Err(e) if e.is_empty() => None,
        other => Some(other),
    }
}

/// The value `dcount` counts: strings read NULL as '' (Kusto strings are never null).
fn distinct_value(t: &Typed) -> String {
    if t.ty == KqlType::String {
        to_string(t).sql
    } else {
        t.sql.clone()
    }
}

/// Whether `name` is an aggregation function.
pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "countif"
            | "dcount"
            | "dcountif"
            | "sum"
            | "sumif"
            | "min"
            | "max"
            | "avg"
            | "make_set"
            | "make_list"
            | "arg_max"
            | "arg_min"
            | "make_set_if"
            | "make_list_if"
            | "percentile"
            | "percentiles"
            | "stdev"
            | "variance"
            | "any"
            | "take_any"
            | "make_bag"
            | "avgif"
            | "maxif"
            | "minif"
    )
}

/// The prefix of the column name Kusto gives an unnamed aggregation: the name is
/// `prefix_` plus the argument's column name (`count_`, `dcount_SrcIp`, `set_Port`).
pub fn agg_prefix(name: &str) -> &str {
    match name {
        "make_set" | "make_set_if" => "set",
        "make_list" | "make_list_if" => "list",
        "take_any" => "any",
        other => other,
    }
}

fn limit_arg(name: &str, t: Option<&Typed>) -> Result<Option<i64>, String> {
    match t {
        None => Ok(None),
        Some(Typed {
            lit: Some(Lit::Long(n)),
            ..
        }) if *n > 0 => Ok(Some(*n)),
        Some(_) => Err(format!(
            "{name}(): the size limit must be a positive integer constant"
        )),
    }
}

/// Compiles an aggregation call. `None` means it is not supported yet.
pub fn aggregate(name: &str, args: &[Typed]) -> Option<Result<Typed, String>> {
    use KqlType as K;
    let agg = |sql: String, ty: KqlType| Typed::new(sql, ty);
    let r = (|| -> Result<Typed, String> {
        Ok(match name {
            "count" => {
                arity(name, args, 0, 0)?;
                agg("count(*)".into(), K::Long)
            }
            "countif" => {
                arity(name, args, 1, 1)?;
                want(name, &args[0], &[K::Bool])?;
                agg(format!("count(*) FILTER (WHERE {})", args[0].sql), K::Long)
            }
            "dcount" => {
                arity(name, args, 1, 2)?;
                agg(
                    format!("count(DISTINCT {})", distinct_value(&args[0])),
                    K::Long,
                )
            }
            "dcountif" => {
                arity(name, args, 2, 3)?;
                want(name, &args[1], &[K::Bool])?;
                agg(
                    format!(
                        "count(DISTINCT {}) FILTER (WHERE {})",
                        distinct_value(&args[0]),
                        args[1].sql
                    ),
                    K::Long,
                )
            }
            "sum" | "sumif" => {
                let cond = if name == "sumif" {
                    arity(name, args, 2, 2)?;
                    want(name, &args[1], &[K::Bool])?;
                    format!(" FILTER (WHERE {})", args[1].sql)
                } else {
                    arity(name, args, 1, 1)?;
                    String::new()
                };
                let a = &args[0];
                let (sql, ty) = match a.ty {
                    K::Int | K::Long | K::Bool => {
                        (format!("CAST(sum({}){cond} AS BIGINT)", a.sql), K::Long)
                    }
                    K::Real | K::Decimal => (format!("sum({}){cond}", a.sql), a.ty),
                    K::TimeSpan => (format!("sum({}){cond}", a.sql), K::TimeSpan),
                    other => return Err(format!("{name}() does not accept a {other:?} argument")),
                };
                agg(sql, ty)
            }
            "min" | "max" => {
                arity(name, args, 1, 1)?;
                agg(format!("{name}({})", args[0].sql), args[0].ty)
            }
            "avg" => {
                arity(name, args, 1, 1)?;
                if !args[0].is_numeric() {
                    return Err(format!("avg() does not accept a {:?} argument", args[0].ty));
                }
                agg(format!("avg({})", args[0].sql), K::Real)
            }
            "make_set" | "make_list" | "make_set_if" | "make_list_if" => {
                let conditional = name.ends_with("_if");
                let (min, max) = if conditional { (2, 3) } else { (1, 2) };
                arity(name, args, min, max)?;
                let x = &args[0].sql;
                if conditional {
                    want(name, &args[1], &[K::Bool])?;
                }
                let only = |mut conds: Vec<String>| {
                    if conditional {
                        conds.push(args[1].sql.clone());
                    }
                    match conds.is_empty() {
                        true => String::new(),
                        false => format!(" FILTER (WHERE {})", conds.join(" AND ")),
                    }
                };
                // list_distinct drops nulls itself, so a set does not write (and run) its
                // expression a second time in a filter.
                let base = if name.starts_with("make_set") {
                    format!("list_distinct(list({x}){})", only(vec![]))
                } else {
                    format!("list({x}){}", only(vec![format!("{x} IS NOT NULL")]))
                };
                let sized = match limit_arg(name, args.get(if conditional { 2 } else { 1 }))? {
                    Some(n) => format!("list_slice({base}, 1, {n})"),
                    None => base,
                };
                agg(format!("to_json(coalesce({sized}, []))"), K::Dynamic)
            }
            "percentile" => {
                arity(name, args, 2, 2)?;
                let p = match &args[1].lit {
                    Some(Lit::Long(n)) => *n as f64,
                    Some(Lit::Real(r)) => *r,
                    _ => return Err("percentile() needs a constant percentage".into()),
                };
                agg(
                    format!("quantile_disc({}, {})", args[0].sql, p / 100.0),
                    args[0].ty,
                )
            }
            "stdev" | "variance" | "stdevp" | "variancep" => {
                arity(name, args, 1, 1)?;
                let f = match name {
                    "stdev" => "stddev_samp",
                    "stdevp" => "stddev_pop",
                    "variance" => "var_samp",
                    _ => "var_pop",
                };
                agg(format!("{f}(CAST({} AS DOUBLE))", args[0].sql), K::Real)
            }
            "avgif" | "maxif" | "minif" => {
                arity(name, args, 2, 2)?;
                want(name, &args[1], &[K::Bool])?;
                let f = &name[..3];
                let ty = if f == "avg" { K::Real } else { args[0].ty };
                agg(
                    format!("{f}({}) FILTER (WHERE {})", args[0].sql, args[1].sql),
                    ty,
                )
            }
            "any" | "take_any" => {
                arity(name, args, 1, 1)?;
                agg(format!("any_value({})", args[0].sql), args[0].ty)
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

    fn col(sql: &str, ty: KqlType) -> Typed {
        Typed::new(format!("\"{sql}\""), ty)
    }

    #[test]
    fn text_already_coalesced_is_not_coalesced_again() {
        let once = to_string(&col("s", KqlType::String));
        assert_eq!(to_string(&once).sql, "coalesce(\"s\", '')");
        // Two values joined are not one coalesce: the second may be null.
        let joined = Typed::new("coalesce(\"a\", '') || nullif(\"b\", '')", KqlType::String);
        assert!(to_string(&joined).sql.starts_with("coalesce(coalesce("));
        let quoted = Typed::new(
            "coalesce(\"a)\", ')') || nullif(\"b\", '')",
            KqlType::String,
        );
        assert!(to_string(&quoted).sql.starts_with("coalesce(coalesce("));
    }

    #[test]
    fn a_chain_of_members_is_one_json_path() {
        let d = col("d", KqlType::Dynamic);
        let chained = member(
            &index(&member(&d, "a"), &Typed::lit(Lit::Long(0))).unwrap(),
            "it's",
        );
        assert_eq!(chained.sql, r#"json_extract("d", '$."a"[0]."it''s"')"#);
        // A path with a (doubled) quote in it is extended too.
        let inner = Typed::new("json_extract(\"d\", '$.\"x''\"')", KqlType::Dynamic);
        assert_eq!(
            member(&inner, "b").sql,
            r#"json_extract("d", '$."x'"."b"')"#.replace("x'", "x''")
        );
    }

    #[test]
    fn a_path_into_parse_xml_reads_the_xml() {
        let now = NaiveDateTime::default();
        let doc = scalar("parse_xml", &[col("x", KqlType::String)], now)
            .unwrap()
            .unwrap();
        let data = member(&member(&doc, "DataItem"), "Data");
        assert_eq!(
            data.sql,
            r#"kql_xml_path(coalesce("x", ''), '$."DataItem"."Data"')"#
        );
        let last = index(&data, &Typed::lit(Lit::Long(-1))).unwrap();
        assert_eq!(
            last.sql,
            r#"kql_xml_path(coalesce("x", ''), '$."DataItem"."Data"[#-1]')"#
        );
        assert_eq!(doc.sql, r#"CAST(kql_parse_xml(coalesce("x", '')) AS JSON)"#);
    }

    #[test]
    fn a_column_under_its_own_name_needs_no_alias() {
        assert_eq!(named(r#""x""#, r#""x""#), r#""x""#);
        assert_eq!(named(r#"r."x""#, r#""x""#), r#"r."x""#);
        assert_eq!(named(r#"r."x""#, r#""x1""#), r#"r."x" AS "x1""#);
        assert_eq!(named(r#""a.b""#, r#""a.b""#), r#""a.b""#);
        assert_eq!(named(r#""X""#, r#""x""#), r#""X" AS "x""#);
        assert_eq!(
            named(r#"coalesce("x", '')"#, r#""x""#),
            r#"coalesce("x", '') AS "x""#
        );
        assert_eq!(named(r#"f(l."x")"#, r#""x""#), r#"f(l."x") AS "x""#);
    }

    #[test]
    fn unknown_functions_are_none() {
        let now = NaiveDateTime::default();
        assert!(scalar("parse_csv", &[], now).is_none());
        assert!(aggregate("arg_max", &[]).is_none());
        assert!(scalar("tostring", &[], now).unwrap().is_err());
    }

    #[test]
    fn ago_folds_to_a_timestamp_literal() {
        let now =
            NaiveDateTime::parse_from_str("2025-01-02 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let t = scalar("ago", &[Typed::lit(Lit::TimeSpan(86_400_000_000))], now)
            .unwrap()
            .unwrap();
        assert_eq!(t.sql, "TIMESTAMP '2025-01-01 00:00:00.000000'");
    }

    #[test]
    fn sum_of_integers_is_a_bigint() {
        let a = aggregate("sum", &[col("x", KqlType::Int)])
            .unwrap()
            .unwrap();
        assert_eq!(a.sql, "CAST(sum(\"x\") AS BIGINT)");
        assert_eq!(agg_prefix("make_set"), "set");
    }
}
