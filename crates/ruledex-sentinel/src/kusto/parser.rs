//! A recursive-descent parser from tokens to [`Query`].
//!
//! Statements are separated by `;`. A pipeline is a source and `|`
//! operators; the operators whose contents matter for lowering (`where`,
//! `extend`, `project`, `summarize`, `join`, `lookup`, `union`) are parsed
//! fully, every other one is kept by its name and tokens up to the next `|`
//! at the same bracket depth, so that a valid query parses whatever
//! operator it uses. Scalar precedence, loosest first: `or`, `and`,
//! comparisons and string operators, `+ -`, `* / %`, unary `-`, postfix
//! (`.name`, `[i]`, calls).
//!
//! Reference: <https://learn.microsoft.com/en-us/kusto/query/>.

use ruledex_diag::Span;

use super::ast::{
    Assign, Expr, ExprKind, LetValue, Operator, Param, Pipeline, Query, Source, Statement,
    TableRef, Union,
};
use super::tokenizer::{Tok, Token, tokenize};
use crate::error::{QueryError, QueryErrorKind};

/// Deepest nesting of parentheses, calls and sub-queries accepted.
pub const MAX_DEPTH: usize = 64;
/// Longest query accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 1 << 20;

/// Binary operators written as words (or `!word`), compared ignoring case.
const WORD_OPS: [&str; 43] = [
    "containscs",
    "!containscs",
    "notcontainscs",
    "has",
    "!has",
    "has_cs",
    "!has_cs",
    "hasprefix",
    "!hasprefix",
    "hasprefix_cs",
    "!hasprefix_cs",
    "hassuffix",
    "!hassuffix",
    "hassuffix_cs",
    "!hassuffix_cs",
    "contains",
    "!contains",
    "contains_cs",
    "!contains_cs",
    "startswith",
    "!startswith",
    "startswith_cs",
    "!startswith_cs",
    "endswith",
    "!endswith",
    "endswith_cs",
    "!endswith_cs",
    "like",
    "notlike",
    "contains_any",
    "has_any",
    "has_all",
    "!has_any",
    "in",
    "!in",
    "in~",
    "!in~",
    "between",
    "!between",
    "matches",
    "has_any_cs",
    "has_all_cs",
    "notcontains",
];

/// Operators whose right side is a list.
const LIST_OPS: [&str; 10] = [
    "in",
    "!in",
    "in~",
    "!in~",
    "has_any",
    "has_all",
    "!has_any",
    "has_any_cs",
    "has_all_cs",
    "contains_any",
];

/// Sources kept by their tokens.
const GENERIC_SOURCES: [&str; 9] = [
    "datatable",
    "externaldata",
    "range",
    "print",
    "search",
    "find",
    "evaluate",
    "getschema",
    "external_table",
];

/// Parse a whole query.
pub fn parse(src: &str) -> Result<Query, QueryError> {
    if src.len() > MAX_QUERY_LEN {
        return Err(QueryError::new(
            QueryErrorKind::TooLong {
                len: src.len(),
                limit: MAX_QUERY_LEN,
            },
            Span::new(0, 0),
        ));
    }
    let tokens = tokenize(src)?;
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
    };
    let q = p.query(false)?;
    if !matches!(p.peek(), Tok::Eof) {
        return Err(p.unexpected("`;` or `|`"));
    }
    Ok(q)
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.tokens[self.pos].span
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .map_or(0, |p| self.tokens[p].span.end as usize)
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(x) if *x == p)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, p: &'static str) -> Result<Span, QueryError> {
        if self.is_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(p))
        }
    }

    fn unexpected(&self, expected: &'static str) -> QueryError {
        let t = &self.tokens[self.pos];
        QueryError::new(
            QueryErrorKind::Unexpected {
                expected,
                found: t.tok.describe(),
            },
            t.span,
        )
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                self.span(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Whether token `i` starts right where token `i - 1` ends.
    fn adjacent(&self, i: usize) -> bool {
        i > 0 && i < self.tokens.len() && self.tokens[i - 1].span.end == self.tokens[i].span.start
    }

    /// The tokens from `from` to the current position, as written, each gap one space.
    fn raw_since(&self, from: usize) -> String {
        let mut out = String::new();
        for i in from..self.pos {
            let t = &self.tokens[i];
            if i > from && !self.adjacent(i) {
                out.push(' ');
            }
            out.push_str(&self.src[t.span.start as usize..t.span.end as usize]);
        }
        out
    }

    /// Skip tokens up to a `|`, `;` or closing bracket at depth 0 (or the end).
    fn skip_operator_body(&mut self) -> Result<(), QueryError> {
        let mut stack: Vec<(&'static str, Span)> = Vec::new();
        loop {
            match self.peek() {
                Tok::Eof => {
                    if let Some((_, at)) = stack.last() {
                        return Err(QueryError::new(
                            QueryErrorKind::Unterminated { what: "bracket" },
                            *at,
                        ));
                    }
                    return Ok(());
                }
                Tok::Punct(p @ ("(" | "[" | "{")) => {
                    let close = match *p {
                        "(" => ")",
                        "[" => "]",
                        _ => "}",
                    };
                    stack.push((close, self.span()));
                    if stack.len() > MAX_DEPTH {
                        return Err(QueryError::new(
                            QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                            self.span(),
                        ));
                    }
                }
                Tok::Punct(p @ (")" | "]" | "}")) => match stack.last() {
                    Some((want, _)) if want == p => {
                        stack.pop();
                    }
                    Some(_) => return Err(self.unexpected("a matching bracket")),
                    None => return Ok(()),
                },
                Tok::Punct("|" | ";") if stack.is_empty() => return Ok(()),
                _ => {}
            }
            self.bump();
        }
    }

    /// Statements up to the end (or a `}` when `in_braces`).
    fn query(&mut self, in_braces: bool) -> Result<Query, QueryError> {
        let mut statements = Vec::new();
        loop {
            while self.eat_punct(";") {}
            if matches!(self.peek(), Tok::Eof) || (in_braces && self.is_punct("}")) {
                break;
            }
            statements.push(self.statement()?);
            if !self.eat_punct(";") {
                break;
            }
        }
        if statements.is_empty() {
            return Err(self.unexpected("a statement"));
        }
        Ok(Query { statements })
    }

    fn statement(&mut self) -> Result<Statement, QueryError> {
        let start = self.span().start as usize;
        if self.is_word("let") {
            self.bump();
            let Tok::Word(name) = self.peek().clone() else {
                return Err(self.unexpected("a name"));
            };
            self.bump();
            self.expect_punct("=")?;
            let value = self.let_value()?;
            return Ok(Statement::Let {
                name,
                value,
                span: Span::new(start, self.prev_end()),
            });
        }
        if ["set", "declare", "alias", "pattern", "restrict"]
            .iter()
            .any(|w| self.is_word(w))
            && matches!(self.peek_at(1), Tok::Word(_))
        {
            let from = self.pos;
            self.skip_operator_body()?;
            return Ok(Statement::Other {
                raw: self.raw_since(from),
                span: Span::new(start, self.prev_end()),
            });
        }
        Ok(Statement::Tabular(self.pipeline()?))
    }

    fn let_value(&mut self) -> Result<LetValue, QueryError> {
        let view = self.is_word("view") && matches!(self.peek_at(1), Tok::Punct("("));
        if view || self.is_punct("(") {
            // A function: `(params) {` — find the `)` matching this `(`.
            let at = self.pos + usize::from(view);
            if let Some(close) = self.matching_paren(at)
                && matches!(
                    self.tokens.get(close + 1).map(|t| &t.tok),
                    Some(Tok::Punct("{"))
                )
            {
                if view {
                    self.bump();
                }
                self.bump();
                let from = self.pos;
                self.pos = close;
                let params = self.raw_since(from);
                self.bump(); // )
                self.bump(); // {
                self.enter()?;
                let body = self.query(true)?;
                self.leave();
                self.expect_punct("}")?;
                return Ok(LetValue::Function { view, params, body });
            }
        }
        Ok(LetValue::Pipeline(self.pipeline()?))
    }

    /// The index of the `)` matching the `(` at token `at`.
    fn matching_paren(&self, at: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in self.tokens.iter().enumerate().skip(at) {
            match t.tok {
                Tok::Punct("(") => depth += 1,
                Tok::Punct(")") => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                Tok::Eof => return None,
                _ => {}
            }
        }
        None
    }

    fn pipeline(&mut self) -> Result<Pipeline, QueryError> {
        self.enter()?;
        let start = self.span().start as usize;
        let source = self.source()?;
        let mut ops = Vec::new();
        while self.eat_punct("|") {
            ops.push(self.operator()?);
        }
        self.leave();
        Ok(Pipeline {
            source,
            ops,
            span: Span::new(start, self.prev_end().max(start)),
        })
    }

    fn source(&mut self) -> Result<Source, QueryError> {
        if self.is_word("union") {
            self.bump();
            return Ok(Source::Union(self.union()?));
        }
        if let Tok::Word(w) = self.peek()
            && GENERIC_SOURCES.iter().any(|g| g.eq_ignore_ascii_case(w))
        {
            let name = w.clone();
            self.bump();
            let from = self.pos;
            self.skip_operator_body()?;
            return Ok(Source::Generic {
                name,
                raw: self.raw_since(from),
            });
        }
        Ok(Source::Expr(self.expr()?))
    }

    /// An operator name: a word, with `-word` parts written adjacent
    /// (`project-away`, `mv-expand`).
    fn operator_name(&mut self) -> Result<String, QueryError> {
        let Tok::Word(w) = self.peek().clone() else {
            return Err(self.unexpected("an operator"));
        };
        self.bump();
        let mut name = w;
        while self.is_punct("-") && self.adjacent(self.pos) && self.adjacent(self.pos + 1) {
            if let Tok::Word(next) = self.peek_at(1).clone() {
                self.bump();
                self.bump();
                name.push('-');
                name.push_str(&next);
            } else {
                break;
            }
        }
        Ok(name)
    }

    fn operator(&mut self) -> Result<Operator, QueryError> {
        let start = self.span().start as usize;
        let name = self.operator_name()?;
        let lower = name.to_ascii_lowercase();
        let op = match lower.as_str() {
            "where" | "filter" => {
                let expr = self.expr()?;
                Operator::Where {
                    expr,
                    span: Span::new(start, self.prev_end()),
                }
            }
            "extend" => Operator::Extend(self.assigns()?),
            "project" => Operator::Project(self.assigns()?),
            "project-rename" => Operator::ProjectRename(self.assigns()?),
            "summarize" => {
                let params = self.params();
                let aggs = if self.is_word("by") {
                    Vec::new()
                } else {
                    self.assigns()?
                };
                let by = if self.is_word("by") {
                    self.bump();
                    self.assigns()?
                } else {
                    Vec::new()
                };
                Operator::Summarize {
                    params,
                    aggs,
                    by,
                    span: Span::new(start, self.prev_end()),
                }
            }
            "join" | "lookup" => {
                let params = self.params();
                let right = if self.is_punct("(") {
                    self.bump();
                    let p = self.pipeline()?;
                    self.expect_punct(")")?;
                    p
                } else {
                    let s = self.span().start as usize;
                    let e = self.postfix()?;
                    Pipeline {
                        span: Span::new(s, self.prev_end()),
                        source: Source::Expr(e),
                        ops: Vec::new(),
                    }
                };
                let mut on = Vec::new();
                if self.is_word("on") {
                    self.bump();
                    on = self.expr_list()?;
                }
                Operator::Join {
                    name,
                    params,
                    right: Box::new(right),
                    on,
                    span: Span::new(start, self.prev_end()),
                }
            }
            "union" => Operator::Union(self.union()?),
            _ => {
                let from = self.pos;
                self.skip_operator_body()?;
                Operator::Generic {
                    name,
                    raw: self.raw_since(from),
                    span: Span::new(start, self.prev_end().max(start)),
                }
            }
        };
        Ok(op)
    }

    /// `name=value` parameters (`kind=inner`, `hint.strategy=shuffle`, `isfuzzy=true`).
    fn params(&mut self) -> Vec<Param> {
        let mut out = Vec::new();
        loop {
            // A word, `.word` parts, then `=` and one token.
            let save = self.pos;
            let Tok::Word(first) = self.peek().clone() else {
                break;
            };
            let lower = first.to_ascii_lowercase();
            if !(lower == "kind"
                || lower == "hint"
                || lower == "isfuzzy"
                || lower == "withsource"
                || lower == "with_source")
            {
                break;
            }
            self.bump();
            let mut name = first;
            while self.is_punct(".") {
                self.bump();
                if let Tok::Word(w) = self.peek().clone() {
                    self.bump();
                    name.push('.');
                    name.push_str(&w);
                }
            }
            if !self.eat_punct("=") || matches!(self.peek(), Tok::Eof) {
                self.pos = save;
                break;
            }
            let from = self.pos;
            self.bump();
            out.push(Param {
                name,
                value: self.raw_since(from),
            });
        }
        out
    }

    fn union(&mut self) -> Result<Union, QueryError> {
        let params = self.params();
        let mut tables = Vec::new();
        loop {
            tables.push(self.table_ref()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(Union { params, tables })
    }

    fn table_ref(&mut self) -> Result<TableRef, QueryError> {
        // A name with wildcards: words and `*` written together (`Device*`, `*Events`).
        let from = self.pos;
        let mut has_star = false;
        while matches!(self.peek(), Tok::Word(_) | Tok::Punct("*"))
            && (self.pos == from || self.adjacent(self.pos))
        {
            has_star |= self.is_punct("*");
            self.bump();
        }
        if has_star {
            return Ok(TableRef::Name(self.raw_since(from)));
        }
        self.pos = from;
        let e = self.postfix()?;
        Ok(match e.kind {
            ExprKind::Name(n) => TableRef::Name(n),
            _ => TableRef::Expr(e),
        })
    }

    fn assigns(&mut self) -> Result<Vec<Assign>, QueryError> {
        let mut out = Vec::new();
        loop {
            out.push(self.assign()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(out)
    }

    fn assign(&mut self) -> Result<Assign, QueryError> {
        let name = match (self.peek().clone(), self.peek_at(1)) {
            (Tok::Word(w), Tok::Punct("=")) => Some(w),
            (Tok::Punct("["), Tok::Str { .. })
                if matches!(self.peek_at(2), Tok::Punct("]"))
                    && matches!(self.peek_at(3), Tok::Punct("=")) =>
            {
                let from = self.pos;
                self.bump();
                self.bump();
                self.bump();
                let n = self.raw_since(from);
                self.pos = from + 1;
                Some(n)
            }
            (Tok::Punct("("), _) => self.tuple_name(),
            _ => None,
        };
        if let Some(n) = name {
            // Skip the name's tokens and the `=`.
            while !self.is_punct("=") {
                self.bump();
            }
            self.bump();
            return Ok(Assign {
                name: Some(n),
                expr: self.expr()?,
            });
        }
        Ok(Assign {
            name: None,
            expr: self.expr()?,
        })
    }

    /// `(a, b) = …` in `extend`: the tuple as written, when followed by `=`.
    fn tuple_name(&mut self) -> Option<String> {
        let close = self.matching_paren(self.pos)?;
        let names_only = self.tokens[self.pos + 1..close]
            .iter()
            .all(|t| matches!(t.tok, Tok::Word(_) | Tok::Punct(",")));
        if !names_only || !matches!(self.tokens.get(close + 1)?.tok, Tok::Punct("=")) {
            return None;
        }
        let from = self.pos;
        let save = self.pos;
        self.pos = close + 1;
        let raw = self.raw_since(from);
        self.pos = save;
        Some(raw)
    }

    fn expr_list(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut out = Vec::new();
        loop {
            out.push(self.expr()?);
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(out)
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        self.enter()?;
        let e = self.or();
        self.leave();
        e
    }

    fn binary(op: String, lhs: Expr, rhs: Expr) -> Expr {
        let span = lhs.span.cover(rhs.span);
        Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        }
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut lhs = self.and()?;
        while self.is_word("or") {
            let Tok::Word(op) = self.bump().tok else {
                unreachable!("checked")
            };
            let rhs = self.and()?;
            lhs = Self::binary(op, lhs, rhs);
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut lhs = self.comparison()?;
        while self.is_word("and") {
            let Tok::Word(op) = self.bump().tok else {
                unreachable!("checked")
            };
            let rhs = self.comparison()?;
            lhs = Self::binary(op, lhs, rhs);
        }
        Ok(lhs)
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let mut lhs = self.additive()?;
        loop {
            match self.peek().clone() {
                Tok::Punct(p @ ("==" | "!=" | "=~" | "!~" | "<" | "<=" | ">" | ">=" | "<>")) => {
                    self.bump();
                    let rhs = self.additive()?;
                    lhs = Self::binary(p.to_owned(), lhs, rhs);
                }
                Tok::Word(w) if WORD_OPS.iter().any(|o| o.eq_ignore_ascii_case(&w)) => {
                    let lw = w.to_ascii_lowercase();
                    self.bump();
                    if lw == "matches" {
                        if !self.is_word("regex") {
                            return Err(self.unexpected("`regex`"));
                        }
                        let Tok::Word(r) = self.bump().tok else {
                            unreachable!("checked")
                        };
                        let rhs = self.additive()?;
                        lhs = Self::binary(format!("{w} {r}"), lhs, rhs);
                    } else if lw == "between" || lw == "!between" {
                        let open = self.expect_punct("(")?;
                        let low = self.additive()?;
                        self.expect_punct("..")?;
                        let high = self.additive()?;
                        let close = self.expect_punct(")")?;
                        let span = lhs.span.cover(open).cover(close);
                        lhs = Expr {
                            kind: ExprKind::Between {
                                negated: lw.starts_with('!'),
                                lhs: Box::new(lhs),
                                low: Box::new(low),
                                high: Box::new(high),
                            },
                            span,
                        };
                    } else if LIST_OPS.contains(&lw.as_str()) {
                        let (list, parens, end) = if self.is_punct("(") {
                            self.bump();
                            let mut items = Vec::new();
                            if !self.is_punct(")") {
                                loop {
                                    items.push(self.list_item()?);
                                    if !self.eat_punct(",") {
                                        break;
                                    }
                                }
                            }
                            let close = self.expect_punct(")")?;
                            (items, true, close)
                        } else {
                            let e = self.additive()?;
                            let s = e.span;
                            (vec![e], false, s)
                        };
                        let span = lhs.span.cover(end);
                        lhs = Expr {
                            kind: ExprKind::In {
                                op: w,
                                lhs: Box::new(lhs),
                                list,
                                parens,
                            },
                            span,
                        };
                    } else {
                        let rhs = self.additive()?;
                        lhs = Self::binary(w, lhs, rhs);
                    }
                }
                _ => return Ok(lhs),
            }
        }
    }

    /// An item of an `in (…)` list: a scalar, or a tabular expression.
    fn list_item(&mut self) -> Result<Expr, QueryError> {
        let p = self.pipeline()?;
        Ok(Self::pipeline_expr(p))
    }

    fn pipeline_expr(p: Pipeline) -> Expr {
        match (p.source, p.ops.is_empty()) {
            (Source::Expr(e), true) => e,
            (source, _) => Expr {
                span: p.span,
                kind: ExprKind::Tabular(Box::new(Pipeline {
                    source,
                    ops: p.ops,
                    span: p.span,
                })),
            },
        }
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        let mut lhs = self.multiplicative()?;
        while let Tok::Punct(p @ ("+" | "-")) = self.peek().clone() {
            self.bump();
            let rhs = self.multiplicative()?;
            lhs = Self::binary(p.to_owned(), lhs, rhs);
        }
        Ok(lhs)
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        let mut lhs = self.unary()?;
        while let Tok::Punct(p @ ("*" | "/" | "%")) = self.peek().clone() {
            self.bump();
            let rhs = self.unary()?;
            lhs = Self::binary(p.to_owned(), lhs, rhs);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if let Tok::Punct(op @ ("-" | "+")) = self.peek().clone() {
            let at = self.bump().span;
            self.enter()?;
            let e = self.unary();
            self.leave();
            let e = e?;
            let span = at.cover(e.span);
            return Ok(Expr {
                kind: ExprKind::Unary {
                    op,
                    expr: Box::new(e),
                },
                span,
            });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.primary()?;
        loop {
            if self.is_punct(".") && matches!(self.peek_at(1), Tok::Punct("[")) {
                // `a.[0]` is `a[0]`.
                self.bump();
            } else if self.is_punct(".") {
                self.bump();
                let t = self.bump();
                let name = match t.tok {
                    Tok::Word(w) => w,
                    Tok::Str { raw, .. } => raw,
                    Tok::Number(n) => n,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected("a property name"));
                    }
                };
                let span = e.span.cover(t.span);
                e = Expr {
                    kind: ExprKind::Member {
                        base: Box::new(e),
                        name,
                    },
                    span,
                };
            } else if self.is_punct("[") {
                self.bump();
                self.enter()?;
                let index = self.expr();
                self.leave();
                let index = index?;
                let close = self.expect_punct("]")?;
                let span = e.span.cover(close);
                e = Expr {
                    kind: ExprKind::Index {
                        base: Box::new(e),
                        index: Box::new(index),
                    },
                    span,
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let t = self.bump();
        let span = t.span;
        let kind = match t.tok {
            Tok::Str { value, raw } => ExprKind::Str { value, raw },
            Tok::Number(n) => ExprKind::Number(n),
            Tok::Timespan(n) => ExprKind::Timespan(n),
            Tok::Typed(n) => ExprKind::Typed(n),
            Tok::Punct("*") => ExprKind::Star,
            Tok::Punct("(") => {
                let p = self.pipeline()?;
                let close = self.expect_punct(")")?;
                let inner = Self::pipeline_expr(p);
                return Ok(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: span.cover(close),
                });
            }
            Tok::Punct("[") => {
                // `['Name']` or an array literal.
                if let Tok::Str { value, raw } = self.peek().clone()
                    && matches!(self.peek_at(1), Tok::Punct("]"))
                {
                    self.bump();
                    let close = self.bump().span;
                    return Ok(Expr {
                        kind: ExprKind::BracketName { value, raw },
                        span: span.cover(close),
                    });
                }
                self.enter()?;
                let items = self.items("]");
                self.leave();
                let items = items?;
                let close = self.expect_punct("]")?;
                return Ok(Expr {
                    kind: ExprKind::Array(items),
                    span: span.cover(close),
                });
            }
            Tok::Punct("{") => {
                self.enter()?;
                let mut entries = Vec::new();
                while !self.is_punct("}") {
                    let k = self.additive()?;
                    self.expect_punct(":")?;
                    let v = self.expr()?;
                    entries.push((k, v));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.leave();
                let close = self.expect_punct("}")?;
                return Ok(Expr {
                    kind: ExprKind::Object(entries),
                    span: span.cover(close),
                });
            }
            Tok::Word(w) => {
                if self.is_punct("(") {
                    self.bump();
                    self.enter()?;
                    let args = self.items(")");
                    self.leave();
                    let args = args?;
                    let close = self.expect_punct(")")?;
                    return Ok(Expr {
                        kind: ExprKind::Call { name: w, args },
                        span: span.cover(close),
                    });
                }
                ExprKind::Name(w)
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("an expression"));
            }
        };
        Ok(Expr { kind, span })
    }

    /// Comma-separated call arguments or array items up to `close` (not eaten).
    /// An argument may be `name = value` or a tabular expression.
    fn items(&mut self, close: &str) -> Result<Vec<Expr>, QueryError> {
        let mut out = Vec::new();
        if self.is_punct(close) {
            return Ok(out);
        }
        loop {
            if let (Tok::Word(name), Tok::Punct("=")) = (self.peek().clone(), self.peek_at(1)) {
                let at = self.bump().span;
                self.bump();
                let value = self.expr()?;
                let span = at.cover(value.span);
                out.push(Expr {
                    kind: ExprKind::Named {
                        name,
                        value: Box::new(value),
                    },
                    span,
                });
            } else {
                out.push(self.list_item()?);
            }
            if !self.eat_punct(",") {
                break;
            }
        }
        Ok(out)
    }
}
