//! Tokens of the classic query parser, after its JavaCC grammar
//! (`QueryParser.jj`): longest match, operators only as whole tokens.
//!
//! - A term is a run of term characters: anything but whitespace and
//!   `+ - ! ( ) : ^ [ ] " { } ~ * ? \ /`, with `\x` escaping any character;
//!   `-` and `+` may follow the first character; `*` and `?` make it a
//!   wildcard term. `AND`, `OR`, `NOT`, `&&`, `||` spelled as a whole run
//!   are operators (`ANDROID`, `and` and `a&&b` are terms).
//! - `+`, `-`, `!` followed by whitespace are a one-character term (the
//!   grammar's `BAREOPER`); otherwise they are modifiers.
//! - `[`/`{` open range mode, where only `TO`, quoted strings and runs of
//!   anything but whitespace, `]` and `}` are read, up to `]` or `}`.
//! - `^` must be followed at once by a number; `~` takes the term
//!   characters that follow it.

use ruledex_diag::Span;

use super::ast::is_space;
use crate::error::{QueryError, QueryErrorKind};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    And,
    Or,
    Not,
    Plus,
    Minus,
    LParen,
    RParen,
    Colon,
    /// A term run; `wild` when it has an unescaped `*` or `?`.
    Term {
        wild: bool,
    },
    /// `+`, `-` or `!` followed by whitespace: a one-character term.
    BareOp,
    /// `"…"`, quotes included.
    Quoted,
    /// `/…/`, slashes included.
    Regex,
    /// `~` and what follows it.
    Slop,
    /// `^N`.
    Boost,
    RangeStart {
        inclusive: bool,
    },
    RangeEnd {
        inclusive: bool,
    },
    RangeTo,
    /// A range end point; `quoted` when written `"…"` (quotes included).
    RangeValue {
        quoted: bool,
    },
    Eof,
}

/// A token and where it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    pub(crate) fn span(&self) -> Span {
        Span::new(self.start, self.end)
    }

    pub(crate) fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }
}

/// Characters that may start a term (besides an escape).
fn term_start(c: char) -> bool {
    !is_space(c)
        && !matches!(
            c,
            '+' | '-'
                | '!'
                | '('
                | ')'
                | ':'
                | '^'
                | '['
                | ']'
                | '"'
                | '{'
                | '}'
                | '~'
                | '*'
                | '?'
                | '\\'
                | '/'
        )
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Token>,
}

/// Split a query into tokens, ending with [`Tok::Eof`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, QueryError> {
    let mut lx = Lexer {
        src,
        pos: 0,
        out: Vec::with_capacity(src.len() / 4 + 1),
    };
    lx.run()?;
    Ok(lx.out)
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.src.get(self.pos + offset..)?.chars().next()
    }

    fn push(&mut self, kind: Tok, start: usize) {
        self.out.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn run(&mut self) -> Result<(), QueryError> {
        loop {
            self.skip_space();
            let start = self.pos;
            let Some(c) = self.peek() else {
                self.push(Tok::Eof, start);
                return Ok(());
            };
            match c {
                '(' | ')' | ':' => {
                    self.pos += 1;
                    let kind = match c {
                        '(' => Tok::LParen,
                        ')' => Tok::RParen,
                        _ => Tok::Colon,
                    };
                    self.push(kind, start);
                }
                '+' | '-' | '!' => {
                    self.pos += 1;
                    let kind = if self.peek().is_some_and(is_space) {
                        Tok::BareOp
                    } else {
                        match c {
                            '+' => Tok::Plus,
                            '-' => Tok::Minus,
                            _ => Tok::Not,
                        }
                    };
                    self.push(kind, start);
                }
                '"' => {
                    self.delimited('"', "string")?;
                    self.push(Tok::Quoted, start);
                }
                '/' => {
                    self.delimited('/', "regex")?;
                    self.push(Tok::Regex, start);
                }
                '~' => {
                    self.pos += 1;
                    if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.number();
                    }
                    self.term_chars(false)?;
                    self.push(Tok::Slop, start);
                }
                '^' => {
                    self.pos += 1;
                    if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        return Err(self.unexpected("a number after `^`"));
                    }
                    self.number();
                    self.push(Tok::Boost, start);
                }
                '[' | '{' => {
                    self.pos += 1;
                    self.push(
                        Tok::RangeStart {
                            inclusive: c == '[',
                        },
                        start,
                    );
                    self.range(start)?;
                }
                ']' | '}' => {
                    return Err(self.unexpected("a term"));
                }
                _ => {
                    // Term start characters, `\`, `*` and `?`.
                    let wild = self.term_chars(true)?;
                    let kind = match &self.src[start..self.pos] {
                        "AND" | "&&" => Tok::And,
                        "OR" | "||" => Tok::Or,
                        "NOT" => Tok::Not,
                        _ => Tok::Term { wild },
                    };
                    self.push(kind, start);
                }
            }
        }
    }

    /// An error about the character at the current position.
    fn unexpected(&self, expected: &'static str) -> QueryError {
        let found = self
            .peek()
            .map_or_else(|| "end of query".to_owned(), |c| format!("`{c}`"));
        let len = self.peek().map_or(0, char::len_utf8);
        QueryError::new(
            QueryErrorKind::Unexpected { expected, found },
            Span::new(self.pos, self.pos + len),
        )
    }

    /// Digits, then `.` and digits if there are some.
    fn number(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
    }

    /// Term characters (with wildcards when `wild_ok`); returns whether an
    /// unescaped wildcard was read.
    fn term_chars(&mut self, wild_ok: bool) -> Result<bool, QueryError> {
        let mut wild = false;
        while let Some(c) = self.peek() {
            match c {
                '\\' => {
                    let Some(n) = self.peek_at(1) else {
                        return Err(QueryError::new(
                            QueryErrorKind::InvalidLiteral {
                                what: "escape",
                                text: "\\".into(),
                            },
                            Span::new(self.pos, self.pos + 1),
                        ));
                    };
                    self.pos += 1 + n.len_utf8();
                }
                '*' | '?' if wild_ok => {
                    wild = true;
                    self.pos += 1;
                }
                '-' | '+' => self.pos += 1,
                c if term_start(c) => self.pos += c.len_utf8(),
                _ => break,
            }
        }
        Ok(wild)
    }

    /// A `"…"` or `/…/` token: a backslash escapes the next character.
    fn delimited(&mut self, close: char, what: &'static str) -> Result<(), QueryError> {
        let start = self.pos;
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            if c == '\\' {
                if let Some(n) = self.peek() {
                    self.pos += n.len_utf8();
                }
            } else if c == close {
                return Ok(());
            }
        }
        Err(QueryError::new(
            QueryErrorKind::Unterminated { what },
            Span::new(start, self.src.len()),
        ))
    }

    /// Range mode, after `[` or `{`, through `]` or `}`.
    fn range(&mut self, open: usize) -> Result<(), QueryError> {
        loop {
            self.skip_space();
            let start = self.pos;
            match self.peek() {
                None => {
                    return Err(QueryError::new(
                        QueryErrorKind::Unterminated { what: "range" },
                        Span::new(open, self.src.len()),
                    ));
                }
                Some(c @ (']' | '}')) => {
                    self.pos += 1;
                    self.push(
                        Tok::RangeEnd {
                            inclusive: c == ']',
                        },
                        start,
                    );
                    return Ok(());
                }
                Some('"') => {
                    self.delimited('"', "string")?;
                    self.push(Tok::RangeValue { quoted: true }, start);
                }
                Some(_) => {
                    while let Some(c) = self.peek() {
                        if is_space(c) || matches!(c, ']' | '}') {
                            break;
                        }
                        self.pos += c.len_utf8();
                    }
                    let kind = if &self.src[start..self.pos] == "TO" {
                        Tok::RangeTo
                    } else {
                        Tok::RangeValue { quoted: false }
                    };
                    self.push(kind, start);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    const T: Tok = Tok::Term { wild: false };
    const W: Tok = Tok::Term { wild: true };

    macro_rules! token_cases {
        ($($name:ident: $src:expr => [$($tok:expr),*];)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(kinds($src), vec![$($tok,)* Tok::Eof]);
            }
        )*};
    }

    token_cases! {
        field_and_term: "a.b:c" => [T, Tok::Colon, T];
        operators_are_whole_runs: "a AND b && c OR d || e NOT f" =>
            [T, Tok::And, T, Tok::And, T, Tok::Or, T, Tok::Or, T, Tok::Not, T];
        operator_prefix_is_a_term: "ANDROID and a&&b" => [T, T, T];
        dash_inside_term: "g+s a-b" => [T, T];
        modifiers: "+a -b !c" => [Tok::Plus, T, Tok::Minus, T, Tok::Not, T];
        bare_operators_are_terms: "a + b - c ! d" => [T, Tok::BareOp, T, Tok::BareOp, T, Tok::BareOp, T];
        wildcards: "* a* *a ?b a\\*" => [W, W, W, W, T];
        escaped_space_stays_in_term: "a\\ b" => [T];
        phrase_and_slop: "\"a \\\" b\"~2" => [Tok::Quoted, Tok::Slop];
        fuzzy_auto: "a~AUTO" => [T, Tok::Slop];
        boost: "a^2.5" => [T, Tok::Boost];
        regex_with_escaped_slash: "/a\\/b/" => [Tok::Regex];
        slash_ends_a_term: "a/b/" => [T, Tok::Regex];
        range_tokens: "[1 TO *}" => [
            Tok::RangeStart { inclusive: true },
            Tok::RangeValue { quoted: false },
            Tok::RangeTo,
            Tok::RangeValue { quoted: false },
            Tok::RangeEnd { inclusive: false }
        ];
        range_quoted: "{\"a b\" TO c]" => [
            Tok::RangeStart { inclusive: false },
            Tok::RangeValue { quoted: true },
            Tok::RangeTo,
            Tok::RangeValue { quoted: false },
            Tok::RangeEnd { inclusive: true }
        ];
        ideographic_space: "a\u{3000}b" => [T, T];
    }

    #[test]
    fn errors_point_at_the_offending_text() {
        let e = tokenize("a \"bc").unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Unterminated { what: "string" });
        assert_eq!(e.span, Span::new(2, 5));
        let e = tokenize("a^x").unwrap_err();
        assert_eq!(e.span, Span::new(2, 3));
        let e = tokenize("a ]").unwrap_err();
        assert_eq!(e.span, Span::new(2, 3));
        let e = tokenize("[a TO b").unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Unterminated { what: "range" });
        let e = tokenize("ab\\").unwrap_err();
        assert_eq!(e.span, Span::new(2, 3));
    }
}
