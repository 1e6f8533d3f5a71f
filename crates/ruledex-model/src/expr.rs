//! Boolean expressions over events: the logic of a rule.

use std::fmt::{self, Write as _};

use ruledex_diag::Span;
use serde::{Deserialize, Serialize};

use crate::value::Value;

/// A boolean expression over one event.
///
/// Constructors ([`Expr::and`], [`Expr::or`], [`Expr::not`]) flatten nested
/// nodes of the same kind and unwrap single-child groups, so two front-ends that
/// mean the same thing build the same tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    /// Every child holds.
    And(Vec<Expr>),
    /// At least one child holds.
    Or(Vec<Expr>),
    /// The child does not hold.
    Not(Box<Expr>),
    /// A test on one field.
    Pred(Pred),
    /// A field-less test: the values are searched for anywhere in the event.
    Keyword(Keyword),
    /// A part of the rule that could not be reduced to the model, kept with the reason.
    Opaque(Opaque),
}

impl Expr {
    /// Conjunction, flattened: nested `And`s are merged and one child stands alone.
    pub fn and(children: Vec<Expr>) -> Expr {
        let mut out = Vec::with_capacity(children.len());
        for c in children {
            match c {
                Expr::And(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        if out.len() == 1 {
            out.pop().expect("one child")
        } else {
            Expr::And(out)
        }
    }

    /// Disjunction, flattened: nested `Or`s are merged and one child stands alone.
    pub fn or(children: Vec<Expr>) -> Expr {
        let mut out = Vec::with_capacity(children.len());
        for c in children {
            match c {
                Expr::Or(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        if out.len() == 1 {
            out.pop().expect("one child")
        } else {
            Expr::Or(out)
        }
    }

    /// Negation; a double negation cancels out.
    #[allow(clippy::should_implement_trait)]
    pub fn not(child: Expr) -> Expr {
        match child {
            Expr::Not(inner) => *inner,
            other => Expr::Not(Box::new(other)),
        }
    }

    /// An opaque node with a reason and the text it stands for.
    pub fn opaque(reason: impl Into<String>, text: impl Into<String>, span: Option<Span>) -> Expr {
        Expr::Opaque(Opaque {
            reason: reason.into(),
            text: text.into(),
            span,
        })
    }

    /// Whether any node of the tree is [`Expr::Opaque`].
    pub fn has_opaque(&self) -> bool {
        self.any(&mut |e| matches!(e, Expr::Opaque(_)))
    }

    /// Whether the tree holds at least one predicate or keyword test.
    pub fn has_predicate(&self) -> bool {
        self.any(&mut |e| matches!(e, Expr::Pred(_) | Expr::Keyword(_)))
    }

    /// Whether `f` holds for some node (pre-order).
    pub fn any(&self, f: &mut impl FnMut(&Expr) -> bool) -> bool {
        if f(self) {
            return true;
        }
        match self {
            Expr::And(c) | Expr::Or(c) => c.iter().any(|e| e.any(f)),
            Expr::Not(c) => c.any(f),
            _ => false,
        }
    }

    /// Every predicate in the tree, in order.
    pub fn preds(&self) -> Vec<&Pred> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Pred(p) = e {
                out.push(p);
            }
        });
        out
    }

    /// Every opaque node in the tree, in order.
    pub fn opaques(&self) -> Vec<&Opaque> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Opaque(o) = e {
                out.push(o);
            }
        });
        out
    }

    /// Call `f` on every node (pre-order).
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::And(c) | Expr::Or(c) => c.iter().for_each(|e| e.visit(f)),
            Expr::Not(c) => c.visit(f),
            _ => {}
        }
    }

    /// Call `f` on every predicate, mutably (used to fill in canonical fields).
    pub fn visit_preds_mut(&mut self, f: &mut impl FnMut(&mut Pred)) {
        match self {
            Expr::And(c) | Expr::Or(c) => c.iter_mut().for_each(|e| e.visit_preds_mut(f)),
            Expr::Not(c) => c.visit_preds_mut(f),
            Expr::Pred(p) => f(p),
            _ => {}
        }
    }

    /// Rewrite every span in the tree (predicates, keywords, opaque parts).
    pub fn map_spans(&mut self, f: &mut impl FnMut(Span) -> Span) {
        match self {
            Expr::And(c) | Expr::Or(c) => c.iter_mut().for_each(|e| e.map_spans(f)),
            Expr::Not(c) => c.map_spans(f),
            Expr::Pred(p) => p.span = p.span.map(&mut *f),
            Expr::Keyword(k) => k.span = k.span.map(&mut *f),
            Expr::Opaque(o) => o.span = o.span.map(&mut *f),
        }
    }

    /// Pretty-print the tree as an indented outline, one node per line.
    pub fn outline(&self) -> String {
        let mut out = String::new();
        self.outline_into(&mut out, 0);
        out
    }

    fn outline_into(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        match self {
            Expr::And(c) | Expr::Or(c) => {
                let name = if matches!(self, Expr::And(_)) {
                    "and"
                } else {
                    "or"
                };
                let _ = writeln!(out, "{pad}{name}");
                for e in c {
                    e.outline_into(out, depth + 1);
                }
            }
            Expr::Not(c) => {
                let _ = writeln!(out, "{pad}not");
                c.outline_into(out, depth + 1);
            }
            other => {
                let _ = writeln!(out, "{pad}{other}");
            }
        }
    }
}

impl fmt::Display for Expr {
    /// A compact one-line form: `(a and not b) or c`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(c) | Expr::Or(c) => {
                let sep = if matches!(self, Expr::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    if matches!(e, Expr::And(_) | Expr::Or(_)) {
                        write!(f, "({e})")?;
                    } else {
                        write!(f, "{e}")?;
                    }
                }
                Ok(())
            }
            Expr::Not(c) => {
                if matches!(**c, Expr::And(_) | Expr::Or(_)) {
                    write!(f, "not ({c})")
                } else {
                    write!(f, "not {c}")
                }
            }
            Expr::Pred(p) => write!(f, "{p}"),
            Expr::Keyword(k) => write!(f, "{k}"),
            Expr::Opaque(o) => write!(f, "opaque({:?}: {})", o.reason, o.text),
        }
    }
}

/// A field reference: the name as the rule wrote it and, once the taxonomy has
/// resolved it, the canonical (ECS-style) name.
///
/// **Field globs.** A `raw` name with an unescaped `*` ([`Field::is_glob`],
/// Kibana KQL `process.*:x`, `a.*.b:x`) stands for every field whose name
/// matches it: `*` matches any run of characters (dots included). In a name
/// that has a `*` at all, escaped or not, `\*` is a literal `*` and `\\` a
/// literal `\`; a name with no `*` is plain text. A predicate on
/// a glob holds when it holds for at least one matching field of the event
/// (so `not` of it holds when none does); `exists true` holds when some
/// matching field is present. A glob is never resolved to a canonical field.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Field {
    /// The name exactly as written in the rule.
    pub raw: String,
    /// The canonical field, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

impl Field {
    /// A field known only by its raw name.
    pub fn raw(name: impl Into<String>) -> Field {
        Field {
            raw: name.into(),
            canonical: None,
        }
    }

    /// The canonical name if resolved, else the raw one.
    pub fn name(&self) -> &str {
        self.canonical.as_deref().unwrap_or(&self.raw)
    }

    /// Whether the raw name is a field glob (has an unescaped `*`), standing
    /// for every field it matches (see [`Field`]).
    pub fn is_glob(&self) -> bool {
        let mut escaped = false;
        for c in self.raw.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '*' => return true,
                _ => {}
            }
        }
        false
    }

    /// Whether `name` (a plain field name) is this field, or one of the
    /// fields this glob stands for.
    pub fn matches(&self, name: &str) -> bool {
        if !self.raw.contains('*') {
            return self.raw == name;
        }
        // Tokens: Some(c) a literal character, None a `*`.
        let mut pat: Vec<Option<char>> = Vec::new();
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => pat.push(Some(chars.next().unwrap_or('\\'))),
                '*' => pat.push(None),
                c => pat.push(Some(c)),
            }
        }
        let text: Vec<char> = name.chars().collect();
        // Classic two-pointer glob match with backtracking to the last `*`.
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pat.get(p) {
                Some(Some(c)) if *c == text[t] => {
                    p += 1;
                    t += 1;
                }
                Some(None) => {
                    star = Some((p, t));
                    p += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        p = sp + 1;
                        t = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        pat[p..].iter().all(Option::is_none)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The comparison a predicate makes. Names are stable and used everywhere,
/// including the "How" column of an authoring guide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal to the one value.
    Eq,
    /// Equal to one of several values.
    In,
    /// Contains the value as a substring.
    Contains,
    /// Starts with the value.
    StartsWith,
    /// Ends with the value.
    EndsWith,
    /// Matches a glob pattern (`*`, `?`; `\` escapes).
    Wildcard,
    /// Matches a regular expression.
    Regex,
    /// An IP address inside the network (CIDR notation).
    Cidr,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// The field is present (value `true`) or absent (value `false`).
    Exists,
    /// The field is null or absent.
    IsNull,
    /// The field is present and not null.
    IsNotNull,
    /// The value is in a named list (Splunk lookup, Sigma `%placeholder%`, Kusto watchlist).
    Lookup,
    /// Equal to the value of another field (values are field names).
    FieldRef,
}

impl Op {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::In => "in",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::Wildcard => "wildcard",
            Op::Regex => "regex",
            Op::Cidr => "cidr",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Exists => "exists",
            Op::IsNull => "is_null",
            Op::IsNotNull => "is_not_null",
            Op::Lookup => "lookup",
            Op::FieldRef => "field_ref",
        }
    }

    /// The comparison symbol of an ordering (`>`, `>=`, `<`, `<=`), which most
    /// query languages share; `None` for every other operator.
    pub fn ordering_symbol(self) -> Option<&'static str> {
        match self {
            Op::Gt => Some(">"),
            Op::Gte => Some(">="),
            Op::Lt => Some("<"),
            Op::Lte => Some("<="),
            _ => None,
        }
    }

    /// Every operator, in declaration order.
    pub const ALL: [Op; 17] = [
        Op::Eq,
        Op::In,
        Op::Contains,
        Op::StartsWith,
        Op::EndsWith,
        Op::Wildcard,
        Op::Regex,
        Op::Cidr,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::Exists,
        Op::IsNull,
        Op::IsNotNull,
        Op::Lookup,
        Op::FieldRef,
    ];
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Regular-expression flags beyond case sensitivity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegexFlags {
    /// `^` and `$` match at line breaks.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiline: bool,
    /// `.` matches a line break.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dotall: bool,
}

impl RegexFlags {
    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        !self.multiline && !self.dotall
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}

/// A test on one field of an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pred {
    /// The field tested.
    pub field: Field,
    /// How it is compared.
    pub op: Op,
    /// The values compared against; see [`Pred::all`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Value>,
    /// Compare case-sensitively (most dialects fold case by default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_sensitive: bool,
    /// Every value must match (`true`) rather than any one of them (`false`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub all: bool,
    /// Extra regular-expression flags, for [`Op::Regex`].
    #[serde(default, skip_serializing_if = "RegexFlags::is_empty")]
    pub regex_flags: RegexFlags,
    /// For [`Op::Lookup`] and [`Op::FieldRef`]: how the looked-up value is compared
    /// (`contains`, `starts_with`, `ends_with`, or an ordering `gt`, `gte`, `lt`,
    /// `lte` — the field is greater than the other field, …); `None` means equality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Op>,
    /// Functions applied to the field's value before it is compared, innermost
    /// first: `[UrlDecode, Lower]` compares `lower(url_decode(field))`. Empty for
    /// a plain field test. A converter or engine that cannot apply one of them
    /// must say so rather than compare the raw value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<Transform>,
    /// Where the predicate is written in the rule's original text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// A function applied to a field's value before a predicate compares it
/// (ES|QL `TO_LOWER(URL_DECODE(url.query))`, EQL `length(process.args)`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fn", rename_all = "snake_case")]
pub enum Transform {
    /// Lowercase.
    Lower,
    /// Uppercase.
    Upper,
    /// Leading and trailing white space removed.
    Trim,
    /// Percent-decoding of a URL component.
    UrlDecode,
    /// Base64 decoding.
    Base64Decode,
    /// The length in characters (of a string) or elements (of a list).
    Length,
    /// Characters from `start` (0-based; negative counts from the end), `len` of them
    /// or to the end.
    Substring {
        /// First character, 0-based; negative counts from the end.
        start: i64,
        /// How many characters; `None` is to the end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        len: Option<i64>,
    },
    /// Every match of the regular expression `pattern` replaced by `replacement`.
    Replace {
        /// A regular expression.
        pattern: String,
        /// The replacement text.
        replacement: String,
    },
    /// Characters from position `start` up to, not including, position `end`,
    /// as Python's `s[start:end]` (EQL `substring(s, 0, -1)`): positions are
    /// 0-based, a negative one counts from the end (`-1` is the last
    /// character), positions past either end are clamped, and an `end` at or
    /// before `start` gives the empty string. `None` is to the end.
    Slice {
        /// First character, 0-based; negative counts from the end.
        start: i64,
        /// The character after the last one taken, 0-based; negative counts
        /// from the end; `None` is to the end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<i64>,
    },
    /// The time from the value (a date) to another date, in whole `unit`s
    /// rounded toward zero, negative when the other date is earlier (ES|QL
    /// `DATE_DIFF(unit, value, until)`). The other date is the value of the
    /// field (or, inside [`Aggregation::having`](crate::Aggregation::having),
    /// the metric) named `until`; with `until` absent it is the time the rule
    /// runs (`DATE_DIFF("minute", first_seen, NOW())`).
    DateDiff {
        /// The unit the difference is counted in.
        unit: TimeUnit,
        /// The field or metric holding the later date; `None` is "now".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    /// How many values the field holds: 1 for a single value, `n` for a list
    /// of `n`; null when the field is absent (ES|QL `MV_COUNT`). Inside
    /// [`Aggregation::having`](crate::Aggregation::having), on a `values`
    /// metric, the number of distinct values.
    ValueCount,
    /// The text the dissect `pattern` (Elasticsearch's dissect syntax,
    /// `%{key}` fields between literal delimiters) extracts from the value for
    /// `key`; null when the pattern does not match (ES|QL `DISSECT`).
    Dissect {
        /// The dissect pattern.
        pattern: String,
        /// The key whose text is taken.
        key: String,
    },
    /// The text the grok `pattern` (Elasticsearch's grok syntax with its
    /// built-in pattern library: `%{SYNTAX:key}`, `%{SYNTAX:key:type}` and
    /// `(?<key>regex)`) captures from the value for `key`, converted when the
    /// pattern gives a type; null when the pattern does not match (ES|QL `GROK`).
    Grok {
        /// The grok pattern.
        pattern: String,
        /// The capture taken.
        key: String,
    },
    /// Arithmetic with the value on the left: `value op operand` (`ratio =
    /// failures / total` is `failures` with `Arith { op: Div, operand:
    /// Field("total") }`). Chained transforms apply left to right, so
    /// `(a + b) / 2` is `a` with `[Add b, Div 2]`. Division is real (not
    /// integer) division; a division by zero, or a null operand, gives null.
    Arith {
        /// The operation.
        op: ArithOp,
        /// The right-hand operand.
        operand: Operand,
    },
}

/// A unit of time, for [`Transform::DateDiff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Milliseconds.
    Millisecond,
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days (24 hours).
    Day,
    /// Weeks (7 days).
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters (3 months).
    Quarter,
    /// Calendar years.
    Year,
}

impl TimeUnit {
    /// The stable snake_case name (`minute`).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Millisecond => "millisecond",
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Quarter => "quarter",
            TimeUnit::Year => "year",
        }
    }
}

/// An arithmetic operation, for [`Transform::Arith`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArithOp {
    /// `value + operand`.
    Add,
    /// `value - operand`.
    Sub,
    /// `value * operand`.
    Mul,
    /// `value / operand` (real division).
    Div,
    /// The remainder of `value / operand`, with the sign of `value`.
    Rem,
}

impl ArithOp {
    /// The operator symbol (`/`).
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

/// The right-hand side of a [`Transform::Arith`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// A constant.
    Number(f64),
    /// The value of another field of the same event (inside
    /// [`Aggregation::having`](crate::Aggregation::having): another metric),
    /// by its raw name.
    Field(String),
    /// The value of another field of the same event passed through
    /// `transforms`, innermost first, as [`Pred::transforms`]: the pattern
    /// count `length(replace(s, re, "X")) - length(replace(replace(s, re,
    /// "X"), "X", ""))` subtracts such a value.
    Value {
        /// The field's raw name.
        field: String,
        /// What is applied to its value.
        transforms: Vec<Transform>,
    },
}

impl Eq for Operand {}

impl std::hash::Hash for Operand {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Operand::Number(x) => {
                0u8.hash(state);
                x.to_bits().hash(state);
            }
            Operand::Field(f) => {
                1u8.hash(state);
                f.hash(state);
            }
            Operand::Value { field, transforms } => {
                2u8.hash(state);
                field.hash(state);
                transforms.hash(state);
            }
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Number(x) => write!(f, "{x}"),
            Operand::Field(name) => f.write_str(name),
            Operand::Value { field, transforms } => f.write_str(
                &transforms
                    .iter()
                    .fold(field.clone(), |inner, t| t.wrap(&inner)),
            ),
        }
    }
}

impl Transform {
    /// The stable snake_case name (`url_decode`).
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Lower => "lower",
            Transform::Upper => "upper",
            Transform::Trim => "trim",
            Transform::UrlDecode => "url_decode",
            Transform::Base64Decode => "base64_decode",
            Transform::Length => "length",
            Transform::Substring { .. } => "substring",
            Transform::Replace { .. } => "replace",
            Transform::Slice { .. } => "slice",
            Transform::DateDiff { .. } => "date_diff",
            Transform::Arith { .. } => "arith",
            Transform::ValueCount => "value_count",
            Transform::Dissect { .. } => "dissect",
            Transform::Grok { .. } => "grok",
        }
    }

    /// Write `inner` wrapped in this function: `lower(inner)`, `substring(inner, 0, 3)`.
    fn wrap(&self, inner: &str) -> String {
        match self {
            Transform::Substring {
                start,
                len: Some(n),
            } => format!("substring({inner}, {start}, {n})"),
            Transform::Substring { start, len: None } => format!("substring({inner}, {start})"),
            Transform::Replace {
                pattern,
                replacement,
            } => format!("replace({inner}, {pattern:?}, {replacement:?})"),
            Transform::Slice {
                start,
                end: Some(e),
            } => format!("slice({inner}, {start}, {e})"),
            Transform::Slice { start, end: None } => format!("slice({inner}, {start})"),
            Transform::DateDiff { unit, until } => format!(
                "date_diff({}, {inner}, {})",
                unit.as_str(),
                until.as_deref().unwrap_or("now")
            ),
            Transform::Arith { op, operand } => format!("({inner} {} {operand})", op.symbol()),
            Transform::Dissect { pattern, key } | Transform::Grok { pattern, key } => {
                format!("{}({inner}, {pattern:?}, {key})", self.name())
            }
            other => format!("{}({inner})", other.name()),
        }
    }
}

impl Pred {
    /// A predicate matching any of `values`, case-insensitively. `Eq` with several values
    /// becomes `In`, and `In` with one value becomes `Eq`, so that dialects agree.
    pub fn new(field: Field, op: Op, values: Vec<Value>) -> Pred {
        let op = match (op, values.len()) {
            (Op::Eq, n) if n > 1 => Op::In,
            (Op::In, 1) => Op::Eq,
            (op, _) => op,
        };
        Pred {
            field,
            op,
            values,
            case_sensitive: false,
            all: false,
            regex_flags: RegexFlags::default(),
            within: None,
            transforms: Vec::new(),
            span: None,
        }
    }

    /// The same predicate comparing the field's value after `transform` (applied
    /// after any transforms already there).
    #[must_use]
    pub fn with_transform(mut self, transform: Transform) -> Pred {
        self.transforms.push(transform);
        self
    }

    /// The field as the comparison sees it: `lower(url_decode(url.query))`.
    pub fn subject(&self) -> String {
        self.transforms
            .iter()
            .fold(self.field.raw.clone(), |inner, t| t.wrap(&inner))
    }

    /// The same predicate with a span.
    #[must_use]
    pub fn with_span(mut self, span: Span) -> Pred {
        self.span = Some(span);
        self
    }
}

fn write_values(f: &mut fmt::Formatter<'_>, values: &[Value], all: bool) -> fmt::Result {
    let show = |v: &Value| match v {
        Value::Str(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    match values {
        [] => Ok(()),
        [one] => write!(f, " {}", show(one)),
        many => {
            let joined: Vec<String> = many.iter().map(show).collect();
            let kw = if all { "all" } else { "any" };
            write!(f, " {kw}[{}]", joined.join(", "))
        }
    }
}

impl fmt::Display for Pred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.transforms.is_empty() {
            write!(f, "{} {}", self.field, self.op)?;
        } else {
            write!(f, "{} {}", self.subject(), self.op)?;
        }
        if let Some(w) = self.within {
            write!(f, "({w})")?;
        }
        if self.case_sensitive {
            f.write_str(":cased")?;
        }
        if self.regex_flags.multiline {
            f.write_str(":m")?;
        }
        if self.regex_flags.dotall {
            f.write_str(":s")?;
        }
        if matches!(self.op, Op::IsNull | Op::IsNotNull) {
            return Ok(());
        }
        write_values(f, &self.values, self.all)
    }
}

/// A field-less test: the values are looked for anywhere in the event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// How each value is matched (usually [`Op::Contains`] or [`Op::Wildcard`]).
    pub op: Op,
    /// The values.
    pub values: Vec<Value>,
    /// Compare case-sensitively.
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_sensitive: bool,
    /// Every value must be found (`true`) rather than any one (`false`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub all: bool,
    /// Where it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "keyword {}", self.op)?;
        if self.case_sensitive {
            f.write_str(":cased")?;
        }
        write_values(f, &self.values, self.all)
    }
}

/// A part of a rule that could not be reduced to the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opaque {
    /// Why it could not be reduced.
    pub reason: String,
    /// The original text of that part.
    pub text: String,
    /// Where it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> Expr {
        Expr::Pred(Pred::new(
            Field::raw(name),
            Op::Exists,
            vec![Value::Bool(true)],
        ))
    }

    #[test]
    fn and_or_flatten_and_unwrap() {
        let e = Expr::and(vec![Expr::and(vec![p("a"), p("b")]), p("c")]);
        assert_eq!(e, Expr::And(vec![p("a"), p("b"), p("c")]));
        assert_eq!(Expr::or(vec![p("a")]), p("a"));
        assert_eq!(Expr::not(Expr::not(p("a"))), p("a"));
    }

    #[test]
    fn field_globs() {
        let g = Field::raw("azure.*.display_name");
        assert!(g.is_glob());
        assert!(g.matches("azure.target_resources.0.display_name"));
        assert!(!g.matches("azure.display"));
        assert!(Field::raw("a*").matches("a"));
        let literal = Field::raw("a\\*b");
        assert!(!literal.is_glob());
        assert!(literal.matches("a*b"));
        assert!(Field::raw("c:\\x").matches("c:\\x"));
        assert!(!Field::raw("a\\*b").matches("axb"));
        assert!(Field::raw("x\\\\*").is_glob());
        assert!(Field::raw("x\\\\*").matches("x\\yz"));
    }

    #[test]
    fn transforms_print_as_functions() {
        let p = Pred::new(Field::raw("first_seen"), Op::Lte, vec![6.into()]).with_transform(
            Transform::DateDiff {
                unit: TimeUnit::Minute,
                until: None,
            },
        );
        assert_eq!(p.to_string(), "date_diff(minute, first_seen, now) lte 6");
        let p = Pred::new(Field::raw("a"), Op::Gt, vec![Value::Float(0.5)])
            .with_transform(Transform::Arith {
                op: ArithOp::Div,
                operand: Operand::Field("b".into()),
            })
            .with_transform(Transform::Slice {
                start: 0,
                end: Some(-1),
            });
        assert_eq!(p.to_string(), "slice((a / b), 0, -1) gt 0.5");
        let j = serde_json::to_string(&p.transforms).unwrap();
        assert_eq!(
            j,
            r#"[{"fn":"arith","op":"div","operand":{"field":"b"}},{"fn":"slice","start":0,"end":-1}]"#
        );
    }

    #[test]
    fn eq_with_many_values_is_in() {
        let pr = Pred::new(Field::raw("x"), Op::Eq, vec![1.into(), 2.into()]);
        assert_eq!(pr.op, Op::In);
        let pr = Pred::new(Field::raw("x"), Op::In, vec![1.into()]);
        assert_eq!(pr.op, Op::Eq);
    }

    #[test]
    fn display_is_compact() {
        let e = Expr::or(vec![Expr::and(vec![p("a"), Expr::not(p("b"))]), p("c")]);
        assert_eq!(
            e.to_string(),
            "(a exists true and not b exists true) or c exists true"
        );
    }

    #[test]
    fn json_form_is_stable() {
        let e = Expr::not(Expr::Pred(Pred::new(
            Field::raw("Image"),
            Op::EndsWith,
            vec!["/nc".into()],
        )));
        let j = serde_json::to_string(&e).unwrap();
        assert_eq!(
            j,
            r#"{"not":{"pred":{"field":{"raw":"Image"},"op":"ends_with","values":["/nc"]}}}"#
        );
        let back: Expr = serde_json::from_str(&j).unwrap();
        assert_eq!(back, e);
    }
}
