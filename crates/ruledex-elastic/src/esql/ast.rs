//! The ES|QL syntax tree, and its printing back to ES|QL.
//!
//! Every node prints itself as valid ES|QL (`Display`) that parses back to an
//! equal tree. Keywords and function names print in upper case, commands one
//! per line after `| `, and parentheses only where precedence needs them.
//!
//! Positions are kept in [`Loc`] fields, which never take part in equality, so
//! two trees are equal when they say the same thing wherever it is written.

use std::fmt::{self, Write as _};

use ruledex_diag::Span;

/// Where a node is written in the query text: a byte range that is ignored by
/// `==`, so that a printed and re-parsed tree equals the original.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loc(pub Span);

impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}

/// A whole query: a source command and the processing commands piped after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// `FROM`, `ROW` or `SHOW`.
    pub source: Source,
    /// The commands after the source, in order.
    pub commands: Vec<Command>,
}

/// The command a query starts with.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// `FROM idx1, idx2* METADATA _id, _index`.
    From {
        /// Index patterns (a remote cluster kept as `cluster:pattern`).
        indices: Vec<String>,
        /// Metadata fields asked for.
        metadata: Vec<String>,
        /// Where the command is written.
        loc: Loc,
    },
    /// `ROW a = 1, b = "x"`.
    Row {
        /// The columns.
        fields: Vec<Assign>,
        /// Where the command is written.
        loc: Loc,
    },
    /// `SHOW INFO`.
    Show {
        /// What is shown (upper case).
        item: String,
        /// Where the command is written.
        loc: Loc,
    },
}

/// A processing command and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// The command.
    pub kind: CommandKind,
    /// From the command keyword to the end of its arguments.
    pub loc: Loc,
}

/// The processing commands.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `WHERE condition`.
    Where(Expr),
    /// `EVAL a = expr, expr`.
    Eval(Vec<Assign>),
    /// `STATS …` or `INLINE STATS …`.
    Stats(Stats),
    /// `KEEP pattern, …`; patterns as written.
    Keep(Vec<String>),
    /// `DROP pattern, …`; patterns as written.
    Drop(Vec<String>),
    /// `RENAME old AS new, …` (also written `new = old`).
    Rename(Vec<Rename>),
    /// `SORT expr [ASC|DESC] [NULLS FIRST|LAST], …`.
    Sort(Vec<Order>),
    /// `LIMIT n`.
    Limit(u64),
    /// `MV_EXPAND field`.
    MvExpand(String),
    /// `DISSECT input "pattern" [option = value, …]`.
    Dissect {
        /// The text dissected.
        input: Expr,
        /// The dissect pattern.
        pattern: String,
        /// Options such as `APPEND_SEPARATOR = "-"`.
        options: Vec<(String, Literal)>,
    },
    /// `GROK input "pattern", …`.
    Grok {
        /// The text matched.
        input: Expr,
        /// The grok patterns.
        patterns: Vec<String>,
    },
    /// `ENRICH policy [ON field] [WITH new = field, …]`.
    Enrich {
        /// The enrich policy (with an optional `mode:` prefix).
        policy: String,
        /// The match field pattern.
        on: Option<String>,
        /// Enrich fields, each with an optional new name.
        with: Vec<(Option<String>, String)>,
    },
    /// `LOOKUP JOIN index ON field, …`.
    LookupJoin {
        /// The lookup index.
        index: String,
        /// The join fields, as written.
        on: Vec<String>,
    },
    /// `COMPLETION [target =] prompt WITH { "inference_id": "…" }`.
    Completion {
        /// The column the answer goes to.
        target: Option<String>,
        /// The prompt.
        prompt: Expr,
        /// The options map.
        options: Vec<(String, Literal)>,
    },
    /// `SAMPLE probability`.
    Sample(f64),
}

/// `STATS` and `INLINE STATS`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// `INLINE STATS` (rows are kept, with the aggregates added).
    pub inline: bool,
    /// The aggregates.
    pub aggs: Vec<AggField>,
    /// The grouping keys.
    pub by: Vec<Assign>,
}

/// One aggregate of a `STATS`: `name = AGG(…) [WHERE filter]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AggField {
    /// The output column, when named.
    pub name: Option<String>,
    /// The aggregate expression.
    pub expr: Expr,
    /// Only rows matching this are aggregated.
    pub filter: Option<Expr>,
}

/// `name = expr`, or a bare `expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    /// The output column, when named.
    pub name: Option<String>,
    /// The value.
    pub expr: Expr,
}

/// `old AS new`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rename {
    /// The column renamed (a pattern, as written).
    pub from: String,
    /// Its new name (a pattern, as written).
    pub to: String,
}

/// One key of a `SORT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// What is sorted on.
    pub expr: Expr,
    /// `ASC` (`Some(false)`), `DESC` (`Some(true)`) or neither.
    pub descending: Option<bool>,
    /// `NULLS FIRST` (`Some(true)`), `NULLS LAST` (`Some(false)`) or neither.
    pub nulls_first: Option<bool>,
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent (or a whole number too big for `i64`).
    Float(f64),
    /// A string, escapes undone.
    Str(String),
    /// A time span such as `1 hour`: a whole number and a unit.
    Duration {
        /// The number.
        value: i64,
        /// The unit, lower case (`hour`, `minutes`, `d`).
        unit: String,
    },
    /// `[1, 2]`, `["a", "b"]`.
    Array(Vec<Literal>),
}

/// An expression and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The expression.
    pub kind: ExprKind,
    /// Where it is written.
    pub loc: Loc,
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `=~`: equal ignoring case (ES|QL 8.x).
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
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::CiEq => "=~",
            CmpOp::Neq => "!=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
        }
    }
}

/// A function call: `NAME(args)`, `COUNT(*)`, `MATCH(f, "q", {"k": v})`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The function name, upper case.
    pub name: String,
    /// `(*)`: no arguments but a star.
    pub star: bool,
    /// The arguments.
    pub args: Vec<Expr>,
    /// A trailing `{ "key": value, … }` options map.
    pub options: Option<Vec<(String, Literal)>>,
}

/// Expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Lit(Literal),
    /// A column (qualified name, parts joined with `.`).
    Field(String),
    /// A query parameter: `?`, `?name`, `?1`.
    Param(String),
    /// A function call.
    Call(Call),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a + b`, `a * b`, …
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `a == b`, `a < b`, …
    Cmp {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `x [NOT] LIKE "p"`, `x [NOT] RLIKE ("p", "q")`.
    Like {
        /// The value matched.
        expr: Box<Expr>,
        /// `RLIKE` (regular expressions) rather than `LIKE` (wildcards).
        regex: bool,
        /// `NOT LIKE`.
        negated: bool,
        /// The patterns (any one matches).
        patterns: Vec<String>,
    },
    /// `x [NOT] IN (a, b)`.
    In {
        /// The value looked for.
        expr: Box<Expr>,
        /// `NOT IN`.
        negated: bool,
        /// The list.
        list: Vec<Expr>,
    },
    /// `x IS [NOT] NULL`.
    IsNull {
        /// The value tested.
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `field : "query"` (full-text match operator).
    Match {
        /// The field (possibly cast).
        field: Box<Expr>,
        /// The query.
        query: Literal,
    },
    /// `x::type`.
    Cast {
        /// The value cast.
        expr: Box<Expr>,
        /// The type, lower case.
        ty: String,
    },
    /// `NOT x`.
    Not(Box<Expr>),
    /// `a AND b AND …` (two or more, kept flat).
    And(Vec<Expr>),
    /// `a OR b OR …` (two or more, kept flat).
    Or(Vec<Expr>),
}

impl Expr {
    /// An expression with no position.
    pub fn new(kind: ExprKind) -> Expr {
        Expr {
            kind,
            loc: Loc::default(),
        }
    }

    /// The column name, when this is a plain column reference.
    pub fn as_field(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Field(f) => Some(f),
            _ => None,
        }
    }

    /// The call, when this is a function call.
    pub fn as_call(&self) -> Option<&Call> {
        match &self.kind {
            ExprKind::Call(c) => Some(c),
            _ => None,
        }
    }

    /// The span of the expression in the query text.
    pub fn span(&self) -> Span {
        self.loc.0
    }

    /// Binding strength, for parenthesizing: higher binds tighter.
    fn prec(&self) -> u8 {
        match &self.kind {
            ExprKind::Or(_) => 1,
            ExprKind::And(_) => 2,
            ExprKind::Not(_) => 3,
            ExprKind::Cmp { .. }
            | ExprKind::Like { .. }
            | ExprKind::In { .. }
            | ExprKind::IsNull { .. }
            | ExprKind::Match { .. } => 4,
            ExprKind::Arith {
                op: ArithOp::Add | ArithOp::Sub,
                ..
            } => 5,
            ExprKind::Arith { .. } => 6,
            ExprKind::Neg(_) => 7,
            // A negative number prints with its sign, so it binds like `-x`.
            ExprKind::Lit(Literal::Int(i)) if *i < 0 => 7,
            ExprKind::Lit(Literal::Float(x)) if x.is_sign_negative() => 7,
            ExprKind::Lit(Literal::Duration { value, .. }) if *value < 0 => 7,
            ExprKind::Cast { .. } => 8,
            _ => 9,
        }
    }
}

/// Keywords that an unquoted one-part name cannot be.
pub(crate) const KEYWORDS: &[&str] = &[
    "and", "as", "asc", "by", "desc", "false", "in", "is", "like", "not", "null", "nulls", "on",
    "or", "rlike", "true", "where", "with",
];

fn is_plain_part(part: &str) -> bool {
    let b = part.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() => b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_'),
        Some(b'_' | b'@') => {
            b.len() > 1
                && b[1..]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        }
        _ => false,
    }
}

/// Write a column name, backquoting it when it is not plain parts or is a keyword.
pub(crate) fn write_name(f: &mut impl fmt::Write, name: &str) -> fmt::Result {
    let plain = name.split('.').all(is_plain_part)
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name));
    if plain {
        f.write_str(name)
    } else {
        f.write_char('`')?;
        f.write_str(&name.replace('`', "``"))?;
        f.write_char('`')
    }
}

/// Write a string literal: triple-quoted when that avoids escapes and is
/// possible, else double-quoted with `\` escapes.
pub(crate) fn write_str(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let needs_escape = s.contains(['"', '\\']);
    let triple_ok = !s.contains("\"\"\"")
        && !s.contains(['\n', '\r'])
        && !s.ends_with('"')
        && !s.starts_with('"');
    if needs_escape && triple_ok {
        return write!(f, "\"\"\"{s}\"\"\"");
    }
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Whether an index pattern can be written without quotes and read back the same.
fn is_bare_source(s: &str) -> bool {
    if s.is_empty()
        || s.starts_with(':')
        || s.ends_with(':')
        || s.ends_with('/')
        || s.contains(":::")
        || s.contains("//")
        || s.contains("/*")
        || s.contains(['"', '=', '|', ',', '[', ']'])
        // Any white space the tokenizer skips (it includes the form feed).
        || s.bytes().any(|b| b.is_ascii_whitespace())
    {
        return false;
    }
    let first = s.split(':').next().unwrap_or(s);
    // A slash must be followed by a character of the same run.
    let slash_ok = s
        .match_indices('/')
        .all(|(i, _)| s[i + 1..].chars().next().is_some_and(|c| c != ':'));
    slash_ok && !first.eq_ignore_ascii_case("metadata")
}

fn write_source(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    if is_bare_source(s) {
        f.write_str(s)
    } else {
        write_str(f, s)
    }
}

fn write_float(f: &mut impl fmt::Write, x: f64) -> fmt::Result {
    // `Debug` always shows a fraction or an exponent (`1.0`, `1e30`), so the
    // number reads back as a decimal.
    write!(f, "{x:?}")
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Bool(true) => f.write_str("TRUE"),
            Literal::Bool(false) => f.write_str("FALSE"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write_float(f, *x),
            Literal::Str(s) => write_str(f, s),
            Literal::Duration { value, unit } => write!(f, "{value} {unit}"),
            Literal::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
        }
    }
}

fn write_map(f: &mut fmt::Formatter<'_>, entries: &[(String, Literal)]) -> fmt::Result {
    f.write_char('{')?;
    for (i, (k, v)) in entries.iter().enumerate() {
        f.write_str(if i > 0 { ", " } else { " " })?;
        write_str(f, k)?;
        write!(f, ": {v}")?;
    }
    f.write_str(if entries.is_empty() { "}" } else { " }" })
}

/// Whether `e` prints starting with a number (a `-` before it would make a
/// negative literal).
fn starts_with_number(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(Literal::Int(_) | Literal::Float(_) | Literal::Duration { .. }) => true,
        ExprKind::Cast { expr, .. } => starts_with_number(expr),
        _ => false,
    }
}

/// Write `e`, in parentheses when it binds looser than `min`.
fn child(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.prec() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Lit(l) => write!(f, "{l}"),
            ExprKind::Field(name) => write_name(f, name),
            ExprKind::Param(p) => f.write_str(p),
            ExprKind::Call(c) => {
                write!(f, "{}(", c.name)?;
                if c.star {
                    f.write_char('*')?;
                }
                write_list(f, &c.args)?;
                if let Some(map) = &c.options {
                    if !c.args.is_empty() {
                        f.write_str(", ")?;
                    }
                    write_map(f, map)?;
                }
                f.write_char(')')
            }
            ExprKind::Neg(e) => {
                f.write_char('-')?;
                // `-(5)` stays a negation; `-5` would read back as a literal.
                if starts_with_number(e) {
                    write!(f, "({e})")
                } else {
                    child(f, e, 7)
                }
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let (sym, p) = match op {
                    ArithOp::Add => ("+", 5),
                    ArithOp::Sub => ("-", 5),
                    ArithOp::Mul => ("*", 6),
                    ArithOp::Div => ("/", 6),
                    ArithOp::Mod => ("%", 6),
                };
                child(f, lhs, p)?;
                write!(f, " {sym} ")?;
                child(f, rhs, p + 1)
            }
            ExprKind::Cmp { op, lhs, rhs } => {
                child(f, lhs, 5)?;
                write!(f, " {} ", op.as_str())?;
                child(f, rhs, 5)
            }
            ExprKind::Like {
                expr,
                regex,
                negated,
                patterns,
            } => {
                child(f, expr, 5)?;
                if *negated {
                    f.write_str(" NOT")?;
                }
                f.write_str(if *regex { " RLIKE " } else { " LIKE " })?;
                if let [one] = patterns.as_slice() {
                    write_str(f, one)
                } else {
                    f.write_char('(')?;
                    for (i, p) in patterns.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write_str(f, p)?;
                    }
                    f.write_char(')')
                }
            }
            ExprKind::In {
                expr,
                negated,
                list,
            } => {
                child(f, expr, 5)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                write_list(f, list)?;
                f.write_char(')')
            }
            ExprKind::IsNull { expr, negated } => {
                child(f, expr, 5)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            ExprKind::Match { field, query } => {
                child(f, field, 8)?;
                write!(f, " : {query}")
            }
            ExprKind::Cast { expr, ty } => {
                child(f, expr, 8)?;
                write!(f, "::{ty}")
            }
            ExprKind::Not(e) => {
                f.write_str("NOT ")?;
                child(f, e, 3)
            }
            ExprKind::And(terms) | ExprKind::Or(terms) => {
                let (sep, p) = if matches!(self.kind, ExprKind::And(_)) {
                    (" AND ", 3)
                } else {
                    (" OR ", 2)
                };
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    child(f, t, p)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Assign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.name {
            write_name(f, name)?;
            f.write_str(" = ")?;
        }
        write!(f, "{}", self.expr)
    }
}

fn write_assigns(f: &mut fmt::Formatter<'_>, items: &[Assign]) -> fmt::Result {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

fn write_joined(f: &mut fmt::Formatter<'_>, items: &[String]) -> fmt::Result {
    f.write_str(&items.join(", "))
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::From {
                indices, metadata, ..
            } => {
                f.write_str("FROM ")?;
                for (i, idx) in indices.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_source(f, idx)?;
                }
                if !metadata.is_empty() {
                    f.write_str(" METADATA ")?;
                    write_joined(f, metadata)?;
                }
                Ok(())
            }
            Source::Row { fields, .. } => {
                f.write_str("ROW ")?;
                write_assigns(f, fields)
            }
            Source::Show { item, .. } => write!(f, "SHOW {item}"),
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandKind::Where(e) => write!(f, "WHERE {e}"),
            CommandKind::Eval(items) => {
                f.write_str("EVAL ")?;
                write_assigns(f, items)
            }
            CommandKind::Stats(s) => {
                f.write_str(if s.inline { "INLINE STATS" } else { "STATS" })?;
                for (i, a) in s.aggs.iter().enumerate() {
                    f.write_str(if i > 0 { ", " } else { " " })?;
                    if let Some(name) = &a.name {
                        write_name(f, name)?;
                        f.write_str(" = ")?;
                    }
                    write!(f, "{}", a.expr)?;
                    if let Some(filter) = &a.filter {
                        write!(f, " WHERE {filter}")?;
                    }
                }
                if !s.by.is_empty() {
                    f.write_str(" BY ")?;
                    write_assigns(f, &s.by)?;
                }
                Ok(())
            }
            CommandKind::Keep(p) => {
                f.write_str("KEEP ")?;
                write_joined(f, p)
            }
            CommandKind::Drop(p) => {
                f.write_str("DROP ")?;
                write_joined(f, p)
            }
            CommandKind::Rename(items) => {
                f.write_str("RENAME ")?;
                for (i, r) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} AS {}", r.from, r.to)?;
                }
                Ok(())
            }
            CommandKind::Sort(keys) => {
                f.write_str("SORT ")?;
                for (i, o) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", o.expr)?;
                    match o.descending {
                        Some(true) => f.write_str(" DESC")?,
                        Some(false) => f.write_str(" ASC")?,
                        None => {}
                    }
                    match o.nulls_first {
                        Some(true) => f.write_str(" NULLS FIRST")?,
                        Some(false) => f.write_str(" NULLS LAST")?,
                        None => {}
                    }
                }
                Ok(())
            }
            CommandKind::Limit(n) => write!(f, "LIMIT {n}"),
            CommandKind::MvExpand(field) => {
                f.write_str("MV_EXPAND ")?;
                write_name(f, field)
            }
            CommandKind::Dissect {
                input,
                pattern,
                options,
            } => {
                f.write_str("DISSECT ")?;
                child(f, input, 9)?;
                f.write_char(' ')?;
                write_str(f, pattern)?;
                for (i, (k, v)) in options.iter().enumerate() {
                    f.write_str(if i > 0 { ", " } else { " " })?;
                    write_name(f, k)?;
                    write!(f, " = {v}")?;
                }
                Ok(())
            }
            CommandKind::Grok { input, patterns } => {
                f.write_str("GROK ")?;
                child(f, input, 9)?;
                for (i, p) in patterns.iter().enumerate() {
                    f.write_str(if i > 0 { ", " } else { " " })?;
                    write_str(f, p)?;
                }
                Ok(())
            }
            CommandKind::Enrich { policy, on, with } => {
                f.write_str("ENRICH ")?;
                write_source(f, policy)?;
                if let Some(on) = on {
                    write!(f, " ON {on}")?;
                }
                for (i, (new, field)) in with.iter().enumerate() {
                    f.write_str(if i > 0 { ", " } else { " WITH " })?;
                    if let Some(new) = new {
                        write!(f, "{new} = ")?;
                    }
                    f.write_str(field)?;
                }
                Ok(())
            }
            CommandKind::LookupJoin { index, on } => {
                f.write_str("LOOKUP JOIN ")?;
                write_source(f, index)?;
                f.write_str(" ON ")?;
                write_joined(f, on)
            }
            CommandKind::Completion {
                target,
                prompt,
                options,
            } => {
                f.write_str("COMPLETION ")?;
                if let Some(t) = target {
                    write_name(f, t)?;
                    f.write_str(" = ")?;
                }
                write!(f, "{prompt} WITH ")?;
                write_map(f, options)
            }
            CommandKind::Sample(p) => {
                f.write_str("SAMPLE ")?;
                write_float(f, *p)
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl fmt::Display for Query {
    /// The query, one command per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        for c in &self.commands {
            write!(f, "\n| {c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> String {
        let mut out = String::new();
        write_name(&mut out, s).unwrap();
        out
    }

    fn string(s: &str) -> String {
        let mut out = String::new();
        write_str(&mut out, s).unwrap();
        out
    }

    macro_rules! cases {
        ($($case:ident: $f:ident($input:expr) => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!($f($input), $want);
            }
        )*};
    }

    cases! {
        plain_name: name("process.parent.name") => "process.parent.name";
        at_name: name("@timestamp") => "@timestamp";
        spaced_name_is_quoted: name("my field") => "`my field`";
        keyword_name_is_quoted: name("by") => "`by`";
        keyword_part_is_plain: name("source.as.number") => "source.as.number";
        empty_part_is_quoted: name("a..b") => "`a..b`";
        backquote_doubled: name("a`b") => "`a``b`";
        digit_start_is_quoted: name("1a") => "`1a`";
        plain_string: string("cmd.exe") => "\"cmd.exe\"";
        backslash_string_is_triple: string("C:\\Windows") => "\"\"\"C:\\Windows\"\"\"";
        newline_string_is_escaped: string("a\n\"b") => "\"a\\n\\\"b\"";
        trailing_quote_is_escaped: string("a\"") => "\"a\\\"\"";
    }

    #[test]
    fn loc_is_ignored_by_equality() {
        let a = Expr {
            kind: ExprKind::Field("x".into()),
            loc: Loc(Span::new(0, 1)),
        };
        let b = Expr {
            kind: ExprKind::Field("x".into()),
            loc: Loc(Span::new(5, 9)),
        };
        assert_eq!(a, b);
    }

    #[test]
    fn bare_sources() {
        assert!(is_bare_source("logs-*"));
        assert!(is_bare_source("remote:logs-*"));
        assert!(is_bare_source("<logs-{now/d}>"));
        assert!(!is_bare_source("metadata"));
        assert!(!is_bare_source("a b"));
        // The form feed is white space to the tokenizer (found by fuzzing).
        assert!(!is_bare_source("\u{c}"));
        assert!(!is_bare_source(":a"));
        assert!(!is_bare_source("a/"));
    }
}
