//! The model's regular expressions (the `regex` crate's syntax, searched for
//! anywhere in the value) written in Lucene's regular-expression syntax, which
//! Elasticsearch uses for Lucene `/…/`, EQL `regex` and ES|QL `RLIKE`
//! ([syntax](https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax)).
//!
//! Lucene matches the whole value and has no flags, no anchors, no `\d`-style
//! shorthands on every version and no case folding. So the pattern is parsed
//! (`regex-syntax`, ASCII classes) and printed from its syntax tree: case
//! folding becomes `[aA]` classes, shorthands become explicit classes, a search
//! becomes `.*….*` unless anchored at that end. A word boundary is left out
//! (approximate); an anchor inside the pattern has no equivalent and is refused.

use regex_syntax::ParserBuilder;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A regex in Lucene syntax, with the differences from the model's meaning.
pub(crate) struct LuceneRegex {
    pub(crate) pattern: String,
    pub(crate) reasons: Vec<String>,
}

/// Translate `pattern` (model syntax; `case_insensitive`, `multiline` and
/// `dotall` as the predicate says) to Lucene syntax; `Err` is why it cannot be.
pub(crate) fn to_lucene(
    pattern: &str,
    case_insensitive: bool,
    multiline: bool,
    dotall: bool,
) -> Result<LuceneRegex, String> {
    // ASCII classes keep `\w`, `\d` and case folding short; a pattern that
    // needs Unicode (a class of non-ASCII letters) is read with it.
    let parse = |unicode: bool| {
        ParserBuilder::new()
            .unicode(unicode)
            .utf8(unicode)
            .case_insensitive(case_insensitive)
            .multi_line(multiline)
            .dot_matches_new_line(dotall)
            .nest_limit(64)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())
    };
    let hir = parse(false)
        .or_else(|_| parse(true))
        .map_err(|e| format!("the regular expression could not be read: {e}"))?;
    let mut w = Writer::default();
    let items: Vec<&Hir> = match hir.kind() {
        HirKind::Concat(c) => c.iter().collect(),
        _ => vec![&hir],
    };
    let starts = items.first().is_some_and(|h| is_start(h));
    let ends = items.len() > usize::from(starts) && items.last().is_some_and(|h| is_end(h));
    let body = &items[usize::from(starts)..items.len() - usize::from(ends)];
    let mut out = String::new();
    if !starts {
        out.push_str(".*");
    }
    for h in body {
        out.push_str(&w.concat_item(h)?);
    }
    if !ends {
        out.push_str(".*");
    }
    if multiline && (starts || ends) {
        w.reasons.push(
            "Lucene regular expressions match the whole value; a multi-line anchor is written as the value's start or end"
                .to_owned(),
        );
    }
    Ok(LuceneRegex {
        pattern: out,
        reasons: w.reasons,
    })
}

fn is_start(h: &Hir) -> bool {
    matches!(
        h.kind(),
        HirKind::Look(Look::Start | Look::StartLF | Look::StartCRLF)
    )
}

fn is_end(h: &Hir) -> bool {
    matches!(
        h.kind(),
        HirKind::Look(Look::End | Look::EndLF | Look::EndCRLF)
    )
}

#[derive(Default)]
struct Writer {
    reasons: Vec<String>,
}

/// Whether a character needs a backslash in Lucene regex syntax (outside a class).
fn special(c: char) -> bool {
    !c.is_alphanumeric() && c != '_' && c != ' ' && c != '\n' && c != '\t' && c != '\r' || c == '\\'
}

fn push_lit(out: &mut String, c: char) {
    if special(c) {
        out.push('\\');
    }
    out.push(c);
}

fn push_class_char(out: &mut String, c: char) {
    if !c.is_ascii_alphanumeric() && !c.is_whitespace() && (c as u32) < 0x80 {
        out.push('\\');
    }
    out.push(c);
}

impl Writer {
    /// `h` as an operand of a concatenation (alternations grouped).
    fn concat_item(&mut self, h: &Hir) -> Result<String, String> {
        match h.kind() {
            HirKind::Alternation(_) => Ok(format!("({})", self.write(h)?)),
            _ => self.write(h),
        }
    }

    /// `h` as the operand of a repetition (anything longer than one atom grouped).
    fn rep_item(&mut self, h: &Hir) -> Result<String, String> {
        let text = self.write(h)?;
        let single = match h.kind() {
            HirKind::Class(_) | HirKind::Capture(_) => true,
            HirKind::Literal(l) => String::from_utf8_lossy(&l.0).chars().count() == 1,
            _ => false,
        };
        Ok(if single { text } else { format!("({text})") })
    }

    fn write(&mut self, h: &Hir) -> Result<String, String> {
        match h.kind() {
            HirKind::Empty => Ok("()".to_owned()),
            HirKind::Literal(l) => {
                let text = std::str::from_utf8(&l.0).map_err(|_| {
                    "the regular expression matches bytes that are not text".to_owned()
                })?;
                let mut out = String::new();
                for c in text.chars() {
                    push_lit(&mut out, c);
                }
                Ok(out)
            }
            HirKind::Class(c) => self.class(c),
            HirKind::Look(
                Look::WordAscii
                | Look::WordAsciiNegate
                | Look::WordUnicode
                | Look::WordUnicodeNegate
                | Look::WordStartAscii
                | Look::WordEndAscii
                | Look::WordStartUnicode
                | Look::WordEndUnicode
                | Look::WordStartHalfAscii
                | Look::WordEndHalfAscii
                | Look::WordStartHalfUnicode
                | Look::WordEndHalfUnicode,
            ) => {
                self.reasons.push(
                    "a word boundary (`\\b`) is left out: Lucene regular expressions have none, so the pattern matches more"
                        .to_owned(),
                );
                Ok(String::new())
            }
            HirKind::Look(_) => Err(
                "the regular expression has an anchor inside it (not at its start or end), which Lucene regular expressions cannot state"
                    .to_owned(),
            ),
            HirKind::Repetition(r) => {
                let sub = self.rep_item(&r.sub)?;
                let q = match (r.min, r.max) {
                    (0, None) => "*".to_owned(),
                    (1, None) => "+".to_owned(),
                    (0, Some(1)) => "?".to_owned(),
                    (m, None) => format!("{{{m},}}"),
                    (m, Some(n)) if m == n => format!("{{{m}}}"),
                    (m, Some(n)) => format!("{{{m},{n}}}"),
                };
                Ok(format!("{sub}{q}"))
            }
            HirKind::Capture(c) => Ok(format!("({})", self.write(&c.sub)?)),
            HirKind::Concat(items) => {
                let mut out = String::new();
                for i in items {
                    out.push_str(&self.concat_item(i)?);
                }
                Ok(out)
            }
            HirKind::Alternation(items) => {
                let parts = items
                    .iter()
                    .map(|i| self.write(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(parts.join("|"))
            }
        }
    }

    fn class(&mut self, c: &Class) -> Result<String, String> {
        // Ranges as (start, end) code points.
        let ranges: Vec<(u32, u32)> = match c {
            Class::Unicode(u) => u
                .ranges()
                .iter()
                .map(|r| (r.start() as u32, r.end() as u32))
                .collect(),
            Class::Bytes(b) => b
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
        };
        let top = match c {
            Class::Unicode(_) => 0x10_FFFF,
            Class::Bytes(_) => 0xFF,
        };
        if ranges == [(0, top)] {
            return Ok(".".to_owned());
        }
        if ranges == [(0, 9), (11, top)] {
            self.reasons
                .push("`.` in a Lucene regular expression also matches a line break".to_owned());
            return Ok(".".to_owned());
        }
        // A class reaching the top of the range is written negated.
        let negated = ranges.last().is_some_and(|r| r.1 == top);
        let shown: Vec<(u32, u32)> = if negated {
            let mut comp = Vec::new();
            let mut next = 0u32;
            for &(s, e) in &ranges {
                if s > next {
                    comp.push((next, s - 1));
                }
                next = e + 1;
            }
            comp
        } else {
            ranges
        };
        if shown.iter().any(|&(_, e)| e >= 0x80) && matches!(c, Class::Bytes(_)) {
            return Err("the regular expression has a byte class beyond ASCII".to_owned());
        }
        let mut out = String::from(if negated { "[^" } else { "[" });
        for (s, e) in shown {
            let (Some(s), Some(e)) = (char::from_u32(s), char::from_u32(e)) else {
                return Err("the regular expression has a class of invalid characters".to_owned());
            };
            push_class_char(&mut out, s);
            if e != s {
                if u32::from(e) > u32::from(s) + 1 {
                    out.push('-');
                }
                push_class_char(&mut out, e);
            }
        }
        out.push(']');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lucene(p: &str) -> String {
        to_lucene(p, false, false, false).unwrap().pattern
    }

    #[test]
    fn search_gets_dot_star_unless_anchored() {
        assert_eq!(lucene("abc"), ".*abc.*");
        assert_eq!(lucene("^abc$"), "abc");
        assert_eq!(lucene("^abc"), "abc.*");
    }

    #[test]
    fn metacharacters_are_escaped() {
        assert_eq!(lucene(r"^a\.b\+c#@~<>&\x22$"), r#"a\.b\+c\#\@\~\<\>\&\""#);
    }

    #[test]
    fn case_folding_becomes_classes() {
        assert_eq!(lucene("(?i)^ab1$"), "[Aa][Bb]1");
        assert_eq!(
            to_lucene("^a$", true, false, false).unwrap().pattern,
            "[Aa]"
        );
    }

    #[test]
    fn shorthands_become_classes() {
        assert_eq!(lucene(r"^\d+\s$"), "[0-9]+[\t-\r ]");
        assert_eq!(lucene(r"^[^a]$"), "[^a]");
    }

    #[test]
    fn repetitions_and_groups() {
        assert_eq!(lucene("^(ab|cd){2,3}x?$"), "(ab|cd){2,3}x?");
        assert_eq!(lucene("^ab*$"), "ab*");
    }

    #[test]
    fn inner_anchor_is_refused() {
        assert!(to_lucene("a^b", false, false, false).is_err());
        assert!(to_lucene("(^|x)b", false, false, false).is_err());
    }

    #[test]
    fn word_boundary_is_left_out_approximately() {
        let r = to_lucene(r"\bab\b", false, false, false).unwrap();
        assert_eq!(r.pattern, ".*ab.*");
        assert_eq!(r.reasons.len(), 2);
    }

    #[test]
    fn non_ascii_class_is_read_with_unicode() {
        assert_eq!(lucene("^[ʰ-˿]+$"), "[ʰ-˿]+");
    }

    #[test]
    fn dot_is_approximate() {
        let r = to_lucene("a.b", false, false, false).unwrap();
        assert_eq!(r.pattern, ".*a.b.*");
        assert_eq!(r.reasons.len(), 1);
        assert!(
            to_lucene("a.b", false, false, true)
                .unwrap()
                .reasons
                .is_empty()
        );
    }
}
