//! The SPL parser: a pipeline of commands, each read in the mode its
//! command needs (see [`super::tokenizer`]).

use ruledex_diag::Span;

use super::ast::{
    Agg, Arg, Assign, BinOp, CmpOp, Command, CommandKind, Compare, EvalExpr, Opt, Pipeline,
    SearchExpr, Stats, Tstats, TstatsItem, Word,
};
use super::tokenizer::{Cursor, split_commands};
use crate::error::{QueryError, QueryErrorKind};

/// How deep parentheses, subsearches and `NOT`s may nest.
pub const MAX_DEPTH: usize = 64;

/// Commands read as options and words ([`CommandKind::Args`]).
const ARG_COMMANDS: &[&str] = &[
    "table",
    "fields",
    "lookup",
    "inputlookup",
    "outputlookup",
    "rex",
    "regex",
    "spath",
    "bin",
    "bucket",
    "join",
    "append",
    "dedup",
    "sort",
    "head",
    "tail",
    "transaction",
    "fillnull",
    "mvexpand",
    "makemv",
    "iplocation",
    "xmlkv",
    "convert",
    "top",
    "rare",
    "return",
    "format",
];

/// Commands read structurally.
const STRUCTURAL: &[&str] = &[
    "search",
    "where",
    "eval",
    "rename",
    "stats",
    "eventstats",
    "streamstats",
    "tstats",
];

/// Parse a search: a pipeline of commands.
pub fn parse(text: &str) -> Result<Pipeline, QueryError> {
    Parser {
        src: text,
        depth: 0,
    }
    .pipeline(0, text.len())
}

/// Parse text that stands where a command would (a macro called as a
/// command: `` | `m` ``): when it starts with a command name the parser
/// knows (`lookup …`, `eval …`), that is its first command; otherwise it is
/// a search (`(a=1 OR b=2)`). The result has `leading_pipe` set in the first case.
pub fn parse_command_position(text: &str) -> Result<Pipeline, QueryError> {
    let first: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let rest = text.trim_start()[first.len()..].chars().next();
    let is_command = (STRUCTURAL.contains(&first.as_str())
        || ARG_COMMANDS.contains(&first.as_str()))
        && rest.is_none_or(char::is_whitespace);
    if is_command && first != "search" {
        let mut p = Parser {
            src: text,
            depth: 0,
        };
        let mut out = p.pipeline(0, text.len())?;
        // Re-read the first part as a command rather than an implicit search.
        let parts = split_commands(text, 0, text.len())?;
        if let Some((s, e)) = parts.first().copied() {
            let c = p.command(s, e, false, true)?;
            out.commands[0] = c;
        }
        out.leading_pipe = true;
        return Ok(out);
    }
    parse(text)
}

struct Parser<'a> {
    src: &'a str,
    depth: usize,
}

fn word(src: &str, span: Span) -> Word {
    Word {
        raw: span.slice(src).unwrap_or_default().to_owned(),
        span,
    }
}

impl<'a> Parser<'a> {
    fn cursor(&self, start: usize, end: usize) -> Cursor<'a> {
        Cursor::new(self.src, start, end)
    }

    fn enter(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                Span::point(at),
            ));
        }
        Ok(())
    }

    fn pipeline(&mut self, start: usize, end: usize) -> Result<Pipeline, QueryError> {
        self.enter(start)?;
        let parts = split_commands(self.src, start, end)?;
        let mut leading_pipe = false;
        let mut commands = Vec::new();
        for (i, (s, e)) in parts.iter().copied().enumerate() {
            let mut probe = self.cursor(s, e);
            probe.skip_ws();
            if probe.at_end() {
                if i == 0 && parts.len() > 1 {
                    leading_pipe = true;
                    continue;
                }
                if i == 0 {
                    // An empty search.
                    continue;
                }
                return Err(self.cursor(e, e).error("a command"));
            }
            let first = i == 0 || (i == 1 && leading_pipe && commands.is_empty());
            let implicit_search = i == 0;
            commands.push(self.command(s, e, implicit_search, first)?);
        }
        self.depth -= 1;
        Ok(Pipeline {
            leading_pipe,
            commands,
        })
    }

    fn command(
        &mut self,
        start: usize,
        end: usize,
        implicit_search: bool,
        _first: bool,
    ) -> Result<Command, QueryError> {
        let mut c = self.cursor(start, end);
        c.skip_ws();
        let from = c.pos;
        let trimmed_end = start + self.src[start..end].trim_end().len();
        let span = Span::new(from, trimmed_end);
        let mut c = self.cursor(from, trimmed_end);
        if implicit_search {
            if c.at_keyword("search", true) {
                c.pos += "search".len();
                let expr = self.search_expr_all(&mut c)?;
                return Ok(Command {
                    kind: CommandKind::Search {
                        keyword: true,
                        expr,
                    },
                    span,
                });
            }
            let expr = self.search_expr_all(&mut c)?;
            return Ok(Command {
                kind: CommandKind::Search {
                    keyword: false,
                    expr,
                },
                span,
            });
        }
        if c.peek() == Some('`') {
            let m = c.macro_call()?;
            c.skip_ws();
            if c.at_end() {
                return Ok(Command {
                    kind: CommandKind::Macro(m),
                    span,
                });
            }
            // A macro followed by more: read it all as a search expression.
            let mut c = self.cursor(from, trimmed_end);
            let expr = self.search_expr_all(&mut c)?;
            return Ok(Command {
                kind: CommandKind::Search {
                    keyword: false,
                    expr,
                },
                span,
            });
        }
        let name_start = c.pos;
        while c
            .peek()
            .is_some_and(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-')
        {
            c.bump();
        }
        if c.pos == name_start {
            return Err(c.error("a command name"));
        }
        let name = self.src[name_start..c.pos].to_owned();
        let lower = name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "search" => CommandKind::Search {
                keyword: true,
                expr: self.search_expr_all(&mut c)?,
            },
            "where" => {
                let e = self.eval_all(&mut c)?;
                CommandKind::Where(e)
            }
            "eval" => CommandKind::Eval(self.assigns(&mut c)?),
            "rename" => CommandKind::Rename(self.renames(&mut c)?),
            "stats" | "eventstats" | "streamstats" => {
                CommandKind::Stats(self.stats(&mut c, name.clone())?)
            }
            "tstats" => CommandKind::Tstats(self.tstats(&mut c)?),
            _ if ARG_COMMANDS.contains(&lower.as_str()) => CommandKind::Args {
                name: name.clone(),
                args: self.args(&mut c)?,
            },
            _ => CommandKind::Generic {
                name: name.clone(),
                raw: c.rest().trim().to_owned(),
            },
        };
        Ok(Command { kind, span })
    }

    // ---------------------------------------------------------------- search

    /// A whole search expression up to the end of the cursor; `None` when empty.
    fn search_expr_all(&mut self, c: &mut Cursor<'a>) -> Result<Option<SearchExpr>, QueryError> {
        let e = self.search_and(c, &|_| false)?;
        c.skip_ws();
        if !c.at_end() {
            return Err(c.error("a search term"));
        }
        Ok(e)
    }

    /// `and := or (["AND"] or)*`, stopping at `)`, the end, or where `stop` says.
    fn search_and(
        &mut self,
        c: &mut Cursor<'a>,
        stop: &dyn Fn(&Cursor<'a>) -> bool,
    ) -> Result<Option<SearchExpr>, QueryError> {
        let mut items = Vec::new();
        loop {
            c.skip_ws();
            if c.at_end() || c.peek() == Some(')') || stop(c) {
                break;
            }
            if !items.is_empty() && c.at_keyword("AND", false) {
                c.pos += 3;
                c.skip_ws();
            }
            items.push(self.search_or(c)?);
        }
        Ok(match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(SearchExpr::And(items)),
        })
    }

    fn search_or(&mut self, c: &mut Cursor<'a>) -> Result<SearchExpr, QueryError> {
        let mut items = vec![self.search_not(c)?];
        loop {
            let save = c.pos;
            c.skip_ws();
            if c.at_keyword("OR", false) {
                c.pos += 2;
                c.skip_ws();
                items.push(self.search_not(c)?);
            } else {
                c.pos = save;
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one")
        } else {
            SearchExpr::Or(items)
        })
    }

    fn search_not(&mut self, c: &mut Cursor<'a>) -> Result<SearchExpr, QueryError> {
        c.skip_ws();
        if c.at_keyword("NOT", false) {
            self.enter(c.pos)?;
            c.pos += 3;
            c.skip_ws();
            let inner = self.search_not(c)?;
            self.depth -= 1;
            return Ok(SearchExpr::Not(Box::new(inner)));
        }
        self.search_primary(c)
    }

    fn search_primary(&mut self, c: &mut Cursor<'a>) -> Result<SearchExpr, QueryError> {
        c.skip_ws();
        match c.peek() {
            Some('(') => {
                self.enter(c.pos)?;
                c.bump();
                let inner = self.search_and(c, &|_| false)?;
                c.skip_ws();
                if !c.eat(")") {
                    return Err(c.error("`)`"));
                }
                self.depth -= 1;
                let inner = inner.ok_or_else(|| c.error("a search term"))?;
                Ok(SearchExpr::Group(Box::new(inner)))
            }
            Some('[') => {
                let p = self.subsearch(c)?;
                Ok(SearchExpr::Subsearch(Box::new(p)))
            }
            Some('`') => Ok(SearchExpr::Macro(c.macro_call()?)),
            _ => self.search_term(c),
        }
    }

    /// `[ pipeline ]` at the cursor.
    fn subsearch(&mut self, c: &mut Cursor<'a>) -> Result<Pipeline, QueryError> {
        let open = c.pos;
        // Find the matching `]` with the command splitter's rules.
        let mut depth = 0usize;
        let mut probe = c.clone();
        loop {
            match probe.peek() {
                None => {
                    return Err(QueryError::new(
                        QueryErrorKind::Unterminated { what: "subsearch" },
                        Span::new(open, c.end),
                    ));
                }
                Some('"') => probe.quoted()?,
                Some('`') => {
                    probe.macro_call()?;
                }
                Some('\\') => {
                    probe.bump();
                    probe.bump();
                }
                Some('[') => {
                    depth += 1;
                    probe.bump();
                }
                Some(']') => {
                    depth -= 1;
                    probe.bump();
                    if depth == 0 {
                        break;
                    }
                }
                Some(_) => {
                    probe.bump();
                }
            }
        }
        let close = probe.pos - 1;
        let p = self.pipeline(open + 1, close)?;
        c.pos = probe.pos;
        Ok(p)
    }

    fn search_term(&mut self, c: &mut Cursor<'a>) -> Result<SearchExpr, QueryError> {
        let start = c.pos;
        let Some(span) = c.search_word(false)? else {
            return Err(c.error("a search term"));
        };
        let field = word(self.src, span);
        if matches!(field.raw.as_str(), "AND" | "OR" | "NOT") {
            // A keyword where a term should be (`a AND AND b`).
            c.pos = start;
            return Err(c.error("a search term"));
        }
        let save = c.pos;
        c.skip_ws();
        let op = if c.eat("==") {
            Some(CmpOp::EqEq)
        } else if c.eat("!=") {
            Some(CmpOp::Ne)
        } else if c.eat("<=") {
            Some(CmpOp::Le)
        } else if c.eat(">=") {
            Some(CmpOp::Ge)
        } else if c.eat("=") {
            Some(CmpOp::Eq)
        } else if c.eat("<") {
            Some(CmpOp::Lt)
        } else if c.eat(">") {
            Some(CmpOp::Gt)
        } else {
            None
        };
        if let Some(op) = op {
            c.skip_ws();
            let vspan = if c.peek() == Some('`') {
                c.macro_call()?.span
            } else {
                match c.search_word(false)? {
                    Some(v) => v,
                    None => return Err(c.error("a value")),
                }
            };
            return Ok(SearchExpr::Compare(Compare {
                field,
                op,
                value: word(self.src, vspan),
                span: Span::new(start, vspan.end as usize),
            }));
        }
        if c.at_keyword("IN", false) {
            let mut probe = c.clone();
            probe.pos += 2;
            probe.skip_ws();
            if probe.peek() == Some('(') {
                probe.bump();
                let mut values = Vec::new();
                loop {
                    probe.skip_ws();
                    if probe.eat(")") {
                        break;
                    }
                    if probe.eat(",") {
                        continue;
                    }
                    if probe.peek() == Some('`') {
                        let m = probe.macro_call()?;
                        values.push(word(self.src, m.span));
                        continue;
                    }
                    match probe.search_word(true)? {
                        Some(v) => values.push(word(self.src, v)),
                        None => return Err(probe.error("a value or `)`")),
                    }
                }
                c.pos = probe.pos;
                return Ok(SearchExpr::In {
                    field,
                    values,
                    span: Span::new(start, c.pos),
                });
            }
        }
        c.pos = save;
        Ok(SearchExpr::Term(field))
    }

    // ---------------------------------------------------------------- eval

    fn eval_all(&mut self, c: &mut Cursor<'a>) -> Result<EvalExpr, QueryError> {
        let e = self.eval_expr(c, 0)?;
        c.skip_ws();
        if !c.at_end() {
            return Err(c.error("an operator"));
        }
        Ok(e)
    }

    /// The binary operator at the cursor, if any, with its length.
    fn eval_op(c: &Cursor<'a>) -> Option<(BinOp, usize)> {
        let r = c.rest();
        let sym = [
            ("==", BinOp::Cmp(CmpOp::EqEq)),
            ("!=", BinOp::Cmp(CmpOp::Ne)),
            ("<=", BinOp::Cmp(CmpOp::Le)),
            (">=", BinOp::Cmp(CmpOp::Ge)),
            ("=", BinOp::Cmp(CmpOp::Eq)),
            ("<", BinOp::Cmp(CmpOp::Lt)),
            (">", BinOp::Cmp(CmpOp::Gt)),
            ("+", BinOp::Add),
            ("-", BinOp::Sub),
            ("*", BinOp::Mul),
            ("/", BinOp::Div),
            ("%", BinOp::Rem),
            (".", BinOp::Concat),
        ];
        for (s, op) in sym {
            if r.starts_with(s) {
                return Some((op, s.len()));
            }
        }
        for (kw, op) in [
            ("OR", BinOp::Or),
            ("XOR", BinOp::Xor),
            ("AND", BinOp::And),
            ("LIKE", BinOp::Like),
        ] {
            if c.at_keyword(kw, true) {
                return Some((op, kw.len()));
            }
        }
        None
    }

    fn eval_expr(&mut self, c: &mut Cursor<'a>, min: u8) -> Result<EvalExpr, QueryError> {
        self.enter(c.pos)?;
        let mut lhs = self.eval_unary(c)?;
        loop {
            c.skip_ws();
            if c.at_keyword("IN", true) && min <= 4 {
                let mut probe = c.clone();
                probe.pos += 2;
                probe.skip_ws();
                if probe.peek() == Some('(') {
                    probe.bump();
                    let list = self.eval_list(&mut probe)?;
                    *c = probe;
                    lhs = EvalExpr::In {
                        lhs: Box::new(lhs),
                        list,
                    };
                    continue;
                }
            }
            let Some((op, len)) = Self::eval_op(c) else {
                break;
            };
            let p = op.precedence();
            if p < min {
                break;
            }
            c.pos += len;
            let rhs = self.eval_expr(c, p + 1)?;
            lhs = EvalExpr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    /// Arguments up to and including the closing `)`.
    fn eval_list(&mut self, c: &mut Cursor<'a>) -> Result<Vec<EvalExpr>, QueryError> {
        let mut out = Vec::new();
        c.skip_ws();
        if c.eat(")") {
            return Ok(out);
        }
        loop {
            out.push(self.eval_expr(c, 0)?);
            c.skip_ws();
            if c.eat(",") {
                continue;
            }
            if c.eat(")") {
                return Ok(out);
            }
            return Err(c.error("`,` or `)`"));
        }
    }

    fn eval_unary(&mut self, c: &mut Cursor<'a>) -> Result<EvalExpr, QueryError> {
        c.skip_ws();
        if c.at_keyword("NOT", true) {
            c.pos += 3;
            let inner = self.eval_expr(c, 3)?;
            return Ok(EvalExpr::Not(Box::new(inner)));
        }
        if c.peek() == Some('-') {
            let start = c.pos;
            c.bump();
            if let Some(n) = c.number() {
                return Ok(EvalExpr::Num(word(
                    self.src,
                    Span::new(start, n.end as usize),
                )));
            }
            self.enter(start)?;
            let inner = self.eval_unary(c)?;
            self.depth -= 1;
            return Ok(EvalExpr::Neg(Box::new(inner)));
        }
        self.eval_primary(c)
    }

    fn eval_primary(&mut self, c: &mut Cursor<'a>) -> Result<EvalExpr, QueryError> {
        c.skip_ws();
        let start = c.pos;
        match c.peek() {
            Some('(') => {
                c.bump();
                let e = self.eval_expr(c, 0)?;
                c.skip_ws();
                if !c.eat(")") {
                    return Err(c.error("`)`"));
                }
                Ok(EvalExpr::Group(Box::new(e)))
            }
            Some('"') => {
                c.quoted()?;
                Ok(EvalExpr::Str(word(self.src, Span::new(start, c.pos))))
            }
            Some('\'') => {
                let s = c.single_quoted()?;
                Ok(EvalExpr::Field(word(self.src, s)))
            }
            Some('`') => Ok(EvalExpr::Macro(c.macro_call()?)),
            Some('.') if c.peek2().is_some_and(|d| d.is_ascii_digit()) => {
                let n = c.number().expect("digit");
                Ok(EvalExpr::Num(word(self.src, n)))
            }
            Some(ch) if ch.is_ascii_digit() => {
                // A number, or a field name starting with digits.
                let mut probe = c.clone();
                let id = probe.ident();
                let n = c.number().expect("digit");
                if let Some(id) = id
                    && id.end > n.end
                    && !self.src[n.end as usize..].starts_with('.')
                {
                    c.pos = id.end as usize;
                    return Ok(EvalExpr::Field(word(self.src, id)));
                }
                Ok(EvalExpr::Num(word(self.src, n)))
            }
            Some('*') => {
                // `count(*)`-style and `values(*)` arguments.
                c.bump();
                Ok(EvalExpr::Field(word(self.src, Span::new(start, c.pos))))
            }
            _ => {
                let Some(id) = c.ident() else {
                    return Err(c.error("a value"));
                };
                let name = id.slice(self.src).unwrap_or_default();
                let save = c.pos;
                c.skip_ws();
                if c.peek() == Some('(') && !name.contains('.') {
                    c.bump();
                    let args = self.eval_list(c)?;
                    return Ok(EvalExpr::Call {
                        name: name.to_owned(),
                        args,
                        span: Span::new(start, c.pos),
                    });
                }
                c.pos = save;
                let w = word(self.src, id);
                if matches!(
                    name.to_ascii_lowercase().as_str(),
                    "true" | "false" | "null"
                ) {
                    return Ok(EvalExpr::Num(w));
                }
                Ok(EvalExpr::Field(w))
            }
        }
    }

    /// A field name in `eval`, `rename`, `as`: quoted, single-quoted or bare.
    fn name(&mut self, c: &mut Cursor<'a>) -> Result<Word, QueryError> {
        c.skip_ws();
        let start = c.pos;
        match c.peek() {
            Some('"') => {
                c.quoted()?;
                Ok(word(self.src, Span::new(start, c.pos)))
            }
            Some('\'') => Ok(word(self.src, c.single_quoted()?)),
            _ => {
                // Wildcards and odd characters are allowed in names here.
                loop {
                    match c.peek() {
                        Some(ch)
                            if ch.is_whitespace()
                                || matches!(ch, ',' | '=' | '"' | '|' | '`' | '[' | ']') =>
                        {
                            break;
                        }
                        None => break,
                        Some(_) => {
                            c.bump();
                        }
                    }
                }
                if c.pos == start {
                    return Err(c.error("a field name"));
                }
                Ok(word(self.src, Span::new(start, c.pos)))
            }
        }
    }

    fn assigns(&mut self, c: &mut Cursor<'a>) -> Result<Vec<Assign>, QueryError> {
        let mut out = Vec::new();
        loop {
            let field = self.name(c)?;
            c.skip_ws();
            if !c.eat("=") {
                return Err(c.error("`=`"));
            }
            let value = self.eval_expr(c, 0)?;
            out.push(Assign { field, value });
            c.skip_ws();
            if c.eat(",") {
                continue;
            }
            if c.at_end() {
                return Ok(out);
            }
            return Err(c.error("`,` or the end of the command"));
        }
    }

    fn renames(&mut self, c: &mut Cursor<'a>) -> Result<Vec<(Word, Word)>, QueryError> {
        let mut out = Vec::new();
        loop {
            let from = self.name(c)?;
            c.skip_ws();
            if !c.at_keyword("as", true) {
                return Err(c.error("`as`"));
            }
            c.pos += 2;
            let to = self.name(c)?;
            out.push((from, to));
            c.skip_ws();
            c.eat(",");
            c.skip_ws();
            if c.at_end() {
                return Ok(out);
            }
        }
    }

    // ---------------------------------------------------------------- stats

    /// `key=value` at the cursor, when there is one (restores the cursor if not).
    fn option(&mut self, c: &mut Cursor<'a>) -> Result<Option<Opt>, QueryError> {
        let save = c.pos;
        let Some(k) = c.ident() else {
            return Ok(None);
        };
        if !c.eat("=") || c.peek() == Some('=') {
            c.pos = save;
            return Ok(None);
        }
        let key = k.slice(self.src).unwrap_or_default().to_owned();
        c.skip_ws();
        let value = if c.peek() == Some('`') {
            word(self.src, c.macro_call()?.span)
        } else {
            match c.arg_word()? {
                Some(v) => word(self.src, v),
                None => return Err(c.error("a value")),
            }
        };
        Ok(Some(Opt { key, value }))
    }

    fn agg(&mut self, c: &mut Cursor<'a>) -> Result<Agg, QueryError> {
        c.skip_ws();
        let start = c.pos;
        let Some(id) = c.ident() else {
            return Err(c.error("an aggregate function"));
        };
        let function = id.slice(self.src).unwrap_or_default().to_owned();
        if function.eq_ignore_ascii_case("as") || function.eq_ignore_ascii_case("by") {
            // `dc(x),as n`: a keyword is no aggregate (it would print as an alias).
            c.pos = start;
            return Err(c.error("an aggregate function"));
        }
        let args = if c.peek() == Some('(') {
            c.bump();
            Some(self.eval_list(c)?)
        } else {
            None
        };
        let end = c.pos;
        let save = c.pos;
        c.skip_ws();
        let alias = if c.at_keyword("as", true) {
            c.pos += 2;
            Some(self.name(c)?)
        } else {
            c.pos = save;
            None
        };
        Ok(Agg {
            function,
            args,
            alias,
            span: Span::new(start, end),
        })
    }

    fn by_list(&mut self, c: &mut Cursor<'a>) -> Result<(Vec<Word>, Vec<Opt>), QueryError> {
        let mut by = Vec::new();
        let mut opts = Vec::new();
        loop {
            c.skip_ws();
            if c.eat(",") {
                continue;
            }
            if c.at_end() || c.at_keyword("where", true) || c.at_keyword("from", true) {
                return Ok((by, opts));
            }
            if let Some(o) = self.option(c)? {
                opts.push(o);
                continue;
            }
            by.push(self.name(c)?);
        }
    }

    fn stats(&mut self, c: &mut Cursor<'a>, name: String) -> Result<Stats, QueryError> {
        let mut options = Vec::new();
        let mut aggs = Vec::new();
        let mut by = Vec::new();
        loop {
            c.skip_ws();
            if c.eat(",") {
                continue;
            }
            if c.at_end() {
                break;
            }
            if c.at_keyword("by", true) {
                c.pos += 2;
                let (b, opts) = self.by_list(c)?;
                by = b;
                options.extend(opts);
                c.skip_ws();
                if !c.at_end() {
                    return Err(c.error("the end of the command"));
                }
                break;
            }
            if aggs.is_empty()
                && let Some(o) = self.option(c)?
            {
                options.push(o);
                continue;
            }
            aggs.push(self.agg(c)?);
        }
        Ok(Stats {
            name,
            options,
            aggs,
            by,
        })
    }

    fn tstats(&mut self, c: &mut Cursor<'a>) -> Result<Tstats, QueryError> {
        let mut t = Tstats {
            items: Vec::new(),
            datamodel: None,
            filter: None,
            by: Vec::new(),
            options: Vec::new(),
        };
        loop {
            c.skip_ws();
            if c.eat(",") {
                continue;
            }
            if c.at_end() {
                break;
            }
            if c.at_keyword("from", true) {
                c.pos += 4;
                c.skip_ws();
                let save = c.pos;
                let ok = c.ident().is_some_and(|k| {
                    k.slice(self.src)
                        .is_some_and(|t| t.eq_ignore_ascii_case("datamodel"))
                });
                c.skip_ws();
                if !ok || !c.eat("=") {
                    c.pos = save;
                    return Err(c.error("`datamodel=`"));
                }
                c.skip_ws();
                match c.arg_word()? {
                    Some(s) => t.datamodel = Some(word(self.src, s)),
                    None => return Err(c.error("a data model name")),
                }
                continue;
            }
            if c.at_keyword("where", true) {
                c.pos += 5;
                let stop = |c: &Cursor<'_>| c.at_keyword("by", true);
                t.filter = self.search_and(c, &stop)?;
                c.skip_ws();
                if c.peek() == Some(')') {
                    return Err(c.error("a search term"));
                }
                continue;
            }
            if c.at_keyword("by", true) {
                c.pos += 2;
                let (by, opts) = self.by_list(c)?;
                t.by = by;
                t.options.extend(opts);
                continue;
            }
            if c.peek() == Some('`') {
                t.items.push(TstatsItem::Macro(c.macro_call()?));
                continue;
            }
            if let Some(o) = self.option(c)? {
                if t.datamodel.is_some() {
                    t.options.push(o);
                } else {
                    t.items.push(TstatsItem::Opt(o));
                }
                continue;
            }
            if t.datamodel.is_some() {
                return Err(c.error("`where`, `by` or an option"));
            }
            t.items.push(TstatsItem::Agg(self.agg(c)?));
        }
        Ok(t)
    }

    // ---------------------------------------------------------------- args

    fn args(&mut self, c: &mut Cursor<'a>) -> Result<Vec<Arg>, QueryError> {
        let mut out = Vec::new();
        loop {
            c.skip_ws();
            match c.peek() {
                None => return Ok(out),
                Some(',') => {
                    c.bump();
                    out.push(Arg::Comma);
                }
                Some('[') => out.push(Arg::Subsearch(Box::new(self.subsearch(c)?))),
                Some('`') => {
                    out.push(Arg::Macro(c.macro_call()?));
                }
                Some(_) => {
                    let Some(k) = c.arg_word()? else {
                        return Err(c.error("an argument"));
                    };
                    let key = word(self.src, k);
                    // `key = value` may have spaces around the `=`.
                    let save = c.pos;
                    c.skip_ws();
                    let negated = c.rest().starts_with("!=");
                    let is_opt = negated || (c.peek() == Some('=') && c.peek2() != Some('='));
                    if !is_opt {
                        c.pos = save;
                    }
                    if is_opt {
                        c.pos += if negated { 2 } else { 1 };
                        c.skip_ws();
                        let Some(v) = c.arg_word()? else {
                            return Err(c.error("a value"));
                        };
                        out.push(Arg::Opt {
                            key,
                            value: word(self.src, v),
                            negated,
                        });
                    } else {
                        out.push(Arg::Word(key));
                    }
                }
            }
        }
    }
}
