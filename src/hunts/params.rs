//! Parameter overrides (`--set name=value`): parsed, checked against the type of the
//! hunt's `let` literal, and turned into the compiler's override pairs.

use crate::kql::ast::{ExprKind, Lit};
use crate::kql::{parser, KqlType, Param};

/// Splits `name=value`.
pub fn split_assignment(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected name=value"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{text}`: the parameter name is empty"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// The type a KQL literal has, `Dynamic` for `dynamic([...])` and `[...]` lists.
fn literal_type(value: &str) -> Result<KqlType, String> {
    let e = parser::parse_expr(value).map_err(|d| d.message)?;
    let lit_type = |e: &ExprKind| match e {
        ExprKind::Lit(Lit::Bool(_)) => Some(KqlType::Bool),
        ExprKind::Lit(Lit::Long(_)) => Some(KqlType::Long),
        ExprKind::Lit(Lit::Real(_)) => Some(KqlType::Real),
        ExprKind::Lit(Lit::Str(_)) => Some(KqlType::String),
        ExprKind::Lit(Lit::TimeSpan(_)) => Some(KqlType::TimeSpan),
        ExprKind::Lit(Lit::DateTime(_)) => Some(KqlType::DateTime),
        ExprKind::Dynamic(_) | ExprKind::NullDynamic => Some(KqlType::Dynamic),
        _ => None,
    };
    lit_type(&e.kind).ok_or_else(|| "expected a literal value".to_string())
}

/// Normalises a list written as `[a, b]` to `dynamic([a, b])`.
fn normalise(value: &str) -> String {
    let v = value.trim();
    if v.starts_with('[') {
        format!("dynamic({v})")
    } else {
        v.to_string()
    }
}

/// Checks `(name, value)` overrides against a hunt's parameters; returns the pairs to give
/// the compiler, or a clear error.
pub fn check(
    params: &[Param],
    overrides: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (name, value) in overrides {
        let Some(p) = params.iter().find(|p| &p.name == name) else {
            let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            return Err(format!(
                "this hunt has no parameter `{name}` (its parameters: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        };
        let value = normalise(value);
        let wrong = || {
            format!(
                "parameter `{name}` takes a {} (like {}), not `{value}`",
                type_name(p.ty),
                p.value
            )
        };
        let got = literal_type(&value).map_err(|_| wrong())?;
        let fits = got == p.ty
            || (matches!(p.ty, KqlType::Int | KqlType::Long) && got == KqlType::Long)
            || (matches!(p.ty, KqlType::Real | KqlType::Decimal)
                && matches!(got, KqlType::Long | KqlType::Real));
        if !fits {
            return Err(wrong());
        }
        out.push((name.clone(), value));
    }
    Ok(out)
}

/// The KQL name of a type.
pub fn type_name(t: KqlType) -> &'static str {
    match t {
        KqlType::Bool => "bool",
        KqlType::Int => "int",
        KqlType::Long => "long",
        KqlType::Real => "real",
        KqlType::Decimal => "decimal",
        KqlType::String => "string",
        KqlType::DateTime => "datetime",
        KqlType::TimeSpan => "timespan",
        KqlType::Guid => "guid",
        KqlType::Dynamic => "dynamic list",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, ty: KqlType, value: &str) -> Param {
        Param {
            name: name.into(),
            ty,
            value: value.into(),
            line: 1,
        }
    }

    #[test]
    fn values_must_fit_the_literal_type() {
        let params = [
            p("threshold", KqlType::Long, "5"),
            p("ports", KqlType::Dynamic, "dynamic([1])"),
            p("lookback", KqlType::TimeSpan, "1d"),
        ];
        let ok = check(
            &params,
            &[
                ("threshold".into(), "10".into()),
                ("ports".into(), "[443, 80]".into()),
                ("lookback".into(), "2h".into()),
            ],
        )
        .unwrap();
        assert_eq!(ok[1].1, "dynamic([443, 80])");
        let servers = [p("servers", KqlType::Dynamic, r#"dynamic(["a", "b"])"#)];
        for one in [r#"dynamic(["a"])"#, r#"["a"]"#, "dynamic([])"] {
            let got = check(&servers, &[("servers".into(), one.into())]);
            assert!(got.is_ok(), "{one}: {got:?}");
        }
        let e = check(&params, &[("threshold".into(), "'ten'".into())]).unwrap_err();
        assert!(e.contains("takes a long"), "{e}");
        let e = check(&params, &[("lookback".into(), "5".into())]).unwrap_err();
        assert!(e.contains("takes a timespan"), "{e}");
        let e = check(&params, &[("nope".into(), "1".into())]).unwrap_err();
        assert!(e.contains("no parameter `nope`"), "{e}");
        assert!(split_assignment("a").is_err());
        assert_eq!(split_assignment("a = 1").unwrap(), ("a".into(), "1".into()));
    }
}
