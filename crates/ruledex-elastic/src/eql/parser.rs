//! A recursive-descent parser from tokens to the [`ast`](super::ast).
//!
//! ```text
//! query     := body pipe*
//! body      := event | sequence | sample
//! event     := ( 'any' | word | string ) 'where' or
//! sequence  := 'sequence' ( by with? | with by? )? seqterm+ ( 'until' seqterm )?
//! with      := 'with' 'maxspan' '=' INT word?
//! seqterm   := '!'? '[' event ']' by? ( 'with' 'runs' '=' INT )? by?
//! sample    := 'sample' by? ( '[' event ']' by? )+
//! by        := 'by' additive ( ',' additive )*
//! pipe      := '|' word ( or ( ',' or )* )?
//! or        := and ( 'or' and )*
//! and       := not ( 'and' not )*
//! not       := 'not' not | compare
//! compare   := additive ( cmp additive )?
//! additive  := mult ( ( '+' | '-' ) mult )*
//! mult      := unary ( ( '*' | '/' | '%' ) unary )*
//! unary     := ( '-' | '+' ) unary | postfix
//! postfix   := primary ( 'not'? ( 'in' | 'in~' ) list
//!                      | ( ':' | 'like' | 'like~' | 'regex' | 'regex~' ) ( list | primary ) )?
//! list      := '(' or ( ',' or )* ','? ')'
//! primary   := literal | '-' number | '?'? path | word '~'? '(' args ')' | '(' or ')'
//! ```
//!
//! Keywords are lower case, as in Elasticsearch. Nesting (parentheses, `not`,
//! unary minus, function calls, arithmetic chains) is bounded by
//! [`MAX_DEPTH`]; `and` / `or` chains are flat and cost no depth.

use ruledex_diag::Span;

use super::ast::{
    ArithOp, Call, Category, CompareOp, EventQuery, Expr, ExprKind, FieldPath, KEYWORDS, Literal,
    MAX_RUNS, MAX_SEQUENCE_STEPS, MatchOp, NodeSpan, Patterns, Pipe, Query, QueryBody, Sample,
    SampleTerm, Sequence, SequenceTerm, TimeSpan,
};
use super::tokenizer::{Tok, Token, segments, tokenize};
use crate::error::{QueryError, QueryErrorKind};

/// Deepest nesting the parser accepts.
pub const MAX_DEPTH: usize = 64;

/// What a condition may start with, for error messages.
const EXPECTED_VALUE: &str = "a field, a value, a function call, `not` or `(`";

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    pos: usize,
    /// An empty span at the end of the text, for "found end of query".
    end: Span,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, k: usize) -> Option<&Tok<'a>> {
        self.toks.get(self.pos + k).map(|t| &t.tok)
    }

    fn span_here(&self) -> Span {
        self.toks.get(self.pos).map_or(self.end, |t| t.span)
    }

    /// The span of the previous token (the last one consumed).
    fn prev_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(self.end, |t| t.span)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if *x == w)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &'static str) -> QueryError {
        let found = self
            .peek()
            .map_or_else(|| "end of query".to_owned(), Tok::describe);
        QueryError::new(
            QueryErrorKind::Unexpected { expected, found },
            self.span_here(),
        )
    }

    fn expect(&mut self, tok: &Tok<'_>, expected: &'static str) -> Result<Span, QueryError> {
        if self.peek() == Some(tok) {
            self.pos += 1;
            Ok(self.prev_span())
        } else {
            Err(self.error(expected))
        }
    }

    fn expect_word(&mut self, w: &str, expected: &'static str) -> Result<(), QueryError> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                self.span_here(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----- queries -------------------------------------------------------

    fn query(&mut self) -> Result<Query, QueryError> {
        let start = self.span_here();
        let body = if self.eat_word("sequence") {
            QueryBody::Sequence(self.sequence()?)
        } else if self.eat_word("sample") {
            QueryBody::Sample(self.sample()?)
        } else if self.is_word("join") {
            return Err(QueryError::new(
                QueryErrorKind::Unsupported {
                    what: "EQL `join` queries".into(),
                },
                self.span_here(),
            ));
        } else {
            QueryBody::Event(self.event()?)
        };
        let mut pipes = Vec::new();
        while self.peek() == Some(&Tok::Pipe) {
            pipes.push(self.pipe()?);
        }
        if self.peek().is_some() {
            return Err(self.error(match body {
                QueryBody::Event(_) => "`and`, `or`, `|` or the end of the query",
                _ => "a `[` term, `until`, `|` or the end of the query",
            }));
        }
        Ok(Query {
            body,
            pipes,
            span: start.cover(self.prev_span()).into(),
        })
    }

    fn event(&mut self) -> Result<EventQuery, QueryError> {
        let start = self.span_here();
        let category = match self.peek() {
            Some(Tok::Word("any")) => Category::Any,
            Some(Tok::Word(w)) if !KEYWORDS.contains(w) && is_plain_identifier(w) => {
                Category::Named((*w).to_owned())
            }
            Some(Tok::Str(s)) => Category::Named(s.to_string()),
            _ => return Err(self.error("an event category, `any`, `sequence` or `sample`")),
        };
        self.pos += 1;
        self.expect_word("where", "`where`")?;
        let condition = self.or()?;
        Ok(EventQuery {
            category,
            condition,
            span: start.cover(self.prev_span()).into(),
        })
    }

    fn sequence(&mut self) -> Result<Sequence, QueryError> {
        let mut by = Vec::new();
        let mut maxspan = None;
        // `by` and `with maxspan` may come in either order.
        for _ in 0..2 {
            if by.is_empty() && self.eat_word("by") {
                by = self.by_list()?;
            } else if maxspan.is_none() && self.eat_word("with") {
                self.expect_word("maxspan", "`maxspan`")?;
                self.expect(&Tok::Assign, "`=`")?;
                maxspan = Some(self.time_span()?);
            }
        }
        let mut terms = Vec::new();
        let mut steps = 0_usize;
        while matches!(self.peek(), Some(Tok::LBracket | Tok::Bang)) {
            let t = self.sequence_term()?;
            steps += t.runs.map_or(1, |n| n as usize);
            if steps > MAX_SEQUENCE_STEPS {
                return Err(QueryError::new(
                    QueryErrorKind::Unsupported {
                        what: format!(
                            "a sequence of more than {MAX_SEQUENCE_STEPS} steps (`runs` counted)"
                        ),
                    },
                    t.span.0,
                ));
            }
            terms.push(t);
        }
        if terms.is_empty() {
            return Err(self.error("a `[` term"));
        }
        let until = if self.eat_word("until") {
            let t = self.sequence_term()?;
            if t.missing || t.runs.is_some() {
                return Err(QueryError::new(
                    QueryErrorKind::Unsupported {
                        what: "`!` or `with runs` on an `until` term".into(),
                    },
                    t.span.0,
                ));
            }
            Some(t)
        } else {
            None
        };
        Ok(Sequence {
            by,
            maxspan,
            terms,
            until,
        })
    }

    fn time_span(&mut self) -> Result<TimeSpan, QueryError> {
        let amount = match self.peek() {
            Some(Tok::Int(n)) if *n >= 0 => *n as u64,
            _ => return Err(self.error("a whole number of time units")),
        };
        let num_span = self.span_here();
        self.pos += 1;
        // The unit is glued to the number: `5m`.
        let unit = match self.toks.get(self.pos) {
            Some(Token {
                tok: Tok::Word(w),
                span,
            }) if span.start == num_span.end && is_plain_identifier(w) => {
                self.pos += 1;
                Some((*w).to_owned())
            }
            _ => None,
        };
        Ok(TimeSpan { amount, unit })
    }

    fn bracketed_event(&mut self) -> Result<EventQuery, QueryError> {
        self.expect(&Tok::LBracket, "`[`")?;
        let q = self.event()?;
        self.expect(&Tok::RBracket, "`and`, `or` or `]`")?;
        Ok(q)
    }

    fn sequence_term(&mut self) -> Result<SequenceTerm, QueryError> {
        let start = self.span_here();
        let missing = self.eat(&Tok::Bang);
        let query = self.bracketed_event()?;
        let mut by = Vec::new();
        let mut runs = None;
        for _ in 0..2 {
            if by.is_empty() && self.eat_word("by") {
                by = self.by_list()?;
            } else if runs.is_none()
                && self.is_word("with")
                && self.peek_at(1) == Some(&Tok::Word("runs"))
            {
                self.pos += 2;
                self.expect(&Tok::Assign, "`=`")?;
                let n = match self.peek() {
                    Some(Tok::Int(n)) if (1..=i64::from(MAX_RUNS)).contains(n) => *n as u32,
                    Some(Tok::Int(n)) => {
                        return Err(QueryError::new(
                            QueryErrorKind::InvalidLiteral {
                                what: "runs (1 to 100)",
                                text: n.to_string(),
                            },
                            self.span_here(),
                        ));
                    }
                    _ => return Err(self.error("a number of runs")),
                };
                self.pos += 1;
                runs = Some(n);
            }
        }
        Ok(SequenceTerm {
            query,
            by,
            runs,
            missing,
            span: start.cover(self.prev_span()).into(),
        })
    }

    fn sample(&mut self) -> Result<Sample, QueryError> {
        let by = if self.eat_word("by") {
            self.by_list()?
        } else {
            Vec::new()
        };
        let mut terms = Vec::new();
        while self.peek() == Some(&Tok::LBracket) {
            let start = self.span_here();
            let query = self.bracketed_event()?;
            let by = if self.eat_word("by") {
                self.by_list()?
            } else {
                Vec::new()
            };
            terms.push(SampleTerm {
                query,
                by,
                span: start.cover(self.prev_span()).into(),
            });
        }
        if terms.is_empty() {
            return Err(self.error("a `[` term"));
        }
        Ok(Sample { by, terms })
    }

    fn by_list(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut out = vec![self.additive()?];
        while self.eat(&Tok::Comma) {
            out.push(self.additive()?);
        }
        Ok(out)
    }

    fn pipe(&mut self) -> Result<Pipe, QueryError> {
        let start = self.span_here();
        self.pos += 1;
        let name = match self.peek() {
            Some(Tok::Word(w)) if is_plain_identifier(w) && !KEYWORDS.contains(w) => {
                (*w).to_owned()
            }
            _ => return Err(self.error("a pipe name (`head`, `tail`, `filter`, …)")),
        };
        self.pos += 1;
        let mut args = Vec::new();
        if !matches!(self.peek(), None | Some(Tok::Pipe)) {
            args.push(self.or()?);
            while self.eat(&Tok::Comma) {
                args.push(self.or()?);
            }
        }
        Ok(Pipe {
            name,
            args,
            span: start.cover(self.prev_span()).into(),
        })
    }

    // ----- expressions ---------------------------------------------------

    fn or(&mut self) -> Result<Expr, QueryError> {
        let first = self.and()?;
        if !self.is_word("or") {
            return Ok(first);
        }
        let mut terms = vec![first];
        while self.eat_word("or") {
            terms.push(self.and()?);
        }
        Ok(chain(terms, ExprKind::Or))
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let first = self.not()?;
        if !self.is_word("and") {
            return Ok(first);
        }
        let mut terms = vec![first];
        while self.eat_word("and") {
            terms.push(self.not()?);
        }
        Ok(chain(terms, ExprKind::And))
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.is_word("not") {
            let start = self.span_here();
            self.pos += 1;
            self.enter()?;
            let inner = self.not()?;
            self.leave();
            let span = start.cover(inner.span.0);
            return Ok(Expr::new(ExprKind::Not(Box::new(inner)), span));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let op = match self.peek() {
            Some(Tok::EqEq) => CompareOp::Eq,
            Some(Tok::NotEq) => CompareOp::Ne,
            Some(Tok::Lt) => CompareOp::Lt,
            Some(Tok::Le) => CompareOp::Le,
            Some(Tok::Gt) => CompareOp::Gt,
            Some(Tok::Ge) => CompareOp::Ge,
            Some(Tok::Assign) => {
                return Err(self.error("`==` (a single `=` is not a comparison)"));
            }
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.additive()?;
        let span = left.span.0.cover(right.span.0);
        Ok(Expr::new(
            ExprKind::Compare {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        ))
    }

    /// A left-associative chain of binary arithmetic operators. Each operator
    /// nests the tree one level deeper, so each counts towards [`MAX_DEPTH`].
    fn arith_chain(
        &mut self,
        operand: fn(&mut Parser<'a>) -> Result<Expr, QueryError>,
        op_of: fn(&Tok<'_>) -> Option<ArithOp>,
    ) -> Result<Expr, QueryError> {
        let mut left = operand(self)?;
        let mut entered = 0;
        let result = loop {
            let Some(op) = self.peek().and_then(op_of) else {
                break Ok(left);
            };
            if let Err(e) = self.enter() {
                break Err(e);
            }
            entered += 1;
            self.pos += 1;
            let right = match operand(self) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            let span = left.span.0.cover(right.span.0);
            left = Expr::new(
                ExprKind::Arith {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            );
        };
        self.depth -= entered;
        result
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        self.arith_chain(Parser::multiplicative, |t| match t {
            Tok::Plus => Some(ArithOp::Add),
            Tok::Minus => Some(ArithOp::Sub),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        self.arith_chain(Parser::unary, |t| match t {
            Tok::Star => Some(ArithOp::Mul),
            Tok::Slash => Some(ArithOp::Div),
            Tok::Percent => Some(ArithOp::Mod),
            _ => None,
        })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let negative_number = self.peek() == Some(&Tok::Minus)
            && matches!(self.peek_at(1), Some(Tok::Int(_) | Tok::Float(_)));
        match self.peek() {
            Some(Tok::Minus | Tok::Plus) if !negative_number => {
                let start = self.span_here();
                let minus = self.peek() == Some(&Tok::Minus);
                self.pos += 1;
                self.enter()?;
                let inner = self.unary()?;
                self.leave();
                if !minus {
                    return Ok(inner);
                }
                let span = start.cover(inner.span.0);
                Ok(Expr::new(ExprKind::Neg(Box::new(inner)), span))
            }
            _ => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<Expr, QueryError> {
        let value = self.primary()?;
        let (insensitive, negated) = match self.peek() {
            Some(Tok::Word("in")) => (false, false),
            Some(Tok::Word("in~")) => (true, false),
            Some(Tok::Word("not")) => match self.peek_at(1) {
                Some(Tok::Word("in")) => (false, true),
                Some(Tok::Word("in~")) => (true, true),
                _ => return Ok(value),
            },
            _ => return self.match_predicate(value),
        };
        self.pos += if negated { 2 } else { 1 };
        let (list, end) = self.list()?;
        let span = value.span.0.cover(end);
        Ok(Expr::new(
            ExprKind::In {
                value: Box::new(value),
                insensitive,
                negated,
                list,
            },
            span,
        ))
    }

    fn match_predicate(&mut self, value: Expr) -> Result<Expr, QueryError> {
        let op = match self.peek() {
            Some(Tok::Colon) => MatchOp::Colon,
            Some(Tok::Word("like")) => MatchOp::Like,
            Some(Tok::Word("like~")) => MatchOp::LikeInsensitive,
            Some(Tok::Word("regex")) => MatchOp::Regex,
            Some(Tok::Word("regex~")) => MatchOp::RegexInsensitive,
            _ => return Ok(value),
        };
        self.pos += 1;
        let (patterns, end) = if self.peek() == Some(&Tok::LParen) {
            let (list, end) = self.list()?;
            (Patterns::List(list), end)
        } else {
            let p = self.primary()?;
            if !matches!(
                p.kind,
                ExprKind::Literal(_) | ExprKind::Field(_) | ExprKind::Call(_)
            ) {
                return Err(QueryError::new(
                    QueryErrorKind::Unexpected {
                        expected: "a value or a parenthesized list",
                        found: "an expression".into(),
                    },
                    p.span.0,
                ));
            }
            let end = p.span.0;
            (Patterns::One(Box::new(p)), end)
        };
        let span = value.span.0.cover(end);
        Ok(Expr::new(
            ExprKind::Match {
                value: Box::new(value),
                op,
                patterns,
            },
            span,
        ))
    }

    /// `( item, item, … )`, a trailing comma allowed; returns the items and the span of `)`.
    fn list(&mut self) -> Result<(Vec<Expr>, Span), QueryError> {
        self.expect(&Tok::LParen, "`(`")?;
        self.enter()?;
        let mut items = vec![self.or()?];
        while self.eat(&Tok::Comma) {
            if self.peek() == Some(&Tok::RParen) {
                break;
            }
            items.push(self.or()?);
        }
        self.leave();
        let end = self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok((items, end))
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let Some(tok) = self.toks.get(self.pos) else {
            return Err(self.error(EXPECTED_VALUE));
        };
        let span = tok.span;
        let lit = |l: Literal| Ok(Expr::new(ExprKind::Literal(l), span));
        match &tok.tok {
            Tok::Str(s) => {
                let s = s.to_string();
                self.pos += 1;
                lit(Literal::Str(s))
            }
            Tok::Int(i) => {
                let i = *i;
                self.pos += 1;
                lit(Literal::Int(i))
            }
            Tok::Float(x) => {
                let x = *x;
                self.pos += 1;
                lit(Literal::Float(x))
            }
            Tok::Minus => {
                // `-5`: a negative number literal.
                let (kind, end) = match self.toks.get(self.pos + 1) {
                    Some(Token {
                        tok: Tok::Int(i),
                        span,
                    }) => (Literal::Int(-*i), *span),
                    Some(Token {
                        tok: Tok::Float(x),
                        span,
                    }) => (Literal::Float(-*x), *span),
                    _ => return Err(self.error(EXPECTED_VALUE)),
                };
                self.pos += 2;
                Ok(Expr::new(ExprKind::Literal(kind), span.cover(end)))
            }
            Tok::LParen => {
                self.pos += 1;
                self.enter()?;
                let inner = self.or()?;
                self.leave();
                self.expect(&Tok::RParen, "`and`, `or` or `)`")?;
                Ok(inner)
            }
            Tok::Question => {
                self.pos += 1;
                match self.toks.get(self.pos) {
                    Some(Token {
                        tok: Tok::Word(w),
                        span: wspan,
                    }) if !w.ends_with('~') => {
                        let (w, wspan) = (*w, *wspan);
                        self.pos += 1;
                        let path = Parser::path(w, wspan, true)?;
                        Ok(Expr::new(ExprKind::Field(path), span.cover(wspan)))
                    }
                    _ => Err(self.error("a field name after `?`")),
                }
            }
            Tok::Word(w) => {
                let w = *w;
                match w {
                    "true" | "false" => {
                        self.pos += 1;
                        lit(Literal::Bool(w == "true"))
                    }
                    "null" => {
                        self.pos += 1;
                        lit(Literal::Null)
                    }
                    _ if self.peek_at(1) == Some(&Tok::LParen)
                        && is_plain_identifier(w.trim_end_matches('~'))
                        && !KEYWORDS.contains(&w.trim_end_matches('~')) =>
                    {
                        self.call(w, span)
                    }
                    _ if w.ends_with('~') || is_keyword(w) => Err(self.error(EXPECTED_VALUE)),
                    _ => {
                        self.pos += 1;
                        let path = Parser::path(w, span, false)?;
                        Ok(Expr::new(ExprKind::Field(path), span))
                    }
                }
            }
            _ => Err(self.error(EXPECTED_VALUE)),
        }
    }

    fn path(word: &str, span: Span, optional: bool) -> Result<FieldPath, QueryError> {
        match segments(word) {
            Some(segments) => Ok(FieldPath { optional, segments }),
            None => Err(QueryError::new(
                QueryErrorKind::InvalidLiteral {
                    what: "field name",
                    text: word.to_owned(),
                },
                span,
            )),
        }
    }

    fn call(&mut self, word: &str, start: Span) -> Result<Expr, QueryError> {
        let (name, insensitive) = match word.strip_suffix('~') {
            Some(n) => (n, true),
            None => (word, false),
        };
        self.pos += 2;
        self.enter()?;
        let mut args = Vec::new();
        if self.peek() != Some(&Tok::RParen) {
            args.push(self.or()?);
            while self.eat(&Tok::Comma) {
                args.push(self.or()?);
            }
        }
        self.leave();
        let end = self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok(Expr::new(
            ExprKind::Call(Call {
                name: name.to_owned(),
                insensitive,
                args,
            }),
            start.cover(end),
        ))
    }
}

/// A word with one unescaped segment (no dots, backticks or `~`).
fn is_plain_identifier(w: &str) -> bool {
    !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@')
}

fn is_keyword(w: &str) -> bool {
    KEYWORDS.contains(&w)
}

/// A flat `and` / `or` node over two or more terms.
fn chain(terms: Vec<Expr>, make: fn(Vec<Expr>) -> ExprKind) -> Expr {
    let span = match (terms.first(), terms.last()) {
        (Some(a), Some(b)) => a.span.0.cover(b.span.0),
        _ => Span::default(),
    };
    Expr {
        kind: make(terms),
        span: NodeSpan(span),
    }
}

/// Parse an EQL query.
pub(crate) fn parse(text: &str) -> Result<Query, QueryError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: Span::point(text.trim_end().len()),
        depth: 0,
    };
    p.query()
}

/// Parse an expression alone (for tests and tools).
pub(crate) fn parse_expr(text: &str) -> Result<Expr, QueryError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: Span::point(text.trim_end().len()),
        depth: 0,
    };
    let e = p.or()?;
    if p.peek().is_some() {
        return Err(p.error("`and`, `or` or the end of the expression"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The printed tree, or `error[code]@offset`.
    fn round(text: &str) -> String {
        parse(text).map_or_else(
            |e| format!("error[{}]@{}", e.kind.code(), e.span.start),
            |q| q.to_string(),
        )
    }

    macro_rules! cases {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(round($input), $want);
            }
        )*};
    }

    cases! {
        event_query: r#"process where process.name == "cmd.exe""# => r#"process where process.name == "cmd.exe""#;
        any_query: "any where true" => "any where true";
        quoted_category: r#""my-cat" where x == 1"# => r#""my-cat" where x == 1"#;
        quoted_plain_category_prints_bare: r#""process" where x == 1"# => "process where x == 1";
        and_binds_tighter_than_or: "any where a == 1 or b == 2 and c == 3" => "any where a == 1 or b == 2 and c == 3";
        or_in_and_keeps_parens: "any where (a == 1 or b == 2) and c == 3" => "any where (a == 1 or b == 2) and c == 3";
        nested_and_keeps_parens: "any where (a == 1 and b == 2) and c == 3" => "any where (a == 1 and b == 2) and c == 3";
        redundant_parens_dropped: "any where ((a == 1))" => "any where a == 1";
        not_binds_tighter_than_and: "any where not a == 1 and b == 2" => "any where not a == 1 and b == 2";
        not_of_group: "any where not (a == 1 or b == 2)" => "any where not (a == 1 or b == 2)";
        double_not: "any where not not a" => "any where not not a";
        colon_single: r#"any where a : "x*""# => r#"any where a : "x*""#;
        colon_list: r#"any where a:("x", "y*",)"# => r#"any where a : ("x", "y*")"#;
        list_of_one_stays_a_list: r#"any where a : ("x")"# => r#"any where a : ("x")"#;
        like_and_regex: r#"any where a like~ "x" and b regex """\d+""""# => r#"any where a like~ "x" and b regex "\\d+""#;
        in_and_not_in: r#"any where a in ("x", "y") and b not in~ (1, 2)"# => r#"any where a in ("x", "y") and b not in~ (1, 2)"#;
        not_before_in: r#"any where not a in ("x")"# => r#"any where not a in ("x")"#;
        comparisons: "any where a < 1 and b <= 2.5 and c > -3 and d >= 4 and e != null" => "any where a < 1 and b <= 2.5 and c > -3 and d >= 4 and e != null";
        literal_on_the_left: "any where 5 < a" => "any where 5 < a";
        float_keeps_point: "any where a == 1.0" => "any where a == 1.0";
        exponent: "any where a == 2e3" => "any where a == 2000.0";
        arithmetic_precedence: "any where a + b * c == 7" => "any where (a + (b * c)) == 7";
        arithmetic_left_assoc: "any where a - b - c == 1" => "any where ((a - b) - c) == 1";
        unary_minus_field: "any where -a == 1" => "any where (-a) == 1";
        // A chain of minuses prints without parentheses, so that printing
        // does not nest deeper than the input (found by fuzzing).
        unary_minus_chain: "any where ---a == 1" => "any where (---a) == 1";
        unary_minus_chain_on_number: "any where --5 == 1" => "any where (-(-5)) == 1";
        // Regression: `-` applied to a number printed as `-5` read back as the literal -5.
        neg_of_parenthesized_number: "any where -(5) == a" => "any where (-(5)) == a";
        control_char_escape_has_two_digits: "any where a == \"\\u{01}\"" => "any where a == \"\\u{01}\"";
        unary_plus_dropped: "any where +a == 1" => "any where a == 1";
        negative_literal_argument: "any where substring(a, 0, -1) == \"x\"" => "any where substring(a, 0, -1) == \"x\"";
        insensitive_call: r#"any where startsWith~(a, "x")"# => r#"any where startsWith~(a, "x")"#;
        call_without_args: "any where f()" => "any where f()";
        optional_field: r#"any where ?a.b == "x""# => r#"any where ?a.b == "x""#;
        backtick_segments: "any where a.`b-c`.`0` == 1" => "any where a.`b-c`.`0` == 1";
        unquoted_digit_segment_prints_quoted: "any where a.0.b == 1" => "any where a.`0`.b == 1";
        keyword_segment_after_dot: "any where event.sequence == 1" => "any where event.sequence == 1";
        keyword_first_segment_quoted: "any where `and`.x == 1" => "any where `and`.x == 1";
        escapes_print_back: r#"any where a == "q\"b\\n\n\t""# => r#"any where a == "q\"b\\n\n\t""#;
        raw_string_prints_escaped: r#"any where a == """C:\x""""# => r#"any where a == "C:\\x""#;
        comments_dropped: "any /* c */ where // line\n a == 1" => "any where a == 1";
        sequence_full: "sequence by h with maxspan=5m [process where a == 1] by p [file where b == 2] by q until [process where c == 3]"
            => "sequence by h with maxspan=5m\n  [process where a == 1] by p\n  [file where b == 2] by q\nuntil\n  [process where c == 3]";
        sequence_with_before_by: "sequence with maxspan=1s by h [any where a] [any where b]"
            => "sequence by h with maxspan=1s\n  [any where a]\n  [any where b]";
        sequence_runs_and_missing: "sequence [any where a] with runs=3 ![any where b]"
            => "sequence\n  [any where a] with runs=3\n  ![any where b]";
        sequence_maxspan_without_unit: "sequence with maxspan=100 [any where a]" => "sequence with maxspan=100\n  [any where a]";
        sample_query: "sample by h [any where a] [any where b] by c" => "sample by h\n  [any where a]\n  [any where b] by c";
        pipes: "any where a | head 5 | filter b == 1 | unique c, d" => "any where a\n| head 5\n| filter b == 1\n| unique c, d";
        missing_where: "process a == 1" => "error[query-syntax]@8";
        dangling_and: "any where a and" => "error[query-syntax]@15";
        unclosed_paren: "any where (a == 1" => "error[query-syntax]@17";
        unclosed_list: r#"any where a in ("x""# => "error[query-syntax]@19";
        chained_comparison: "any where a < b < c" => "error[query-syntax]@16";
        single_equals: "any where a = 1" => "error[query-syntax]@12";
        keyword_as_value: "any where a == where" => "error[query-syntax]@15";
        empty_query: "" => "error[query-syntax]@0";
        only_comment: "// nothing" => "error[query-syntax]@10";
        sequence_without_terms: "sequence by a" => "error[query-syntax]@13";
        runs_out_of_range: "sequence [any where a] with runs=101" => "error[query-invalid-literal]@33";
        runs_on_until: "sequence [any where a] until [any where b] with runs=2" => "error[query-unsupported]@29";
        join_unsupported: "join [any where a] [any where b]" => "error[query-unsupported]@0";
        too_many_steps: &format!("sequence {}", "[any where a] with runs=100 ".repeat(11)) => "error[query-unsupported]@289";
        trailing_garbage: "any where a ]" => "error[query-syntax]@12";
        colon_with_expression: "any where a : -b" => "error[query-syntax]@14";
        uppercase_keyword: "any where a == 1 AND b == 2" => "error[query-syntax]@17";
        tilde_word_as_field: "any where a~ == 1" => "error[query-syntax]@10";
    }

    #[test]
    fn too_deep_is_refused() {
        for text in [
            format!("any where {}a{}", "(".repeat(100), ")".repeat(100)),
            format!("any where {}a", "not ".repeat(100)),
            format!("any where {}1", "-".repeat(100)),
            format!("any where a == {}", vec!["1"; 100].join(" + ")),
            format!("any where {}a{}", "f(".repeat(100), ")".repeat(100)),
        ] {
            assert!(round(&text).starts_with("error[query-too-deep]"), "{text}");
        }
        let ok = format!(
            "any where {}a{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(round(&ok), "any where a");
    }

    #[test]
    fn long_chains_are_flat() {
        let text = format!("any where {}", vec!["a == 1"; 10_000].join(" or "));
        let q = parse(&text).unwrap();
        let QueryBody::Event(e) = q.body else {
            panic!()
        };
        let ExprKind::Or(terms) = e.condition.kind else {
            panic!()
        };
        assert_eq!(terms.len(), 10_000);
    }

    #[test]
    fn spans_point_at_the_source() {
        let text = r#"process where a.b : ("x", "y") and not c == 1"#;
        let QueryBody::Event(e) = parse(text).unwrap().body else {
            panic!()
        };
        let ExprKind::And(terms) = &e.condition.kind else {
            panic!()
        };
        let slice = |s: NodeSpan| s.0.slice(text).unwrap();
        assert_eq!(slice(terms[0].span), r#"a.b : ("x", "y")"#);
        assert_eq!(slice(terms[1].span), "not c == 1");
        assert_eq!(slice(e.span), text);
    }

    #[test]
    fn equality_ignores_spans() {
        let a = parse("any where a == 1").unwrap();
        let b = parse("any   where   a==1").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, parse("any where a == 2").unwrap());
    }
}
