//! EQL tokens.
//!
//! Words are identifiers or dotted field paths written without spaces
//! (`process.parent.name`, `` `my-field`.x ``, `@timestamp`), with a `~`
//! glued to their end when there is one (`like~`, `startsWith~`); whether a
//! word is a keyword is left to the parser, because a keyword can be the
//! second segment of a path (`event.sequence`). Strings are decoded here.
//! Comments (`//`, `/* */`, which nest) and white space are skipped.

use std::borrow::Cow;

use ruledex_diag::Span;

use crate::error::{QueryError, QueryErrorKind};

/// A token kind. Strings borrow from the query when they have no escapes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok<'a> {
    /// An identifier or a dotted path, as written (backticks included).
    Word(&'a str),
    /// A string, escapes undone.
    Str(Cow<'a, str>),
    /// A whole number (unsigned as written).
    Int(i64),
    /// A decimal number.
    Float(f64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Pipe,
    /// `?` before a field name.
    Question,
    /// `!` before `[` (a missing-event term).
    Bang,
    /// `==`.
    EqEq,
    /// `!=`.
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:`.
    Colon,
    /// `=` (in `maxspan=5m`).
    Assign,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
}

impl Tok<'_> {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        let p = match self {
            Tok::Word(w) => return format!("`{w}`"),
            Tok::Str(_) => return "a string".to_owned(),
            Tok::Int(i) => return format!("`{i}`"),
            Tok::Float(x) => return format!("`{x}`"),
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Pipe => "|",
            Tok::Question => "?",
            Tok::Bang => "!",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Colon => ":",
            Tok::Assign => "=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
        };
        format!("`{p}`")
    }
}

/// A token and where it is.
#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub(crate) tok: Tok<'a>,
    pub(crate) span: Span,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'@'
}

fn is_word_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn peek_at(&self, k: usize) -> Option<u8> {
        self.bytes.get(self.pos + k).copied()
    }

    fn err(kind: QueryErrorKind, start: usize, end: usize) -> QueryError {
        QueryError::new(kind, Span::new(start, end))
    }

    /// Skip white space and comments.
    fn skip_trivia(&mut self) -> Result<(), QueryError> {
        loop {
            match (self.peek_at(0), self.peek_at(1)) {
                (Some(b), _) if b.is_ascii_whitespace() => self.pos += 1,
                (Some(b'/'), Some(b'/')) => {
                    while self.peek_at(0).is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    let start = self.pos;
                    self.pos += 2;
                    let mut depth = 1_usize;
                    while depth > 0 {
                        match (self.peek_at(0), self.peek_at(1)) {
                            (None, _) => {
                                return Err(Self::err(
                                    QueryErrorKind::Unterminated { what: "comment" },
                                    start,
                                    start + 2,
                                ));
                            }
                            (Some(b'*'), Some(b'/')) => {
                                depth -= 1;
                                self.pos += 2;
                            }
                            (Some(b'/'), Some(b'*')) => {
                                depth += 1;
                                self.pos += 2;
                            }
                            _ => self.pos += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A backtick-quoted segment starting at `self.pos`; `` `` `` inside stands for one backtick.
    fn skip_backtick(&mut self) -> Result<(), QueryError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek_at(0) {
                None => {
                    return Err(Self::err(
                        QueryErrorKind::Unterminated {
                            what: "quoted field name",
                        },
                        start,
                        start + 1,
                    ));
                }
                Some(b'`') if self.peek_at(1) == Some(b'`') => self.pos += 2,
                Some(b'`') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// A word: path segments joined by dots, then an optional `~`.
    fn word(&mut self) -> Result<Tok<'a>, QueryError> {
        let start = self.pos;
        loop {
            // One segment.
            match self.peek_at(0) {
                Some(b'`') => self.skip_backtick()?,
                _ => {
                    while self
                        .peek_at(0)
                        .is_some_and(|b| is_word_char(b) || b == b'@')
                    {
                        self.pos += 1;
                    }
                }
            }
            // A dot continues the path when a segment follows it directly.
            match (self.peek_at(0), self.peek_at(1)) {
                (Some(b'.'), Some(b)) if is_word_char(b) || b == b'@' || b == b'`' => {
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if self.peek_at(0) == Some(b'~') {
            self.pos += 1;
        }
        Ok(Tok::Word(&self.text[start..self.pos]))
    }

    fn number(&mut self) -> Result<Tok<'a>, QueryError> {
        let start = self.pos;
        let digits = |l: &mut Lexer<'_>| {
            while l.peek_at(0).is_some_and(|b| b.is_ascii_digit()) {
                l.pos += 1;
            }
        };
        digits(self);
        let mut float = false;
        if self.peek_at(0) == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            float = true;
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek_at(0), Some(b'e' | b'E')) {
            let signed = matches!(self.peek_at(1), Some(b'+' | b'-'));
            let first = if signed { 2 } else { 1 };
            if self.peek_at(first).is_some_and(|b| b.is_ascii_digit()) {
                float = true;
                self.pos += first;
                digits(self);
            }
        }
        let text = &self.text[start..self.pos];
        let invalid = || {
            Self::err(
                QueryErrorKind::InvalidLiteral {
                    what: "number",
                    text: text.to_owned(),
                },
                start,
                start + text.len(),
            )
        };
        if float {
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Tok::Float(x)),
                _ => Err(invalid()),
            }
        } else {
            text.parse::<i64>().map(Tok::Int).map_err(|_| invalid())
        }
    }

    /// A string starting at `self.pos`: `"…"` / `'…'` with escapes, `"""…"""`
    /// raw, or `?"…"` / `?'…'` raw.
    fn string(&mut self) -> Result<Tok<'a>, QueryError> {
        let start = self.pos;
        let raw = self.peek_at(0) == Some(b'?');
        if raw {
            self.pos += 1;
        }
        let quote = self.bytes[self.pos];
        if !raw && self.text[self.pos..].starts_with("\"\"\"") {
            let body = self.pos + 3;
            let Some(close) = self.text[body..].find("\"\"\"") else {
                return Err(Self::err(
                    QueryErrorKind::Unterminated { what: "string" },
                    start,
                    start + 3,
                ));
            };
            // Up to two quotes right before the closing `"""` belong to the value.
            let mut end = body + close + 3;
            let mut extra = 0;
            while extra < 2 && self.bytes.get(end) == Some(&b'"') {
                end += 1;
                extra += 1;
            }
            self.pos = end;
            return Ok(Tok::Str(Cow::Borrowed(&self.text[body..end - 3])));
        }
        self.pos += 1;
        let body = self.pos;
        let unterminated =
            || Self::err(QueryErrorKind::Unterminated { what: "string" }, start, body);
        if raw {
            // Raw: no escapes, except that `\"` does not end the string (kept as written).
            loop {
                match self.peek_at(0) {
                    None | Some(b'\n' | b'\r') => return Err(unterminated()),
                    Some(b'\\') if self.peek_at(1) == Some(quote) => self.pos += 2,
                    Some(b) if b == quote => {
                        self.pos += 1;
                        return Ok(Tok::Str(Cow::Borrowed(&self.text[body..self.pos - 1])));
                    }
                    Some(_) => self.pos += 1,
                }
            }
        }
        // Fast path: no escape before the closing quote.
        let mut i = body;
        while let Some(&b) = self.bytes.get(i) {
            if b == quote || b == b'\\' || b == b'\n' || b == b'\r' {
                break;
            }
            i += 1;
        }
        if self.bytes.get(i) == Some(&quote) {
            self.pos = i + 1;
            return Ok(Tok::Str(Cow::Borrowed(&self.text[body..i])));
        }
        let mut out = String::with_capacity(i - body + 16);
        out.push_str(&self.text[body..i]);
        self.pos = i;
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(unterminated());
            };
            match c {
                '\n' | '\r' => return Err(unterminated()),
                c if c as u32 == u32::from(quote) => {
                    self.pos += 1;
                    return Ok(Tok::Str(Cow::Owned(out)));
                }
                '\\' => {
                    let esc_start = self.pos;
                    let Some(e) = self.text[self.pos + 1..].chars().next() else {
                        return Err(unterminated());
                    };
                    self.pos += 1 + e.len_utf8();
                    let decoded = match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '"' | '\'' | '\\' => e,
                        'u' => self.unicode_escape(esc_start)?,
                        _ => {
                            return Err(Self::err(
                                QueryErrorKind::InvalidLiteral {
                                    what: "escape sequence",
                                    text: format!("\\{e}"),
                                },
                                esc_start,
                                self.pos,
                            ));
                        }
                    };
                    out.push(decoded);
                }
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// The rest of `\u{XXXX}` (2 to 8 hex digits), after the `u`.
    fn unicode_escape(&mut self, esc_start: usize) -> Result<char, QueryError> {
        let rest = &self.text[self.pos..];
        let invalid = |end: usize| {
            let end = end.min(self.text.len());
            Self::err(
                QueryErrorKind::InvalidLiteral {
                    what: "unicode escape",
                    text: self.text[esc_start..end].to_owned(),
                },
                esc_start,
                end,
            )
        };
        if !rest.starts_with('{') {
            return Err(invalid(self.pos));
        }
        let Some(close) = rest.find('}') else {
            return Err(invalid(self.pos + 1));
        };
        let hex = &rest[1..close];
        let end = self.pos + close + 1;
        if !(2..=8).contains(&hex.len()) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(end));
        }
        let c = u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| invalid(end))?;
        self.pos = end;
        Ok(c)
    }

    fn next(&mut self) -> Result<Option<Token<'a>>, QueryError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(b) = self.peek_at(0) else {
            return Ok(None);
        };
        let two = |l: &mut Lexer<'_>, next: u8, yes: Tok<'a>, no: Tok<'a>| {
            if l.peek_at(1) == Some(next) {
                l.pos += 2;
                yes
            } else {
                l.pos += 1;
                no
            }
        };
        let tok = match b {
            b'(' | b')' | b'[' | b']' | b',' | b'|' | b':' | b'+' | b'-' | b'*' | b'/' | b'%' => {
                self.pos += 1;
                match b {
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b'[' => Tok::LBracket,
                    b']' => Tok::RBracket,
                    b',' => Tok::Comma,
                    b'|' => Tok::Pipe,
                    b':' => Tok::Colon,
                    b'+' => Tok::Plus,
                    b'-' => Tok::Minus,
                    b'*' => Tok::Star,
                    b'/' => Tok::Slash,
                    _ => Tok::Percent,
                }
            }
            b'=' => two(self, b'=', Tok::EqEq, Tok::Assign),
            b'!' => two(self, b'=', Tok::NotEq, Tok::Bang),
            b'<' => two(self, b'=', Tok::Le, Tok::Lt),
            b'>' => two(self, b'=', Tok::Ge, Tok::Gt),
            b'"' | b'\'' => self.string()?,
            b'?' if matches!(self.peek_at(1), Some(b'"' | b'\'')) => self.string()?,
            b'?' => {
                self.pos += 1;
                Tok::Question
            }
            b'`' => self.word()?,
            b if is_word_start(b) => self.word()?,
            b if b.is_ascii_digit() => self.number()?,
            b'.' if self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) => self.number()?,
            _ => {
                let ch = self.text[start..].chars().next().unwrap_or('?');
                return Err(Self::err(
                    QueryErrorKind::Unexpected {
                        expected: "a field, a value, an operator or a keyword",
                        found: format!("`{ch}`"),
                    },
                    start,
                    start + ch.len_utf8(),
                ));
            }
        };
        Ok(Some(Token {
            tok,
            span: Span::new(start, self.pos),
        }))
    }
}

/// Split a query into tokens.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token<'_>>, QueryError> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::with_capacity(text.len() / 4);
    while let Some(t) = lexer.next()? {
        out.push(t);
    }
    Ok(out)
}

/// Split a word into path segments, undoing backtick escapes. `None` when
/// the word is not a well-formed path (it should always be, coming from the
/// tokenizer, but the parser does not rely on it).
pub(crate) fn segments(word: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let bytes = word.as_bytes();
    let mut i = 0;
    loop {
        if bytes.get(i) == Some(&b'`') {
            let mut seg = String::new();
            i += 1;
            loop {
                let c = word[i..].chars().next()?;
                if c == '`' {
                    if bytes.get(i + 1) == Some(&b'`') {
                        seg.push('`');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                seg.push(c);
                i += c.len_utf8();
            }
            out.push(seg);
        } else {
            let start = i;
            while bytes.get(i).is_some_and(|&b| is_word_char(b) || b == b'@') {
                i += 1;
            }
            if i == start {
                return None;
            }
            out.push(word[start..i].to_owned());
        }
        match bytes.get(i) {
            None => return Some(out),
            Some(b'.') => i += 1,
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Result<Vec<Tok<'_>>, String> {
        tokenize(text)
            .map(|ts| ts.into_iter().map(|t| t.tok).collect())
            .map_err(|e| format!("{}@{}", e.kind.code(), e.span.start))
    }

    macro_rules! lex_cases {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(kinds($input), $want);
            }
        )*};
    }

    fn s(v: &str) -> Tok<'_> {
        Tok::Str(Cow::Borrowed(v))
    }

    lex_cases! {
        dotted_path: "process.parent.name" => Ok(vec![Tok::Word("process.parent.name")]);
        keyword_after_dot_stays_in_path: "event.sequence" => Ok(vec![Tok::Word("event.sequence")]);
        backtick_segments: "a.`b-c`.d" => Ok(vec![Tok::Word("a.`b-c`.d")]);
        tilde_is_glued: "like~ in~" => Ok(vec![Tok::Word("like~"), Tok::Word("in~")]);
        colon_without_space: "x:\"a\"" => Ok(vec![Tok::Word("x"), Tok::Colon, s("a")]);
        escapes: r#""C:\\Windows\\*""# => Ok(vec![Tok::Str(Cow::Owned(r"C:\Windows\*".into()))]);
        unicode_escape: r#""\u{202E}""# => Ok(vec![Tok::Str(Cow::Owned("\u{202E}".into()))]);
        raw_triple: r#""""a\b"c""""# => Ok(vec![s(r#"a\b"c"#)]);
        raw_triple_trailing_quote: r#""""a"""""# => Ok(vec![s("a\"")]);
        raw_question: r#"?"a\b""# => Ok(vec![s(r"a\b")]);
        single_quotes: "'it\\'s'" => Ok(vec![Tok::Str(Cow::Owned("it's".into()))]);
        optional_field: "?process.name" => Ok(vec![Tok::Question, Tok::Word("process.name")]);
        numbers: "5 1.5 .5 2e3 5m" => Ok(vec![Tok::Int(5), Tok::Float(1.5), Tok::Float(0.5), Tok::Float(2000.0), Tok::Int(5), Tok::Word("m")]);
        operators: "== != <= >= < > = ! :" => Ok(vec![Tok::EqEq, Tok::NotEq, Tok::Le, Tok::Ge, Tok::Lt, Tok::Gt, Tok::Assign, Tok::Bang, Tok::Colon]);
        comments: "a /* x /* nested */ y */ b // tail\n c" => Ok(vec![Tok::Word("a"), Tok::Word("b"), Tok::Word("c")]);
        at_timestamp: "@timestamp" => Ok(vec![Tok::Word("@timestamp")]);
        unterminated_string: "x == \"abc" => Err("query-unterminated@5".into());
        newline_in_string: "x == \"a\nb\"" => Err("query-unterminated@5".into());
        unterminated_raw: "x == \"\"\"abc\"\"" => Err("query-unterminated@5".into());
        unterminated_comment: "a /* b" => Err("query-unterminated@2".into());
        unterminated_backtick: "`abc" => Err("query-unterminated@0".into());
        bad_escape: r#""\q""# => Err("query-invalid-literal@1".into());
        bad_unicode: r#""\u{zz}""# => Err("query-invalid-literal@1".into());
        surrogate_unicode: r#""\u{D800}""# => Err("query-invalid-literal@1".into());
        huge_int: "99999999999999999999" => Err("query-invalid-literal@0".into());
        infinite_float: "1e999" => Err("query-invalid-literal@0".into());
        stray_char: "a # b" => Err("query-syntax@2".into());
        non_ascii_stray: "a é" => Err("query-syntax@2".into());
    }

    #[test]
    fn segments_undo_backticks() {
        assert_eq!(
            segments("a.`b``c`.d"),
            Some(vec!["a".into(), "b`c".into(), "d".into()])
        );
        assert_eq!(segments("a..b"), None);
    }
}
