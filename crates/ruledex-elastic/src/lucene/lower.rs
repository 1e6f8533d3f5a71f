//! [`Query`] → model: the only place that knows what Lucene clauses mean.
//!
//! See the [module docs](super) for the decisions; the code follows Lucene's
//! `QueryParserBase.addClause` and Elasticsearch's `QueryStringQueryParser`.

use std::collections::{HashMap, HashSet};

use ruledex_diag::Span;
use ruledex_model::{Expr, Field, Keyword, Op, Pred, RegexFlags, Value};

use super::ast::{Bound, Clause, CompareOp, Conj, Modifier, Node, Query, Term};
use super::regexp;
use crate::lowered::{HINT_FIELDS, Lowered};

/// Lower a parsed query into the model.
pub fn lower(query: &Query) -> Lowered {
    let mut lw = Lowerer::default();
    let low = lw.query(query, None);
    let span = query_span(query);
    let expr = match low {
        Low::Expr(e) => e,
        Low::All => Expr::opaque("matches every event", query.to_string(), span),
        Low::Nothing => Expr::opaque("matches no event", query.to_string(), span),
    };
    let mut hints = Vec::new();
    collect_hints(&expr, &mut hints, &mut HashSet::new());
    let mut out = Lowered::expr(expr);
    out.hints = hints;
    out
}

/// Something a query says that probably is not what its author meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pitfall {
    /// What.
    pub kind: PitfallKind,
    /// Where, in the query text.
    pub span: Span,
}

/// The kinds of [`Pitfall`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PitfallKind {
    /// An optional clause beside a required one (`a AND b OR c`: `c`): it
    /// only changes the score, never which events match, so lowering drops it.
    ScoringOnly,
    /// Bare terms side by side (`f:(a b)`): Elasticsearch reads them as one
    /// text, which on a keyword field is the single value `a b`, not `a OR b`.
    WhitespaceRun,
}

/// The pitfalls of a query, in the order met.
pub fn pitfalls(query: &Query) -> Vec<Pitfall> {
    let mut lw = Lowerer::default();
    lw.query(query, None);
    lw.pitfalls
}

fn query_span(q: &Query) -> Option<Span> {
    q.clauses.iter().map(|c| c.span).reduce(Span::cover)
}

/// A lowered clause: an expression, or one of the two constants the model
/// has no node for.
enum Low {
    All,
    Nothing,
    Expr(Expr),
}

fn and(parts: Vec<Low>) -> Low {
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Low::All => {}
            Low::Nothing => return Low::Nothing,
            Low::Expr(e) => out.push(e),
        }
    }
    if out.is_empty() {
        Low::All
    } else {
        Low::Expr(Expr::and(out))
    }
}

fn or(parts: Vec<Low>) -> Low {
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Low::All => return Low::All,
            Low::Nothing => {}
            Low::Expr(e) => out.push(e),
        }
    }
    if out.is_empty() {
        return Low::Nothing;
    }
    match Expr::or(out) {
        Expr::Or(children) => Low::Expr(Expr::or(merge_alternatives(children))),
        one => Low::Expr(one),
    }
}

fn not(l: Low) -> Low {
    match l {
        Low::All => Low::Nothing,
        Low::Nothing => Low::All,
        Low::Expr(e) => Low::Expr(Expr::not(e)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Occur {
    Must,
    Should,
    MustNot,
}

/// What `addClause` builds from: a clause, or a run of bare terms that the
/// parser hands to the analyzer as one text.
enum Unit<'a> {
    One(&'a Clause),
    Run(&'a [Clause]),
}

#[derive(Default)]
struct Lowerer {
    pitfalls: Vec<Pitfall>,
}

/// A bare `TERM` token: no field, modifier, boost, suffix or wildcard.
fn is_bare_term(c: &Clause) -> bool {
    c.field.is_none()
        && c.modifier.is_none()
        && c.boost.is_none()
        && matches!(&c.node, Node::Term(t) if t.fuzzy.is_none() && !t.has_wildcard())
}

/// Whether the token after a run member stops the run: the grammar's
/// `allowedPostMultiTerm` refuses `AND`, `OR` and `*` (the others it refuses,
/// `:`, `~`, `^`, belong to the member itself and are checked by [`is_bare_term`]).
fn stops_run(next: Option<&Clause>) -> bool {
    next.is_some_and(|n| {
        n.conj.is_some()
            || (n.modifier.is_none()
                && (n.field.as_deref() == Some("*")
                    || (n.field.is_none() && matches!(&n.node, Node::Term(t) if t.text == "*"))))
    })
}

/// Group a query's clauses the way the classic grammar does: a run of two or
/// more bare terms with nothing between them is one `MultiTerm`.
fn units(clauses: &[Clause]) -> Vec<Unit<'_>> {
    let mut out = Vec::with_capacity(clauses.len());
    let mut i = 0;
    while i < clauses.len() {
        let c = &clauses[i];
        if c.conj.is_none() && is_bare_term(c) {
            let mut j = i + 1;
            while j < clauses.len()
                && clauses[j].conj.is_none()
                && is_bare_term(&clauses[j])
                && !stops_run(clauses.get(j + 1))
            {
                j += 1;
            }
            if j - i >= 2 {
                out.push(Unit::Run(&clauses[i..j]));
                i = j;
                continue;
            }
        }
        out.push(Unit::One(c));
        i += 1;
    }
    out
}

/// Where a clause's field points.
enum Target<'a> {
    /// No field, or `*`: every field.
    Every,
    /// `_exists_`: the value names the field.
    Exists,
    /// A field name pattern (`book.*`).
    Pattern,
    /// One field.
    Field(&'a str),
}

fn target(field: Option<&str>) -> Target<'_> {
    match field {
        None | Some("*") => Target::Every,
        Some("_exists_") => Target::Exists,
        Some(f) if f.contains('*') => Target::Pattern,
        Some(f) => Target::Field(f),
    }
}

fn opaque(reason: &str, c: &Clause) -> Low {
    // The clause as written, without what came before it.
    let text = format!(
        "{}",
        Clause {
            conj: None,
            modifier: None,
            ..c.clone()
        }
    );
    Low::Expr(Expr::opaque(reason, text, Some(c.span)))
}

fn pred(field: &str, op: Op, values: Vec<Value>, span: Span) -> Low {
    Low::Expr(Expr::Pred(
        Pred::new(Field::raw(field), op, values).with_span(span),
    ))
}

fn keyword(op: Op, value: Value, span: Span) -> Low {
    Low::Expr(Expr::Keyword(Keyword {
        op,
        values: vec![value],
        case_sensitive: false,
        all: false,
        span: Some(span),
    }))
}

fn exists(field: &str, span: Span) -> Low {
    pred(field, Op::Exists, vec![Value::Bool(true)], span)
}

/// An unquoted value: a canonical integer or decimal becomes a number.
fn term_value(s: &str) -> Value {
    if let Ok(i) = s.parse::<i64>() {
        if i.to_string() == s {
            return Value::Int(i);
        }
    }
    if s.contains('.') {
        if let Ok(x) = s.parse::<f64>() {
            if x.is_finite() && x.to_string() == s {
                return Value::Float(x);
            }
        }
    }
    Value::Str(s.to_owned())
}

/// One piece of a wildcard term.
#[derive(PartialEq)]
enum Piece {
    Lit(String),
    Star,
    One,
}

/// Split a term's wildcard form; consecutive `*` are one.
fn pieces(glob: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut chars = glob.chars();
    while let Some(c) = chars.next() {
        let lit = match c {
            '*' => {
                if out.last() != Some(&Piece::Star) {
                    out.push(Piece::Star);
                }
                continue;
            }
            '?' => {
                out.push(Piece::One);
                continue;
            }
            '\\' => chars.next().unwrap_or('\\'),
            c => c,
        };
        if let Some(Piece::Lit(s)) = out.last_mut() {
            s.push(lit);
        } else {
            out.push(Piece::Lit(lit.to_string()));
        }
    }
    out
}

/// The simplest operator for a wildcard term: `*x*` contains, `x*`
/// starts_with, `*x` ends_with, else wildcard with the canonical pattern.
fn reduce(pieces: &[Piece], glob: &str) -> (Op, Value) {
    use ruledex_model::pattern::{Pattern, Piece as P};
    let _ = glob;
    let pattern: Pattern = pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => P::Lit(s.clone()),
            Piece::Star => P::Star,
            Piece::One => P::One,
        })
        .collect();
    match pattern.reduce() {
        // A bare term may be a number.
        (Op::Eq, s) => (Op::Eq, term_value(&s)),
        (op, s) => (op, Value::Str(s)),
    }
}

impl Lowerer {
    fn query(&mut self, q: &Query, field: Option<&str>) -> Low {
        let mut items: Vec<(Occur, Low, Span)> = Vec::with_capacity(q.clauses.len());
        for unit in units(&q.clauses) {
            let (conj, modifier, low, span) = match unit {
                Unit::One(c) => (c.conj, c.modifier, self.clause(c, field), c.span),
                Unit::Run(run) => {
                    let span = run
                        .iter()
                        .map(|c| c.span)
                        .reduce(Span::cover)
                        .unwrap_or_default();
                    self.pitfalls.push(Pitfall {
                        kind: PitfallKind::WhitespaceRun,
                        span,
                    });
                    (None, None, run_text(run, field, span), span)
                }
            };
            // Lucene's addClause, default operator OR: `AND` makes the clause
            // before it required too, unless it is prohibited.
            if conj == Some(Conj::And) {
                if let Some(last) = items.last_mut() {
                    if last.0 != Occur::MustNot {
                        last.0 = Occur::Must;
                    }
                }
            }
            let prohibited = matches!(modifier, Some(Modifier::Minus | Modifier::Not));
            let required = modifier == Some(Modifier::Plus) || conj == Some(Conj::And);
            let occur = if prohibited {
                Occur::MustNot
            } else if required {
                Occur::Must
            } else {
                Occur::Should
            };
            items.push((occur, low, span));
        }
        let has_must = items.iter().any(|(o, _, _)| *o == Occur::Must);
        let mut parts = Vec::with_capacity(items.len());
        let mut shoulds = Vec::new();
        let mut should_at = None;
        for (occur, low, span) in items {
            match occur {
                Occur::Must => parts.push(low),
                Occur::MustNot => parts.push(not(low)),
                Occur::Should if has_must => self.pitfalls.push(Pitfall {
                    kind: PitfallKind::ScoringOnly,
                    span,
                }),
                Occur::Should => {
                    if should_at.is_none() {
                        should_at = Some(parts.len());
                        parts.push(Low::All);
                    }
                    shoulds.push(low);
                }
            }
        }
        if let Some(at) = should_at {
            parts[at] = or(shoulds);
        }
        // Only prohibited clauses: Elasticsearch matches everything else.
        and(parts)
    }

    fn clause(&mut self, c: &Clause, inherited: Option<&str>) -> Low {
        let field = c.field.as_deref().or(inherited);
        let span = c.span;
        match &c.node {
            Node::Group(q) => self.query(q, field),
            Node::Term(t) => term(c, t, field),
            Node::Phrase(p) => {
                let proximity = p.slop.as_ref().and_then(super::ast::Slop::amount);
                if proximity.is_some_and(|n| n >= 1.0) && p.text.chars().any(char::is_whitespace) {
                    return opaque("phrase proximity", c);
                }
                literal(c, &p.text, Value::Str(p.text.clone()), field)
            }
            Node::Regex(r) => {
                let (pattern, dotall) = match regexp::translate(&r.pattern) {
                    Ok(t) => t,
                    Err(why) => return opaque(&format!("regex with {why}"), c),
                };
                match target(field) {
                    Target::Field(f) => {
                        let mut p = Pred::new(Field::raw(f), Op::Regex, vec![pattern.into()]);
                        p.case_sensitive = true;
                        p.regex_flags = RegexFlags {
                            multiline: false,
                            dotall,
                        };
                        Low::Expr(Expr::Pred(p.with_span(span)))
                    }
                    Target::Every => Low::Expr(Expr::Keyword(Keyword {
                        op: Op::Regex,
                        values: vec![pattern.into()],
                        case_sensitive: true,
                        all: false,
                        span: Some(span),
                    })),
                    Target::Exists => opaque("_exists_ with a range or regex", c),
                    Target::Pattern => opaque("field name pattern", c),
                }
            }
            Node::Range(r) => match target(field) {
                Target::Field(f) => {
                    let lower = match &r.lower {
                        Bound::Open => None,
                        Bound::Value(v) => {
                            let op = if r.include_lower { Op::Gte } else { Op::Gt };
                            Some(pred(f, op, vec![term_value(v)], span))
                        }
                    };
                    let upper = match &r.upper {
                        Bound::Open => None,
                        Bound::Value(v) => {
                            let op = if r.include_upper { Op::Lte } else { Op::Lt };
                            Some(pred(f, op, vec![term_value(v)], span))
                        }
                    };
                    if lower.is_none() && upper.is_none() {
                        // `[* TO *]`: any value at all.
                        return exists(f, span);
                    }
                    and(lower.into_iter().chain(upper).collect())
                }
                Target::Every => opaque("range over every field", c),
                Target::Exists => opaque("_exists_ with a range or regex", c),
                Target::Pattern => opaque("field name pattern", c),
            },
            Node::Compare(cmp) => match target(field) {
                Target::Field(f) => {
                    let op = match cmp.op {
                        CompareOp::Gt => Op::Gt,
                        CompareOp::Gte => Op::Gte,
                        CompareOp::Lt => Op::Lt,
                        CompareOp::Lte => Op::Lte,
                    };
                    pred(f, op, vec![term_value(&cmp.value)], span)
                }
                Target::Every => opaque("range over every field", c),
                Target::Exists => opaque("_exists_ with a range or regex", c),
                Target::Pattern => opaque("field name pattern", c),
            },
        }
    }
}

/// A run of bare terms: one text, the terms joined by a space.
fn run_text(run: &[Clause], field: Option<&str>, span: Span) -> Low {
    let mut text = String::new();
    for c in run {
        if let Node::Term(t) = &c.node {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&t.literal().unwrap_or_default());
        }
    }
    let mut whole = run[0].clone();
    whole.span = span;
    literal(&whole, &text, Value::Str(text.clone()), field)
}

/// A literal value (term without wildcards, phrase, run) on a field.
fn literal(c: &Clause, text: &str, value: Value, field: Option<&str>) -> Low {
    match target(field) {
        Target::Field(f) => pred(f, Op::Eq, vec![value], c.span),
        Target::Every => keyword(Op::Eq, value, c.span),
        Target::Exists if text.contains('*') => opaque("field name pattern", c),
        Target::Exists => exists(text, c.span),
        Target::Pattern => opaque("field name pattern", c),
    }
}

fn term(c: &Clause, t: &Term, field: Option<&str>) -> Low {
    let wild = t.has_wildcard();
    // Lucene ignores `~` on wildcard terms; `~0` is an exact match.
    let fuzzy = t
        .fuzzy
        .as_ref()
        .is_some_and(|s| s.amount().is_none_or(|n| n != 0.0));
    if fuzzy && !wild {
        return opaque("fuzzy term", c);
    }
    if !wild {
        let lit = t.literal().unwrap_or_default();
        let value = term_value(&lit);
        return literal(c, &lit, value, field);
    }
    let ps = pieces(&t.text);
    let star = ps == [Piece::Star];
    match target(field) {
        Target::Every if star => Low::All,
        Target::Every => {
            let (op, value) = reduce(&ps, &t.text);
            keyword(op, value, c.span)
        }
        Target::Field(f) if star => exists(f, c.span),
        Target::Field(f) => {
            let (op, value) = reduce(&ps, &t.text);
            pred(f, op, vec![value], c.span)
        }
        Target::Exists | Target::Pattern => opaque("field name pattern", c),
    }
}

/// Key under which alternatives on the same field and operator merge.
#[derive(PartialEq, Eq, Hash)]
enum MergeKey {
    Pred(String, Op, bool, RegexFlags),
    Keyword(Op, bool),
}

fn mergeable(op: Op) -> bool {
    matches!(
        op,
        Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard | Op::Regex
    )
}

/// `f:a OR f:b` → `f in [a, b]`: alternatives on one field with one operator
/// become one predicate with several values (at the first one's place).
fn merge_alternatives(children: Vec<Expr>) -> Vec<Expr> {
    let mut out: Vec<Expr> = Vec::with_capacity(children.len());
    let mut seen: HashMap<MergeKey, usize> = HashMap::new();
    for e in children {
        let key = match &e {
            Expr::Pred(p) if mergeable(p.op) && !p.all && p.within.is_none() => {
                let op = if p.op == Op::In { Op::Eq } else { p.op };
                Some(MergeKey::Pred(
                    p.field.raw.clone(),
                    op,
                    p.case_sensitive,
                    p.regex_flags,
                ))
            }
            Expr::Keyword(k) if mergeable(k.op) && !k.all => {
                Some(MergeKey::Keyword(k.op, k.case_sensitive))
            }
            _ => None,
        };
        let Some(key) = key else {
            out.push(e);
            continue;
        };
        match seen.get(&key) {
            Some(&i) => match (&mut out[i], e) {
                (Expr::Pred(into), Expr::Pred(p)) => {
                    into.values.extend(p.values);
                    if into.op == Op::Eq {
                        into.op = Op::In;
                    }
                    into.span = match (into.span, p.span) {
                        (Some(a), Some(b)) => Some(a.cover(b)),
                        (a, b) => a.or(b),
                    };
                }
                (Expr::Keyword(into), Expr::Keyword(k)) => {
                    into.values.extend(k.values);
                    into.span = match (into.span, k.span) {
                        (Some(a), Some(b)) => Some(a.cover(b)),
                        (a, b) => a.or(b),
                    };
                }
                (_, e) => out.push(e),
            },
            None => {
                seen.insert(key, out.len());
                out.push(e);
            }
        }
    }
    out
}

/// Positive equalities on the hint fields, outside any `not`.
fn collect_hints(e: &Expr, out: &mut Vec<(String, String)>, seen: &mut HashSet<(String, String)>) {
    match e {
        Expr::And(c) | Expr::Or(c) => c.iter().for_each(|e| collect_hints(e, out, seen)),
        Expr::Pred(p)
            if matches!(p.op, Op::Eq | Op::In) && HINT_FIELDS.contains(&p.field.raw.as_str()) =>
        {
            for v in &p.values {
                let hint = (p.field.raw.clone(), v.to_string());
                if seen.insert(hint.clone()) {
                    out.push(hint);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lucene::parse;

    macro_rules! value_cases {
        ($($name:ident: $text:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(term_value($text), $want);
            }
        )*};
    }

    value_cases! {
        integer: "4688" => Value::Int(4688);
        negative_integer: "-5" => Value::Int(-5);
        leading_zero_is_text: "007" => Value::Str("007".into());
        plus_sign_is_text: "+5" => Value::Str("+5".into());
        decimal: "1.5" => Value::Float(1.5);
        trailing_zero_is_text: "1.50" => Value::Str("1.50".into());
        version_is_text: "1.2.3" => Value::Str("1.2.3".into());
        too_big_is_text: "99999999999999999999" => Value::Str("99999999999999999999".into());
        word: "chmod" => Value::Str("chmod".into());
    }

    macro_rules! reduce_cases {
        ($($name:ident: $glob:expr => $op:expr, $value:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(reduce(&pieces($glob), $glob), ($op, Value::Str($value.into())));
            }
        )*};
    }

    reduce_cases! {
        contains: "*a*" => Op::Contains, "a";
        starts_with: "a*" => Op::StartsWith, "a";
        ends_with: "*a" => Op::EndsWith, "a";
        question_is_wildcard: "a?" => Op::Wildcard, "a?";
        stars_collapse: "**a**" => Op::Contains, "a";
        escaped_star_is_literal: "*a\\*" => Op::EndsWith, "a*";
        pattern_keeps_escapes: "a*\\?b" => Op::Wildcard, "a*\\?b";
        backslash_in_pattern: "?\\\\" => Op::Wildcard, "?\\\\";
    }

    fn unit_shapes(text: &str) -> Vec<usize> {
        let q = parse(text).unwrap();
        units(&q.clauses)
            .iter()
            .map(|u| match u {
                Unit::One(_) => 1,
                Unit::Run(r) => r.len(),
            })
            .collect()
    }

    macro_rules! run_cases {
        ($($name:ident: $text:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(unit_shapes($text), $want, "{}", $text);
            }
        )*};
    }

    run_cases! {
        two_terms: "a b" => vec![2];
        three_terms: "a b c" => vec![3];
        stops_before_and: "a b AND c" => vec![1, 1, 1];
        stops_before_or_after_two: "a b c OR d" => vec![2, 1, 1];
        stops_before_star: "a b *" => vec![1, 1, 1];
        stops_before_star_field: "a b c *:x" => vec![2, 1, 1];
        modifier_breaks: "a -b c" => vec![1, 1, 1];
        modifier_after_run_is_fine: "a b -c" => vec![2, 1];
        field_breaks: "a f:b c d" => vec![1, 1, 2];
        conj_starts_no_run: "x AND a b" => vec![1, 1, 1];
        conj_then_run: "x AND a b c" => vec![1, 1, 2];
        phrase_breaks: "a \"b\" c" => vec![1, 1, 1];
        boost_breaks: "a b^2" => vec![1, 1];
        wildcard_breaks: "a b* c" => vec![1, 1, 1];
        escaped_star_joins: "a b\\* c" => vec![3];
    }
}
