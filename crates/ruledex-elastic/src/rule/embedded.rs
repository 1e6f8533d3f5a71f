//! A string embedded in the rule file (the query, a filter's query string) and
//! how positions in its decoded text map back to the file.
//!
//! Parsers report spans into the query *text*; a rule keeps spans into the
//! *file*, so that a UI highlights the right bytes and an error gives the
//! right line and column. For a TOML literal string (`'''…'''`, what Elastic's
//! rules use) the decoded text is the file's bytes after the opening
//! delimiter (and the newline right after it), so positions only shift. A
//! basic string (`"""…"""`) may contain escapes, a multi-line string may have
//! `\r\n` line breaks that TOML reads as `\n`, and a line-ending backslash
//! drops the whitespace after it: then each decoded byte is mapped to the file
//! byte it came from.

use ruledex_diag::Span;

/// A decoded string value of the file and the way back to the file's bytes.
#[derive(Clone, Debug)]
pub(crate) struct Embedded<'a> {
    /// The decoded text, as parsers see it.
    pub(crate) text: &'a str,
    /// The whole value in the file, delimiters included.
    pub(crate) value: Span,
    mapping: Mapping,
}

#[derive(Clone, Debug)]
enum Mapping {
    /// Decoded byte `i` is file byte `start + i`.
    Shift(usize),
    /// Decoded byte `i` is file byte `table[i]`; one extra entry for the end.
    Table(Vec<u32>),
}

impl<'a> Embedded<'a> {
    /// `text` is the decoded value of the TOML string written at `value` in `file`.
    pub(crate) fn new(file: &str, value: Span, text: &'a str) -> Embedded<'a> {
        let fallback = Embedded {
            text,
            value,
            mapping: Mapping::Table(vec![value.start; text.len() + 1]),
        };
        let Some(raw) = value.slice(file) else {
            return fallback;
        };
        let (delimiter, literal) = if raw.starts_with("'''") {
            (3, true)
        } else if raw.starts_with("\"\"\"") {
            (3, false)
        } else if raw.starts_with('\'') {
            (1, true)
        } else if raw.starts_with('"') {
            (1, false)
        } else {
            return fallback;
        };
        let multiline = delimiter == 3;
        if raw.len() < 2 * delimiter {
            return fallback;
        }
        let mut start = value.start as usize + delimiter;
        let end = value.end as usize - delimiter;
        let mut content = &file[start..end];
        if multiline {
            // TOML drops a line break right after the opening delimiter.
            for newline in ["\r\n", "\n"] {
                if let Some(rest) = content.strip_prefix(newline) {
                    start += newline.len();
                    content = rest;
                    break;
                }
            }
        }
        if content == text {
            return Embedded {
                text,
                value,
                mapping: Mapping::Shift(start),
            };
        }
        match decode(content, start, literal, multiline) {
            Some((decoded, table)) if decoded == text => Embedded {
                text,
                value,
                mapping: Mapping::Table(table),
            },
            _ => fallback,
        }
    }

    /// The file offset of decoded byte `i` (the end of the value for `i` past the end).
    pub(crate) fn offset(&self, i: usize) -> usize {
        let i = i.min(self.text.len());
        match &self.mapping {
            Mapping::Shift(start) => start + i,
            Mapping::Table(table) => table.get(i).map_or(self.value.end, |&o| o) as usize,
        }
    }

    /// A span of the decoded text as a span of the file.
    pub(crate) fn span(&self, span: Span) -> Span {
        Span::new(
            self.offset(span.start as usize),
            self.offset(span.end as usize),
        )
    }

    /// The whole decoded text as a span of the file.
    pub(crate) fn whole(&self) -> Span {
        Span::new(self.offset(0), self.offset(self.text.len()))
    }
}

/// Decode the body of a TOML string the way a TOML parser does, recording for
/// each decoded byte the file offset it came from. `None` on an escape TOML
/// does not define (the parser would have rejected the file).
fn decode(
    content: &str,
    start: usize,
    literal: bool,
    multiline: bool,
) -> Option<(String, Vec<u32>)> {
    let b = content.as_bytes();
    let mut out = String::with_capacity(content.len());
    let mut table: Vec<u32> = Vec::with_capacity(content.len() + 1);
    let at = |i: usize| u32::try_from(start + i).unwrap_or(u32::MAX);
    let push = |out: &mut String, table: &mut Vec<u32>, c: char, from: u32| {
        out.push(c);
        table.extend(std::iter::repeat_n(from, c.len_utf8()));
    };
    let mut i = 0;
    while i < b.len() {
        if multiline && b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            push(&mut out, &mut table, '\n', at(i));
            i += 2;
            continue;
        }
        if literal || b[i] != b'\\' {
            let c = content[i..].chars().next()?;
            let len = c.len_utf8();
            out.push(c);
            table.extend((0..len).map(|k| at(i + k)));
            i += len;
            continue;
        }
        let escape = *b.get(i + 1)?;
        let simple = match escape {
            b'b' => Some('\u{8}'),
            b't' => Some('\t'),
            b'n' => Some('\n'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'e' => Some('\u{1b}'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            _ => None,
        };
        if let Some(c) = simple {
            push(&mut out, &mut table, c, at(i));
            i += 2;
            continue;
        }
        match escape {
            b'u' | b'U' => {
                let digits = if escape == b'u' { 4 } else { 8 };
                let hex = content.get(i + 2..i + 2 + digits)?;
                let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                push(&mut out, &mut table, c, at(i));
                i += 2 + digits;
            }
            b' ' | b'\t' | b'\r' | b'\n' if multiline => {
                // Line-ending backslash: the line break and all whitespace after it go.
                let mut j = i + 1;
                while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\r' | b'\n') {
                    j += 1;
                }
                i = j;
            }
            _ => return None,
        }
    }
    table.push(at(b.len()));
    Some((out, table))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parse `file` (one key `q`), map the decoded span `[start, end)` and
    /// return the file text it covers.
    fn mapped(file: &str, start: usize, end: usize) -> String {
        let doc = crate::rule::node::Node::parse(file).unwrap();
        let q = doc.get("q").unwrap();
        let e = Embedded::new(file, q.span.unwrap(), q.as_str().unwrap());
        e.span(Span::new(start, end))
            .slice(file)
            .unwrap()
            .to_owned()
    }

    macro_rules! mapping {
        ($($name:ident: $file:expr, $range:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(mapped($file, $range.start, $range.end), $want);
            }
        )*};
    }

    mapping! {
        literal_multiline: "q = '''\nab and cd\n'''\n", 3..6 => "and";
        literal_single: "q = 'x:1 or y'\n", 4..6 => "or";
        basic_single: "q = \"x:1 or y\"\n", 0..3 => "x:1";
        basic_escape_before: "q = \"a\\\\b and c\"\n", 4..7 => "and";
        basic_escaped_quote: "q = \"f:\\\"v\\\" and g\"\n", 2..5 => "\\\"v\\\"";
        basic_unicode_escape: "q = \"\\u00e9 or x\"\n", 3..5 => "or";
        basic_line_ending_backslash: "q = \"\"\"\na \\\n    and b\"\"\"\n", 2..5 => "and";
        crlf_literal: "q = '''\r\nline1\r\nand x'''\r\n", 6..9 => "and";
        crlf_basic: "q = \"\"\"\r\nl1\r\nor y\"\"\"\r\n", 3..5 => "or";
        non_ascii: "q = '''é and ü'''\n", 3..6 => "and";
        end_of_text: "q = '''abc'''\n", 3..3 => "";
    }

    #[test]
    fn whole_covers_the_decoded_text() {
        let file = "q = '''\nabc\n'''\n";
        let doc = crate::rule::node::Node::parse(file).unwrap();
        let q = doc.get("q").unwrap();
        let e = Embedded::new(file, q.span.unwrap(), q.as_str().unwrap());
        assert_eq!(e.whole().slice(file), Some("abc\n"));
    }

    #[test]
    fn out_of_range_spans_are_clamped() {
        let file = "q = 'abc'\n";
        let doc = crate::rule::node::Node::parse(file).unwrap();
        let q = doc.get("q").unwrap();
        let e = Embedded::new(file, q.span.unwrap(), q.as_str().unwrap());
        assert_eq!(e.span(Span::new(1, 99)).slice(file), Some("bc"));
    }
}
