//! The ES|QL tokenizer.
//!
//! ES|QL is lexed in modes, like Elasticsearch's own ANTLR lexer: what a
//! character means depends on the command it appears in. The parser asks for
//! one token at a time in the mode of the command it is reading:
//!
//! - [`Mode::Expr`]: expressions (`WHERE`, `EVAL`, `STATS`, `SORT`, …);
//!   qualified names such as `process.parent.name` or `` `my field`.x `` are
//!   one token;
//! - [`Mode::Source`]: index patterns after `FROM` (`logs-endpoint.events.*`,
//!   `remote:logs-*`), where `-`, `*` and `.` are part of a name;
//! - [`Mode::Pattern`]: column patterns after `KEEP`, `DROP`, `RENAME`
//!   (`Esql.*`).
//!
//! Comments (`// …` to the end of the line, `/* … */`, nested) and white space
//! are skipped in every mode. Keywords are not tokens of their own: the parser
//! recognizes them case-insensitively from unquoted one-part names.

use std::borrow::Cow;

use ruledex_diag::Span;

use crate::error::{QueryError, QueryErrorKind};

/// How the characters ahead are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Expressions.
    Expr,
    /// Index patterns (`FROM`, `LOOKUP JOIN`, `ENRICH` policy names).
    Source,
    /// Column-name patterns (`KEEP`, `DROP`, `RENAME`, `ENRICH … ON/WITH`).
    Pattern,
}

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok<'a> {
    /// A qualified name, parts joined with `.`; `quoted` when any part was backquoted.
    Name { text: Cow<'a, str>, quoted: bool },
    /// Digits only.
    Int(&'a str),
    /// A number with a fraction or an exponent.
    Decimal(&'a str),
    /// A string, escapes undone.
    Str(Cow<'a, str>),
    /// `?`, `?name`, `?1`.
    Param(&'a str),
    /// An index pattern or source name ([`Mode::Source`]).
    Source(&'a str),
    /// A column pattern ([`Mode::Pattern`]), as written.
    Pattern(&'a str),
    /// `==`
    Eq,
    /// `=~`
    CiEq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `=`
    Assign,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `::`
    Cast,
    /// `|`
    Pipe,
    /// The end of the query.
    Eof,
}

impl Tok<'_> {
    /// How the token is described in an error message.
    pub(crate) fn describe(&self) -> String {
        let s = match self {
            Tok::Name { text, .. } => return format!("`{text}`"),
            Tok::Int(t) | Tok::Decimal(t) | Tok::Param(t) | Tok::Source(t) | Tok::Pattern(t) => {
                return format!("`{t}`");
            }
            Tok::Str(_) => return "a string".to_owned(),
            Tok::Eof => return "end of query".to_owned(),
            Tok::Eq => "==",
            Tok::CiEq => "=~",
            Tok::Neq => "!=",
            Tok::Lt => "<",
            Tok::Lte => "<=",
            Tok::Gt => ">",
            Tok::Gte => ">=",
            Tok::Assign => "=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Cast => "::",
            Tok::Pipe => "|",
        };
        format!("`{s}`")
    }

    /// The keyword this token spells (lower case), when it is an unquoted
    /// one-part name or pattern.
    pub(crate) fn word(&self) -> Option<&str> {
        match self {
            Tok::Name {
                text,
                quoted: false,
            } if !text.contains('.') => Some(text),
            Tok::Pattern(t) | Tok::Source(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the token is the keyword `kw` (given in lower case).
    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        self.word().is_some_and(|w| w.eq_ignore_ascii_case(kw))
    }
}

/// A token and where it is.
#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub(crate) tok: Tok<'a>,
    pub(crate) span: Span,
}

/// Reads tokens from a query text on demand.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'@'
}

fn is_ident_body(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `b` may be part of an unquoted index pattern (slashes are handled apart).
fn is_source_char(c: char) -> bool {
    !matches!(
        c,
        ':' | '"' | '=' | '|' | ',' | '[' | ']' | '/' | ' ' | '\t' | '\r' | '\n'
    )
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }

    /// The byte offset the next token is read from.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Go back to `pos` (to re-read a token in another mode).
    pub(crate) fn reset(&mut self, pos: usize) {
        self.pos = pos;
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn err(kind: QueryErrorKind, start: usize, end: usize) -> QueryError {
        QueryError::new(kind, Span::new(start, end))
    }

    /// Skip white space and comments.
    fn skip_trivia(&mut self) -> Result<(), QueryError> {
        let b = self.bytes();
        loop {
            while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            if b.get(self.pos) == Some(&b'/') && b.get(self.pos + 1) == Some(&b'/') {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
                continue;
            }
            if b.get(self.pos) == Some(&b'/') && b.get(self.pos + 1) == Some(&b'*') {
                // Block comments nest, as in Elasticsearch's lexer.
                let start = self.pos;
                let mut depth = 0usize;
                loop {
                    match (b.get(self.pos), b.get(self.pos + 1)) {
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            self.pos += 2;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            self.pos += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        (Some(_), _) => self.pos += 1,
                        (None, _) => {
                            return Err(Self::err(
                                QueryErrorKind::Unterminated { what: "comment" },
                                start,
                                self.src.len(),
                            ));
                        }
                    }
                }
                continue;
            }
            return Ok(());
        }
    }

    /// The next token, read in `mode`.
    pub(crate) fn next(&mut self, mode: Mode) -> Result<Token<'a>, QueryError> {
        self.skip_trivia()?;
        let start = self.pos;
        let b = self.bytes();
        let Some(&c) = b.get(start) else {
            return Ok(Token {
                tok: Tok::Eof,
                span: Span::point(start),
            });
        };
        let tok = match (mode, c) {
            (_, b'|') => self.single(Tok::Pipe),
            (_, b',') => self.single(Tok::Comma),
            (_, b'"') => self.string()?,
            (_, b'[') => self.single(Tok::LBracket),
            (_, b']') => self.single(Tok::RBracket),
            (_, b':') if b.get(start + 1) == Some(&b':') => {
                self.pos += 2;
                Tok::Cast
            }
            (_, b':') => self.single(Tok::Colon),
            (_, b'=') if mode != Mode::Expr => self.single(Tok::Assign),
            (Mode::Source, _) => self.source()?,
            (Mode::Pattern, _) => self.pattern()?,
            (Mode::Expr, _) => self.expr_token()?,
        };
        Ok(Token {
            tok,
            span: Span::new(start, self.pos),
        })
    }

    fn single(&mut self, tok: Tok<'a>) -> Tok<'a> {
        self.pos += 1;
        tok
    }

    fn unexpected_char(&self) -> QueryError {
        let ch = self.src[self.pos..].chars().next().unwrap_or('?');
        Self::err(
            QueryErrorKind::Unexpected {
                expected: "a token",
                found: format!("`{ch}`"),
            },
            self.pos,
            self.pos + ch.len_utf8(),
        )
    }

    fn expr_token(&mut self) -> Result<Tok<'a>, QueryError> {
        let b = self.bytes();
        let start = self.pos;
        let c = b[start];
        let next = b.get(start + 1).copied();
        let two = |t: Tok<'a>, this: &mut Self| {
            this.pos += 2;
            t
        };
        Ok(match c {
            b'=' if next == Some(b'=') => two(Tok::Eq, self),
            b'=' if next == Some(b'~') => two(Tok::CiEq, self),
            b'=' => self.single(Tok::Assign),
            b'!' if next == Some(b'=') => two(Tok::Neq, self),
            b'<' if next == Some(b'=') => two(Tok::Lte, self),
            b'<' => self.single(Tok::Lt),
            b'>' if next == Some(b'=') => two(Tok::Gte, self),
            b'>' => self.single(Tok::Gt),
            b'+' => self.single(Tok::Plus),
            b'-' => self.single(Tok::Minus),
            b'*' => self.single(Tok::Star),
            b'/' => self.single(Tok::Slash),
            b'%' => self.single(Tok::Percent),
            b'(' => self.single(Tok::LParen),
            b')' => self.single(Tok::RParen),
            b'{' => self.single(Tok::LBrace),
            b'}' => self.single(Tok::RBrace),
            b'?' => {
                self.pos += 1;
                if b.get(self.pos) == Some(&b'?') {
                    self.pos += 1;
                }
                while self.pos < b.len() && is_ident_body(b[self.pos]) {
                    self.pos += 1;
                }
                Tok::Param(&self.src[start..self.pos])
            }
            b'0'..=b'9' => self.number(),
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number(),
            b'`' => self.name()?,
            c if is_ident_start(c) => self.name()?,
            _ => return Err(self.unexpected_char()),
        })
    }

    /// `DIGIT+`, `DIGIT+ . DIGIT*`, `. DIGIT+`, each with an optional exponent.
    fn number(&mut self) -> Tok<'a> {
        let b = self.bytes();
        let start = self.pos;
        let digits = |p: &mut usize| {
            while *p < b.len() && b[*p].is_ascii_digit() {
                *p += 1;
            }
        };
        let mut p = start;
        digits(&mut p);
        let mut decimal = false;
        // `1.` followed by a name start is a number then a name (`1.x` never occurs
        // in valid ES|QL), so a dot is only taken before a digit, `e` or a non-name.
        if b.get(p) == Some(&b'.')
            && !b
                .get(p + 1)
                .is_some_and(|&n| is_ident_start(n) && n != b'e' && n != b'E')
        {
            decimal = true;
            p += 1;
            digits(&mut p);
        }
        if matches!(b.get(p), Some(b'e' | b'E')) {
            let mut q = p + 1;
            if matches!(b.get(q), Some(b'+' | b'-')) {
                q += 1;
            }
            if b.get(q).is_some_and(u8::is_ascii_digit) {
                digits(&mut q);
                p = q;
                decimal = true;
            }
        }
        self.pos = p;
        let text = &self.src[start..p];
        if decimal {
            Tok::Decimal(text)
        } else {
            Tok::Int(text)
        }
    }

    /// A qualified name: parts separated by `.`, each unquoted
    /// (`[A-Za-z][A-Za-z0-9_]*` or `[_@][A-Za-z0-9_]+`) or backquoted (`` `…` ``,
    /// with ``` `` ``` for a backquote).
    fn name(&mut self) -> Result<Tok<'a>, QueryError> {
        let b = self.bytes();
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut quoted = false;
        loop {
            let part_start = self.pos;
            if b.get(self.pos) == Some(&b'`') {
                quoted = true;
                let part = self.backquoted()?;
                let buf = owned.get_or_insert_with(|| self.src[start..part_start].to_owned());
                buf.push_str(&part);
            } else {
                let first = b[self.pos];
                self.pos += 1;
                while self.pos < b.len() && is_ident_body(b[self.pos]) {
                    self.pos += 1;
                }
                if (first == b'_' || first == b'@') && self.pos == part_start + 1 {
                    return Err(Self::err(
                        QueryErrorKind::InvalidLiteral {
                            what: "identifier",
                            text: (first as char).to_string(),
                        },
                        part_start,
                        self.pos,
                    ));
                }
                if let Some(buf) = owned.as_mut() {
                    buf.push_str(&self.src[part_start..self.pos]);
                }
            }
            // Another part follows a dot directly.
            match (b.get(self.pos), b.get(self.pos + 1)) {
                (Some(b'.'), Some(&n)) if is_ident_start(n) || n == b'`' => {
                    if let Some(buf) = owned.as_mut() {
                        buf.push('.');
                    }
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let text = match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&self.src[start..self.pos]),
        };
        Ok(Tok::Name { text, quoted })
    }

    /// A backquoted identifier; the lexer is on the opening backquote.
    fn backquoted(&mut self) -> Result<String, QueryError> {
        let b = self.bytes();
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            match b.get(self.pos) {
                None => {
                    return Err(Self::err(
                        QueryErrorKind::Unterminated {
                            what: "quoted identifier",
                        },
                        start,
                        self.src.len(),
                    ));
                }
                Some(b'`') if b.get(self.pos + 1) == Some(&b'`') => {
                    out.push_str(&self.src[run..=self.pos]);
                    self.pos += 2;
                    run = self.pos;
                }
                Some(b'`') => {
                    out.push_str(&self.src[run..self.pos]);
                    self.pos += 1;
                    break;
                }
                Some(_) => self.pos += 1,
            }
        }
        if out.is_empty() {
            return Err(Self::err(
                QueryErrorKind::InvalidLiteral {
                    what: "identifier",
                    text: "``".into(),
                },
                start,
                self.pos,
            ));
        }
        Ok(out)
    }

    /// `"…"` with `\t \n \r \" \\` escapes, or `"""…"""` with none.
    fn string(&mut self) -> Result<Tok<'a>, QueryError> {
        let b = self.bytes();
        let start = self.pos;
        if b[start..].starts_with(b"\"\"\"") {
            let body = start + 3;
            let Some(close) = self.src[body..].find("\"\"\"") else {
                return Err(Self::err(
                    QueryErrorKind::Unterminated { what: "string" },
                    start,
                    self.src.len(),
                ));
            };
            // Up to two more quotes belong to the string: `"""a""""` is `a"`.
            let mut end = body + close + 3;
            let mut extra = 0;
            while extra < 2 && b.get(end) == Some(&b'"') {
                end += 1;
                extra += 1;
            }
            self.pos = end;
            return Ok(Tok::Str(Cow::Borrowed(&self.src[body..end - 3])));
        }
        self.pos += 1;
        let mut owned: Option<String> = None;
        let mut run = self.pos;
        loop {
            match b.get(self.pos) {
                None | Some(b'\n' | b'\r') => {
                    return Err(Self::err(
                        QueryErrorKind::Unterminated { what: "string" },
                        start,
                        self.pos,
                    ));
                }
                Some(b'"') => {
                    let text = match owned {
                        Some(mut s) => {
                            s.push_str(&self.src[run..self.pos]);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(&self.src[run..self.pos]),
                    };
                    self.pos += 1;
                    return Ok(Tok::Str(text));
                }
                Some(b'\\') => {
                    let ch = match b.get(self.pos + 1) {
                        Some(b't') => '\t',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        _ => {
                            let bad = self.src[self.pos + 1..]
                                .chars()
                                .next()
                                .map_or(0, char::len_utf8);
                            return Err(Self::err(
                                QueryErrorKind::InvalidLiteral {
                                    what: "escape sequence",
                                    text: self.src[self.pos..self.pos + 1 + bad].to_owned(),
                                },
                                self.pos,
                                self.pos + 1 + bad,
                            ));
                        }
                    };
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.src[run..self.pos]);
                    s.push(ch);
                    self.pos += 2;
                    run = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// An unquoted index pattern: any run of characters but `: " = | , [ ] /`
    /// and white space, where a `/` is allowed unless it starts a comment.
    fn source(&mut self) -> Result<Tok<'a>, QueryError> {
        let start = self.pos;
        let rest = &self.src[start..];
        let mut end = 0;
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '/' {
                match chars.peek() {
                    Some((_, n)) if *n != '*' && *n != '/' && is_source_char(*n) => {
                        end = i + 1;
                        continue;
                    }
                    _ => break,
                }
            }
            if !is_source_char(c) {
                break;
            }
            end = i + c.len_utf8();
        }
        if end == 0 {
            return Err(self.unexpected_char());
        }
        self.pos = start + end;
        Ok(Tok::Source(&self.src[start..self.pos]))
    }

    /// A column pattern: runs of `[A-Za-z0-9_@*.]` and backquoted parts, as written.
    fn pattern(&mut self) -> Result<Tok<'a>, QueryError> {
        let b = self.bytes();
        let start = self.pos;
        loop {
            match b.get(self.pos) {
                Some(b'`') => {
                    self.backquoted()?;
                }
                Some(&c) if is_ident_body(c) || matches!(c, b'@' | b'*' | b'.') => self.pos += 1,
                _ => break,
            }
        }
        if self.pos == start {
            return Err(self.unexpected_char());
        }
        Ok(Tok::Pattern(&self.src[start..self.pos]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str, mode: Mode) -> Result<Vec<Tok<'_>>, String> {
        let mut l = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            match l.next(mode) {
                Ok(Token { tok: Tok::Eof, .. }) => return Ok(out),
                Ok(t) => out.push(t.tok),
                Err(e) => return Err(e.kind.code().to_owned()),
            }
        }
    }

    fn name(s: &str) -> Tok<'_> {
        Tok::Name {
            text: Cow::Borrowed(s),
            quoted: false,
        }
    }

    macro_rules! cases {
        ($($case:ident: $mode:ident $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(lex($input, Mode::$mode), $want);
            }
        )*};
    }

    cases! {
        qualified_name_is_one_token: Expr "process.parent.name" => Ok(vec![name("process.parent.name")]);
        at_and_underscore_names: Expr "@timestamp _id" => Ok(vec![name("@timestamp"), name("_id")]);
        backquoted_part: Expr "a.`b c`.d" => Ok(vec![Tok::Name { text: Cow::Owned("a.b c.d".into()), quoted: true }]);
        doubled_backquote: Expr "`a``b`" => Ok(vec![Tok::Name { text: Cow::Owned("a`b".into()), quoted: true }]);
        operators: Expr "== != <= >= < > = =~ :: :" => Ok(vec![Tok::Eq, Tok::Neq, Tok::Lte, Tok::Gte, Tok::Lt, Tok::Gt, Tok::Assign, Tok::CiEq, Tok::Cast, Tok::Colon]);
        numbers: Expr "1 1.5 .5 1e3 2E-2 3." => Ok(vec![Tok::Int("1"), Tok::Decimal("1.5"), Tok::Decimal(".5"), Tok::Decimal("1e3"), Tok::Decimal("2E-2"), Tok::Decimal("3.")]);
        escapes: Expr r#""a\"b\\c\td""# => Ok(vec![Tok::Str(Cow::Owned("a\"b\\c\td".into()))]);
        triple_quoted_keeps_backslashes: Expr r#""""a\d"b""""# => Ok(vec![Tok::Str(Cow::Borrowed("a\\d\"b"))]);
        triple_quoted_trailing_quotes: Expr "\"\"\"a\"\"\"\"\"" => Ok(vec![Tok::Str(Cow::Borrowed("a\"\""))]);
        comments_skipped: Expr "a // x\n /* y /* nested */ z */ b" => Ok(vec![name("a"), name("b")]);
        params: Expr "? ?x ?1" => Ok(vec![Tok::Param("?"), Tok::Param("?x"), Tok::Param("?1")]);
        bad_escape: Expr r#""a\d""# => Err("query-invalid-literal".into());
        unterminated_string: Expr "\"abc" => Err("query-unterminated".into());
        newline_in_string: Expr "\"a\nb\"" => Err("query-unterminated".into());
        unterminated_triple: Expr "\"\"\"abc\"\"" => Err("query-unterminated".into());
        unterminated_comment: Expr "a /* b" => Err("query-unterminated".into());
        unterminated_backquote: Expr "`abc" => Err("query-unterminated".into());
        empty_backquote: Expr "``" => Err("query-invalid-literal".into());
        lone_underscore: Expr "_" => Err("query-invalid-literal".into());
        stray_char: Expr "a # b" => Err("query-syntax".into());
        index_patterns: Source "logs-endpoint.events.*, remote:logs-*" => Ok(vec![Tok::Source("logs-endpoint.events.*"), Tok::Comma, Tok::Source("remote"), Tok::Colon, Tok::Source("logs-*")]);
        date_math_slash: Source "<logs-{now/d}>" => Ok(vec![Tok::Source("<logs-{now/d}>")]);
        comment_after_source: Source "logs-*// c\n" => Ok(vec![Tok::Source("logs-*")]);
        selector: Source "logs::failures" => Ok(vec![Tok::Source("logs"), Tok::Cast, Tok::Source("failures")]);
        column_patterns: Pattern "Esql.*, `a b`.c" => Ok(vec![Tok::Pattern("Esql.*"), Tok::Comma, Tok::Pattern("`a b`.c")]);
    }

    #[test]
    fn spans_cover_tokens() {
        let mut l = Lexer::new("  a.b == \"x\"");
        assert_eq!(l.next(Mode::Expr).unwrap().span, Span::new(2, 5));
        assert_eq!(l.next(Mode::Expr).unwrap().span, Span::new(6, 8));
        assert_eq!(l.next(Mode::Expr).unwrap().span, Span::new(9, 12));
        assert_eq!(l.next(Mode::Expr).unwrap().span, Span::point(12));
    }
}
