//! Lucene regular expressions → the model's regex syntax (the `regex`
//! crate's).
//!
//! Lucene's syntax ([reference]) differs from Perl-style regexes: the
//! pattern always matches the whole value (so the translation is anchored
//! with `^(?: … )$`), `.` matches any character including a line break (the
//! predicate gets the dot-all flag), `^` and `$` are ordinary characters,
//! `"…"` quotes a literal string, `@` is any string, a quantifier with
//! nothing before it is a literal, and `\d`, `\s`, `\w` (and their
//! negations) are ASCII classes. Elasticsearch's `query_string` enables every
//! optional operator; complement `~`, intersection `&`, the empty language
//! `#` and numeric intervals `<1-10>` have no equivalent and are reported
//! instead of translated.
//!
//! [reference]: https://www.elastic.co/guide/en/elasticsearch/reference/current/regexp-syntax.html

use std::fmt::Write as _;

/// Nesting the translated pattern may have (the validating parser's limit).
const NEST_LIMIT: u32 = 200;

/// Why a pattern could not be translated; stable text, used as part of an
/// opaque reason.
pub(crate) type Untranslatable = &'static str;

fn push_lit(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&regex_syntax::escape(c.encode_utf8(&mut buf)));
}

/// ASCII class bodies for Lucene's predefined classes.
fn predefined(c: char) -> Option<(&'static str, bool)> {
    match c {
        'd' => Some(("0-9", false)),
        'D' => Some(("0-9", true)),
        's' => Some(("\\t\\n\\x0B\\x0C\\r ", false)),
        'S' => Some(("\\t\\n\\x0B\\x0C\\r ", true)),
        'w' => Some(("0-9A-Za-z_", false)),
        'W' => Some(("0-9A-Za-z_", true)),
        _ => None,
    }
}

/// Translate a Lucene pattern; returns the anchored pattern and whether it
/// matches "any character" somewhere (dot-all needed).
pub(crate) fn translate(lucene: &str) -> Result<(String, bool), Untranslatable> {
    let mut out = String::with_capacity(lucene.len() + 8);
    out.push_str("^(?:");
    let mut dotall = false;
    // Where the last atom starts in `out`, for stacking quantifiers.
    let mut atom: Option<usize> = None;
    // Whether the last thing written was a quantifier.
    let mut quantified = false;
    // Start of each open group in `out`.
    let mut groups: Vec<usize> = Vec::new();
    let mut chars = lucene.chars().peekable();
    while let Some(c) = chars.next() {
        let start = out.len();
        let mut is_atom = true;
        match c {
            '\\' => {
                let n = chars.next().ok_or("a trailing escape")?;
                match predefined(n) {
                    Some((body, negated)) => {
                        let _ = write!(out, "[{}{body}]", if negated { "^" } else { "" });
                    }
                    None => push_lit(&mut out, n),
                }
            }
            '.' => {
                dotall = true;
                out.push('.');
            }
            '@' => {
                dotall = true;
                out.push_str("(?:.*)");
            }
            '#' => return Err("the empty language `#`"),
            '~' => return Err("complement `~`"),
            '&' => return Err("intersection `&`"),
            '<' => return Err("a numeric interval `<…>`"),
            '"' => {
                out.push_str("(?:");
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(l) => push_lit(&mut out, l),
                        None => return Err("an unterminated quoted string"),
                    }
                }
                out.push(')');
            }
            '(' => {
                groups.push(start);
                out.push_str("(?:");
                is_atom = false;
            }
            ')' => {
                let open = groups.pop().ok_or("an unbalanced `)`")?;
                out.push(')');
                atom = Some(open);
                quantified = false;
                continue;
            }
            '|' => {
                out.push('|');
                is_atom = false;
            }
            '*' | '+' | '?' | '{' if atom.is_some() => {
                let mut q = String::from(c);
                if c == '{' {
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(d @ ('0'..='9' | ',')) => q.push(d),
                            _ => return Err("a malformed repetition `{…}`"),
                        }
                    }
                    q.push('}');
                }
                let begin = atom.unwrap_or(start);
                if quantified {
                    // `a**` is fine in Lucene, not in the regex crate: group first.
                    out.insert_str(begin, "(?:");
                    out.push(')');
                }
                out.push_str(&q);
                quantified = true;
                continue;
            }
            '[' => class(&mut chars, &mut out)?,
            // A quantifier with nothing to repeat is a literal in Lucene.
            c => push_lit(&mut out, c),
        }
        atom = is_atom.then_some(start);
        quantified = false;
    }
    if !groups.is_empty() {
        return Err("an unbalanced `(`");
    }
    out.push_str(")$");
    regex_syntax::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(&out)
        .map_err(|_| "syntax the regex crate rejects")?;
    Ok((out, dotall))
}

/// A `[…]` class, after the `[`.
fn class(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    out: &mut String,
) -> Result<(), Untranslatable> {
    out.push('[');
    if chars.peek() == Some(&'^') {
        chars.next();
        out.push('^');
    }
    let mut first = true;
    loop {
        let c = chars.next().ok_or("an unterminated class `[…`")?;
        if c == ']' && !first {
            break;
        }
        first = false;
        let lo = if c == '\\' {
            let n = chars.next().ok_or("a trailing escape")?;
            if let Some((body, negated)) = predefined(n) {
                if negated {
                    let _ = write!(out, "[^{body}]");
                } else {
                    out.push_str(body);
                }
                continue;
            }
            n
        } else {
            c
        };
        push_lit(out, lo);
        if chars.peek() == Some(&'-') {
            chars.next();
            let hi = match chars.next().ok_or("an unterminated class `[…`")? {
                '\\' => chars.next().ok_or("a trailing escape")?,
                h => h,
            };
            out.push('-');
            push_lit(out, hi);
        }
    }
    out.push(']');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! translate_cases {
        ($($name:ident: $src:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = translate($src).map(|(p, _)| p);
                assert_eq!(got, $want, "{}", $src);
            }
        )*};
    }

    translate_cases! {
        digits: "2[0-9]{3}" => Ok("^(?:2[0-9]{3})$".to_owned());
        alternation_and_groups: "jo(h|a)n" => Ok("^(?:jo(?:h|a)n)$".to_owned());
        caret_and_dollar_are_literal: "^a$" => Ok("^(?:\\^a\\$)$".to_owned());
        dot_and_anystring: ".@" => Ok("^(?:.(?:.*))$".to_owned());
        quoted_literal: "\"a.b\"+" => Ok("^(?:(?:a\\.b)+)$".to_owned());
        leading_star_is_literal: "*a" => Ok("^(?:\\*a)$".to_owned());
        stacked_quantifiers: "a*+" => Ok("^(?:(?:a*)+)$".to_owned());
        predefined_classes: "\\d\\W" => Ok("^(?:[0-9][^0-9A-Za-z_])$".to_owned());
        class_with_escapes: "[^a\\]-z\\d]" => Ok("^(?:[^a\\]-z0-9])$".to_owned());
        class_leading_bracket: "[]a]" => Ok("^(?:[\\]a])$".to_owned());
        escaped_char: "a\\/b\\." => Ok("^(?:a/b\\.)$".to_owned());
        complement: "~a" => Err("complement `~`");
        intersection: "a&b" => Err("intersection `&`");
        interval: "<1-10>" => Err("a numeric interval `<…>`");
        empty_language: "#" => Err("the empty language `#`");
        unbalanced_open: "(a" => Err("an unbalanced `(`");
        unbalanced_close: "a)" => Err("an unbalanced `)`");
        bad_repetition: "a{x}" => Err("a malformed repetition `{…}`");
        reversed_range: "[z-a]" => Err("syntax the regex crate rejects");
    }

    #[test]
    fn dot_needs_dotall() {
        assert_eq!(translate("a.b").map(|(_, d)| d), Ok(true));
        assert_eq!(translate("ab").map(|(_, d)| d), Ok(false));
    }
}
