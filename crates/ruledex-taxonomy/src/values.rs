//! Value normalization: the same indicator, written in two dialects, compares equal.
//!
//! # Why
//!
//! An authoring guide counts *indicators* — (field, operator, value) — across
//! vendors: "how many rules anywhere look for `nmap.exe`?". Sigma writes
//! `Image|endswith: '\nmap.exe'`, Elastic `process.name : "nmap.exe"`, Splunk
//! `Processes.process_name="nmap.exe"`, ASIM `TargetProcessName endswith
//! "\\nmap.exe"`, Defender XDR `FileName =~ "nmap.exe"`. Once their fields are
//! resolved ([`crate::fields`]), [`indicators`] turns each predicate into
//! indicators that compare equal when they mean the same thing. The original
//! predicate is never changed; the catalog stores both.
//!
//! # Rules
//!
//! Each rule has a unit test of the same name at the bottom of this file.
//!
//! 1. **One per value** (`one_per_value`). A predicate yields one indicator per
//!    value; `in` becomes `eq` for each. A test without values (`exists`,
//!    `is_null`, `is_not_null`) yields one indicator with an empty value.
//! 2. **Rendering** (`rendering`). Strings are kept as the dialect meant them;
//!    numbers, booleans and null are written as `4688`, `true`, `null`, so that
//!    Sigma's `EventID: 4688` and Elastic's `event.code: "4688"` agree.
//! 3. **Field** (`field_name`). The indicator's field is the canonical name when
//!    the predicate's field was resolved, else its raw name.
//! 4. **Lookups** (`lookups_are_kept`). A whole value `%name%` in an equality
//!    (Sigma placeholders, Splunk `%macro%`-style lists), and every value of an
//!    `Op::Lookup` test, name a list: the indicator is `lookup` with the value as
//!    written, never case-folded — the list's contents are not known here.
//! 5. **Wildcards** (`simple_wildcards_become_plain_operators`). A wildcard
//!    pattern whose only wildcards are `*` at its start and/or end is its literal
//!    text compared with `eq`, `starts_with`, `ends_with` or `contains`, escapes
//!    (`\*`, `\?`, `\\`) undone: Splunk's `"*\nmap.exe"` is Sigma's
//!    `endswith '\nmap.exe'`. Any other pattern stays `wildcard`, as written.
//! 6. **Case** (`case_is_folded_when_comparison_ignores_it`). When the
//!    comparison ignores case — the caller says the dialect folds case
//!    (`case_insensitive`) and the predicate is not marked `case_sensitive` —
//!    the value is lowercased. Regular expressions, field references and
//!    lookups are never folded: that would change what they match or name.
//! 7. **Paths** (`path_matches_also_yield_the_basename`). For a field with a
//!    basename field (`process.executable` → `process.name`, `file.path` →
//!    `file.name`, see [`crate::fields::CanonicalField::basename`]), an `eq` or
//!    `ends_with` value holding a path separator — Windows `\` or Unix `/` —
//!    also yields (basename field, `eq`, the text after the last separator): a
//!    suffix that starts at a separator is a whole file name, and an equality on
//!    a full path fixes it too. A suffix without a separator (`endswith
//!    'map.exe'`) yields nothing more: it may be the end of a longer name.
//!    Separators are otherwise kept as written: `C:\x` and `C:/x` are different
//!    indicators, as they are to the engines that compare them.
//! 8. **No repeats** (`duplicates_are_dropped`). An indicator appears once per
//!    predicate, in the order the values give them.
//!
//! ```
//! use ruledex_model::{Field, Op, Pred, Value};
//! use ruledex_taxonomy::values::{indicators, Indicator};
//!
//! let mut image = Field::raw("Image");
//! image.canonical = Some("process.executable".into());
//! let pred = Pred::new(image, Op::EndsWith, vec![Value::from("\\NMAP.exe")]);
//! let found = indicators(&pred, true);
//! assert!(found.contains(&Indicator::new("process.name", Op::Eq, "nmap.exe")));
//! ```

use ruledex_model::{Op, Pred, Value};
use serde::{Deserialize, Serialize};

use crate::fields::{CanonicalField, Fields};

/// One (field, operator, value) combination, normalized for comparison across
/// vendors.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Indicator {
    /// The canonical field, or the raw name when the field did not resolve.
    pub field: String,
    /// The operator, never [`Op::In`] (one indicator per value).
    pub op: Op,
    /// The normalized value.
    pub value: String,
}

impl Indicator {
    /// An indicator from its parts.
    pub fn new(field: impl Into<String>, op: Op, value: impl Into<String>) -> Indicator {
        Indicator {
            field: field.into(),
            op,
            value: value.into(),
        }
    }
}

/// The normalized indicators of `pred`, with basenames from the embedded field
/// table. `case_insensitive` says whether the dialect compares this predicate
/// ignoring case (Sigma by default, Kusto `=~`, SPL search terms); see the
/// module docs for every rule.
pub fn indicators(pred: &Pred, case_insensitive: bool) -> Vec<Indicator> {
    indicators_with(Fields::global(), pred, case_insensitive)
}

/// [`indicators`] with basenames from `fields`.
pub fn indicators_with(fields: &Fields, pred: &Pred, case_insensitive: bool) -> Vec<Indicator> {
    let field = pred.field.name();
    if pred.values.is_empty() {
        return vec![Indicator::new(field, pred.op, "")];
    }
    let fold = case_insensitive && !pred.case_sensitive;
    let basename = fields.canonical(field).and_then(CanonicalField::basename);
    let mut out: Vec<Indicator> = Vec::with_capacity(pred.values.len());
    let mut push = |ind: Indicator| {
        if !out.contains(&ind) {
            out.push(ind);
        }
    };
    for value in &pred.values {
        let (op, text) = normalize(pred.op, value, fold);
        let base = match (basename, op) {
            (Some(b), Op::Eq | Op::EndsWith) => {
                last_component(&text).map(|name| Indicator::new(b, Op::Eq, name))
            }
            _ => None,
        };
        push(Indicator::new(field, op, text));
        if let Some(b) = base {
            push(b);
        }
    }
    out
}

/// The operator and text of one value (rules 1, 2, 4, 5 and 6).
fn normalize(op: Op, value: &Value, fold: bool) -> (Op, String) {
    let op = if op == Op::In { Op::Eq } else { op };
    let Value::Str(text) = value else {
        return (op, value.to_string());
    };
    if op == Op::Lookup || (op == Op::Eq && is_list_name(text)) {
        return (Op::Lookup, text.clone());
    }
    let (op, text) = if op == Op::Wildcard {
        simplify_wildcard(text)
    } else {
        (op, text.clone())
    };
    if fold && !matches!(op, Op::Regex | Op::FieldRef) {
        (op, text.to_lowercase())
    } else {
        (op, text)
    }
}

/// Whether `text` is a whole `%name%` list reference.
fn is_list_name(text: &str) -> bool {
    text.len() > 2
        && text.starts_with('%')
        && text.ends_with('%')
        && text[1..text.len() - 1]
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.:".contains(c))
}

/// A piece of a wildcard pattern.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Glob {
    Star,
    Question,
    Lit(char),
}

/// Rewrite a pattern with `*` only at its ends as a plain operator (rule 5).
fn simplify_wildcard(pattern: &str) -> (Op, String) {
    let mut parts = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '*' => Glob::Star,
            '?' => Glob::Question,
            // `\*`, `\?` and `\\` escape; a backslash before anything else is literal.
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    chars.next();
                    Glob::Lit(next)
                }
                _ => Glob::Lit('\\'),
            },
            other => Glob::Lit(other),
        });
    }
    let lead = parts.iter().take_while(|&&p| p == Glob::Star).count();
    let trail = parts[lead..]
        .iter()
        .rev()
        .take_while(|&&p| p == Glob::Star)
        .count();
    let middle = &parts[lead..parts.len() - trail];
    let literal: Option<String> = middle
        .iter()
        .map(|p| match p {
            Glob::Lit(c) => Some(*c),
            Glob::Star | Glob::Question => None,
        })
        .collect();
    match literal {
        Some(text) if !text.is_empty() => {
            let op = match (lead > 0, trail > 0) {
                (false, false) => Op::Eq,
                (true, false) => Op::EndsWith,
                (false, true) => Op::StartsWith,
                (true, true) => Op::Contains,
            };
            (op, text)
        }
        _ => (Op::Wildcard, pattern.to_owned()),
    }
}

/// The text after the last path separator, if there is a separator and text after it.
fn last_component(text: &str) -> Option<&str> {
    let at = text.rfind(['\\', '/'])?;
    let name = &text[at + 1..];
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use ruledex_model::Field;

    use super::*;

    const TABLE: &str = r#"
[[field]]
name = "process.executable"
type = "keyword"
title = "Process executable path"
basename = "process.name"

[[field]]
name = "process.name"
type = "keyword"
title = "Process name"

[[field]]
name = "process.command_line"
type = "wildcard"
title = "Command line"
"#;

    fn table() -> Fields {
        Fields::from_toml(TABLE).unwrap()
    }

    fn pred(field: &str, op: Op, values: Vec<Value>) -> Pred {
        let mut f = Field::raw(field);
        if field.contains('.') {
            f.canonical = Some(field.to_owned());
        }
        Pred::new(f, op, values)
    }

    fn ind(field: &str, op: Op, value: &str) -> Indicator {
        Indicator::new(field, op, value)
    }

    fn run(p: &Pred, ci: bool) -> Vec<Indicator> {
        indicators_with(&table(), p, ci)
    }

    #[test]
    fn one_per_value() {
        let p = pred("process.name", Op::In, vec!["a.exe".into(), "b.exe".into()]);
        assert_eq!(
            run(&p, false),
            vec![
                ind("process.name", Op::Eq, "a.exe"),
                ind("process.name", Op::Eq, "b.exe")
            ]
        );
        let p = pred("process.name", Op::IsNull, vec![]);
        assert_eq!(run(&p, false), vec![ind("process.name", Op::IsNull, "")]);
    }

    #[test]
    fn rendering() {
        let p = pred(
            "event.code",
            Op::In,
            vec![
                Value::Int(4688),
                Value::Bool(true),
                Value::Null,
                Value::Float(1.5),
            ],
        );
        let values: Vec<String> = run(&p, true).into_iter().map(|i| i.value).collect();
        assert_eq!(values, ["4688", "true", "null", "1.5"]);
    }

    #[test]
    fn field_name() {
        let mut f = Field::raw("Image");
        f.canonical = Some("process.executable".into());
        let p = Pred::new(f, Op::Contains, vec!["x".into()]);
        assert_eq!(run(&p, false)[0].field, "process.executable");
        let p = Pred::new(Field::raw("Unknown"), Op::Contains, vec!["x".into()]);
        assert_eq!(run(&p, false)[0].field, "Unknown");
    }

    #[test]
    fn lookups_are_kept() {
        let p = pred("source.ip", Op::Eq, vec!["%Vulnerability_Scanners%".into()]);
        assert_eq!(
            run(&p, true),
            vec![ind("source.ip", Op::Lookup, "%Vulnerability_Scanners%")]
        );
        let p = pred("source.ip", Op::Lookup, vec!["Admin_Hosts".into()]);
        assert_eq!(
            run(&p, true),
            vec![ind("source.ip", Op::Lookup, "Admin_Hosts")]
        );
        // Not a whole list name: an environment variable inside a longer value.
        let p = pred(
            "process.command_line",
            Op::Contains,
            vec!["%TEMP%\\x".into()],
        );
        assert_eq!(run(&p, true)[0].op, Op::Contains);
    }

    #[test]
    fn simple_wildcards_become_plain_operators() {
        let cases = [
            ("*\\nmap.exe", Op::EndsWith, "\\nmap.exe"),
            ("C:\\Tools\\\\*", Op::StartsWith, "C:\\Tools\\"),
            // `\*` is an escaped, literal star (the model's wildcard convention).
            ("C:\\Tools\\*", Op::Eq, "C:\\Tools*"),
            ("*nmap*", Op::Contains, "nmap"),
            ("**nmap**", Op::Contains, "nmap"),
            ("nmap.exe", Op::Eq, "nmap.exe"),
            ("*\\*literal*", Op::Contains, "*literal"),
            ("*a\\\\b", Op::EndsWith, "a\\b"),
            ("*n?ap*", Op::Wildcard, "*n?ap*"),
            ("a*b", Op::Wildcard, "a*b"),
            ("*", Op::Wildcard, "*"),
        ];
        for (pattern, op, value) in cases {
            let p = pred("process.command_line", Op::Wildcard, vec![pattern.into()]);
            assert_eq!(
                run(&p, false),
                vec![ind("process.command_line", op, value)],
                "{pattern}"
            );
        }
    }

    #[test]
    fn case_is_folded_when_comparison_ignores_it() {
        let p = pred("process.name", Op::Eq, vec!["NMAP.exe".into()]);
        assert_eq!(run(&p, true)[0].value, "nmap.exe");
        assert_eq!(run(&p, false)[0].value, "NMAP.exe");
        let mut cased = p.clone();
        cased.case_sensitive = true;
        assert_eq!(run(&cased, true)[0].value, "NMAP.exe");
        let p = pred("process.name", Op::Regex, vec![r"\D+NMAP".into()]);
        assert_eq!(run(&p, true)[0].value, r"\D+NMAP");
        let p = pred("process.name", Op::FieldRef, vec!["process.Parent".into()]);
        assert_eq!(run(&p, true)[0].value, "process.Parent");
    }

    #[test]
    fn path_matches_also_yield_the_basename() {
        let exe = "process.executable";
        let p = pred(exe, Op::EndsWith, vec!["\\NMAP.exe".into()]);
        assert_eq!(
            run(&p, true),
            vec![
                ind(exe, Op::EndsWith, "\\nmap.exe"),
                ind("process.name", Op::Eq, "nmap.exe")
            ]
        );
        let p = pred(exe, Op::Eq, vec!["C:\\Tools\\nmap.exe".into()]);
        assert_eq!(run(&p, false)[1], ind("process.name", Op::Eq, "nmap.exe"));
        let p = pred(exe, Op::EndsWith, vec!["/usr/bin/nmap".into()]);
        assert_eq!(run(&p, false)[1], ind("process.name", Op::Eq, "nmap"));
        let p = pred(exe, Op::Wildcard, vec!["*\\bin\\nmap.exe".into()]);
        assert_eq!(run(&p, false)[1], ind("process.name", Op::Eq, "nmap.exe"));
        // No separator: maybe the end of a longer name. Trailing separator: no name.
        for (op, v) in [
            (Op::EndsWith, "map.exe"),
            (Op::Eq, "C:\\Tools\\"),
            (Op::Contains, "\\nmap.exe"),
        ] {
            let p = pred(exe, op, vec![v.into()]);
            assert_eq!(run(&p, false).len(), 1, "{op} {v}");
        }
        // A field without a basename field yields nothing more.
        let p = pred(
            "process.command_line",
            Op::EndsWith,
            vec!["\\nmap.exe".into()],
        );
        assert_eq!(run(&p, false).len(), 1);
    }

    #[test]
    fn duplicates_are_dropped() {
        let exe = "process.executable";
        let p = pred(
            exe,
            Op::In,
            vec![
                "C:\\a\\x.exe".into(),
                "C:\\b\\x.exe".into(),
                "c:\\A\\X.EXE".into(),
            ],
        );
        assert_eq!(
            run(&p, true),
            vec![
                ind(exe, Op::Eq, "c:\\a\\x.exe"),
                ind("process.name", Op::Eq, "x.exe"),
                ind(exe, Op::Eq, "c:\\b\\x.exe")
            ]
        );
    }
}
