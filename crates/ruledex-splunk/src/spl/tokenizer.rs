//! Reading SPL text a piece at a time.
//!
//! SPL has no single token set: `Processes.process=*\\Windows\\*` is one
//! comparison in a search, while `a-b` is a subtraction in an eval
//! expression. So the tokenizer is a cursor with one reader per mode — search
//! words, eval tokens, argument words — and the parser picks the mode. The
//! first pass, [`split_commands`], cuts a pipeline at its top-level `|`s
//! (outside quotes, macros and `[subsearches]`).

use ruledex_diag::Span;

use super::ast::MacroCall;
use crate::error::{QueryError, QueryErrorKind};

/// A cursor over `src[..end]`, positions are byte offsets into `src`.
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
    pub(crate) end: usize,
}

/// Characters that end an unquoted search word.
fn ends_search_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '=' | '<' | '>' | '[' | ']' | '|' | '`' | '"')
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a str, start: usize, end: usize) -> Cursor<'a> {
        Cursor {
            src,
            pos: start,
            end,
        }
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.src[self.pos..self.end]
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(crate) fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skip white space and ```` ```comments``` ````.
    pub(crate) fn skip_ws(&mut self) {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.bump();
            }
            if !self.skip_comment() {
                return;
            }
        }
    }

    /// Skip one ```` ```comment``` ```` at the cursor; returns whether there was one.
    pub(crate) fn skip_comment(&mut self) -> bool {
        if !self.rest().starts_with("```") {
            return false;
        }
        match self.rest()[3..].find("```") {
            Some(i) => self.pos += 3 + i + 3,
            None => self.pos = self.end,
        }
        true
    }

    pub(crate) fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Whether the rest starts with the keyword `kw` (case as given unless
    /// `fold`), followed by a word boundary.
    pub(crate) fn at_keyword(&self, kw: &str, fold: bool) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..kw.len()) else {
            return false;
        };
        let same = if fold {
            head.eq_ignore_ascii_case(kw)
        } else {
            head == kw
        };
        same && rest[kw.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
    }

    pub(crate) fn error(&self, expected: &'static str) -> QueryError {
        let found = match self.peek() {
            None => "end of command".to_owned(),
            Some(c) => {
                let w: String = self
                    .rest()
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(20)
                    .collect();
                if w.is_empty() {
                    format!("`{c}`")
                } else {
                    format!("`{w}`")
                }
            }
        };
        let end = self.peek().map_or(self.pos, |c| self.pos + c.len_utf8());
        QueryError::new(
            QueryErrorKind::Unexpected { expected, found },
            Span::new(self.pos, end),
        )
    }

    fn unterminated(&self, what: &'static str, start: usize) -> QueryError {
        QueryError::new(
            QueryErrorKind::Unterminated { what },
            Span::new(start, self.end),
        )
    }

    /// A double-quoted string starting at the cursor; returns its end.
    /// Inside, `\` escapes the next character.
    pub(crate) fn quoted(&mut self) -> Result<(), QueryError> {
        let start = self.pos;
        self.bump();
        loop {
            match self.bump() {
                None => return Err(self.unterminated("string", start)),
                Some('\\') => {
                    self.bump();
                }
                Some('"') => return Ok(()),
                Some(_) => {}
            }
        }
    }

    /// A search word: quoted and unquoted pieces glued together. Stops at
    /// white space and `( ) = < > [ ] | \``, and at `!=`; with `comma`, also at `,`.
    /// Returns `None` when no word starts here.
    pub(crate) fn search_word(&mut self, comma: bool) -> Result<Option<Span>, QueryError> {
        let start = self.pos;
        if self.peek() == Some('"') {
            // A word that starts quoted ends at its closing quote.
            self.quoted()?;
            return Ok(Some(Span::new(start, self.pos)));
        }
        loop {
            match self.peek() {
                None => break,
                Some('"') => self.quoted()?,
                Some('\\') => {
                    self.bump();
                    if self.peek().is_some() {
                        self.bump();
                    }
                }
                // `GetCurrent()` inside a word: parentheses that open after
                // the word started belong to it, up to the matching one.
                Some('(') if self.pos > start => self.balanced()?,
                Some('!') if self.peek2() == Some('=') => break,
                Some(',') if comma => break,
                Some(c) if ends_search_word(c) => break,
                Some(_) => {
                    self.bump();
                }
            }
        }
        Ok((self.pos > start).then(|| Span::new(start, self.pos)))
    }

    /// Balanced parentheses at the cursor (quotes respected).
    pub(crate) fn balanced(&mut self) -> Result<(), QueryError> {
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(self.unterminated("parenthesis", start)),
                Some('"') => self.quoted()?,
                Some('\\') => {
                    self.bump();
                    self.bump();
                }
                Some('(') => {
                    depth += 1;
                    self.bump();
                }
                Some(')') => {
                    self.bump();
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
    }

    /// A word of a command read as options and words: like a search word,
    /// but parentheses belong to it and `,` ends it.
    pub(crate) fn arg_word(&mut self) -> Result<Option<Span>, QueryError> {
        let start = self.pos;
        if self.peek() == Some('(') {
            // `startswith=(EventCode=4698)`.
            self.balanced()?;
            return Ok(Some(Span::new(start, self.pos)));
        }
        loop {
            match self.peek() {
                None => break,
                Some('"') => self.quoted()?,
                Some('\\') => {
                    self.bump();
                    if self.peek().is_some() {
                        self.bump();
                    }
                }
                Some('!') if self.peek2() == Some('=') => break,
                Some(c) if c.is_whitespace() || matches!(c, ',' | '=' | '[' | ']' | '|' | '`') => {
                    break;
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
        Ok((self.pos > start).then(|| Span::new(start, self.pos)))
    }

    /// An eval identifier: letters, digits, `_`, `{}`, `@`, `$`, `:` and
    /// dots between them (`Processes.process_name`, `a{}.b`).
    pub(crate) fn ident(&mut self) -> Option<Span> {
        let start = self.pos;
        loop {
            match self.peek() {
                Some(c)
                    if c.is_alphanumeric() || matches!(c, '_' | '{' | '}' | '@' | '$' | ':') =>
                {
                    self.bump();
                }
                Some('.')
                    if self.pos > start
                        && self
                            .peek2()
                            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '{')) =>
                {
                    self.bump();
                }
                Some('*') if self.pos > start => {
                    // A wildcard field name in `rename`, `table`: `Processes.*`.
                    self.bump();
                }
                _ => break,
            }
        }
        (self.pos > start).then(|| Span::new(start, self.pos))
    }

    /// A `'single-quoted'` field name.
    pub(crate) fn single_quoted(&mut self) -> Result<Span, QueryError> {
        let start = self.pos;
        self.bump();
        loop {
            match self.bump() {
                None => return Err(self.unterminated("quoted field name", start)),
                Some('\\') => {
                    self.bump();
                }
                Some('\'') => return Ok(Span::new(start, self.pos)),
                Some(_) => {}
            }
        }
    }

    /// A number: digits with an optional fraction and exponent.
    pub(crate) fn number(&mut self) -> Option<Span> {
        let start = self.pos;
        if self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.pos == start {
            return None;
        }
        if self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        Some(Span::new(start, self.pos))
    }

    /// A macro call at the cursor (which is on a backtick).
    pub(crate) fn macro_call(&mut self) -> Result<MacroCall, QueryError> {
        let start = self.pos;
        self.bump();
        let body_start = self.pos;
        loop {
            match self.bump() {
                None => return Err(self.unterminated("macro", start)),
                Some('`') => break,
                Some(_) => {}
            }
        }
        let raw = self.src[body_start..self.pos - 1].to_owned();
        let body = raw.trim();
        let span = Span::new(start, self.pos);
        if let Some(open) = body.find('(')
            && body.ends_with(')')
        {
            let name = body[..open].trim().to_owned();
            let inner = &body[open + 1..body.len() - 1];
            let args = split_macro_args(inner);
            return Ok(MacroCall {
                name,
                args: Some(args),
                raw,
                span,
            });
        }
        Ok(MacroCall {
            name: body.to_owned(),
            args: None,
            raw,
            span,
        })
    }
}

/// Macro arguments split at top-level commas (outside quotes and parentheses).
fn split_macro_args(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                continue;
            }
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                out.push(cur.trim().to_owned());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// Cut `src[start..end]` at its top-level `|`s. Returns the ranges between
/// them (untrimmed).
pub(crate) fn split_commands(
    src: &str,
    start: usize,
    end: usize,
) -> Result<Vec<(usize, usize)>, QueryError> {
    let mut out = Vec::new();
    let mut cur = Cursor::new(src, start, end);
    let mut from = start;
    let mut depth = 0usize;
    let mut open_at = Vec::new();
    while let Some(c) = cur.peek() {
        match c {
            '"' => cur.quoted()?,
            '`' if cur.skip_comment() => {}
            '`' => {
                let at = cur.pos;
                cur.bump();
                loop {
                    match cur.bump() {
                        None => {
                            return Err(QueryError::new(
                                QueryErrorKind::Unterminated { what: "macro" },
                                Span::new(at, end),
                            ));
                        }
                        Some('`') => break,
                        Some(_) => {}
                    }
                }
            }
            '\\' => {
                cur.bump();
                cur.bump();
            }
            '[' => {
                open_at.push(cur.pos);
                depth += 1;
                cur.bump();
            }
            ']' => {
                if depth == 0 {
                    return Err(cur.error("a command"));
                }
                open_at.pop();
                depth -= 1;
                cur.bump();
            }
            '|' if depth == 0 => {
                out.push((from, cur.pos));
                cur.bump();
                from = cur.pos;
            }
            _ => {
                cur.bump();
            }
        }
    }
    if let Some(at) = open_at.first() {
        return Err(QueryError::new(
            QueryErrorKind::Unterminated { what: "subsearch" },
            Span::new(*at, end),
        ));
    }
    out.push((from, end));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_ignores_pipes_in_quotes_macros_and_subsearches() {
        let s = r#"a="x|y" `m(a|b)` [search b | head 1] | stats count"#;
        let parts = split_commands(s, 0, s.len()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&s[parts[1].0..parts[1].1], " stats count");
    }

    #[test]
    fn unterminated_string_is_an_error() {
        let s = r#"a="x | b"#;
        let e = split_commands(s, 0, s.len()).unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Unterminated { what: "string" });
    }

    #[test]
    fn macro_arguments_split_at_top_level_commas() {
        assert_eq!(
            split_macro_args(r#"a, "b,c", f(x,y)"#),
            ["a", r#""b,c""#, "f(x,y)"]
        );
    }
}
