//! `LIKE` and `RLIKE` patterns, reduced to model operators.
//!
//! `LIKE` patterns are wildcards: `*` any run, `?` one character, and `\*`,
//! `\?`, `\\` for the literal characters (a backslash before anything else is
//! kept as a literal backslash). Like Sigma strings, they reduce to the
//! simplest operator that means the same: `eq`, `contains`, `starts_with`,
//! `ends_with`, else `wildcard`.
//!
//! `RLIKE` patterns are [Lucene regular expressions] that must match the whole
//! value. Elasticsearch builds them with Lucene's default flags, so besides the
//! usual syntax `@` means "any string", `#` the empty language, `&`
//! intersection, `~` complement and `<…>` numeric intervals, while `^` and `$`
//! are plain characters. They are translated into the model's regular
//! expression syntax (the `regex` crate's, searched anywhere in the value):
//! anchors are added where the pattern does not start or end with `.*`, and a
//! pattern that is only literal text between `.*`s becomes
//! `contains`/`starts_with`/`ends_with`/`eq`. Lucene's `.` matches line breaks,
//! so regular expressions carry the dot-all flag. Intersection, complement and
//! intervals have no equivalent and are reported as such.
//!
//! [Lucene regular expressions]: https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax

use ruledex_model::Op;

/// A pattern as a model operator and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reduced {
    pub(crate) op: Op,
    pub(crate) value: String,
}

/// Reduce a `LIKE` pattern.
pub(crate) fn like(pattern: &str) -> Reduced {
    // `\` escapes `*`, `?` and itself; any other backslash is literal.
    let mut p = ruledex_model::pattern::Pattern::default();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    p.push_char(n);
                }
                _ => p.push_char('\\'),
            },
            '*' => p.push_star(),
            '?' => p.push_one(),
            c => p.push_char(c),
        }
    }
    let (op, value) = p.reduce();
    Reduced { op, value }
}

/// Why an `RLIKE` pattern has no model equivalent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegexProblem {
    /// Lucene operators with no equivalent: `&`, `~`, `<…>`.
    LuceneOperator(char),
    /// Not a well-formed pattern (unbalanced group or class, dangling escape).
    Malformed,
    /// Groups nested deeper than [`REGEX_NEST_LIMIT`].
    TooDeep,
}

impl RegexProblem {
    /// A short reason, for an opaque node.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            RegexProblem::LuceneOperator('&') => "RLIKE pattern uses Lucene intersection `&`",
            RegexProblem::LuceneOperator('~') => "RLIKE pattern uses Lucene complement `~`",
            RegexProblem::LuceneOperator(_) => "RLIKE pattern uses a Lucene interval `<…>`",
            RegexProblem::Malformed => "RLIKE pattern is malformed",
            RegexProblem::TooDeep => "RLIKE pattern nests too deep",
        }
    }
}

/// Deepest group nesting translated.
const REGEX_NEST_LIMIT: usize = 64;

/// One top-level element of a translated pattern.
#[derive(Clone, Debug, PartialEq)]
enum Atom {
    /// A literal character.
    Lit(char),
    /// `.*`, `(.*)` or `@`: any string.
    Any,
    /// Anything else, in the model's syntax.
    Re(String),
    /// A top-level `|`.
    Alt,
}

/// Reduce an `RLIKE` pattern.
pub(crate) fn rlike(pattern: &str) -> Result<Reduced, RegexProblem> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let atoms = sequence(&chars, &mut pos, 0)?;
    if pos != chars.len() {
        return Err(RegexProblem::Malformed);
    }
    let has_alt = atoms.contains(&Atom::Alt);
    let mut body: &[Atom] = &atoms;
    let (mut lead, mut trail) = (false, false);
    if !has_alt {
        while let [Atom::Any, rest @ ..] = body {
            lead = true;
            body = rest;
        }
        while let [rest @ .., Atom::Any] = body {
            trail = true;
            body = rest;
        }
        let literal: Option<String> = body
            .iter()
            .map(|a| match a {
                Atom::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        if let Some(value) = literal
            && !(value.is_empty() && (lead || trail))
        {
            let op = match (lead, trail) {
                (true, true) => Op::Contains,
                (true, false) => Op::EndsWith,
                (false, true) => Op::StartsWith,
                (false, false) => Op::Eq,
            };
            return Ok(Reduced { op, value });
        }
    }
    let mut core = String::new();
    for a in body {
        match a {
            Atom::Lit(c) => core.push_str(&escape(*c)),
            Atom::Any => core.push_str(".*"),
            Atom::Re(s) => core.push_str(s),
            Atom::Alt => core.push('|'),
        }
    }
    let value = if has_alt {
        format!("^(?:{core})$")
    } else {
        format!(
            "{}{core}{}",
            if lead { "" } else { "^" },
            if trail { "" } else { "$" }
        )
    };
    Ok(Reduced {
        op: Op::Regex,
        value,
    })
}

/// Translate a sequence of alternatives up to `)` or the end.
fn sequence(chars: &[char], pos: &mut usize, depth: usize) -> Result<Vec<Atom>, RegexProblem> {
    if depth > REGEX_NEST_LIMIT {
        return Err(RegexProblem::TooDeep);
    }
    let mut out: Vec<Atom> = Vec::new();
    while let Some(&c) = chars.get(*pos) {
        let atom = match c {
            ')' => break,
            '|' => {
                *pos += 1;
                out.push(Atom::Alt);
                continue;
            }
            '*' | '+' | '?' | '{' => {
                let q = quantifier(chars, pos)?;
                let Some(prev) = out.pop() else {
                    return Err(RegexProblem::Malformed);
                };
                out.push(match (prev, q.as_str()) {
                    (Atom::Re(s), "*") if s == "." => Atom::Any,
                    (Atom::Any, _) => Atom::Any,
                    (Atom::Lit(ch), q) => Atom::Re(format!("{}{q}", escape(ch))),
                    (Atom::Re(s), q) => Atom::Re(format!("{s}{q}")),
                    (Atom::Alt, _) => return Err(RegexProblem::Malformed),
                });
                continue;
            }
            '(' => {
                *pos += 1;
                let inner = sequence(chars, pos, depth + 1)?;
                if chars.get(*pos) != Some(&')') {
                    return Err(RegexProblem::Malformed);
                }
                *pos += 1;
                if inner == [Atom::Any] {
                    Atom::Any
                } else {
                    let mut s = String::from("(");
                    for a in &inner {
                        match a {
                            Atom::Lit(c) => {
                                s.push_str(&escape(*c));
                            }
                            Atom::Any => s.push_str(".*"),
                            Atom::Re(r) => s.push_str(r),
                            Atom::Alt => s.push('|'),
                        }
                    }
                    s.push(')');
                    Atom::Re(s)
                }
            }
            '[' => Atom::Re(class(chars, pos)?),
            '"' => {
                // A quoted literal string.
                *pos += 1;
                let start = *pos;
                while chars.get(*pos).is_some_and(|&c| c != '"') {
                    *pos += 1;
                }
                if *pos >= chars.len() {
                    return Err(RegexProblem::Malformed);
                }
                let lit: String = chars[start..*pos].iter().collect();
                *pos += 1;
                out.extend(lit.chars().map(Atom::Lit));
                continue;
            }
            '\\' => {
                let Some(&n) = chars.get(*pos + 1) else {
                    return Err(RegexProblem::Malformed);
                };
                *pos += 2;
                if matches!(n, 'd' | 'D' | 's' | 'S' | 'w' | 'W') {
                    out.push(Atom::Re(format!("\\{n}")));
                } else {
                    out.push(Atom::Lit(n));
                }
                continue;
            }
            '.' => Atom::Re(".".into()),
            '@' => Atom::Any,
            '#' => Atom::Re("[^\\s\\S]".into()),
            '&' | '~' | '<' => return Err(RegexProblem::LuceneOperator(c)),
            c => Atom::Lit(c),
        };
        if !matches!(c, '(' | '[') {
            *pos += 1;
        }
        out.push(atom);
    }
    Ok(out)
}

/// `*`, `+`, `?` or `{n}`, `{n,}`, `{n,m}`.
fn quantifier(chars: &[char], pos: &mut usize) -> Result<String, RegexProblem> {
    let c = chars[*pos];
    *pos += 1;
    if c != '{' {
        return Ok(c.to_string());
    }
    let start = *pos;
    while chars
        .get(*pos)
        .is_some_and(|c| c.is_ascii_digit() || *c == ',')
    {
        *pos += 1;
    }
    if chars.get(*pos) != Some(&'}') || *pos == start {
        return Err(RegexProblem::Malformed);
    }
    *pos += 1;
    let body: String = chars[start..*pos - 1].iter().collect();
    Ok(format!("{{{body}}}"))
}

/// A character class `[…]`, `[^…]`, with ranges and escapes.
fn class(chars: &[char], pos: &mut usize) -> Result<String, RegexProblem> {
    *pos += 1;
    let mut out = String::from("[");
    if chars.get(*pos) == Some(&'^') {
        out.push('^');
        *pos += 1;
    }
    let mut items = 0;
    loop {
        let Some(&c) = chars.get(*pos) else {
            return Err(RegexProblem::Malformed);
        };
        *pos += 1;
        let c = match c {
            ']' if items > 0 => break,
            '\\' => {
                let Some(&n) = chars.get(*pos) else {
                    return Err(RegexProblem::Malformed);
                };
                *pos += 1;
                if matches!(n, 'd' | 'D' | 's' | 'S' | 'w' | 'W') {
                    out.push('\\');
                    out.push(n);
                    items += 1;
                    continue;
                }
                n
            }
            c => c,
        };
        push_class_char(&mut out, c);
        items += 1;
        // A range `a-z` (a `-` before `]` is a literal).
        if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|&n| n != ']') {
            *pos += 1;
            let mut hi = chars[*pos];
            *pos += 1;
            if hi == '\\' {
                let Some(&n) = chars.get(*pos) else {
                    return Err(RegexProblem::Malformed);
                };
                *pos += 1;
                hi = n;
            }
            if hi < c {
                return Err(RegexProblem::Malformed);
            }
            out.push('-');
            push_class_char(&mut out, hi);
        }
    }
    out.push(']');
    Ok(out)
}

/// A literal character in the model's regex syntax (outside a class).
fn escape(c: char) -> String {
    if matches!(
        c,
        '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
    ) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(p: &str) -> (Op, String) {
        let r = like(p);
        (r.op, r.value)
    }

    fn r(p: &str) -> Result<(Op, String), RegexProblem> {
        rlike(p).map(|r| (r.op, r.value))
    }

    macro_rules! like_cases {
        ($($case:ident: $input:expr => $op:ident $val:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(l($input), (Op::$op, $val.to_string()));
            }
        )*};
    }

    like_cases! {
        like_plain_is_eq: "cmd.exe" => Eq "cmd.exe";
        like_both_stars_is_contains: "*-enc *" => Contains "-enc ";
        like_leading_star_is_ends_with: "*/nc" => EndsWith "/nc";
        like_trailing_star_is_starts_with: "/tmp/*" => StartsWith "/tmp/";
        like_question_mark_is_wildcard: "/u0?/*" => Wildcard "/u0?/*";
        like_inner_star_is_wildcard: "/var/www/*.ch" => Wildcard "/var/www/*.ch";
        like_escaped_star_is_literal: "a\\*b" => Eq "a*b";
        like_escaped_backslash_then_star: "C:\\\\*" => StartsWith "C:\\";
        like_backslash_before_letter_is_literal: "C:\\Windows" => Eq "C:\\Windows";
        like_literal_backslash_in_wildcard: "*\\a?" => Wildcard "*\\\\a?";
        like_star_run_is_one_star: "**x**" => Contains "x";
        like_lone_star: "*" => Wildcard "*";
        like_empty: "" => Eq "";
    }

    macro_rules! rlike_cases {
        ($($case:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(r($input), $want);
            }
        )*};
    }

    rlike_cases! {
        rlike_dotstar_literal_is_contains: ".*365.*" => Ok((Op::Contains, "365".into()));
        rlike_grouped_dotstar_is_contains: "(.*)365(.*)" => Ok((Op::Contains, "365".into()));
        rlike_escaped_dot_literal: ".*/etc/resolv\\.conf.*" => Ok((Op::Contains, "/etc/resolv.conf".into()));
        rlike_prefix_literal: "abc.*" => Ok((Op::StartsWith, "abc".into()));
        rlike_suffix_literal: ".*abc" => Ok((Op::EndsWith, "abc".into()));
        rlike_whole_literal_is_eq: "abc" => Ok((Op::Eq, "abc".into()));
        rlike_group_alternation_unanchored: ".*(nc -e|socat ).*" => Ok((Op::Regex, "(nc -e|socat )".into()));
        rlike_anchored_when_no_dotstar: "[0-9]+" => Ok((Op::Regex, "^[0-9]+$".into()));
        rlike_top_alternation_is_wrapped: "a.*|b" => Ok((Op::Regex, "^(?:a.*|b)$".into()));
        rlike_caret_is_literal: ".*^x.*" => Ok((Op::Contains, "^x".into()));
        rlike_at_is_any_string: ".+@[a-z]+" => Ok((Op::Regex, "^.+.*[a-z]+$".into()));
        rlike_quoted_string_is_literal: ".*\"a.b\".*" => Ok((Op::Contains, "a.b".into()));
        rlike_digit_class: ".*\\d{3}.*" => Ok((Op::Regex, "\\d{3}".into()));
        rlike_class_escapes: "[A-Za-z0-9_\\-]+" => Ok((Op::Regex, "^[A-Za-z0-9_\\-]+$".into()));
        rlike_escaped_quote: ".*\\\"Effect\\\": *\\\"Allow\\\".*" => Ok((Op::Regex, "\"Effect\": *\"Allow\"".into()));
        rlike_intersection_refused: "a&b" => Err(RegexProblem::LuceneOperator('&'));
        rlike_complement_refused: "~a" => Err(RegexProblem::LuceneOperator('~'));
        rlike_interval_refused: "<1-5>" => Err(RegexProblem::LuceneOperator('<'));
        rlike_unclosed_group: "(a" => Err(RegexProblem::Malformed);
        rlike_unclosed_class: "[a" => Err(RegexProblem::Malformed);
        rlike_dangling_escape: "a\\" => Err(RegexProblem::Malformed);
        rlike_leading_quantifier: "*a" => Err(RegexProblem::Malformed);
    }

    #[test]
    fn deep_groups_are_refused() {
        let p = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(r(&p), Err(RegexProblem::TooDeep));
    }

    #[test]
    fn translations_are_valid_regexes() {
        for p in [
            ".*(a|b).*",
            "[^a-z]+x",
            ".*\\d{3}.*",
            "@x",
            "#",
            "a{2,}",
            "[\\]\\[]",
            "[a-]",
        ] {
            let reduced = rlike(p).unwrap();
            if reduced.op == Op::Regex {
                assert!(
                    regex_syntax::Parser::new().parse(&reduced.value).is_ok(),
                    "{p} -> {}",
                    reduced.value
                );
            }
        }
    }
}
