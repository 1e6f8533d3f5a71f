//! Kusto tokens: words, literals and punctuation, each with its byte span.
//!
//! Literals keep the text they were written as (`raw`), so that the AST
//! prints a query back as written; the decoded value is beside it. Comments
//! (`//` to the end of the line) are skipped.
//!
//! Reference: <https://learn.microsoft.com/en-us/kusto/query/scalar-data-types/string>.

use ruledex_diag::Span;

use crate::error::{QueryError, QueryErrorKind};

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A name or keyword: `where`, `SecurityEvent`, `$left`, `!has`, `in~`.
    Word(String),
    /// A string literal: its decoded value and the text as written.
    Str {
        /// The value.
        value: String,
        /// The literal as written, quotes and prefixes included.
        raw: String,
    },
    /// A number (`42`, `0.5`, `1e3`, `0x1F`), as written.
    Number(String),
    /// A timespan literal (`1d`, `30m`, `1.5h`), as written.
    Timespan(String),
    /// A typed literal written as a call: `datetime(2022-01-01)`, `timespan(1.02:00:00)`.
    Typed(String),
    /// Punctuation or an operator sign.
    Punct(&'static str),
    /// End of the query.
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str { raw, .. } => format!("string {raw}"),
            Tok::Number(n) | Tok::Timespan(n) | Tok::Typed(n) => format!("`{n}`"),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "end of query".to_owned(),
        }
    }
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Its bytes in the query.
    pub span: Span,
}

const PUNCT2: [&str; 9] = ["==", "!=", "=~", "!~", "<=", ">=", "<>", "=>", ".."];
const PUNCT1: [&str; 22] = [
    "|", "(", ")", "[", "]", "{", "}", ",", ";", ".", "=", "<", ">", "+", "-", "*", "/", "%", ":",
    "~", "!", "?",
];

/// Units a timespan literal may end in.
const TIMESPAN_UNITS: [&str; 22] = [
    "d",
    "h",
    "m",
    "s",
    "ms",
    "microsecond",
    "microseconds",
    "tick",
    "ticks",
    "day",
    "days",
    "hr",
    "hrs",
    "hour",
    "hours",
    "min",
    "minute",
    "minutes",
    "sec",
    "second",
    "seconds",
    "millisecond",
];

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Split a query into tokens, ending with [`Tok::Eof`].
pub fn tokenize(src: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < src.len() {
        let c = src[i..].chars().next().expect("in bounds");
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(src.len(), |n| i + n);
            continue;
        }
        let start = i;
        // Strings: '…', "…", @'…', h'…', h@"…", ```…```.
        if src[i..].starts_with("```") {
            let Some(end) = src[i + 3..].find("```") else {
                return Err(unterminated("string", start, src.len()));
            };
            let value = src[i + 3..i + 3 + end].to_owned();
            i += 3 + end + 3;
            push_string(&mut out, value, &src[start..i], start, i);
            continue;
        }
        let (prefix_len, verbatim) = string_prefix(&src[i..]);
        if let Some(q) = src[i + prefix_len..].chars().next()
            && (q == '\'' || q == '"')
            && (prefix_len > 0 || c == q)
        {
            let body = i + prefix_len + 1;
            let (value, end) = if verbatim {
                verbatim_body(src, body, q)
                    .ok_or_else(|| unterminated("string", start, src.len()))?
            } else {
                escaped_body(src, body, q)?
            };
            i = end;
            push_string(&mut out, value, &src[start..i], start, i);
            continue;
        }
        if c.is_ascii_digit() {
            i = number_end(bytes, i);
            let text = &src[start..i];
            // A unit right after the digits makes a timespan.
            let unit_len = src[i..]
                .char_indices()
                .find(|(_, ch)| !ch.is_ascii_alphabetic())
                .map_or(src.len() - i, |(n, _)| n);
            let tok = if unit_len == 0 {
                Tok::Number(text.to_owned())
            } else {
                let unit = &src[i..i + unit_len];
                let exp =
                    unit.eq_ignore_ascii_case("e") || (text == "0" && unit.starts_with(['x', 'X']));
                if TIMESPAN_UNITS.contains(&unit) && !exp {
                    i += unit_len;
                    Tok::Timespan(src[start..i].to_owned())
                } else if exp {
                    // `0x1F` or `1e5` read on.
                    i = src[i..]
                        .char_indices()
                        .find(|(_, ch)| !(ch.is_ascii_alphanumeric() || *ch == '+' || *ch == '-'))
                        .map_or(src.len(), |(n, _)| i + n);
                    Tok::Number(src[start..i].to_owned())
                } else {
                    let end = i + unit_len;
                    return Err(QueryError::new(
                        QueryErrorKind::InvalidLiteral {
                            what: "number",
                            text: src[start..end].to_owned(),
                        },
                        Span::new(start, end),
                    ));
                }
            };
            out.push(Token {
                tok,
                span: Span::new(start, i),
            });
            continue;
        }
        if is_word_start(c) || (c == '!' && src[i + 1..].chars().next().is_some_and(is_word_start))
        {
            i += c.len_utf8();
            while let Some(ch) = src[i..].chars().next() {
                if !is_word_char(ch) {
                    break;
                }
                i += ch.len_utf8();
            }
            let mut word = src[start..i].to_owned();
            if let Some(end) = typed_literal_end(src, &word, i) {
                out.push(Token {
                    tok: Tok::Typed(src[start..end].to_owned()),
                    span: Span::new(start, end),
                });
                i = end;
                continue;
            }
            if (word.eq_ignore_ascii_case("in") || word.eq_ignore_ascii_case("!in"))
                && src[i..].starts_with('~')
            {
                word.push('~');
                i += 1;
            }
            out.push(Token {
                tok: Tok::Word(word),
                span: Span::new(start, i),
            });
            continue;
        }
        if let Some(p) = PUNCT2.iter().find(|p| src[i..].starts_with(**p)) {
            i += 2;
            out.push(Token {
                tok: Tok::Punct(p),
                span: Span::new(start, i),
            });
            continue;
        }
        if let Some(p) = PUNCT1.iter().find(|p| src[i..].starts_with(**p)) {
            i += 1;
            out.push(Token {
                tok: Tok::Punct(p),
                span: Span::new(start, i),
            });
            continue;
        }
        return Err(QueryError::new(
            QueryErrorKind::Unexpected {
                expected: "a token",
                found: format!("`{c}`"),
            },
            Span::new(start, start + c.len_utf8()),
        ));
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::point(src.len()),
    });
    Ok(out)
}

/// For `datetime(…)`, `timespan(…)` and `time(…)` whose argument is not a
/// string: the end of the literal (after the `)`). Their argument
/// (`2022-01-01T00:00:00Z`) is not made of Kusto tokens.
fn typed_literal_end(src: &str, word: &str, i: usize) -> Option<usize> {
    if !["datetime", "timespan", "time"].contains(&word) {
        return None;
    }
    let rest = &src[i..];
    let open = rest.len() - rest.trim_start().len();
    if !rest[open..].starts_with('(') {
        return None;
    }
    let close = rest[open..].find(')')?;
    let inner = &rest[open + 1..open + close];
    let simple = inner
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -:.+_".contains(c));
    simple.then_some(i + open + close + 1)
}

fn unterminated(what: &'static str, start: usize, end: usize) -> QueryError {
    QueryError::new(QueryErrorKind::Unterminated { what }, Span::new(start, end))
}

/// Push a string token; string literals written one after another are one
/// string (Kusto concatenates them).
fn push_string(out: &mut Vec<Token>, value: String, raw: &str, start: usize, end: usize) {
    if let Some(Token {
        tok: Tok::Str { value: v, raw: r },
        span,
    }) = out.last_mut()
    {
        v.push_str(&value);
        r.push(' ');
        r.push_str(raw);
        *span = Span::new(span.start as usize, end);
        return;
    }
    out.push(string(value, raw, start, end));
}

fn string(value: String, raw: &str, start: usize, end: usize) -> Token {
    Token {
        tok: Tok::Str {
            value,
            raw: raw.to_owned(),
        },
        span: Span::new(start, end),
    }
}

/// The length of a string prefix (`@`, `h`, `H`, `h@`) and whether the string
/// is verbatim (no escapes).
fn string_prefix(s: &str) -> (usize, bool) {
    let b = s.as_bytes();
    let quote = |i: usize| b.get(i).is_some_and(|c| *c == b'\'' || *c == b'"');
    match b.first() {
        Some(b'@') if quote(1) => (1, true),
        Some(b'h' | b'H') if b.get(1) == Some(&b'@') && quote(2) => (2, true),
        Some(b'h' | b'H') if quote(1) => (1, false),
        _ => (0, false),
    }
}

/// A verbatim body from `start` (after the quote): the quote doubled stands for itself.
fn verbatim_body(src: &str, start: usize, q: char) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = src[start..].char_indices().peekable();
    while let Some((n, ch)) = chars.next() {
        if ch == q {
            if chars.peek().is_some_and(|(_, c)| *c == q) {
                chars.next();
                value.push(q);
                continue;
            }
            return Some((value, start + n + 1));
        }
        value.push(ch);
    }
    None
}

/// A body with backslash escapes, from `start` (after the quote).
fn escaped_body(src: &str, start: usize, q: char) -> Result<(String, usize), QueryError> {
    let mut value = String::new();
    let mut chars = src[start..].char_indices();
    while let Some((n, ch)) = chars.next() {
        if ch == q {
            return Ok((value, start + n + 1));
        }
        if ch == '\\' {
            let Some((m, e)) = chars.next() else { break };
            match e {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                '0' => value.push('\0'),
                'u' => {
                    let hex: String = src[start + m + 1..].chars().take(4).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(c) if hex.len() == 4 => {
                            value.push(c);
                            for _ in 0..4 {
                                chars.next();
                            }
                        }
                        _ => {
                            return Err(QueryError::new(
                                QueryErrorKind::InvalidLiteral {
                                    what: "escape",
                                    text: format!("\\u{hex}"),
                                },
                                Span::new(start + n, start + m + 1),
                            ));
                        }
                    }
                }
                // `\\`, `\'`, `\"` and any other character stand for themselves.
                other => value.push(other),
            }
            continue;
        }
        value.push(ch);
    }
    Err(unterminated("string", start - 1, src.len()))
}

/// The end of the digits of a number starting at `i` (a fraction included,
/// not a `..` range).
fn number_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_operators_and_literals() {
        assert_eq!(
            toks("T | where A !in~ ('x') and B != 1d // c"),
            vec![
                Tok::Word("T".into()),
                Tok::Punct("|"),
                Tok::Word("where".into()),
                Tok::Word("A".into()),
                Tok::Word("!in~".into()),
                Tok::Punct("("),
                Tok::Str {
                    value: "x".into(),
                    raw: "'x'".into()
                },
                Tok::Punct(")"),
                Tok::Word("and".into()),
                Tok::Word("B".into()),
                Tok::Punct("!="),
                Tok::Timespan("1d".into()),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn string_forms() {
        let value = |s: &str| match &toks(s)[0] {
            Tok::Str { value, .. } => value.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(value(r#""a\\b\"c""#), "a\\b\"c");
        assert_eq!(value(r"@'C:\Windows\'"), r"C:\Windows\");
        assert_eq!(value(r#"@"say ""hi""""#), r#"say "hi""#);
        assert_eq!(value("h'secret'"), "secret");
        assert_eq!(value("```a\nb```"), "a\nb");
    }

    #[test]
    fn errors_are_located() {
        let e = tokenize("T | where x == 'abc").unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Unterminated { what: "string" });
        assert_eq!(e.span.start, 15);
        let e = tokenize("T | take 5q").unwrap_err();
        assert_eq!(e.span, Span::new(9, 11));
    }
}
