//! The EQL syntax tree, and its printer.
//!
//! Every node keeps the byte range it was parsed from in a [`NodeSpan`], which
//! compares equal to any other span: two trees are equal when they have the
//! same structure, wherever they were written. `Display` prints a tree back as
//! valid EQL that parses to an equal tree; parentheses are printed only where
//! the tree needs them, and strings are always printed as `"…"` with escapes.

use std::fmt::{self, Write as _};

use ruledex_diag::Span;

/// A span that is left out of equality: `NodeSpan(a) == NodeSpan(b)` for any
/// `a` and `b`, so that `#[derive(PartialEq)]` on the tree compares structure only.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeSpan(pub Span);

impl PartialEq for NodeSpan {
    fn eq(&self, _: &NodeSpan) -> bool {
        true
    }
}

impl From<Span> for NodeSpan {
    fn from(span: Span) -> NodeSpan {
        NodeSpan(span)
    }
}

/// A whole EQL query: an event query, a sequence or a sample, then pipes.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// What the query matches.
    pub body: QueryBody,
    /// `| head 5`, `| filter …`, in order.
    pub pipes: Vec<Pipe>,
    /// The whole query.
    pub span: NodeSpan,
}

/// The three kinds of query.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryBody {
    /// `category where condition`.
    Event(EventQuery),
    /// `sequence [by …] [with maxspan=…] [..] [..] … [until [..]]`.
    Sequence(Sequence),
    /// `sample [by …] [..] [..] …`.
    Sample(Sample),
}

/// `category where condition`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventQuery {
    /// The event category, or `any`.
    pub category: Category,
    /// The condition after `where`.
    pub condition: Expr,
    /// From the category to the end of the condition.
    pub span: NodeSpan,
}

/// The event category of an event query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Category {
    /// `any`: events of every category.
    Any,
    /// A named category (`process`, or quoted: `"my-category"`).
    Named(String),
}

/// `sequence …`: events matching the terms, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Join keys shared by every term (`sequence by host.id`).
    pub by: Vec<Expr>,
    /// `with maxspan=5m`.
    pub maxspan: Option<TimeSpan>,
    /// The terms, at least one.
    pub terms: Vec<SequenceTerm>,
    /// `until [..]`: an event that cancels the sequence.
    pub until: Option<SequenceTerm>,
}

/// One bracketed term of a sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceTerm {
    /// The events the term matches.
    pub query: EventQuery,
    /// Join keys of this term (`[..] by process.entity_id`).
    pub by: Vec<Expr>,
    /// `with runs=N`: the term repeats `N` times in a row (1 to [`MAX_RUNS`]).
    pub runs: Option<u32>,
    /// `![..]`: a missing-event term, matched when no such event occurs.
    pub missing: bool,
    /// From `[` (or `!`) to the end of the term.
    pub span: NodeSpan,
}

/// Largest `runs` value Elasticsearch accepts.
pub const MAX_RUNS: u32 = 100;

/// Most steps a sequence may have once `with runs=N` terms are counted `N`
/// times, so that lowering (which repeats them) stays bounded.
pub const MAX_SEQUENCE_STEPS: usize = 1000;

/// `sample …`: events matching every term, in any order.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Join keys shared by every term.
    pub by: Vec<Expr>,
    /// The terms, at least one.
    pub terms: Vec<SampleTerm>,
}

/// One bracketed term of a sample.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleTerm {
    /// The events the term matches.
    pub query: EventQuery,
    /// Join keys of this term.
    pub by: Vec<Expr>,
    /// From `[` to the end of the term.
    pub span: NodeSpan,
}

/// A duration such as `5m` (`maxspan`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeSpan {
    /// The number.
    pub amount: u64,
    /// The unit as written (`ms`, `s`, `m`, `h`, `d`), if any.
    pub unit: Option<String>,
}

/// `| name args…`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipe {
    /// `head`, `tail`, `filter`, `unique`, `unique_count`, `count`, …
    pub name: String,
    /// Arguments, comma-separated.
    pub args: Vec<Expr>,
    /// From `|` to the last argument.
    pub span: NodeSpan,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: NodeSpan,
}

impl Expr {
    /// An expression at `span`.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr {
            kind,
            span: NodeSpan(span),
        }
    }

    /// An expression with no position (for trees built in code).
    pub fn unplaced(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: NodeSpan::default(),
        }
    }
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Two or more terms joined by `and` (a chain stays flat; parentheses nest).
    And(Vec<Expr>),
    /// Two or more terms joined by `or`.
    Or(Vec<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `left op right` with `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `value : pattern`, `value like~ ("a*", "b")`, `value regex "…"`.
    Match {
        /// The tested value (a field, usually).
        value: Box<Expr>,
        /// The operator.
        op: MatchOp,
        /// One pattern or a parenthesized list.
        patterns: Patterns,
    },
    /// `value in (…)`, `value in~ (…)`, `value not in (…)`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// `in~`: compare case-insensitively.
        insensitive: bool,
        /// `not in`.
        negated: bool,
        /// The list, at least one item.
        list: Vec<Expr>,
    },
    /// `left op right` with `+`, `-`, `*`, `/`, `%`.
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `-x` (a negative number literal is a [`Literal`], not this).
    Neg(Box<Expr>),
    /// `name(args)` or `name~(args)`.
    Call(Call),
    /// A field.
    Field(FieldPath),
    /// A constant.
    Literal(Literal),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==` (case-sensitive for strings).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A string-matching operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    /// `:`: case-insensitive equality with `*` and `?` wildcards.
    Colon,
    /// `like`: case-sensitive wildcard match.
    Like,
    /// `like~`: case-insensitive wildcard match.
    LikeInsensitive,
    /// `regex`: case-sensitive regular expression (Lucene syntax, whole value).
    Regex,
    /// `regex~`: case-insensitive regular expression.
    RegexInsensitive,
}

impl MatchOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Colon => ":",
            MatchOp::Like => "like",
            MatchOp::LikeInsensitive => "like~",
            MatchOp::Regex => "regex",
            MatchOp::RegexInsensitive => "regex~",
        }
    }
}

/// The right side of a [`ExprKind::Match`].
#[derive(Clone, Debug, PartialEq)]
pub enum Patterns {
    /// One pattern: a literal, a field or a function call.
    One(Box<Expr>),
    /// `("a", "b*")`: a parenthesized list, at least one item.
    List(Vec<Expr>),
}

impl Patterns {
    /// The patterns, one or many.
    pub fn as_slice(&self) -> &[Expr] {
        match self {
            Patterns::One(e) => std::slice::from_ref(e),
            Patterns::List(v) => v,
        }
    }
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
}

impl ArithOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

/// A function call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The name as written, without `~` (function names are case-insensitive).
    pub name: String,
    /// `name~(…)`: the case-insensitive variant.
    pub insensitive: bool,
    /// The arguments.
    pub args: Vec<Expr>,
}

/// A field reference: `process.name`, `` `my-field`.x ``, `?process.name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    /// `?field`: an optional field, which may be missing from the index mapping.
    pub optional: bool,
    /// The dot-separated parts, with backtick escaping undone.
    pub segments: Vec<String>,
}

impl FieldPath {
    /// The dotted name (`process.parent.name`), without `?` or backticks.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }
}

/// A constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A string, escapes undone.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A decimal number (finite).
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Words that are not field names unless escaped with backticks.
pub(crate) const KEYWORDS: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "not", "null", "of", "or", "regex",
    "sample", "sequence", "true", "until", "where", "with",
];

/// Whether `s` can be written as a bare identifier.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '@')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Write `s` as a double-quoted EQL string.
pub(crate) fn write_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{{{:02X}}}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.body {
            QueryBody::Event(q) => write!(f, "{q}")?,
            QueryBody::Sequence(s) => write!(f, "{s}")?,
            QueryBody::Sample(s) => write!(f, "{s}")?,
        }
        for p in &self.pipes {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for EventQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} where {}", self.category, self.condition)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Category::Any => f.write_str("any"),
            Category::Named(n) if is_identifier(n) && !KEYWORDS.contains(&n.as_str()) => {
                f.write_str(n)
            }
            Category::Named(n) => write_string(f, n),
        }
    }
}

fn write_by(f: &mut fmt::Formatter<'_>, by: &[Expr]) -> fmt::Result {
    if by.is_empty() {
        return Ok(());
    }
    f.write_str(" by ")?;
    // Join keys are read at the arithmetic level: a condition needs parentheses.
    for (i, e) in by.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        let condition = matches!(
            e.kind,
            ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Not(_) | ExprKind::Compare { .. }
        );
        if condition {
            write!(f, "({e})")?;
        } else {
            write!(f, "{e}")?;
        }
    }
    Ok(())
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

impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sequence")?;
        write_by(f, &self.by)?;
        if let Some(m) = &self.maxspan {
            write!(f, " with maxspan={m}")?;
        }
        for t in &self.terms {
            write!(f, "\n  {t}")?;
        }
        if let Some(u) = &self.until {
            write!(f, "\nuntil\n  {u}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SequenceTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missing {
            f.write_char('!')?;
        }
        write!(f, "[{}]", self.query)?;
        write_by(f, &self.by)?;
        if let Some(n) = self.runs {
            write!(f, " with runs={n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sample")?;
        write_by(f, &self.by)?;
        for t in &self.terms {
            write!(f, "\n  [{}]", t.query)?;
            write_by(f, &t.by)?;
        }
        Ok(())
    }
}

impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.as_deref().unwrap_or(""))
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "| {}", self.name)?;
        if !self.args.is_empty() {
            f.write_char(' ')?;
            write_list(f, &self.args)?;
        }
        Ok(())
    }
}

/// How tightly an expression binds, for deciding where parentheses go.
fn is_primary(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Call(_) | ExprKind::Field(_) | ExprKind::Literal(_)
    )
}

/// Write `e`, in parentheses unless it is a primary expression.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    if is_primary(e) {
        write!(f, "{e}")
    } else {
        write!(f, "({e})")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::And(terms) | ExprKind::Or(terms) => {
                let is_and = matches!(self.kind, ExprKind::And(_));
                let sep = if is_and { " and " } else { " or " };
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    // A nested chain of either kind keeps its parentheses, so
                    // that it parses back as the same nested node.
                    let paren = match t.kind {
                        ExprKind::Or(_) => true,
                        ExprKind::And(_) => is_and,
                        _ => false,
                    };
                    if paren {
                        write!(f, "({t})")?;
                    } else {
                        write!(f, "{t}")?;
                    }
                }
                Ok(())
            }
            ExprKind::Not(inner) => {
                if matches!(inner.kind, ExprKind::And(_) | ExprKind::Or(_)) {
                    write!(f, "not ({inner})")
                } else {
                    write!(f, "not {inner}")
                }
            }
            ExprKind::Compare { op, left, right } => {
                write_operand(f, left)?;
                write!(f, " {} ", op.as_str())?;
                write_operand(f, right)
            }
            ExprKind::Match {
                value,
                op,
                patterns,
            } => {
                write_operand(f, value)?;
                match op {
                    MatchOp::Colon => f.write_str(" : ")?,
                    other => write!(f, " {} ", other.as_str())?,
                }
                match patterns {
                    Patterns::One(p) => write_operand(f, p),
                    Patterns::List(items) => {
                        f.write_char('(')?;
                        write_list(f, items)?;
                        f.write_char(')')
                    }
                }
            }
            ExprKind::In {
                value,
                insensitive,
                negated,
                list,
            } => {
                write_operand(f, value)?;
                f.write_str(if *negated { " not in" } else { " in" })?;
                if *insensitive {
                    f.write_char('~')?;
                }
                f.write_str(" (")?;
                write_list(f, list)?;
                f.write_char(')')
            }
            ExprKind::Arith { op, left, right } => {
                write_operand(f, left)?;
                write!(f, " {} ", op.as_str())?;
                write_operand(f, right)
            }
            ExprKind::Neg(inner) => {
                f.write_char('-')?;
                // `-5` would read back as the literal -5, not as `-` applied to 5.
                if matches!(
                    inner.kind,
                    ExprKind::Literal(Literal::Int(_) | Literal::Float(_))
                ) {
                    write!(f, "({inner})")
                } else if matches!(inner.kind, ExprKind::Neg(_)) {
                    // `--x` reads back as two negations; parentheses would
                    // cost nesting depth the original did not use.
                    write!(f, "{inner}")
                } else {
                    write_operand(f, inner)
                }
            }
            ExprKind::Call(c) => write!(f, "{c}"),
            ExprKind::Field(p) => write!(f, "{p}"),
            ExprKind::Literal(l) => write!(f, "{l}"),
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.insensitive {
            f.write_char('~')?;
        }
        f.write_char('(')?;
        write_list(f, &self.args)?;
        f.write_char(')')
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.optional {
            f.write_char('?')?;
        }
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            let bare = is_identifier(s) && (i > 0 || !KEYWORDS.contains(&s.as_str()));
            if bare {
                f.write_str(s)?;
            } else {
                f.write_char('`')?;
                for c in s.chars() {
                    if c == '`' {
                        f.write_char('`')?;
                    }
                    f.write_char(c)?;
                }
                f.write_char('`')?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write_string(f, s),
            Literal::Int(i) => write!(f, "{i}"),
            // `{:?}` keeps a decimal point (`1.0`) so the number reads back as a float.
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
        }
    }
}
