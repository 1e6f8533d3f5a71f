//! KQL lexing: literals, keywords, whitespace.
//!
//! KQL cannot be split into tokens before parsing: an unquoted literal runs
//! across spaces (`process.name: foo bar` is one value), and `and`/`or` are
//! keywords only between operands (`x: and` is the value `and`). So the parser
//! drives a [`Lexer`], a cursor that reads one element at the position where
//! the grammar expects it, following Kibana's grammar
//! (`kbn-es-query/src/kuery/grammar/grammar.peggy`):
//!
//! - whitespace is space, tab, CR, LF and no-break space;
//! - an unquoted literal stops at a special character `\ ( ) : < > " * { }`
//!   (`*` being a wildcard inside it), and before whitespace followed by
//!   `and`/`or`/`not` and whitespace; trailing whitespace is not part of it;
//! - escapes in an unquoted literal: `\t` `\r` `\n`, `\` before a special
//!   character, `\uXXXX`, and `\and` `\or` `\NOT` for the words themselves
//!   (in that order, so `\not` is a newline and `ot`); a backslash before
//!   anything else is an error, as in Kibana;
//! - escapes in a quoted string: `\t` `\r` `\n`, `\\`, `\"`, `\uXXXX`; a
//!   backslash before anything else is a literal backslash.
//!
//! Kibana wants whitespace around `and`/`or` and after `not`; this lexer also
//! takes a keyword directly before `(` or `"` (`not(a)`, `a and("b")`), which
//! Kibana rejects and which therefore cannot change the meaning of a query that
//! Kibana accepts.

use ruledex_diag::Span;

use super::ast::{Literal, Piece, RangeOp};
use crate::error::{QueryError, QueryErrorKind};

/// KQL whitespace.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{a0}')
}

/// Characters that end an unquoted literal (besides whitespace before a keyword).
fn ends_literal(c: char) -> bool {
    matches!(c, '(' | ')' | ':' | '<' | '>' | '"' | '{' | '}')
}

/// Characters that `\` escapes in an unquoted literal.
fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
    )
}

/// A cursor over the query text.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    /// Byte offset of the cursor.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Move the cursor back to a position it held before.
    pub(crate) fn reset(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.char_at(self.pos)
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.src.get(pos..).and_then(|s| s.chars().next())
    }

    /// Consume `c` if it is next.
    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(crate) fn skip_ws(&mut self) {
        self.pos = self.ws_end(self.pos);
    }

    fn ws_end(&self, mut pos: usize) -> usize {
        while let Some(c) = self.char_at(pos) {
            if !is_space(c) {
                break;
            }
            pos += c.len_utf8();
        }
        pos
    }

    /// Whether the keyword `kw` (ASCII, any case) is written at `pos`,
    /// followed by whitespace, `(` or `"`.
    fn keyword_at(&self, pos: usize, kw: &str) -> bool {
        let bytes = self.src.as_bytes();
        bytes
            .get(pos..pos + kw.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(kw.as_bytes()))
            && self
                .char_at(pos + kw.len())
                .is_some_and(|c| is_space(c) || c == '(' || c == '"')
    }

    /// Consume the keyword `kw` if it is next (whitespace after it is left).
    pub(crate) fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.keyword_at(self.pos, kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// Consume a range operator if one is next.
    pub(crate) fn range_op(&mut self) -> Option<RangeOp> {
        let rest = self.src.get(self.pos..)?;
        let (op, len) = if rest.starts_with("<=") {
            (RangeOp::Lte, 2)
        } else if rest.starts_with(">=") {
            (RangeOp::Gte, 2)
        } else if rest.starts_with('<') {
            (RangeOp::Lt, 1)
        } else if rest.starts_with('>') {
            (RangeOp::Gt, 1)
        } else {
            return None;
        };
        self.pos += len;
        Some(op)
    }

    /// What is at the cursor, for an error message, and its span.
    pub(crate) fn found(&self) -> (String, Span) {
        let Some(c) = self.peek() else {
            return ("end of query".into(), Span::point(self.src.len()));
        };
        if is_special(c) || is_space(c) {
            let span = Span::new(self.pos, self.pos + c.len_utf8());
            return (format!("`{}`", c.escape_debug()), span);
        }
        let rest = &self.src[self.pos..];
        let mut end = 0;
        for (i, ch) in rest.char_indices() {
            if is_special(ch) || is_space(ch) || i >= 40 {
                break;
            }
            end = i + ch.len_utf8();
        }
        let word = &rest[..end];
        (format!("`{word}`"), Span::new(self.pos, self.pos + end))
    }

    /// Read a literal (quoted or not) at the cursor, or `None` when none
    /// starts here (a special character, the end, or the keyword `not`).
    pub(crate) fn literal(&mut self) -> Result<Option<Literal>, QueryError> {
        match self.peek() {
            Some('"') => self.quoted().map(Some),
            Some(_) => self.unquoted(),
            None => Ok(None),
        }
    }

    fn quoted(&mut self) -> Result<Literal, QueryError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        let mut run = self.pos;
        loop {
            let Some(c) = self.peek() else {
                return Err(QueryError::new(
                    QueryErrorKind::Unterminated { what: "string" },
                    Span::new(start, self.src.len()),
                ));
            };
            match c {
                '"' => {
                    text.push_str(&self.src[run..self.pos]);
                    self.pos += 1;
                    return Ok(Literal::quoted(text, Span::new(start, self.pos)));
                }
                '\\' => {
                    text.push_str(&self.src[run..self.pos]);
                    let esc = self.pos;
                    match self.char_at(esc + 1) {
                        Some(e @ ('t' | 'r' | 'n')) => {
                            text.push(whitespace_escape(e));
                            self.pos += 2;
                        }
                        Some(e @ ('\\' | '"')) => {
                            text.push(e);
                            self.pos += 2;
                        }
                        Some('u') if self.hex4(esc + 2).is_some() => {
                            text.push(self.unicode_escape()?);
                        }
                        // Any other backslash is itself.
                        _ => {
                            text.push('\\');
                            self.pos += 1;
                        }
                    }
                    run = self.pos;
                }
                c => self.pos += c.len_utf8(),
            }
        }
    }

    fn unquoted(&mut self) -> Result<Option<Literal>, QueryError> {
        let start = self.pos;
        if self.keyword_at(start, "not") {
            return Ok(None);
        }
        // Pieces are built canonical: no empty text, no two texts in a row.
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut run = self.pos;
        while let Some(c) = self.peek() {
            if is_space(c) {
                let next = self.ws_end(self.pos);
                let stop = match self.char_at(next) {
                    None => true,
                    Some(n) => {
                        ends_literal(n)
                            || self.keyword_at(next, "and")
                            || self.keyword_at(next, "or")
                            || self.keyword_at(next, "not")
                    }
                };
                if stop {
                    break;
                }
                self.pos = next;
                continue;
            }
            match c {
                '*' => {
                    text.push_str(&self.src[run..self.pos]);
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Wildcard);
                    self.pos += 1;
                    run = self.pos;
                }
                '\\' => {
                    text.push_str(&self.src[run..self.pos]);
                    self.unquoted_escape(&mut text)?;
                    run = self.pos;
                }
                c if ends_literal(c) => break,
                c => self.pos += c.len_utf8(),
            }
        }
        if self.pos == start {
            return Ok(None);
        }
        text.push_str(&self.src[run..self.pos]);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Some(Literal::from_canonical(
            pieces,
            Span::new(start, self.pos),
        )))
    }

    /// An escape in an unquoted literal, in Kibana's order: whitespace,
    /// special character, unicode, keyword.
    fn unquoted_escape(&mut self, text: &mut String) -> Result<(), QueryError> {
        let esc = self.pos;
        match self.char_at(esc + 1) {
            Some(e @ ('t' | 'r' | 'n')) => {
                text.push(whitespace_escape(e));
                self.pos += 2;
                return Ok(());
            }
            Some(e) if is_special(e) => {
                text.push(e);
                self.pos += 1 + e.len_utf8();
                return Ok(());
            }
            Some('u') if self.hex4(esc + 2).is_some() => {
                text.push(self.unicode_escape()?);
                return Ok(());
            }
            _ => {}
        }
        for kw in ["and", "or", "not"] {
            if let Some(w) = self.src.get(esc + 1..esc + 1 + kw.len()) {
                if w.eq_ignore_ascii_case(kw) {
                    text.push_str(w);
                    self.pos = esc + 1 + kw.len();
                    return Ok(());
                }
            }
        }
        let end = self
            .char_at(esc + 1)
            .map_or(esc + 1, |c| esc + 1 + c.len_utf8());
        Err(QueryError::new(
            QueryErrorKind::InvalidLiteral {
                what: "escape (only \\t \\r \\n \\uXXXX, \\and \\or \\not and \\ before one of \\():<>\"*{} are escapes outside quotes)",
                text: self.src[esc..end].to_owned(),
            },
            Span::new(esc, end),
        ))
    }

    /// Four hex digits at `pos`.
    fn hex4(&self, pos: usize) -> Option<u32> {
        let digits = self.src.get(pos..pos + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    /// `\uXXXX` at the cursor (known to have four hex digits), with a
    /// following `\uXXXX` when the first is a high surrogate.
    fn unicode_escape(&mut self) -> Result<char, QueryError> {
        let start = self.pos;
        let hi = self.hex4(start + 2).unwrap_or(0);
        let mut end = start + 6;
        let code = if (0xD800..0xDC00).contains(&hi) {
            let lo = if self.src.get(end..end + 2) == Some("\\u") {
                self.hex4(end + 2)
            } else {
                None
            };
            match lo {
                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                    end += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                }
                _ => hi,
            }
        } else {
            hi
        };
        let Some(c) = char::from_u32(code) else {
            return Err(QueryError::new(
                QueryErrorKind::InvalidLiteral {
                    what: "unicode escape (a lone surrogate)",
                    text: self.src[start..end].to_owned(),
                },
                Span::new(start, end),
            ));
        };
        self.pos = end;
        Ok(c)
    }
}

fn whitespace_escape(e: char) -> char {
    match e {
        't' => '\t',
        'r' => '\r',
        _ => '\n',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::ast::LiteralKind;

    /// Lex one literal; return its pieces as a compact string (`*` for a
    /// wildcard, `<…>` around the text) and what is left.
    fn lex(src: &str) -> (String, &str) {
        let mut lx = Lexer::new(src);
        let lit = lx.literal().expect("lexes").expect("a literal");
        let shown = match lit.kind {
            LiteralKind::Quoted(s) => format!("q<{s}>"),
            LiteralKind::Unquoted(p) => p
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => format!("<{t}>"),
                    Piece::Wildcard => "*".into(),
                })
                .collect(),
        };
        assert_eq!(lit.span.slice(src).map(str::len), Some(lit.span.len()));
        (shown, &src[lx.pos()..])
    }

    macro_rules! lex_cases {
        ($($name:ident: $input:expr => $want:expr, $rest:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(lex($input), ($want.to_string(), $rest));
            }
        )*};
    }

    lex_cases! {
        word: "cmd.exe" => "<cmd.exe>", "";
        stops_at_colon: "process.name: x" => "<process.name>", ": x";
        runs_across_spaces: "foo bar baz" => "<foo bar baz>", "";
        stops_before_and: "foo bar and baz" => "<foo bar>", " and baz";
        stops_before_or_any_case: "foo OR baz" => "<foo>", " OR baz";
        stops_before_not: "foo not baz" => "<foo>", " not baz";
        and_needs_space_after: "foo android" => "<foo android>", "";
        and_at_end_is_text: "foo and" => "<foo and>", "";
        and_at_start_is_text: "and more" => "<and more>", "";
        trailing_space_left: "foo   )" => "<foo>", "   )";
        wildcards: "*foo*bar" => "*<foo>*<bar>", "";
        lone_wildcard: "* and x" => "*", " and x";
        wildcard_with_space: "* curl*" => "*< curl>*", "";
        escaped_specials: r#"C\:\\Windows\\\*\(x\)\"\{\}\<\>"# => r#"<C:\Windows\*(x)"{}<>>"#, "";
        escaped_whitespace: r"a\tb\nc\rd" => "<a\tb\nc\rd>", "";
        escaped_keyword: r"\and \OR \Not" => "<and OR Not>", "";
        backslash_n_is_newline_first: r"\not" => "<\not>", "";
        unicode_escape: r"\u0041\u00e9" => "<Aé>", "";
        surrogate_pair: r"\ud83d\ude00!" => "<😀!>", "";
        unicode_text: "DWSNET OÜ" => "<DWSNET OÜ>", "";
        question_mark_is_text: "?.docs" => "<?.docs>", "";
        keyword_before_paren_stops: "a and(b)" => "<a>", " and(b)";
        nbsp_is_space: "a\u{a0}or b" => "<a>", "\u{a0}or b";
        quoted: r#""a b" rest"# => "q<a b>", " rest";
        quoted_escapes: r#""\"x\" \\ \t \u0041""# => "q<\"x\" \\ \t A>", "";
        quoted_backslash_is_literal: r#""C:\Windows\x""# => r"q<C:\Windows\x>", "";
        quoted_star_is_text: r#""*foo*""# => "q<*foo*>", "";
        quoted_bad_unicode_is_literal: r#""\uZZ""# => r"q<\uZZ>", "";
        quoted_newline: "\"a\nb\"" => "q<a\nb>", "";
    }

    macro_rules! lex_errors {
        ($($name:ident: $input:expr => $code:expr, $span:expr;)*) => {$(
            #[test]
            fn $name() {
                let err = Lexer::new($input).literal().expect_err("fails");
                assert_eq!((err.kind.code(), (err.span.start, err.span.end)), ($code, $span));
            }
        )*};
    }

    lex_errors! {
        unterminated: r#""abc"# => "query-unterminated", (0, 4);
        unknown_escape: r"C\Windows" => "query-invalid-literal", (1, 3);
        trailing_backslash: r"abc\" => "query-invalid-literal", (3, 4);
        lone_surrogate: r"\ud800x" => "query-invalid-literal", (0, 6);
        lone_low_surrogate_quoted: r#""\udc00""# => "query-invalid-literal", (1, 7);
    }

    #[test]
    fn no_literal_at_not_or_special() {
        for src in ["not x", "NOT(x)", ")", ":", ""] {
            assert!(Lexer::new(src).literal().unwrap().is_none(), "{src:?}");
        }
    }
}
