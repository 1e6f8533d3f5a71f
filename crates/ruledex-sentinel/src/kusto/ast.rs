//! The Kusto syntax tree, which prints itself back as a query.
//!
//! Printing normalizes white space (one space between tokens, comments
//! dropped) but keeps every literal as written and every parenthesis, so
//! that parsing the printed query gives the same tree: `print(parse(q))` is
//! a fixed point of `print ∘ parse`. Operators the parser does not model are
//! [`Operator::Generic`]: their name and their tokens, printed back verbatim.

use std::fmt;

use ruledex_diag::Span;

/// A query: `let` statements and the tabular expression they lead to, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The statements, as separated by `;`.
    pub statements: Vec<Statement>,
}

impl Query {
    /// The last tabular statement: the query's result.
    pub fn result(&self) -> Option<&Pipeline> {
        self.statements.iter().rev().find_map(|s| match s {
            Statement::Tabular(p) => Some(p),
            _ => None,
        })
    }
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `let name = value`.
    Let {
        /// The name bound.
        name: String,
        /// What it is bound to.
        value: LetValue,
        /// The whole statement.
        span: Span,
    },
    /// A tabular expression (the query's output when last).
    Tabular(Pipeline),
    /// Another statement (`set`, `declare query_parameters`, `alias`), by its tokens.
    Other {
        /// The statement's text, tokens separated as written.
        raw: String,
        /// Where it is.
        span: Span,
    },
}

/// What a `let` binds.
#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    /// A scalar or tabular expression: `dynamic([…])`, `1d`, `T | where …`.
    Pipeline(Pipeline),
    /// A user function or view: `(params) { body }`.
    Function {
        /// `view` before the parameters.
        view: bool,
        /// The parameter list as written, without the parentheses.
        params: String,
        /// The body.
        body: Query,
    },
}

/// A source and the operators piped after it: `T | where … | summarize …`.
/// A scalar expression is a pipeline with no operators.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// What the data comes from.
    pub source: Source,
    /// The operators, in order.
    pub ops: Vec<Operator>,
    /// The whole pipeline.
    pub span: Span,
}

impl Pipeline {
    /// The expression, when the pipeline is a bare scalar or table expression.
    pub fn as_expr(&self) -> Option<&Expr> {
        match (&self.source, self.ops.is_empty()) {
            (Source::Expr(e), true) => Some(e),
            _ => None,
        }
    }
}

/// Where a pipeline's rows come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A table, a `let` name, a function call (`imProcessCreate`,
    /// `_GetWatchlist('x')`), a sub-query in parentheses or a scalar.
    Expr(Expr),
    /// `union …`.
    Union(Union),
    /// A source the parser keeps by its tokens: `datatable`, `externaldata`,
    /// `range`, `print`, `search`, `find`, `evaluate`.
    Generic {
        /// The keyword.
        name: String,
        /// The rest of its tokens.
        raw: String,
    },
}

/// `union [params] table, …`.
#[derive(Clone, Debug, PartialEq)]
pub struct Union {
    /// `kind=outer`, `isfuzzy=true`, `withsource=T`, as written.
    pub params: Vec<Param>,
    /// The tables.
    pub tables: Vec<TableRef>,
}

/// One table of a `union`.
#[derive(Clone, Debug, PartialEq)]
pub enum TableRef {
    /// A table name, possibly with wildcards (`Device*`).
    Name(String),
    /// Anything else: a function call or a sub-query in parentheses.
    Expr(Expr),
}

/// A `name=value` parameter of an operator (`kind=inner`, `hint.strategy=shuffle`).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The name, dotted parts joined.
    pub name: String,
    /// The value's tokens.
    pub value: String,
}

/// A column definition: `name = expr`, or a bare `expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    /// The column named, when written.
    pub name: Option<String>,
    /// The value.
    pub expr: Expr,
}

/// One tabular operator after a `|`.
#[derive(Clone, Debug, PartialEq)]
pub enum Operator {
    /// `where` (or `filter`) predicate.
    Where {
        /// The predicate.
        expr: Expr,
        /// The operator's span.
        span: Span,
    },
    /// `extend` columns.
    Extend(Vec<Assign>),
    /// `project` columns.
    Project(Vec<Assign>),
    /// `summarize aggregates by groups`.
    Summarize {
        /// Hints before the aggregates.
        params: Vec<Param>,
        /// The aggregates.
        aggs: Vec<Assign>,
        /// The group-by columns (`by` omitted when empty).
        by: Vec<Assign>,
        /// The operator's span.
        span: Span,
    },
    /// `join` or `lookup` with another query.
    Join {
        /// `join` or `lookup`.
        name: String,
        /// `kind=…` and hints.
        params: Vec<Param>,
        /// The right side.
        right: Box<Pipeline>,
        /// The `on` conditions.
        on: Vec<Expr>,
        /// The operator's span.
        span: Span,
    },
    /// `project-rename new = old, …`.
    ProjectRename(Vec<Assign>),
    /// `union` after a pipe.
    Union(Union),
    /// Any other operator, by name and tokens (`sort by x desc`, `mv-expand`, `parse`, …).
    Generic {
        /// The operator's name (`project-away`, `mv-expand`).
        name: String,
        /// Its tokens, as written (comments dropped).
        raw: String,
        /// The operator's span.
        span: Span,
    },
}

/// A scalar expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is in the query.
    pub span: Span,
}

/// The kinds of scalar expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A column, table or `let` name (`$left` included).
    Name(String),
    /// A bracketed name: `['Field Name']`, as written inside the brackets.
    BracketName {
        /// The name.
        value: String,
        /// The string literal as written.
        raw: String,
    },
    /// A string literal.
    Str {
        /// The value.
        value: String,
        /// As written.
        raw: String,
    },
    /// A number, as written.
    Number(String),
    /// A timespan (`1d`), as written.
    Timespan(String),
    /// `datetime(…)`, `timespan(…)`, …: a typed literal, as written.
    Typed(String),
    /// `*` (`where * has "x"`, `arg_max(T, *)`).
    Star,
    /// A binary operation; `op` as written (`and`, `==`, `!has`, `+`, `matches regex`).
    Binary {
        /// The operator.
        op: String,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `lhs in (list)`, `has_any`, `has_all`, `!in~`, … (`op` as written).
    In {
        /// The operator.
        op: String,
        /// Tested value.
        lhs: Box<Expr>,
        /// The list (one item may be a `let` name or a sub-query).
        list: Vec<Expr>,
        /// Whether the list was written in parentheses.
        parens: bool,
    },
    /// `lhs between (low .. high)` (`!between` when negated).
    Between {
        /// Whether `!between`.
        negated: bool,
        /// Tested value.
        lhs: Box<Expr>,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
    },
    /// A unary minus or plus.
    Unary {
        /// `-` or `+`.
        op: &'static str,
        /// The operand.
        expr: Box<Expr>,
    },
    /// A function call.
    Call {
        /// The function's name.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `base.name`.
    Member {
        /// The object.
        base: Box<Expr>,
        /// The property.
        name: String,
    },
    /// `base[index]`.
    Index {
        /// The object or array.
        base: Box<Expr>,
        /// The key or position.
        index: Box<Expr>,
    },
    /// `[a, b]` (inside `dynamic`).
    Array(Vec<Expr>),
    /// `{k: v}` (inside `dynamic`).
    Object(Vec<(Expr, Expr)>),
    /// `( expr )`.
    Paren(Box<Expr>),
    /// A tabular expression where a scalar stands: `x in (T | project y)`,
    /// `toscalar(T | count)`.
    Tabular(Box<Pipeline>),
    /// A named argument: `name = value` (inside calls such as `bag_pack`).
    Named {
        /// The name.
        name: String,
        /// The value.
        value: Box<Expr>,
    },
}

fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        list(f, &self.statements, ";\n")
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Let { name, value, .. } => write!(f, "let {name} = {value}"),
            Statement::Tabular(p) => p.fmt(f),
            Statement::Other { raw, .. } => f.write_str(raw),
        }
    }
}

impl fmt::Display for LetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LetValue::Pipeline(p) => p.fmt(f),
            LetValue::Function { view, params, body } => {
                if *view {
                    f.write_str("view ")?;
                }
                write!(f, "({params}) {{ {body} }}")
            }
        }
    }
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)?;
        for op in &self.ops {
            write!(f, "\n| {op}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Expr(e) => e.fmt(f),
            Source::Union(u) => u.fmt(f),
            Source::Generic { name, raw } if raw.is_empty() => f.write_str(name),
            Source::Generic { name, raw } => write!(f, "{name} {raw}"),
        }
    }
}

impl fmt::Display for Union {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("union")?;
        for p in &self.params {
            write!(f, " {p}")?;
        }
        f.write_str(" ")?;
        list(f, &self.tables, ", ")
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Name(n) => f.write_str(n),
            TableRef::Expr(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

impl fmt::Display for Assign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} = {}", self.expr),
            None => self.expr.fmt(f),
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operator::Where { expr, .. } => write!(f, "where {expr}"),
            Operator::Extend(a) => {
                f.write_str("extend ")?;
                list(f, a, ", ")
            }
            Operator::Project(a) => {
                f.write_str("project ")?;
                list(f, a, ", ")
            }
            Operator::Summarize {
                params, aggs, by, ..
            } => {
                f.write_str("summarize")?;
                for p in params {
                    write!(f, " {p}")?;
                }
                if !aggs.is_empty() {
                    f.write_str(" ")?;
                    list(f, aggs, ", ")?;
                }
                if !by.is_empty() {
                    f.write_str(" by ")?;
                    list(f, by, ", ")?;
                }
                Ok(())
            }
            Operator::Join {
                name,
                params,
                right,
                on,
                ..
            } => {
                f.write_str(name)?;
                for p in params {
                    write!(f, " {p}")?;
                }
                write!(f, " ({right})")?;
                if !on.is_empty() {
                    f.write_str(" on ")?;
                    list(f, on, ", ")?;
                }
                Ok(())
            }
            Operator::ProjectRename(a) => {
                f.write_str("project-rename ")?;
                list(f, a, ", ")
            }
            Operator::Union(u) => u.fmt(f),
            Operator::Generic { name, raw, .. } if raw.is_empty() => f.write_str(name),
            Operator::Generic { name, raw, .. } => write!(f, "{name} {raw}"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Name(n)
            | ExprKind::Number(n)
            | ExprKind::Timespan(n)
            | ExprKind::Typed(n) => f.write_str(n),
            ExprKind::BracketName { raw, .. } => write!(f, "[{raw}]"),
            ExprKind::Str { raw, .. } => f.write_str(raw),
            ExprKind::Star => f.write_str("*"),
            ExprKind::Binary { op, lhs, rhs } => write!(f, "{lhs} {op} {rhs}"),
            ExprKind::In {
                op,
                lhs,
                list: items,
                parens,
            } => {
                write!(f, "{lhs} {op} ")?;
                if *parens {
                    f.write_str("(")?;
                    list(f, items, ", ")?;
                    f.write_str(")")
                } else {
                    list(f, items, ", ")
                }
            }
            ExprKind::Between {
                negated,
                lhs,
                low,
                high,
            } => {
                let op = if *negated { "!between" } else { "between" };
                write!(f, "{lhs} {op} ({low} .. {high})")
            }
            ExprKind::Unary { op, expr } => write!(f, "{op}{expr}"),
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                list(f, args, ", ")?;
                f.write_str(")")
            }
            ExprKind::Member { base, name } => write!(f, "{base}.{name}"),
            ExprKind::Index { base, index } => write!(f, "{base}[{index}]"),
            ExprKind::Array(items) => {
                f.write_str("[")?;
                list(f, items, ", ")?;
                f.write_str("]")
            }
            ExprKind::Object(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            ExprKind::Paren(e) => write!(f, "({e})"),
            ExprKind::Tabular(p) => p.fmt(f),
            ExprKind::Named { name, value } => write!(f, "{name} = {value}"),
        }
    }
}
