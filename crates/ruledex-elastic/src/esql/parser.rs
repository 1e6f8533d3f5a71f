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
pub const MAX_DEPTH: usize = 48;

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
            self.enter()?;
            let start = self.bump()?.span.start;
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
        let lhs = self.binary(0)?;
        match self.peek()?.tok {
            Tok::Eq | Tok::CiEq | Tok::Neq | Tok::Lt | Tok::Lte | Tok::Gt | Tok::Gte => {
                self.comparison(lhs)
            }
            Tok::Colon => self.match_operator(lhs),
            _ => self.word_predicate(lhs),
        }
    }

    /// `lhs <op> arith`.
    #[inline(never)]
    fn comparison(&mut self, lhs: Expr) -> R<Expr> {
        let start = lhs.span().start;
        let op = match self.bump()?.tok {
            Tok::Eq => CmpOp::Eq,
            Tok::CiEq => CmpOp::CiEq,
            Tok::Neq => CmpOp::Neq,
            Tok::Lt => CmpOp::Lt,
            Tok::Lte => CmpOp::Lte,
            Tok::Gt => CmpOp::Gt,
            _ => CmpOp::Gte,
        };
        let rhs = self.binary(0)?;
        Ok(Expr {
            kind: ExprKind::Cmp {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            loc: self.span_from(start),
        })
    }

    /// `field : constant`.
    #[inline(never)]
    fn match_operator(&mut self, lhs: Expr) -> R<Expr> {
        let start = lhs.span().start;
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
        Ok(Expr {
            kind: ExprKind::Match {
                field: Box::new(lhs),
                query,
            },
            loc: self.span_from(start),
        })
    }

    /// `[NOT] IN (…)`, `[NOT] LIKE …`, `[NOT] RLIKE …`, `IS [NOT] NULL`, or nothing.
    #[inline(never)]
    fn word_predicate(&mut self, lhs: Expr) -> R<Expr> {
        let start = lhs.span().start;
        let negated = if self.at_kw("not")? {
            self.bump()?;
            if !(self.at_kw("in")? || self.at_kw("like")? || self.at_kw("rlike")?) {
                return Err(self.error("`IN`, `LIKE` or `RLIKE` after `NOT`"));
            }
            true
        } else {
            false
        };
        let kind = if self.eat_kw("in")? {
            let list = self.in_list()?;
            ExprKind::In {
                expr: Box::new(lhs),
                negated,
                list,
            }
        } else if self.at_kw("like")? || self.at_kw("rlike")? {
            let regex = self.bump()?.tok.is_kw("rlike");
            ExprKind::Like {
                expr: Box::new(lhs),
                regex,
                negated,
                patterns: self.like_patterns()?,
            }
        } else if self.eat_kw("is")? {
            let negated = self.eat_kw("not")?;
            self.expect_kw("null", "`NULL` or `NOT NULL` after `IS`")?;
            ExprKind::IsNull {
                expr: Box::new(lhs),
                negated,
            }
        } else {
            return Ok(lhs);
        };
        Ok(Expr {
            kind,
            loc: self.span_from(start),
        })
    }

    /// `( expr, … )` after `IN`.
    fn in_list(&mut self) -> R<Vec<Expr>> {
        if !self.at(&Tok::LParen)? {
            return Err(self.error("`(` after `IN`"));
        }
        self.enter()?;
        self.bump()?;
        let mut list = vec![self.expr()?];
        while self.eat(&Tok::Comma)? {
            list.push(self.expr()?);
        }
        self.leave(1);
        self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok(list)
    }

    /// `"p"` or `("p", "q", …)` after `LIKE`/`RLIKE`.
    #[inline(never)]
    fn like_patterns(&mut self) -> R<Vec<String>> {
        if !self.eat(&Tok::LParen)? {
            return Ok(vec![self.string("a pattern string")?]);
        }
        let mut list = vec![self.string("a pattern string")?];
        while self.eat(&Tok::Comma)? {
            list.push(self.string("a pattern string")?);
        }
        self.expect(&Tok::RParen, "`,` or `)`")?;
        Ok(list)
    }

    /// Arithmetic by precedence climbing: `+ -` bind at 1, `* / %` at 2. Each
    /// operator counts as one level of nesting, since the tree deepens by one.
    fn binary(&mut self, min: u8) -> R<Expr> {
        let mut lhs = self.unary()?;
        let mut levels = 0;
        loop {
            let (op, prec) = match self.peek()?.tok {
                Tok::Plus => (ArithOp::Add, 1),
                Tok::Minus => (ArithOp::Sub, 1),
                Tok::Star => (ArithOp::Mul, 2),
                Tok::Slash => (ArithOp::Div, 2),
                Tok::Percent => (ArithOp::Mod, 2),
                _ => break,
            };
            if prec <= min {
                break;
            }
            self.enter()?;
            self.bump()?;
            levels += 1;
            let rhs = self.binary(prec)?;
            lhs = self.arith_node(op, lhs, rhs);
        }
        self.leave(levels);
        Ok(lhs)
    }

    fn arith_node(&self, op: ArithOp, lhs: Expr, rhs: Expr) -> Expr {
        let start = lhs.span().start;
        Expr {
            kind: ExprKind::Arith {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            loc: self.span_from(start),
        }
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
            self.enter()?;
            self.bump()?;
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
        match self.peek()?.tok {
            Tok::LParen => {
                self.enter()?;
                self.bump()?;
                let inner = self.expr()?;
                self.leave(1);
                self.expect(&Tok::RParen, "`)`")?;
                Ok(inner)
            }
            _ => self.atom(),
        }
    }

    /// A primary that is not parenthesized.
    #[inline(never)]
    fn atom(&mut self) -> R<Expr> {
        let t = self.peek()?.clone();
        let start = t.span.start;
        match t.tok {
            Tok::LParen => Err(self.error("an expression")),
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
        self.enter()?;
        self.bump()?;
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
        let neg = match self.peek()?.tok {
            Tok::Minus | Tok::Plus => {
                let neg = self.bump()?.tok == Tok::Minus;
                if !matches!(self.peek()?.tok, Tok::Int(_) | Tok::Decimal(_)) {
                    return Err(self.error("a number"));
                }
                neg
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
                        // Arrays do not nest: refuse before reading one more.
                        if self.at(&Tok::LBracket)? {
                            return Err(self.error("a number, boolean or string in an array"));
                        }
                        items.push(self.constant()?);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Parse, check that the printed form reads back to the same tree, and
    /// return the printed form.
    fn round(text: &str) -> String {
        let q = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e} at {:?}", e.span));
        let printed = q.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
        assert_eq!(again, q, "printed form reads back: {printed}");
        printed
    }

    macro_rules! parses {
        ($($case:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(round($input), $want);
            }
        )*};
    }

    parses! {
        from_with_metadata: "from logs-*, remote:idx-* metadata _id, _index"
            => "FROM logs-*, remote:idx-* METADATA _id, _index";
        from_quoted_index: r#"FROM "my index""# => r#"FROM "my index""#;
        from_selector: "FROM logs::failures" => "FROM logs::failures";
        from_date_math: "FROM <logs-{now/d}>" => "FROM <logs-{now/d}>";
        row_source: "row a = 1, b = \"x\"" => "ROW a = 1, b = \"x\"";
        show_info: "show info" => "SHOW INFO";
        keywords_any_case: "From a | Where X Like \"b\" aNd y iS nOt NuLl"
            => "FROM a\n| WHERE X LIKE \"b\" AND y IS NOT NULL";
        precedence_kept_flat: "from a | where x == 1 or y == 2 and not z == 3"
            => "FROM a\n| WHERE x == 1 OR y == 2 AND NOT z == 3";
        needed_parens_kept: "from a | where (x == 1 or y == 2) and z == 3"
            => "FROM a\n| WHERE (x == 1 OR y == 2) AND z == 3";
        redundant_parens_dropped: "from a | where ((x == 1))" => "FROM a\n| WHERE x == 1";
        not_of_group: "from a | where not (x == 1 and y == 2)"
            => "FROM a\n| WHERE NOT (x == 1 AND y == 2)";
        not_in_and_not_like: "from a | where x not in (1, 2) and y not like \"a*\" and z not rlike \"b.*\""
            => "FROM a\n| WHERE x NOT IN (1, 2) AND y NOT LIKE \"a*\" AND z NOT RLIKE \"b.*\"";
        like_list: "from a | where x like (\"a*\", \"*b\")" => "FROM a\n| WHERE x LIKE (\"a*\", \"*b\")";
        like_list_of_one: "from a | where x like (\"a*\")" => "FROM a\n| WHERE x LIKE \"a*\"";
        ci_equals: "from a | where x =~ \"A\"" => "FROM a\n| WHERE x =~ \"A\"";
        functions_upper_case: "from a | where to_lower(x) == \"a\" and cidr_match(ip, \"10.0.0.0/8\")"
            => "FROM a\n| WHERE TO_LOWER(x) == \"a\" AND CIDR_MATCH(ip, \"10.0.0.0/8\")";
        count_star: "from a | stats c = count(*) by host.name"
            => "FROM a\n| STATS c = COUNT(*) BY host.name";
        stats_filters: "from a | stats c = count(*) where x == 1, d = max(y) by h, b = date_trunc(1 hour, @timestamp)"
            => "FROM a\n| STATS c = COUNT(*) WHERE x == 1, d = MAX(y) BY h, b = DATE_TRUNC(1 hour, @timestamp)";
        stats_by_only: "from a | stats by h" => "FROM a\n| STATS BY h";
        inline_stats: "from a | inline stats c = count(*) by h | inlinestats d = max(x)"
            => "FROM a\n| INLINE STATS c = COUNT(*) BY h\n| INLINE STATS d = MAX(x)";
        arithmetic: "from a | eval x = a + b * c, y = (a + b) * c, z = a - (b - c), w = a - b - c"
            => "FROM a\n| EVAL x = a + b * c, y = (a + b) * c, z = a - (b - c), w = a - b - c";
        negatives: "from a | eval x = -5, y = - x, z = -(5), w = a - -1.5"
            => "FROM a\n| EVAL x = -5, y = -x, z = -(5), w = a - -1.5";
        time_spans: "from a | where @timestamp > now() - 15 minutes"
            => "FROM a\n| WHERE @timestamp > NOW() - 15 minutes";
        casts: "from a | eval r = x::double / y::double, s = (a + b)::long"
            => "FROM a\n| EVAL r = x::double / y::double, s = (a + b)::long";
        triple_quoted: r#"from a | where x rlike """.*\d+.*""""# => concat!("FROM a\n", r#"| WHERE x RLIKE """.*\d+.*""""#);
        escapes_read: r#"from a | where x == "tab\there""# => "FROM a\n| WHERE x == \"tab\\there\"";
        backquoted_names: "from a | where `my field` == 1 and `by` == 2 and `host`.name == 3 | keep `a b`, Esql.*"
            => "FROM a\n| WHERE `my field` == 1 AND `by` == 2 AND host.name == 3\n| KEEP `a b`, Esql.*";
        keyword_after_dot: "from a | where source.as.number == 1" => "FROM a\n| WHERE source.as.number == 1";
        sort_keys: "from a | sort a desc nulls last, b asc, c nulls first"
            => "FROM a\n| SORT a DESC NULLS LAST, b ASC, c NULLS FIRST";
        rename_both_forms: "from a | rename a as b, c = d" => "FROM a\n| RENAME a AS b, d AS c";
        drop_limit_expand: "from a | drop x* | limit 10 | mv_expand event.action"
            => "FROM a\n| DROP x*\n| LIMIT 10\n| MV_EXPAND event.action";
        dissect_options: "from a | dissect msg \"%{a} %{b}\" append_separator = \"-\""
            => "FROM a\n| DISSECT msg \"%{a} %{b}\" append_separator = \"-\"";
        grok_patterns: "from a | grok msg \"%{IP:ip}\", \"%{WORD:w}\""
            => "FROM a\n| GROK msg \"%{IP:ip}\", \"%{WORD:w}\"";
        enrich: "from a | enrich _any:hosts on host.name with os = host.os, ip"
            => "FROM a\n| ENRICH _any:hosts ON host.name WITH os = host.os, ip";
        lookup_join: "from a | lookup join threat_list on source.ip"
            => "FROM a\n| LOOKUP JOIN threat_list ON source.ip";
        completion: "from a | completion r = prompt with { \"inference_id\": \"m\" }"
            => "FROM a\n| COMPLETION r = prompt WITH { \"inference_id\": \"m\" }";
        sample: "from a | sample 0.25" => "FROM a\n| SAMPLE 0.25";
        match_operator: "from a | where title : \"quick fox\" and x::keyword : \"y\""
            => "FROM a\n| WHERE title : \"quick fox\" AND x::keyword : \"y\"";
        options_map: "from a | where match(x, \"a\", {\"fuzziness\": 1, \"op\": \"and\"})"
            => "FROM a\n| WHERE MATCH(x, \"a\", { \"fuzziness\": 1, \"op\": \"and\" })";
        arrays_and_params: "from a | eval v = [1, 2], s = [\"a\"] | where x == ?p"
            => "FROM a\n| EVAL v = [1, 2], s = [\"a\"]\n| WHERE x == ?p";
        comments_skipped: "from a // a comment\n| where /* here /* nested */ */ x == 1"
            => "FROM a\n| WHERE x == 1";
        booleans_and_null: "from a | where x == true or y == null or z != false"
            => "FROM a\n| WHERE x == TRUE OR y == NULL OR z != FALSE";
        float_forms: "from a | eval a = 1.0, b = .5, c = 1e3, d = 2.5E-3"
            => "FROM a\n| EVAL a = 1.0, b = 0.5, c = 1000.0, d = 0.0025";
        huge_integer_is_float: "from a | where x > 99999999999999999999"
            => "FROM a\n| WHERE x > 1e20";
        in_list_of_expressions: "from a | where x in (y, 1 + 2, \"z\")"
            => "FROM a\n| WHERE x IN (y, 1 + 2, \"z\")";
    }

    fn error(text: &str) -> (String, u32) {
        let e = parse(text).expect_err("should not parse");
        (e.kind.code().to_owned(), e.span.start)
    }

    macro_rules! fails {
        ($($case:ident: $input:expr => $code:literal at $start:literal;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(error($input), ($code.to_owned(), $start));
            }
        )*};
    }

    fails! {
        empty_query: "" => "query-syntax" at 0;
        no_source_command: "where x == 1" => "query-syntax" at 0;
        missing_pipe: "from a where x" => "query-syntax" at 7;
        unknown_command: "from a | frobnicate x" => "query-syntax" at 9;
        unterminated_string: "from a | where x == \"abc" => "query-unterminated" at 20;
        stray_character: "from a | where x == #" => "query-syntax" at 20;
        unclosed_paren: "from a | where (x == 1" => "query-syntax" at 22;
        dangling_and: "from a | where x == 1 and" => "query-syntax" at 25;
        not_without_operator: "from a | where x not 1" => "query-syntax" at 21;
        keyword_as_operand: "from a | where and" => "query-syntax" at 15;
        limit_needs_integer: "from a | limit x" => "query-syntax" at 15;
        empty_pipe: "from a |" => "query-syntax" at 8;
        fork_unsupported: "from a | fork (where x == 1)" => "query-unsupported" at 9;
        ts_unsupported: "ts metrics" => "query-unsupported" at 0;
        number_out_of_range: "from a | where x > 1e999" => "query-invalid-literal" at 19;
        bad_escape: r#"from a | where x == "a\d""# => "query-invalid-literal" at 22;
        match_needs_field: "from a | where f(x) : \"y\"" => "query-syntax" at 20;
        is_needs_null: "from a | where x is 1" => "query-syntax" at 20;
        inline_needs_stats: "from a | inline x" => "query-syntax" at 16;
        map_needs_string_keys: "from a | where f(x, {a: 1})" => "query-syntax" at 21;
        unterminated_comment: "from a | where x == 1 /* open" => "query-unterminated" at 22;
        from_needs_index: "from | where x" => "query-syntax" at 5;
        rename_needs_as: "from a | rename a b" => "query-syntax" at 18;
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "from a | where {}x == 1{}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert_eq!(error(&deep).0, "query-too-deep");
        let nots = format!("from a | where {}x", "not ".repeat(500));
        assert_eq!(error(&nots).0, "query-too-deep");
        let chain = format!("from a | eval x = 1{}", " + 1".repeat(500));
        assert_eq!(error(&chain).0, "query-too-deep");
        let calls = format!("from a | eval x = {}1{}", "f(".repeat(500), ")".repeat(500));
        assert_eq!(error(&calls).0, "query-too-deep");
        // Within the limit all is well.
        let fine = format!("from a | where {}x == 1{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn spans_point_into_the_query() {
        let text = "FROM a | WHERE process.name LIKE \"*x*\" AND y == 1";
        let q = parse(text).unwrap();
        let CommandKind::Where(e) = &q.commands[0].kind else {
            panic!()
        };
        let ExprKind::And(terms) = &e.kind else {
            panic!()
        };
        let s = terms[0].span();
        assert_eq!(
            &text[s.start as usize..s.end as usize],
            "process.name LIKE \"*x*\""
        );
        let s = terms[1].span();
        assert_eq!(&text[s.start as usize..s.end as usize], "y == 1");
        let s = q.commands[0].loc.0;
        assert_eq!(&text[s.start as usize..s.end as usize], &text[9..]);
    }
}
