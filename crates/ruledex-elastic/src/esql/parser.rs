//! The ES|QL parser: recursive descent over the modal [`Lexer`].
//!
//! ```text
//! query      := source ( '|' command )*
//! source     := FROM index (',' index)* (METADATA name (',' name)*)?
//!             | ROW assign (',' assign)* | SHOW INFO
//! command    := WHERE expr | EVAL assigns | [INLINE] STATS aggs? (BY assigns)?
//!             | KEEP pats | DROP pats | RENAME pat AS pat, … | SORT order, …
//!             | LIMIT int | MV_EXPAND name | DISSECT primary string options?
//!             | GROK primary string (',' string)* | ENRICH policy (ON pat)? (WITH …)?
//!             | LOOKUP JOIN index ON pats | COMPLETION (name '=')? expr WITH map
//!             | SAMPLE number
//! expr       := and (OR and)*
//! and        := not (AND not)*
//! not        := NOT not | predicate
//! predicate  := arith ( cmp arith | NOT? IN '(' expr, … ')' | NOT? (R)LIKE strings
//!                     | IS NOT? NULL | ':' constant )?
//! arith      := term (('+'|'-') term)*        term := unary (('*'|'/'|'%') unary)*
//! unary      := '-' unary | '+' unary | postfix     postfix := primary ('::' type)*
//! primary    := constant | name | name '(' args ')' | '(' expr ')' | param
//! ```
//!
//! Keywords and function names are case-insensitive. Nesting (parentheses,
//! calls, `NOT`, operator chains) is bounded by [`MAX_DEPTH`]; deeper input is
//! refused with [`QueryErrorKind::TooDeep`] instead of overflowing the stack.

use ruledex_diag::Span;

use super::ast::{
    AggField, ArithOp, Assign, Call, CmpOp, Command, CommandKind, Expr, ExprKind, Literal, Loc,
    Order, Query, Rename, Source, Stats,
};
use super::tokenizer::{Lexer, Mode, Tok, Token};
use crate::error::{QueryError, QueryErrorKind};

/// Deepest nesting of parentheses, calls, `NOT` and operator chains accepted.
pub const MAX_DEPTH: usize = 100;

/// Parse an ES|QL query.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut p = Parser {
        lex: Lexer::new(text),
        mode: Mode::Expr,
        peeked: None,
        depth: 0,
        prev_end: 0,
    };
    p.query()
}

struct Parser<'a> {
    lex: Lexer<'a>,
    mode: Mode,
    /// The next token, the mode it was read in and where the lexer was before it.
    peeked: Option<(Token<'a>, Mode, usize)>,
    depth: usize,
    /// End of the last token taken.
    prev_end: usize,
}

type R<T> = Result<T, QueryError>;

impl<'a> Parser<'a> {
    // ---- token plumbing ------------------------------------------------------

    fn set_mode(&mut self, mode: Mode) {
        if let Some((_, m, at)) = &self.peeked
            && *m != mode
        {
            self.lex.reset(*at);
            self.peeked = None;
        }
        self.mode = mode;
    }

    fn peek(&mut self) -> R<&Token<'a>> {
        if self.peeked.is_none() {
            let at = self.lex.pos();
            let t = self.lex.next(self.mode)?;
            self.peeked = Some((t, self.mode, at));
        }
        Ok(&self.peeked.as_ref().expect("just filled").0)
    }

    fn bump(&mut self) -> R<Token<'a>> {
        self.peek()?;
        let (t, _, _) = self.peeked.take().expect("peeked");
        self.prev_end = t.span.end as usize;
        Ok(t)
    }

    fn at(&mut self, tok: &Tok<'_>) -> R<bool> {
        Ok(&self.peek()?.tok == tok)
    }

    fn at_kw(&mut self, kw: &str) -> R<bool> {
        Ok(self.peek()?.tok.is_kw(kw))
    }

    fn eat(&mut self, tok: &Tok<'_>) -> R<bool> {
        if self.at(tok)? {
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn eat_kw(&mut self, kw: &str) -> R<bool> {
        if self.at_kw(kw)? {
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn error(&mut self, expected: &'static str) -> QueryError {
        match self.peek() {
            Ok(t) => {
                let found = t.tok.describe();
                QueryError::new(QueryErrorKind::Unexpected { expected, found }, t.span)
            }
            Err(e) => e,
        }
    }

    fn expect(&mut self, tok: &Tok<'_>, expected: &'static str) -> R<Token<'a>> {
        if self.at(tok)? {
            self.bump()
        } else {
            Err(self.error(expected))
        }
    }

    fn expect_kw(&mut self, kw: &str, expected: &'static str) -> R<()> {
        if self.eat_kw(kw)? {
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let fallback = Span::point(self.prev_end);
            let span = self.peek().map_or(fallback, |t| t.span);
            return Err(QueryError::new(
                QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                span,
            ));
        }
        Ok(())
    }

    fn leave(&mut self, n: usize) {
        self.depth -= n;
    }

    fn span_from(&self, start: u32) -> Loc {
        Loc(Span::new(start as usize, self.prev_end))
    }

    // ---- query and commands --------------------------------------------------

    fn query(&mut self) -> R<Query> {
        let source = self.source()?;
        let mut commands = Vec::new();
        loop {
            self.set_mode(Mode::Expr);
            if self.at(&Tok::Eof)? {
                break;
            }
            if !self.eat(&Tok::Pipe)? {
                return Err(self.error("`|` or the end of the query"));
            }
            commands.push(self.command()?);
        }
        Ok(Query { source, commands })
    }

    fn source(&mut self) -> R<Source> {
        let t = self.bump()?;
        let start = t.span.start;
        let Some(word) = t.tok.word().map(str::to_ascii_lowercase) else {
            return Err(QueryError::new(
                QueryErrorKind::Unexpected {
                    expected: "a source command (`FROM`, `ROW`, `SHOW`)",
                    found: t.tok.describe(),
                },
                t.span,
            ));
        };
        match word.as_str() {
            "from" => {
                self.set_mode(Mode::Source);
                let mut indices = vec![self.index_pattern()?];
                while self.eat(&Tok::Comma)? {
                    indices.push(self.index_pattern()?);
                }
                let mut metadata = Vec::new();
                if self.eat_kw("metadata")? {
                    loop {
                        match self.bump()? {
                            Token {
                                tok: Tok::Source(s),
                                ..
                            } => metadata.push(s.to_owned()),
                            t => {
                                return Err(QueryError::new(
                                    QueryErrorKind::Unexpected {
                                        expected: "a metadata field",
                                        found: t.tok.describe(),
                                    },
                                    t.span,
                                ));
                            }
                        }
                        if !self.eat(&Tok::Comma)? {
                            break;
                        }
                    }
                }
                Ok(Source::From {
                    indices,
                    metadata,
                    loc: self.span_from(start),
                })
            }
            "row" => {
                let fields = self.assigns()?;
                Ok(Source::Row {
                    fields,
                    loc: self.span_from(start),
                })
            }
            "show" => {
                let t = self.bump()?;
                match t.tok.word() {
                    Some(w) if w.eq_ignore_ascii_case("info") => Ok(Source::Show {
                        item: "INFO".into(),
                        loc: self.span_from(start),
                    }),
                    _ => Err(QueryError::new(
                        QueryErrorKind::Unexpected {
                            expected: "`INFO`",
                            found: t.tok.describe(),
                        },
                        t.span,
                    )),
                }
            }
            "ts" | "explain" | "metrics" | "promql" => Err(QueryError::new(
                QueryErrorKind::Unsupported {
                    what: format!("the `{}` source command", word.to_ascii_uppercase()),
                },
                t.span,
            )),
            _ => Err(QueryError::new(
                QueryErrorKind::Unexpected {
                    expected: "a source command (`FROM`, `ROW`, `SHOW`)",
                    found: t.tok.describe(),
                },
                t.span,
            )),
        }
    }

    /// `pattern`, `cluster:pattern`, `pattern::selector` or a quoted string ([`Mode::Source`]).
    fn index_pattern(&mut self) -> R<String> {
        let t = self.bump()?;
        let mut out = match t.tok {
            Tok::Source(s) if !s.eq_ignore_ascii_case("metadata") => s.to_owned(),
            Tok::Str(s) => return Ok(s.into_owned()),
            other => {
                return Err(QueryError::new(
                    QueryErrorKind::Unexpected {
                        expected: "an index pattern",
                        found: other.describe(),
                    },
                    t.span,
                ));
            }
        };
        loop {
            let sep = match self.peek()?.tok {
                Tok::Colon => ":",
                Tok::Cast => "::",
                _ => return Ok(out),
            };
            self.bump()?;
            match self.bump()? {
                Token {
                    tok: Tok::Source(s),
                    ..
                } => {
                    out.push_str(sep);
                    out.push_str(s);
                }
                t => {
                    return Err(QueryError::new(
                        QueryErrorKind::Unexpected {
                            expected: "an index pattern after `:`",
                            found: t.tok.describe(),
                        },
                        t.span,
                    ));
                }
            }
        }
    }

    fn command(&mut self) -> R<Command> {
        let t = self.bump()?;
        let start = t.span.start;
        let Some(word) = t.tok.word().map(str::to_ascii_lowercase) else {
            return Err(QueryError::new(
                QueryErrorKind::Unexpected {
                    expected: "a processing command",
                    found: t.tok.describe(),
                },
                t.span,
            ));
        };
        let kind = match word.as_str() {
            "where" => CommandKind::Where(self.expr()?),
            "eval" => CommandKind::Eval(self.assigns()?),
            "stats" => CommandKind::Stats(self.stats(false)?),
            "inlinestats" => CommandKind::Stats(self.stats(true)?),
            "inline" => {
                self.expect_kw("stats", "`STATS` after `INLINE`")?;
                CommandKind::Stats(self.stats(true)?)
            }
            "keep" => CommandKind::Keep(self.patterns()?),
            "drop" => CommandKind::Drop(self.patterns()?),
            "rename" => CommandKind::Rename(self.renames()?),
            "sort" => CommandKind::Sort(self.orders()?),
            "limit" => CommandKind::Limit(self.limit()?),
            "mv_expand" => {
                let e = self.expr()?;
                match e.kind {
                    ExprKind::Field(f) => CommandKind::MvExpand(f),
                    _ => {
                        return Err(QueryError::new(
                            QueryErrorKind::Unexpected {
                                expected: "a field name after `MV_EXPAND`",
                                found: format!("`{e}`"),
                            },
                            e.span(),
                        ));
                    }
                }
            }
            "dissect" => self.dissect()?,
            "grok" => {
                let input = self.postfix()?;
                let mut patterns = vec![self.string("a grok pattern")?];
                while self.eat(&Tok::Comma)? {
                    patterns.push(self.string("a grok pattern")?);
                }
                CommandKind::Grok { input, patterns }
            }
            "enrich" => self.enrich()?,
            "lookup" => {
                self.expect_kw("join", "`JOIN` after `LOOKUP`")?;
                self.set_mode(Mode::Source);
                let index = self.index_pattern()?;
                self.set_mode(Mode::Pattern);
                self.expect_kw("on", "`ON`")?;
                CommandKind::LookupJoin {
                    index,
                    on: self.patterns()?,
                }
            }
            "completion" => self.completion()?,
            "sample" => {
                let t = self.bump()?;
                match t.tok {
                    Tok::Decimal(s) | Tok::Int(s) => CommandKind::Sample(parse_float(s, t.span)?),
                    other => {
                        return Err(QueryError::new(
                            QueryErrorKind::Unexpected {
                                expected: "a probability",
                                found: other.describe(),
                            },
                            t.span,
                        ));
                    }
                }
            }
            "fork" | "change_point" | "rerank" | "fuse" | "insist" | "set" | "mmr" => {
                return Err(QueryError::new(
                    QueryErrorKind::Unsupported {
                        what: format!("the `{}` command", word.to_ascii_uppercase()),
                    },
                    t.span,
                ));
            }
            _ => {
                return Err(QueryError::new(
                    QueryErrorKind::Unexpected {
                        expected: "a processing command",
                        found: t.tok.describe(),
                    },
                    t.span,
                ));
            }
        };
        Ok(Command {
            kind,
            loc: self.span_from(start),
        })
    }

    fn limit(&mut self) -> R<u64> {
        let t = self.bump()?;
        match t.tok {
            Tok::Int(s) => s.parse().map_err(|_| {
                QueryError::new(
                    QueryErrorKind::InvalidLiteral {
                        what: "limit",
                        text: s.to_owned(),
                    },
                    t.span,
                )
            }),
            other => Err(QueryError::new(
                QueryErrorKind::Unexpected {
                    expected: "a whole number after `LIMIT`",
                    found: other.describe(),
                },
                t.span,
            )),
        }
    }

    /// `name = expr` or `expr`, comma-separated.
    fn assigns(&mut self) -> R<Vec<Assign>> {
        let mut out = vec![self.assign()?];
        while self.eat(&Tok::Comma)? {
            out.push(self.assign()?);
        }
        Ok(out)
    }

    fn assign(&mut self) -> R<Assign> {
        let e = self.expr()?;
        if let ExprKind::Field(name) = &e.kind
            && self.eat(&Tok::Assign)?
        {
            return Ok(Assign {
                name: Some(name.clone()),
                expr: self.expr()?,
            });
        }
        Ok(Assign {
            name: None,
            expr: e,
        })
    }

    fn stats(&mut self, inline: bool) -> R<Stats> {
        let mut aggs = Vec::new();
        if !self.at_kw("by")? && !matches!(self.peek()?.tok, Tok::Pipe | Tok::Eof) {
            loop {
                let Assign { name, expr } = self.assign()?;
                let filter = if self.eat_kw("where")? {
                    Some(self.expr()?)
                } else {
                    None
                };
                aggs.push(AggField { name, expr, filter });
                if !self.eat(&Tok::Comma)? {
                    break;
                }
            }
        }
        let by = if self.eat_kw("by")? {
            self.assigns()?
        } else {
            Vec::new()
        };
        Ok(Stats { inline, aggs, by })
    }

    fn patterns(&mut self) -> R<Vec<String>> {
        self.set_mode(Mode::Pattern);
        let mut out = vec![self.pattern()?];
        while self.eat(&Tok::Comma)? {
            out.push(self.pattern()?);
        }
        Ok(out)
    }

    fn pattern(&mut self) -> R<String> {
        let t = self.bump()?;
        match t.tok {
            Tok::Pattern(p) if !matches!(p.to_ascii_lowercase().as_str(), "as" | "on" | "with") => {
                Ok(p.to_owned())
            }
            other => Err(QueryError::new(
                QueryErrorKind::Unexpected {
                    expected: "a column name or pattern",
                    found: other.describe(),
                },
                t.span,
            )),
        }
    }

    /// `old AS new` or `new = old`.
    fn renames(&mut self) -> R<Vec<Rename>> {
        self.set_mode(Mode::Pattern);
        let mut out = Vec::new();
        loop {
            let first = self.pattern()?;
            if self.eat_kw("as")? {
                out.push(Rename {
                    from: first,
                    to: self.pattern()?,
                });
            } else if self.eat(&Tok::Assign)? {
                out.push(Rename {
                    from: self.pattern()?,
                    to: first,
                });
            } else {
                return Err(self.error("`AS` or `=`"));
            }
            if !self.eat(&Tok::Comma)? {
                return Ok(out);
            }
        }
    }

    fn orders(&mut self) -> R<Vec<Order>> {
        let mut out = Vec::new();
        loop {
            let expr = self.expr()?;
            let descending = if self.eat_kw("desc")? {
                Some(true)
            } else if self.eat_kw("asc")? {
                Some(false)
            } else {
                None
            };
            let nulls_first = if self.eat_kw("nulls")? {
                if self.eat_kw("first")? {
                    Some(true)
                } else if self.eat_kw("last")? {
                    Some(false)
                } else {
                    return Err(self.error("`FIRST` or `LAST` after `NULLS`"));
                }
            } else {
                None
            };
            out.push(Order {
                expr,
                descending,
                nulls_first,
            });
            if !self.eat(&Tok::Comma)? {
                return Ok(out);
            }
        }
    }

    fn dissect(&mut self) -> R<CommandKind> {
        let input = self.postfix()?;
        let pattern = self.string("a dissect pattern")?;
        let mut options = Vec::new();
        if let Tok::Name { .. } = self.peek()?.tok {
            loop {
                let t = self.bump()?;
                let Tok::Name { text, .. } = t.tok else {
                    return Err(QueryError::new(
                        QueryErrorKind::Unexpected {
                            expected: "a dissect option",
                            found: t.tok.describe(),
                        },
                        t.span,
                    ));
                };
                self.expect(&Tok::Assign, "`=`")?;
                options.push((text.into_owned(), self.constant()?));
                if !self.eat(&Tok::Comma)? {
                    break;
                }
            }
        }
        Ok(CommandKind::Dissect {
            input,
            pattern,
            options,
        })
    }

    fn enrich(&mut self) -> R<CommandKind> {
        self.set_mode(Mode::Source);
        let policy = self.index_pattern()?;
        self.set_mode(Mode::Pattern);
        let on = if self.eat_kw("on")? {
            Some(self.pattern()?)
        } else {
            None
        };
        let mut with = Vec::new();
        if self.eat_kw("with")? {
            loop {
                let first = self.pattern()?;
                if self.eat(&Tok::Assign)? {
                    with.push((Some(first), self.pattern()?));
                } else {
                    with.push((None, first));
                }
                if !self.eat(&Tok::Comma)? {
                    break;
                }
            }
        }
        Ok(CommandKind::Enrich { policy, on, with })
    }

    fn completion(&mut self) -> R<CommandKind> {
        let first = self.expr()?;
        let (target, prompt) = match &first.kind {
            ExprKind::Field(name) if self.at(&Tok::Assign)? => {
                let name = name.clone();
                self.bump()?;
                (Some(name), self.expr()?)
            }
            _ => (None, first),
        };
        self.expect_kw("with", "`WITH` and an options map")?;
        if !self.at(&Tok::LBrace)? {
            return Err(self.error("an options map `{ \"inference_id\": … }`"));
        }
        let options = self.map()?;
        Ok(CommandKind::Completion {
            target,
            prompt,
            options,
        })
    }

    fn string(&mut self, expected: &'static str) -> R<String> {
        let t = self.bump()?;
        match t.tok {
            Tok::Str(s) => Ok(s.into_owned()),
            other => Err(QueryError::new(
                QueryErrorKind::Unexpected {
                    expected,
                    found: other.describe(),
                },
                t.span,
            )),
        }
    }

    // ---- expressions ---------------------------------------------------------

    /// `or`-level expression.
    fn expr(&mut self) -> R<Expr> {
        let first = self.and()?;
        if !self.at_kw("or")? {
            return Ok(first);
        }
        let start = first.span().start;
        let mut terms = vec![first];
        while self.eat_kw("or")? {
            terms.push(self.and()?);
        }
        Ok(Expr {
            kind: ExprKind::Or(terms),
            loc: self.span_from(start),
        })
    }

    fn and(&mut self) -> R<Expr> {
        let first = self.not()?;
        if !self.at_kw("and")? {
            return Ok(first);
        }
        let start = first.span().start;
        let mut terms = vec![first];
        while self.eat_kw("and")? {
            terms.push(self.not()?);
        }
        Ok(Expr {
            kind: ExprKind::And(terms),
            loc: self.span_from(start),
        })
    }

    fn not(&mut self) -> R<Expr> {
        if self.at_kw("not")? {
            let start = self.bump()?.span.start;
            self.enter()?;
            let inner = self.not()?;
            self.leave(1);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                loc: self.span_from(start),
            });
        }
        self.predicate()
    }

    fn predicate(&mut self) -> R<Expr> {
        let lhs = self.arith()?;
        let start = lhs.span().start;
        let op = match self.peek()?.tok {
            Tok::Eq => Some(CmpOp::Eq),
            Tok::CiEq => Some(CmpOp::CiEq),
            Tok::Neq => Some(CmpOp::Neq),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Lte => Some(CmpOp::Lte),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Gte => Some(CmpOp::Gte),
            _ => None,
        };
        if let Some(op) = op {
            self.bump()?;
            let rhs = self.arith()?;
            return Ok(Expr {
                kind: ExprKind::Cmp {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                loc: self.span_from(start),
            });
        }
        if self.at(&Tok::Colon)? {
            let is_field = match &lhs.kind {
                ExprKind::Field(_) => true,
                ExprKind::Cast { expr, .. } => matches!(expr.kind, ExprKind::Field(_)),
                _ => false,
            };
            if !is_field {
                return Err(self.error("a field before `:`"));
            }
            self.bump()?;
            let query = self.constant()?;
            return Ok(Expr {
                kind: ExprKind::Match {
                    field: Box::new(lhs),
                    query,
                },
                loc: self.span_from(start),
            });
        }
        let negated = if self.at_kw("not")? {
            self.bump()?;
            if !(self.at_kw("in")? || self.at_kw("like")? || self.at_kw("rlike")?) {
                return Err(self.error("`IN`, `LIKE` or `RLIKE` after `NOT`"));
            }
            true
        } else {
            false
        };
        if self.eat_kw("in")? {
            self.expect(&Tok::LParen, "`(` after `IN`")?;
            self.enter()?;
            let mut list = vec![self.expr()?];
            while self.eat(&Tok::Comma)? {
                list.push(self.expr()?);
            }
            self.leave(1);
            self.expect(&Tok::RParen, "`,` or `)`")?;
            return Ok(Expr {
                kind: ExprKind::In {
                    expr: Box::new(lhs),
                    negated,
                    list,
                },
                loc: self.span_from(start),
            });
        }
        let regex = if self.eat_kw("rlike")? {
            Some(true)
        } else if self.eat_kw("like")? {
            Some(false)
        } else {
            None
        };
        if let Some(regex) = regex {
            let patterns = if self.eat(&Tok::LParen)? {
                let mut list = vec![self.string("a pattern string")?];
                while self.eat(&Tok::Comma)? {
                    list.push(self.string("a pattern string")?);
                }
                self.expect(&Tok::RParen, "`,` or `)`")?;
                list
            } else {
                vec![self.string("a pattern string")?]
            };
            return Ok(Expr {
                kind: ExprKind::Like {
                    expr: Box::new(lhs),
                    regex,
                    negated,
                    patterns,
                },
                loc: self.span_from(start),
            });
        }
        if self.eat_kw("is")? {
            let negated = self.eat_kw("not")?;
            self.expect_kw("null", "`NULL` or `NOT NULL` after `IS`")?;
            return Ok(Expr {
                kind: ExprKind::IsNull {
                    expr: Box::new(lhs),
                    negated,
                },
                loc: self.span_from(start),
            });
        }
        Ok(lhs)
    }

    /// Additive chain. Each operator counts as one level of nesting, since the
    /// tree it builds deepens by one.
    fn arith(&mut self) -> R<Expr> {
        let mut lhs = self.term()?;
        let start = lhs.span().start;
        let mut levels = 0;
        loop {
            let op = match self.peek()?.tok {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                _ => break,
            };
            self.bump()?;
            self.enter()?;
            levels += 1;
            let rhs = self.term()?;
            lhs = Expr {
                kind: ExprKind::Arith {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                loc: self.span_from(start),
            };
        }
        self.leave(levels);
        Ok(lhs)
    }

    fn term(&mut self) -> R<Expr> {
        let mut lhs = self.unary()?;
        let start = lhs.span().start;
        let mut levels = 0;
        loop {
            let op = match self.peek()?.tok {
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                Tok::Percent => ArithOp::Mod,
                _ => break,
            };
            self.bump()?;
            self.enter()?;
            levels += 1;
            let rhs = self.unary()?;
            lhs = Expr {
                kind: ExprKind::Arith {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                loc: self.span_from(start),
            };
        }
        self.leave(levels);
        Ok(lhs)
    }

    fn unary(&mut self) -> R<Expr> {
        let sign = match self.peek()?.tok {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => return self.postfix(),
        };
        let start = self.bump()?.span.start;
        if matches!(self.peek()?.tok, Tok::Int(_) | Tok::Decimal(_)) {
            // A signed number is a literal, as in ES|QL's grammar.
            let lit = self.number(sign, start)?;
            return self.casts(lit);
        }
        self.enter()?;
        let inner = self.unary()?;
        self.leave(1);
        if !sign {
            return Ok(inner);
        }
        Ok(Expr {
            kind: ExprKind::Neg(Box::new(inner)),
            loc: self.span_from(start),
        })
    }

    fn postfix(&mut self) -> R<Expr> {
        let e = self.primary()?;
        self.casts(e)
    }

    /// `x::type::type…`.
    fn casts(&mut self, mut e: Expr) -> R<Expr> {
        let start = e.span().start;
        let mut levels = 0;
        while self.at(&Tok::Cast)? {
            self.bump()?;
            self.enter()?;
            levels += 1;
            let t = self.bump()?;
            let ty = match t.tok.word() {
                Some(w) => w.to_ascii_lowercase(),
                None => {
                    return Err(QueryError::new(
                        QueryErrorKind::Unexpected {
                            expected: "a type name after `::`",
                            found: t.tok.describe(),
                        },
                        t.span,
                    ));
                }
            };
            e = Expr {
                kind: ExprKind::Cast {
                    expr: Box::new(e),
                    ty,
                },
                loc: self.span_from(start),
            };
        }
        self.leave(levels);
        Ok(e)
    }

    /// A number token (the lexer is on it), negated when `neg`; a whole number
    /// followed by a unit name is a time span (`1 hour`).
    fn number(&mut self, neg: bool, start: u32) -> R<Expr> {
        let lit = self.number_literal(neg)?;
        Ok(Expr {
            kind: ExprKind::Lit(lit),
            loc: self.span_from(start),
        })
    }

    fn number_literal(&mut self, neg: bool) -> R<Literal> {
        if !matches!(self.peek()?.tok, Tok::Int(_) | Tok::Decimal(_)) {
            return Err(self.error("a number"));
        }
        let t = self.bump()?;
        let lit = match t.tok {
            Tok::Int(s) => match s.parse::<i64>() {
                Ok(i) => {
                    let i = if neg { -i } else { i };
                    let unit = match &self.peek()?.tok {
                        Tok::Name {
                            text,
                            quoted: false,
                        } if !text.contains('.')
                            && !super::ast::KEYWORDS
                                .iter()
                                .any(|k| k.eq_ignore_ascii_case(text)) =>
                        {
                            Some(text.to_ascii_lowercase())
                        }
                        _ => None,
                    };
                    if let Some(unit) = unit {
                        self.bump()?;
                        Literal::Duration { value: i, unit }
                    } else {
                        Literal::Int(i)
                    }
                }
                // Beyond `i64`: ES|QL reads it as an unsigned long or a double.
                Err(_) => {
                    let x = parse_float(s, t.span)?;
                    Literal::Float(if neg { -x } else { x })
                }
            },
            Tok::Decimal(s) => {
                let x = parse_float(s, t.span)?;
                Literal::Float(if neg { -x } else { x })
            }
            _ => {
                return Err(QueryError::new(
                    QueryErrorKind::Unexpected {
                        expected: "a number",
                        found: t.tok.describe(),
                    },
                    t.span,
                ));
            }
        };
        Ok(lit)
    }

    fn primary(&mut self) -> R<Expr> {
        let t = self.peek()?.clone();
        let start = t.span.start;
        match t.tok {
            Tok::LParen => {
                self.bump()?;
                self.enter()?;
                let inner = self.expr()?;
                self.leave(1);
                self.expect(&Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::Int(_) | Tok::Decimal(_) => self.number(false, start),
            Tok::Str(_) | Tok::LBracket => {
                let lit = self.constant()?;
                Ok(Expr {
                    kind: ExprKind::Lit(lit),
                    loc: self.span_from(start),
                })
            }
            Tok::Param(p) => {
                self.bump()?;
                Ok(Expr {
                    kind: ExprKind::Param(p.to_owned()),
                    loc: self.span_from(start),
                })
            }
            Tok::Name { text, quoted } => {
                if !quoted && !text.contains('.') {
                    let lower = text.to_ascii_lowercase();
                    let lit = match lower.as_str() {
                        "null" => Some(Literal::Null),
                        "true" => Some(Literal::Bool(true)),
                        "false" => Some(Literal::Bool(false)),
                        _ => None,
                    };
                    if let Some(lit) = lit {
                        self.bump()?;
                        return Ok(Expr {
                            kind: ExprKind::Lit(lit),
                            loc: self.span_from(start),
                        });
                    }
                    if super::ast::KEYWORDS.contains(&lower.as_str()) {
                        return Err(self.error("an expression"));
                    }
                }
                self.bump()?;
                if !quoted && !text.contains('.') && self.at(&Tok::LParen)? {
                    return self.call(text.to_ascii_uppercase(), start);
                }
                Ok(Expr {
                    kind: ExprKind::Field(text.into_owned()),
                    loc: self.span_from(start),
                })
            }
            _ => Err(self.error("an expression")),
        }
    }

    /// The arguments of a call; the lexer is on `(`.
    fn call(&mut self, name: String, start: u32) -> R<Expr> {
        self.bump()?;
        self.enter()?;
        let mut call = Call {
            name,
            star: false,
            args: Vec::new(),
            options: None,
        };
        if self.eat(&Tok::Star)? {
            call.star = true;
        } else if !self.at(&Tok::RParen)? {
            loop {
                if self.at(&Tok::LBrace)? {
                    call.options = Some(self.map()?);
                    break;
                }
                call.args.push(self.expr()?);
                if !self.eat(&Tok::Comma)? {
                    break;
                }
            }
        }
        self.leave(1);
        self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok(Expr {
            kind: ExprKind::Call(call),
            loc: self.span_from(start),
        })
    }

    /// `{ "key": constant, … }`.
    fn map(&mut self) -> R<Vec<(String, Literal)>> {
        self.expect(&Tok::LBrace, "`{`")?;
        let mut out = Vec::new();
        if self.eat(&Tok::RBrace)? {
            return Ok(out);
        }
        loop {
            let key = self.string("a string key")?;
            self.expect(&Tok::Colon, "`:`")?;
            out.push((key, self.constant()?));
            if !self.eat(&Tok::Comma)? {
                break;
            }
        }
        self.expect(&Tok::RBrace, "`,` or `}`")?;
        Ok(out)
    }

    /// A constant: null, boolean, (signed) number, time span, string or array.
    fn constant(&mut self) -> R<Literal> {
        let t = self.peek()?.clone();
        let start = t.span.start;
        let neg = match t.tok {
            Tok::Minus | Tok::Plus => {
                self.bump()?;
                if !matches!(self.peek()?.tok, Tok::Int(_) | Tok::Decimal(_)) {
                    return Err(self.error("a number"));
                }
                matches!(t.tok, Tok::Minus)
            }
            _ => false,
        };
        match self.peek()?.tok.clone() {
            Tok::Int(_) | Tok::Decimal(_) => self.number_literal(neg),
            Tok::Str(s) => {
                self.bump()?;
                Ok(Literal::Str(s.into_owned()))
            }
            Tok::LBracket => {
                self.bump()?;
                let mut items = Vec::new();
                if !self.at(&Tok::RBracket)? {
                    loop {
                        let item = self.constant()?;
                        if matches!(item, Literal::Array(_)) {
                            return Err(QueryError::new(
                                QueryErrorKind::Unexpected {
                                    expected: "a number, boolean or string in an array",
                                    found: "`[`".into(),
                                },
                                Span::new(start as usize, self.prev_end),
                            ));
                        }
                        items.push(item);
                        if !self.eat(&Tok::Comma)? {
                            break;
                        }
                    }
                }
                self.expect(&Tok::RBracket, "`,` or `]`")?;
                Ok(Literal::Array(items))
            }
            ref tok => {
                let lit = match tok.word().map(str::to_ascii_lowercase).as_deref() {
                    Some("null") => Literal::Null,
                    Some("true") => Literal::Bool(true),
                    Some("false") => Literal::Bool(false),
                    _ => return Err(self.error("a constant")),
                };
                self.bump()?;
                Ok(lit)
            }
        }
    }
}

fn parse_float(s: &str, span: Span) -> R<f64> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(QueryError::new(
            QueryErrorKind::InvalidLiteral {
                what: "number",
                text: s.to_owned(),
            },
            span,
        )),
    }
}
