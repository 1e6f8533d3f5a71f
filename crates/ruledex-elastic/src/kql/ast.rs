//! The KQL syntax tree, and its printing back to KQL.
//!
//! Spans are kept on every literal and leaf so that the model can point into
//! the query, and are left out of equality on purpose: two trees are equal when
//! they say the same thing, wherever it was written. `Display` prints a query
//! that Kibana's own parser accepts and that [`super::parse`] reads back to an
//! equal tree: parentheses are printed where precedence needs them, `not not x`
//! is printed `not (not x)`, and a value list is always parenthesized.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use ruledex_diag::Span;
use ruledex_model::Op;

/// A KQL query: `or` binds loosest, then `and`, then `not`.
///
/// `Or` and `And` hold two or more operands; a chain `a or b or c` is one flat
/// node, while parentheses that group a same-kind chain (`(a or b) or c`) are
/// kept as nesting, so that printing gives back what was written.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    /// `a or b or …`.
    Or(Vec<Query>),
    /// `a and b and …`.
    And(Vec<Query>),
    /// `not a`.
    Not(Box<Query>),
    /// `field:value` or `field:(value list)`.
    Match(FieldMatch),
    /// `field > value`, `>=`, `<`, `<=`.
    Range(RangeMatch),
    /// `field:{ query }`: a query on the objects of a nested field.
    Nested(NestedMatch),
    /// A value with no field, searched for in every field.
    FreeText(Literal),
}

/// `field:value` or `field:(a or b and not c)`.
#[derive(Clone, Debug)]
pub struct FieldMatch {
    /// The field (a literal: it may be quoted or hold `*`).
    pub field: Literal,
    /// The value or values.
    pub values: ValueList,
    /// From the field to the last value (or closing parenthesis).
    pub span: Span,
}

impl PartialEq for FieldMatch {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field && self.values == other.values
    }
}

/// `field > value` and the other comparisons.
#[derive(Clone, Debug)]
pub struct RangeMatch {
    /// The field.
    pub field: Literal,
    /// The comparison.
    pub op: RangeOp,
    /// The bound.
    pub value: Literal,
    /// From the field to the value.
    pub span: Span,
}

impl PartialEq for RangeMatch {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field && self.op == other.op && self.value == other.value
    }
}

/// `field:{ query }`.
#[derive(Clone, Debug)]
pub struct NestedMatch {
    /// The nested field (the path of the objects).
    pub field: Literal,
    /// The query on each object; its fields are relative to `field`.
    pub query: Box<Query>,
    /// From the field to the closing brace.
    pub span: Span,
}

impl PartialEq for NestedMatch {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field && self.query == other.query
    }
}

/// The values of one field: a single literal, or a boolean combination of them
/// written in parentheses (`process.name:(a or b)`).
#[derive(Clone, Debug, PartialEq)]
pub enum ValueList {
    /// Any of the operands.
    Or(Vec<ValueList>),
    /// All of the operands.
    And(Vec<ValueList>),
    /// Not the operand.
    Not(Box<ValueList>),
    /// One value.
    Value(Literal),
}

/// A range comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeOp {
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
}

impl RangeOp {
    /// The KQL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Lte => "<=",
            RangeOp::Gt => ">",
            RangeOp::Gte => ">=",
        }
    }

    /// The model operator.
    pub fn op(self) -> Op {
        match self {
            RangeOp::Lt => Op::Lt,
            RangeOp::Lte => Op::Lte,
            RangeOp::Gt => Op::Gt,
            RangeOp::Gte => Op::Gte,
        }
    }
}

impl fmt::Display for RangeOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field name or value as written: quoted (a phrase, where `*` is a plain
/// character) or unquoted (where `*` is a wildcard).
#[derive(Clone, Debug)]
pub struct Literal {
    /// What it says.
    pub kind: LiteralKind,
    /// Where it is written, quotes included (trailing spaces excluded).
    pub span: Span,
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// The two kinds of literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiteralKind {
    /// `"…"`, escapes undone.
    Quoted(String),
    /// Unquoted text, escapes undone, split at its `*` wildcards. Never empty;
    /// no two `Text` pieces are adjacent and none is empty.
    Unquoted(Vec<Piece>),
}

/// A piece of an unquoted literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// `*`: any run of characters, possibly empty.
    Wildcard,
}

impl Literal {
    /// A quoted literal.
    pub fn quoted(text: impl Into<String>, span: Span) -> Literal {
        Literal {
            kind: LiteralKind::Quoted(text.into()),
            span,
        }
    }

    /// An unquoted literal from its pieces, normalized: empty texts dropped,
    /// adjacent texts merged.
    pub fn unquoted(pieces: impl IntoIterator<Item = Piece>, span: Span) -> Literal {
        let mut out: Vec<Piece> = Vec::new();
        for p in pieces {
            match (p, out.last_mut()) {
                (Piece::Text(t), _) if t.is_empty() => {}
                (Piece::Text(t), Some(Piece::Text(last))) => last.push_str(&t),
                (p, _) => out.push(p),
            }
        }
        Literal {
            kind: LiteralKind::Unquoted(out),
            span,
        }
    }

    /// An unquoted literal from pieces already canonical (the lexer's).
    pub(super) fn from_canonical(pieces: Vec<Piece>, span: Span) -> Literal {
        Literal {
            kind: LiteralKind::Unquoted(pieces),
            span,
        }
    }

    /// An unquoted literal with no wildcard.
    pub fn word(text: impl Into<String>, span: Span) -> Literal {
        Literal::unquoted([Piece::Text(text.into())], span)
    }

    /// Whether it was written in quotes.
    pub fn is_quoted(&self) -> bool {
        matches!(self.kind, LiteralKind::Quoted(_))
    }

    /// Whether it holds a `*` wildcard (never true when quoted).
    pub fn has_wildcard(&self) -> bool {
        match &self.kind {
            LiteralKind::Quoted(_) => false,
            LiteralKind::Unquoted(p) => p.contains(&Piece::Wildcard),
        }
    }

    /// Whether it is a lone unquoted `*` (`field:*` is an exists test).
    pub fn is_lone_wildcard(&self) -> bool {
        matches!(&self.kind, LiteralKind::Unquoted(p) if p.as_slice() == [Piece::Wildcard])
    }

    /// The text, when it has no wildcard.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match &self.kind {
            LiteralKind::Quoted(s) => Some(Cow::Borrowed(s)),
            LiteralKind::Unquoted(pieces) => match pieces.as_slice() {
                [] => Some(Cow::Borrowed("")),
                [Piece::Text(s)] => Some(Cow::Borrowed(s)),
                _ => None,
            },
        }
    }

    /// The unquoted text, when the literal is unquoted and has no wildcard:
    /// the form in which `true`, `false`, `null` and numbers are typed.
    pub fn bare_word(&self) -> Option<&str> {
        match &self.kind {
            LiteralKind::Unquoted(pieces) => match pieces.as_slice() {
                [Piece::Text(s)] => Some(s),
                _ => None,
            },
            LiteralKind::Quoted(_) => None,
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LiteralKind::Quoted(s) => write_quoted(f, s),
            LiteralKind::Unquoted(pieces) => write_unquoted(f, pieces),
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            '\t' => f.write_str("\\t")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Print an unquoted literal so that it reads back as the same pieces.
///
/// Escapes the special characters, whitespace other than inner spaces, spaces
/// at either end (they would be trimmed), and the keywords `and`/`or` after a
/// space and `not` before one. A lowercase `n` is escaped as `\u006e`, because
/// `\n` is a newline.
fn write_unquoted(f: &mut fmt::Formatter<'_>, pieces: &[Piece]) -> fmt::Result {
    let last_piece = pieces.len().saturating_sub(1);
    for (pi, piece) in pieces.iter().enumerate() {
        let s = match piece {
            Piece::Wildcard => {
                f.write_char('*')?;
                continue;
            }
            Piece::Text(s) => s.as_str(),
        };
        let mut prev: Option<char> = match pieces.get(pi.wrapping_sub(1)) {
            Some(Piece::Wildcard) => Some('*'),
            _ => None,
        };
        for (i, c) in s.char_indices() {
            let rest = &s[i..];
            let literal_start = pi == 0 && i == 0;
            let literal_end = pi == last_piece && i + c.len_utf8() == s.len();
            let after_space = prev == Some(' ') || literal_start;
            // A keyword needs a space after it, or the end of the literal (a space may follow).
            let keyword_at = |kw: &str| {
                let starts = rest
                    .get(..kw.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(kw));
                starts
                    && match rest.as_bytes().get(kw.len()) {
                        Some(b) => *b == b' ',
                        None => pi == last_piece,
                    }
            };
            let escape_keyword =
                (after_space && (keyword_at("and") || keyword_at("or"))) || keyword_at("not");
            match c {
                '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                '\t' => f.write_str("\\t")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\u{a0}' => f.write_str("\\u00a0")?,
                ' ' if literal_start || literal_end => f.write_str("\\u0020")?,
                'n' if escape_keyword => f.write_str("\\u006e")?,
                c if escape_keyword => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                c => f.write_char(c)?,
            }
            prev = Some(c);
        }
    }
    Ok(())
}

/// Precedence level of a node, for parenthesizing: 0 = or, 1 = and, 2 = not, 3 = leaf.
trait Level {
    fn level(&self) -> u8;
}

impl Level for Query {
    fn level(&self) -> u8 {
        match self {
            Query::Or(_) => 0,
            Query::And(_) => 1,
            Query::Not(_) => 2,
            _ => 3,
        }
    }
}

impl Level for ValueList {
    fn level(&self) -> u8 {
        match self {
            ValueList::Or(_) => 0,
            ValueList::And(_) => 1,
            ValueList::Not(_) => 2,
            ValueList::Value(_) => 3,
        }
    }
}

/// Write `child`, in parentheses when its level is at most `paren_up_to`.
fn write_child<T: Level + fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    child: &T,
    paren_up_to: u8,
) -> fmt::Result {
    if child.level() <= paren_up_to {
        write!(f, "({child})")
    } else {
        write!(f, "{child}")
    }
}

/// Shared printing of the boolean skeleton of queries and value lists.
fn write_bool<T: Level + fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    or: Option<&[T]>,
    and: Option<&[T]>,
    not: Option<&T>,
) -> fmt::Result {
    // Same-kind nesting is kept (it came from parentheses), so a child of the
    // same kind is parenthesized too; `not` takes a leaf or a parenthesized group.
    let (items, sep, paren_up_to) = match (or, and, not) {
        (Some(items), _, _) => (items, " or ", 0),
        (_, Some(items), _) => (items, " and ", 1),
        (_, _, Some(child)) => {
            f.write_str("not ")?;
            return write_child(f, child, 2);
        }
        _ => return Ok(()),
    };
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write_child(f, item, paren_up_to)?;
    }
    Ok(())
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Or(items) => write_bool(f, Some(items), None, None),
            Query::And(items) => write_bool(f, None, Some(items), None),
            Query::Not(child) => write_bool::<Query>(f, None, None, Some(child)),
            Query::Match(m) => m.fmt(f),
            Query::Range(r) => r.fmt(f),
            Query::Nested(n) => n.fmt(f),
            Query::FreeText(v) => v.fmt(f),
        }
    }
}

impl fmt::Display for ValueList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueList::Or(items) => write_bool(f, Some(items), None, None),
            ValueList::And(items) => write_bool(f, None, Some(items), None),
            ValueList::Not(child) => write_bool::<ValueList>(f, None, None, Some(child)),
            ValueList::Value(v) => v.fmt(f),
        }
    }
}

impl fmt::Display for FieldMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.values {
            ValueList::Value(v) => write!(f, "{}:{v}", self.field),
            list => write!(f, "{}:({list})", self.field),
        }
    }
}

impl fmt::Display for RangeMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.field, self.op, self.value)
    }
}

impl fmt::Display for NestedMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{{ {} }}", self.field, self.query)
    }
}
