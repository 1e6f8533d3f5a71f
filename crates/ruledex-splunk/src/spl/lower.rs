//! Lowering a parsed SPL pipeline into the model. See [`lower`].

use std::collections::HashMap;
use std::rc::Rc;

use ruledex_diag::Span;
use ruledex_model::pattern::Pattern;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Logic, Metric, MetricFunction, Op, Pred,
    Transform, Value, Window,
};

use super::ast::{
    Agg, Arg, BinOp, CmpOp, Command, CommandKind, EvalExpr, MacroCall, Pipeline, SearchExpr, Stats,
    Tstats, TstatsItem, Word,
};
use crate::context::Context;

/// How deep macros may expand inside each other.
pub const MAX_MACRO_DEPTH: usize = 16;

/// Stable reasons of the opaque parts a lowering can give.
pub mod reason {
    /// A macro with no definition in the context.
    pub const UNDEFINED_MACRO: &str = "macro is not defined";
    /// A macro whose definition does not parse.
    pub const MACRO_SYNTAX: &str = "macro definition does not parse";
    /// Macros expanding into each other too deeply.
    pub const MACRO_DEPTH: &str = "macros nest too deeply";
    /// A condition on a value `eval` computes in a way the model cannot trace.
    pub const EVAL_COMPUTED: &str = "condition on a value computed by eval";
    /// A condition on a field `rex` or `spath` extracts.
    pub const EXTRACTED: &str = "condition on a field extracted at search time";
    /// A condition on a field a stats dropped.
    pub const DROPPED: &str = "condition on a field not kept by stats";
    /// A condition on an aggregate of `eventstats`/`streamstats`.
    pub const RUNNING_AGGREGATE: &str = "condition on an eventstats/streamstats aggregate";
    /// A condition on an aggregate of a second `stats`.
    pub const NESTED_AGGREGATE: &str = "condition on an aggregate of a second stats";
    /// A condition mixing aggregates and event fields.
    pub const MIXED: &str = "condition mixes aggregates and event fields";
    /// An eval expression the model has no form for.
    pub const EXPRESSION: &str = "eval expression the model cannot state";
    /// A subsearch that is not a lookup's column list.
    pub const SUBSEARCH: &str = "subsearch";
    /// `join` with a subsearch.
    pub const JOIN: &str = "join with a subsearch";
    /// `append` (or `appendpipe`) of a second search.
    pub const APPEND: &str = "append of a second search";
    /// A search that reads a lookup table instead of events.
    pub const INPUTLOOKUP: &str = "search reads a lookup table, not events";
    /// A machine-learning model applied (`apply`, `fit`).
    pub const ML: &str = "machine learning model";
    /// A command the lowering does not model.
    pub const COMMAND: &str = "command is not lowered";
    /// A condition on a lookup output other than its presence.
    pub const LOOKUP_VALUE: &str = "condition on a lookup output value";
}

/// What a query lowered to.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    /// The logic.
    pub logic: Logic,
    /// Data models read (`Endpoint.Processes`), from `tstats` and `datamodel=`.
    pub datamodels: Vec<String>,
    /// Macros expanded or kept, by name, in order of first use.
    pub macros: Vec<String>,
    /// Lookups the logic uses, by name.
    pub lookups: Vec<String>,
}

#[derive(Clone, Debug)]
enum Def {
    /// An event field, by its original name.
    Field(String),
    /// An event field with functions applied.
    Transformed(String, Vec<Transform>),
    /// A lookup output: present when the input fields are in the table.
    Lookup { table: String, inputs: Vec<String> },
    /// An aggregate of the (first) stats.
    Metric(usize),
    /// `if(c, a, b)` / `case(c1, v1, …)` with literal results: each branch's
    /// condition (already lowered, and holding only when the earlier ones do
    /// not) with its value. `metric` when the conditions test aggregates.
    Case {
        branches: Rc<Vec<(Expr, Value)>>,
        metric: bool,
    },
    /// Something the model cannot trace, with the reason.
    Opaque(&'static str),
}

enum Subject {
    Field(String, Vec<Transform>),
    Metric(usize, Vec<Transform>),
    Case(Rc<Vec<(Expr, Value)>>, bool),
    Lookup { table: String, inputs: Vec<String> },
}

struct AggState {
    agg: Aggregation,
    /// Metrics that count events (no field, no filter).
    plain_counts: Vec<bool>,
    conds: Vec<(Expr, Bound)>,
}

/// What a condition on aggregates is, for the threshold forms.
enum Bound {
    /// A bound on a count of events.
    Count(Comparison),
    /// A bound on the number of distinct values of a field.
    Distinct(Field, Comparison),
    /// Anything else (only `having` can hold it).
    Other,
}

struct Lowerer<'c> {
    cx: &'c Context,
    conds: Vec<Expr>,
    env: HashMap<String, Def>,
    /// Wildcard renames, in order: (new pattern, old pattern), one `*` each.
    wild: Vec<(String, String)>,
    stats: Option<AggState>,
    bin_span: Option<String>,
    depth: usize,
    /// Inside a macro expansion: every span is the macro call's.
    at: Option<Span>,
    metric_refs: usize,
    event_refs: usize,
    out_datamodels: Vec<String>,
    out_macros: Vec<String>,
    out_lookups: Vec<String>,
}

/// Lower a parsed pipeline, expanding macros and resolving lookups from `cx`.
///
/// The pipeline is walked in order, keeping track of what each field holds:
///
/// - the initial search, `tstats … where`, later `search` commands and
///   `where` before the first `stats` are conditions on each event, ANDed
///   into the expression;
/// - `rename` (and `` `drop_dm_object_name(X)` ``, a `rename X.* as *`) and
///   `eval x = y` carry definitions over, so a later condition on the new
///   name is a condition on the original field; `eval x = lower(y)` (and
///   `upper`, `len`, `mvcount`, `trim`, `urldecode`, `substr`, `replace`) is
///   traced as a [`Transform`]; any other `eval` value, and fields written by
///   `rex`, `spath output=`, `iplocation`, `transaction`, `top`/`rare` are opaque to
///   later conditions, with the reason;
/// - `lookup t f as g OUTPUT o`: a later `isnotnull(o)`, `o=v` or `search
///   o=v` is `g lookup t` (the event's `g` is in the table), `isnull(o)` its
///   negation; a subsearch `[| inputlookup t | fields f]` is `f lookup t`;
/// - the first `stats` (or `tstats`) gives the aggregation: its `by` fields are
///   the `group_by` (a `_time` key with a `bin`/`span` is the window), each
///   aggregate a [`Metric`]; after it, a condition on a key is still a
///   condition on the events, conditions on a count of events (`count > 5`)
///   are the aggregation's `condition`, other conditions on aggregates its
///   `having` (never both); `eventstats`/`streamstats` aggregates and those of
///   a second `stats` are opaque to conditions;
/// - `join` with a subsearch, `append`, `inputlookup` as the source, `apply`
///   and unknown commands are opaque, with the reason.
///
/// Search comparisons fold case (`field=value` matches any case) and `*` is a
/// wildcard, quoted or not; `where`/eval comparisons are case-sensitive
/// (`==`, `like`, `in`, `match` without `(?i)`). `field!=value` is lowered
/// as `not field=value` (Splunk's `!=` also needs the field present).
pub fn lower(pipeline: &Pipeline, cx: &Context) -> Lowered {
    let mut l = Lowerer {
        cx,
        conds: Vec::new(),
        env: HashMap::new(),
        wild: Vec::new(),
        stats: None,
        bin_span: None,
        depth: 0,
        at: None,
        metric_refs: 0,
        event_refs: 0,
        out_datamodels: Vec::new(),
        out_macros: Vec::new(),
        out_lookups: Vec::new(),
    };
    l.pipeline(pipeline);
    l.finish()
}

fn field_name(w: &Word) -> String {
    let raw = w.raw.as_str();
    if raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\'') {
        return raw[1..raw.len() - 1].replace("\\'", "'");
    }
    w.text()
}

/// A canonical integer (`10`, `-3`, not `010`).
fn int_value(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn number_value(s: &str) -> Option<Value> {
    if let Some(i) = int_value(s) {
        return Some(Value::Int(i));
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(Value::Float(f))
}

fn cmp_op(op: CmpOp) -> Op {
    match op {
        CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne => Op::Eq,
        CmpOp::Lt => Op::Lt,
        CmpOp::Le => Op::Lte,
        CmpOp::Gt => Op::Gt,
        CmpOp::Ge => Op::Gte,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// `*` in `pattern` matched against `name`: the part the star stands for.
fn star_match<'n>(pattern: &str, name: &'n str) -> Option<&'n str> {
    let (pre, post) = pattern.split_once('*')?;
    if name.len() < pre.len() + post.len() {
        return None;
    }
    name.strip_prefix(pre)?.strip_suffix(post)
}

/// A SQL-style `like` pattern (`%`, `_`) as a glob pattern.
fn like_pattern(s: &str) -> Pattern {
    let mut p = Pattern::default();
    for c in s.chars() {
        match c {
            '%' => p.push_star(),
            '_' => p.push_one(),
            c => p.push_char(c),
        }
    }
    p
}

fn metric_function(name: &str) -> MetricFunction {
    match name.to_ascii_lowercase().as_str() {
        "count" | "c" => MetricFunction::Count,
        "dc" | "distinct_count" | "estdc" => MetricFunction::CountDistinct,
        "sum" => MetricFunction::Sum,
        "min" => MetricFunction::Min,
        "max" => MetricFunction::Max,
        "avg" | "mean" => MetricFunction::Avg,
        "median" => MetricFunction::Median,
        "values" | "list" => MetricFunction::Values,
        _ => MetricFunction::Other(name.to_owned()),
    }
}

/// Commands that do not filter events and write no field a condition could test.
const PASSIVE: &[&str] = &[
    "table",
    "fields",
    "dedup",
    "sort",
    "head",
    "tail",
    "fillnull",
    "mvexpand",
    "makemv",
    "convert",
    "outputlookup",
    "format",
    "return",
    "xmlkv",
    "addtotals",
    "addinfo",
    "fieldformat",
    "foreach",
    "fromjson",
    "tojson",
    "nomv",
    "reverse",
    "extract",
    "kvform",
    "filldown",
    "collect",
    "highlight",
    "sendalert",
    "mvcombine",
    "rename",
    "delta",
    "autoregress",
    "accum",
    "strcat",
    "replace",
    "setfields",
];

impl Lowerer<'_> {
    fn span(&self, s: Span) -> Span {
        self.at.unwrap_or(s)
    }

    fn opaque(&self, reason: impl Into<String>, text: impl Into<String>, span: Span) -> Expr {
        Expr::opaque(reason, text, Some(self.span(span)))
    }

    fn pred(&self, field: &str, op: Op, values: Vec<Value>, cased: bool, span: Span) -> Pred {
        let mut p = Pred::new(Field::raw(field), op, values).with_span(self.span(span));
        p.case_sensitive = cased;
        p
    }

    fn finish(mut self) -> Lowered {
        let expr = Expr::and(std::mem::take(&mut self.conds));
        let aggregation = self.stats.take().map(|s| threshold_form(s.agg, s.conds));
        Lowered {
            logic: Logic { expr, aggregation },
            datamodels: self.out_datamodels,
            macros: self.out_macros,
            lookups: self.out_lookups,
        }
    }

    fn note_macro(&mut self, name: &str) {
        if !self.out_macros.iter().any(|m| m == name) {
            self.out_macros.push(name.to_owned());
        }
    }

    fn note_lookup(&mut self, name: &str) {
        if !self.out_lookups.iter().any(|m| m == name) {
            self.out_lookups.push(name.to_owned());
        }
    }

    // ------------------------------------------------------------ fields

    fn resolve(&self, name: &str) -> Def {
        self.resolve_upto(name, self.wild.len())
    }

    fn resolve_upto(&self, name: &str, upto: usize) -> Def {
        if let Some(d) = self.env.get(name) {
            return d.clone();
        }
        // The latest wildcard rename whose new name matches; one step back
        // each time, so a chain of renames resolves in linear time.
        for i in (0..upto).rev() {
            let (new, old) = &self.wild[i];
            if let Some(mid) = star_match(new, name) {
                let orig = old.replacen('*', mid, 1);
                return self.resolve_upto(&orig, i);
            }
        }
        if self.stats.is_some() {
            Def::Opaque(reason::DROPPED)
        } else {
            Def::Field(name.to_owned())
        }
    }

    /// What an eval expression tests, when it is a field (possibly through
    /// functions); otherwise the opaque reason.
    fn subject(&self, e: &EvalExpr) -> Result<Subject, &'static str> {
        match e {
            EvalExpr::Group(inner) => self.subject(inner),
            EvalExpr::Field(w) => match self.resolve(&field_name(w)) {
                Def::Field(f) => Ok(Subject::Field(f, Vec::new())),
                Def::Transformed(f, t) => Ok(Subject::Field(f, t)),
                Def::Metric(i) => Ok(Subject::Metric(i, Vec::new())),
                Def::Lookup { table, inputs } => Ok(Subject::Lookup { table, inputs }),
                Def::Case { branches, metric } => Ok(Subject::Case(branches, metric)),
                Def::Opaque(r) => Err(r),
            },
            EvalExpr::Call { name, args, .. } => {
                let Some(first) = args.first() else {
                    return Err(reason::EXPRESSION);
                };
                let t = transform(name, args).ok_or(reason::EVAL_COMPUTED)?;
                match self.subject(first)? {
                    Subject::Field(f, mut ts) => {
                        ts.push(t);
                        Ok(Subject::Field(f, ts))
                    }
                    Subject::Metric(i, mut ts) => {
                        ts.push(t);
                        Ok(Subject::Metric(i, ts))
                    }
                    Subject::Lookup { .. } | Subject::Case(..) => Err(reason::EXPRESSION),
                }
            }
            _ => Err(reason::EXPRESSION),
        }
    }

    // ------------------------------------------------------------ pipeline

    fn pipeline(&mut self, p: &Pipeline) {
        for c in &p.commands {
            self.command(c);
        }
    }

    fn command(&mut self, c: &Command) {
        match &c.kind {
            CommandKind::Search { expr, .. } => {
                if let Some(e) = expr {
                    self.search_filter(e);
                }
            }
            CommandKind::Where(e) => {
                for conj in eval_conjuncts(e) {
                    self.metric_refs = 0;
                    self.event_refs = 0;
                    let x = self.cond(conj);
                    self.add(x, conj.span(), &conj.to_string());
                }
            }
            CommandKind::Tstats(t) => self.tstats(t),
            CommandKind::Stats(s) => self.stats(s),
            CommandKind::Eval(list) => {
                for a in list {
                    let name = field_name(&a.field);
                    let def = self.eval_def(&name, &a.value);
                    self.env.insert(name, def);
                }
            }
            CommandKind::Rename(pairs) => {
                for (from, to) in pairs {
                    let (from, to) = (field_name(from), field_name(to));
                    if from.contains('*') && to.contains('*') {
                        self.wild.push((to, from));
                    } else {
                        let d = self.resolve(&from);
                        self.env.insert(from, Def::Opaque(reason::DROPPED));
                        self.env.insert(to, d);
                    }
                }
            }
            CommandKind::Macro(m) => self.command_macro(m, c.span),
            CommandKind::Args { name, args } => self.args_command(name, args, c),
            CommandKind::Generic { name, raw } => {
                let lower = name.to_ascii_lowercase();
                if PASSIVE.contains(&lower.as_str()) {
                    return;
                }
                let r = match lower.as_str() {
                    "apply" | "fit" | "anomalydetection" => reason::ML,
                    "appendpipe" | "appendcols" | "union" | "multisearch" => reason::APPEND,
                    _ => reason::COMMAND,
                };
                let x = self.opaque(format!("{r} ({lower})"), format!("{name} {raw}"), c.span);
                self.conds.push(x);
            }
        }
    }

    /// Add a lowered condition where it belongs: the events, or the aggregation.
    fn add(&mut self, x: Expr, span: Span, text: &str) {
        if self.metric_refs > 0 && self.event_refs > 0 {
            let o = self.opaque(reason::MIXED, text, span);
            self.conds.push(o);
            return;
        }
        if self.metric_refs > 0
            && let Some(s) = &mut self.stats
        {
            let bound = match &x {
                Expr::Pred(p)
                    if p.values.len() == 1
                        && p.transforms.is_empty()
                        && matches!(p.op, Op::Eq | Op::Gt | Op::Gte | Op::Lt | Op::Lte) =>
                {
                    let cmp = p.values[0]
                        .as_f64()
                        .map(|value| Comparison { op: p.op, value });
                    let metric = s
                        .agg
                        .metrics
                        .iter()
                        .zip(&s.plain_counts)
                        .find(|(m, _)| m.name == p.field.raw);
                    match (cmp, metric) {
                        (Some(c), Some((_, true))) => Bound::Count(c),
                        (Some(c), Some((m, false)))
                            if m.function == MetricFunction::CountDistinct
                                && m.filter.is_none() =>
                        {
                            m.field
                                .clone()
                                .map_or(Bound::Other, |f| Bound::Distinct(f, c))
                        }
                        _ => Bound::Other,
                    }
                }
                _ => Bound::Other,
            };
            s.conds.push((x, bound));
            return;
        }
        self.conds.push(x);
    }

    fn search_filter(&mut self, e: &SearchExpr) {
        let conjuncts: Vec<&SearchExpr> = match e {
            SearchExpr::And(items) => items.iter().collect(),
            other => vec![other],
        };
        for c in conjuncts {
            self.metric_refs = 0;
            self.event_refs = 0;
            let x = self.search(c);
            self.add(x, Span::default(), &c.to_string());
        }
    }

    // ------------------------------------------------------------ search

    fn search(&mut self, e: &SearchExpr) -> Expr {
        match e {
            SearchExpr::And(items) => Expr::and(items.iter().map(|i| self.search(i)).collect()),
            SearchExpr::Or(items) => Expr::or(items.iter().map(|i| self.search(i)).collect()),
            SearchExpr::Not(x) => Expr::not(self.search(x)),
            SearchExpr::Group(x) => self.search(x),
            SearchExpr::Compare(c) => {
                let name = c.field.text();
                if matches!(name.as_str(), "earliest" | "latest") {
                    // A time range, not a condition on the event.
                    return Expr::and(Vec::new());
                }
                let def = self.resolve(&name);
                let x = match def {
                    Def::Field(f) => {
                        self.event_refs += 1;
                        self.search_cmp(&f, Vec::new(), c.op, &c.value, c.span)
                    }
                    Def::Transformed(f, t) => {
                        self.event_refs += 1;
                        self.search_cmp(&f, t, c.op, &c.value, c.span)
                    }
                    Def::Metric(_) => {
                        self.metric_refs += 1;
                        match number_value(&c.value.text()) {
                            Some(v) => {
                                let p = self.pred(&name, cmp_op(c.op), vec![v], false, c.span);
                                Expr::Pred(p)
                            }
                            None => self.opaque(reason::EXPRESSION, e.to_string(), c.span),
                        }
                    }
                    Def::Lookup { table, inputs } => {
                        self.event_refs += 1;
                        if matches!(c.op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne) {
                            let l = self.lookup_pred(&table, &inputs, c.span);
                            return Self::negate_if(c.op == CmpOp::Ne, l);
                        }
                        self.opaque(reason::LOOKUP_VALUE, e.to_string(), c.span)
                    }
                    Def::Case { branches, metric } => {
                        if matches!(c.op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne) {
                            let t = c.value.text();
                            let lit = number_value(&t).unwrap_or(Value::Str(t));
                            return self.case_eq(&branches, metric, &lit, c.op == CmpOp::Ne);
                        }
                        self.opaque(reason::EVAL_COMPUTED, e.to_string(), c.span)
                    }
                    Def::Opaque(r) => self.opaque(r, e.to_string(), c.span),
                };
                Self::negate_if(c.op == CmpOp::Ne, x)
            }
            SearchExpr::In {
                field,
                values,
                span,
            } => {
                let name = field.text();
                match self.resolve(&name) {
                    Def::Field(f) => {
                        self.event_refs += 1;
                        self.pattern_list(&f, Vec::new(), values, *span)
                    }
                    Def::Transformed(f, t) => {
                        self.event_refs += 1;
                        self.pattern_list(&f, t, values, *span)
                    }
                    Def::Opaque(r) => self.opaque(r, e.to_string(), *span),
                    _ => self.opaque(reason::EXPRESSION, e.to_string(), *span),
                }
            }
            SearchExpr::Term(w) => {
                let p = w.pattern();
                if p.pieces() == [ruledex_model::pattern::Piece::Star] {
                    return Expr::and(Vec::new());
                }
                self.event_refs += 1;
                let (op, v) = match p.reduce() {
                    (Op::Eq, v) => (Op::Contains, v),
                    (Op::Contains, v) => (Op::Contains, v),
                    _ => (Op::Wildcard, p.canonical()),
                };
                Expr::Keyword(ruledex_model::Keyword {
                    op,
                    values: vec![Value::Str(v)],
                    case_sensitive: false,
                    all: false,
                    span: Some(self.span(w.span)),
                })
            }
            SearchExpr::Macro(m) => self.search_macro(m, false),
            SearchExpr::Subsearch(p) => {
                self.event_refs += 1;
                self.subsearch(p, e)
            }
        }
    }

    fn negate_if(neg: bool, x: Expr) -> Expr {
        if neg { Expr::not(x) } else { x }
    }

    /// `field op value` of the search command: case-insensitive, `*` a wildcard.
    fn search_cmp(
        &self,
        field: &str,
        transforms: Vec<Transform>,
        op: CmpOp,
        value: &Word,
        span: Span,
    ) -> Expr {
        let mut p = match op {
            CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne => self.pattern_pred(field, value, span),
            _ => {
                let text = value.text();
                let v = number_value(&text).unwrap_or(Value::Str(text));
                self.pred(field, cmp_op(op), vec![v], false, span)
            }
        };
        p.transforms = transforms;
        Expr::Pred(p)
    }

    fn pattern_pred(&self, field: &str, value: &Word, span: Span) -> Pred {
        let pat = value.pattern();
        if pat.pieces() == [ruledex_model::pattern::Piece::Star] {
            return self.pred(field, Op::Exists, vec![Value::Bool(true)], false, span);
        }
        let (op, v) = pat.reduce();
        let v = match op {
            Op::Eq => int_value(&v).map_or(Value::Str(v), Value::Int),
            _ => Value::Str(v),
        };
        self.pred(field, op, vec![v], false, span)
    }

    /// `field IN (a, b*, *c)`: one predicate per operator, values pooled.
    fn pattern_list(
        &self,
        field: &str,
        transforms: Vec<Transform>,
        values: &[Word],
        span: Span,
    ) -> Expr {
        let mut groups: Vec<(Op, Vec<Value>)> = Vec::new();
        for w in values {
            let p = self.pattern_pred(field, w, span);
            match groups.iter_mut().find(|(op, _)| *op == p.op) {
                Some((_, vs)) => {
                    for v in p.values {
                        if !vs.contains(&v) {
                            vs.push(v);
                        }
                    }
                }
                None => groups.push((p.op, p.values)),
            }
        }
        if groups.is_empty() {
            // `f IN ()` matches nothing.
            return Expr::or(Vec::new());
        }
        Expr::or(
            groups
                .into_iter()
                .map(|(op, vs)| {
                    let mut p = self.pred(field, op, vs, false, span);
                    p.transforms.clone_from(&transforms);
                    Expr::Pred(p)
                })
                .collect(),
        )
    }

    fn lookup_pred(&mut self, table: &str, inputs: &[String], span: Span) -> Expr {
        self.note_lookup(table);
        let def = self.cx.lookup(table);
        let within = def
            .and_then(|d| d.match_type.as_deref())
            .filter(|m| m.to_ascii_uppercase().starts_with("WILDCARD"))
            .map(|_| Op::Wildcard);
        let cased = def.is_none_or(|d| d.case_sensitive);
        Expr::and(
            inputs
                .iter()
                .map(|f| {
                    let mut p = self.pred(
                        f,
                        Op::Lookup,
                        vec![Value::Str(table.to_owned())],
                        cased,
                        span,
                    );
                    p.within = within;
                    Expr::Pred(p)
                })
                .collect(),
        )
    }

    /// `[| inputlookup t | fields f]` and its `table`/`rename` variants.
    fn subsearch(&mut self, p: &Pipeline, whole: &SearchExpr) -> Expr {
        let span = p.commands.first().map_or(Span::default(), |c| c.span);
        let fail = |l: &Self| l.opaque(reason::SUBSEARCH, whole.to_string(), span);
        let Some((first, rest)) = p.commands.split_first() else {
            return fail(self);
        };
        let CommandKind::Args { name, args } = &first.kind else {
            return fail(self);
        };
        if !name.eq_ignore_ascii_case("inputlookup") {
            return fail(self);
        }
        let Some(table) = args.iter().find_map(|a| match a {
            Arg::Word(w) => Some(w.text()),
            _ => None,
        }) else {
            return fail(self);
        };
        let table = table.trim_end_matches(".csv").to_owned();
        let mut cols: Option<Vec<String>> = None;
        let mut renames: Vec<(String, String)> = Vec::new();
        for c in rest {
            match &c.kind {
                CommandKind::Args { name, args }
                    if name.eq_ignore_ascii_case("fields")
                        || name.eq_ignore_ascii_case("table") =>
                {
                    let list: Vec<String> = args
                        .iter()
                        .filter_map(|a| match a {
                            Arg::Word(w) if w.raw != "+" => Some(w.text()),
                            _ => None,
                        })
                        .collect();
                    if list.iter().any(|c| c == "-" || c.contains('*')) {
                        return fail(self);
                    }
                    cols = Some(list);
                }
                CommandKind::Rename(pairs) => {
                    for (a, b) in pairs {
                        renames.push((field_name(a), field_name(b)));
                    }
                }
                _ => return fail(self),
            }
        }
        let Some(cols) = cols.filter(|c| !c.is_empty()) else {
            return fail(self);
        };
        let inputs: Vec<String> = cols
            .into_iter()
            .map(|c| match self.resolve(&c) {
                Def::Field(f) => f,
                _ => c,
            })
            .collect();
        let _ = renames;
        self.lookup_pred(&table, &inputs, span)
    }

    // ------------------------------------------------------------ macros

    fn search_macro(&mut self, m: &MacroCall, command_position: bool) -> Expr {
        self.note_macro(&m.name);
        let args = m.args.clone().unwrap_or_default();
        let Some(def) = self.cx.macro_def(&m.name, args.len()) else {
            if m.name.ends_with("_filter") || m.name == "security_content_summariesonly" {
                return Expr::and(Vec::new());
            }
            return self.opaque(
                format!("{} (`{}`)", reason::UNDEFINED_MACRO, m.name),
                m.to_string(),
                m.span,
            );
        };
        if self.depth >= MAX_MACRO_DEPTH {
            return self.opaque(reason::MACRO_DEPTH, m.to_string(), m.span);
        }
        let text = def.expand(&args);
        let parsed = if command_position {
            super::parse_command_position(&text)
        } else {
            super::parse(&text)
        };
        let Ok(p) = parsed else {
            return self.opaque(
                format!("{} (`{}`)", reason::MACRO_SYNTAX, m.name),
                m.to_string(),
                m.span,
            );
        };
        let outer = self.at;
        self.at = Some(self.span(m.span));
        self.depth += 1;
        let out = match p.commands.as_slice() {
            [] => Expr::and(Vec::new()),
            [one] => match &one.kind {
                CommandKind::Search { expr: None, .. } => Expr::and(Vec::new()),
                CommandKind::Search { expr: Some(e), .. } => self.search(e),
                _ => {
                    self.command(one);
                    Expr::and(Vec::new())
                }
            },
            _ => {
                // A pipeline in search position: its commands run in turn.
                self.pipeline(&p);
                Expr::and(Vec::new())
            }
        };
        self.depth -= 1;
        self.at = outer;
        out
    }

    fn command_macro(&mut self, m: &MacroCall, span: Span) {
        self.note_macro(&m.name);
        let args = m.args.clone().unwrap_or_default();
        match (m.name.as_str(), args.as_slice()) {
            ("security_content_ctime", [f]) => {
                self.env
                    .insert(f.clone(), Def::Opaque(reason::EVAL_COMPUTED));
                return;
            }
            ("drop_dm_object_name", [dm]) => {
                let dm = dm.trim_matches('"');
                self.wild.push(("*".to_owned(), format!("{dm}.*")));
                return;
            }
            _ => {}
        }
        if self.cx.macro_def(&m.name, args.len()).is_none() && m.name.ends_with("_filter") {
            // Per-detection filter macros ship as `search *`.
            return;
        }
        let x = self.search_macro(m, true);
        if !matches!(&x, Expr::And(v) if v.is_empty()) {
            self.metric_refs = 0;
            self.event_refs = 1;
            self.add(x, span, &m.to_string());
        }
    }

    // ------------------------------------------------------------ aggregation

    fn aggregate(&mut self, aggs: &[&Agg], by: &[Word], span: Option<String>) {
        if self.stats.is_some() {
            let keys: Vec<(String, Def)> = by
                .iter()
                .map(|w| {
                    let n = field_name(w);
                    let d = self.resolve(&n);
                    (n, d)
                })
                .collect();
            self.env.clear();
            self.wild.clear();
            for (n, d) in keys {
                self.env.insert(n, d);
            }
            for a in aggs {
                self.env
                    .insert(a.name(), Def::Opaque(reason::NESTED_AGGREGATE));
            }
            return;
        }
        let window = span.or_else(|| self.bin_span.clone());
        let mut agg = Aggregation::new(AggregationKind::Threshold {
            cardinality: Vec::new(),
        });
        let mut keys = Vec::new();
        for w in by {
            let n = field_name(w);
            if n == "_time"
                && let Some(s) = &window
            {
                agg.window = Some(Window::parse(s));
                continue;
            }
            let d = self.resolve(&n);
            let f = match &d {
                Def::Field(f) => f.clone(),
                _ => n.clone(),
            };
            agg.group_by.push(Field::raw(f));
            keys.push((n, d));
        }
        let mut plain = Vec::new();
        for a in aggs {
            let function = metric_function(&a.function);
            let (field, filter) = match a.args.as_deref() {
                Some([EvalExpr::Call { name, args, .. }]) if name.eq_ignore_ascii_case("eval") => {
                    let f = args.first().map(|c| {
                        self.metric_refs = 0;
                        self.event_refs = 0;
                        self.cond(c)
                    });
                    (None, f)
                }
                Some([EvalExpr::Field(w)]) if w.raw == "*" => (None, None),
                Some([arg]) => match self.subject(arg) {
                    Ok(Subject::Field(f, t)) if t.is_empty() => (Some(Field::raw(f)), None),
                    _ => (None, None),
                },
                _ => (None, None),
            };
            let is_plain = function == MetricFunction::Count
                && field.is_none()
                && filter.is_none()
                && a.args.as_ref().is_none_or(|v| {
                    v.is_empty() || matches!(v.as_slice(), [EvalExpr::Field(w)] if w.raw == "*")
                });
            plain.push(is_plain);
            let mut metric = Metric::new(a.name(), function, field);
            metric.filter = filter;
            agg.metrics.push(metric);
        }
        self.env.clear();
        self.wild.clear();
        for (n, d) in keys {
            self.env.insert(n, d);
        }
        for (i, a) in aggs.iter().enumerate() {
            self.env.insert(a.name(), Def::Metric(i));
        }
        self.stats = Some(AggState {
            agg,
            plain_counts: plain,
            conds: Vec::new(),
        });
    }

    fn stats(&mut self, s: &Stats) {
        if !s.name.eq_ignore_ascii_case("stats") {
            for a in &s.aggs {
                self.env
                    .insert(a.name(), Def::Opaque(reason::RUNNING_AGGREGATE));
            }
            return;
        }
        let aggs: Vec<&Agg> = s.aggs.iter().collect();
        self.aggregate(&aggs, &s.by, None);
    }

    fn tstats(&mut self, t: &Tstats) {
        if let Some(d) = &t.datamodel {
            let d = d.text();
            if !self.out_datamodels.contains(&d) {
                self.out_datamodels.push(d);
            }
        }
        for i in &t.items {
            if let TstatsItem::Macro(m) = i {
                self.note_macro(&m.name);
            }
        }
        if let Some(f) = &t.filter {
            self.search_filter(f);
        }
        let aggs: Vec<&Agg> = t
            .items
            .iter()
            .filter_map(|i| match i {
                TstatsItem::Agg(a) => Some(a),
                _ => None,
            })
            .collect();
        let span = t
            .options
            .iter()
            .find(|o| o.key.eq_ignore_ascii_case("span"))
            .map(|o| o.value.text());
        self.aggregate(&aggs, &t.by, span);
    }

    // ------------------------------------------------------------ eval

    fn eval_def(&mut self, name: &str, e: &EvalExpr) -> Def {
        if self.at.is_some() && !matches!(strip_group(e), EvalExpr::Field(_)) {
            // Inside a macro: input macros are the site's normalization layer
            // (security_content asks users to replace them), and what they
            // compute is the field the detection means by that name.
            return Def::Field(name.to_owned());
        }
        if let Some(branches) = case_branches(e) {
            return self.case_def(&branches);
        }
        match self.subject(e) {
            Ok(Subject::Field(f, t)) if t.is_empty() => Def::Field(f),
            Ok(Subject::Field(f, t)) => Def::Transformed(f, t),
            Ok(Subject::Metric(..)) => {
                if let EvalExpr::Field(w) = strip_group(e) {
                    self.resolve(&field_name(w))
                } else {
                    Def::Opaque(reason::EXPRESSION)
                }
            }
            Ok(Subject::Lookup { table, inputs }) => Def::Lookup { table, inputs },
            Ok(Subject::Case(branches, metric)) => Def::Case { branches, metric },
            Err(_) => Def::Opaque(reason::EVAL_COMPUTED),
        }
    }

    /// The definition of an `if`/`case` value with literal results.
    fn case_def(&mut self, branches: &[(Option<&EvalExpr>, &EvalExpr)]) -> Def {
        let saved = (self.metric_refs, self.event_refs);
        self.metric_refs = 0;
        self.event_refs = 0;
        let mut out: Vec<(Expr, Value)> = Vec::new();
        let mut earlier: Vec<Expr> = Vec::new();
        let mut failed = None;
        for (c, r) in branches {
            let Some(v) = Self::literal(r) else {
                failed = Some(reason::EVAL_COMPUTED);
                break;
            };
            let cond = c.map_or_else(|| Expr::and(Vec::new()), |c| self.cond(c));
            if cond.has_opaque() {
                failed = Some(reason::EVAL_COMPUTED);
                break;
            }
            let mut parts: Vec<Expr> = earlier.iter().map(|e| Expr::not(e.clone())).collect();
            parts.push(cond.clone());
            if v != Value::Null {
                out.push((Expr::and(parts), v));
            }
            earlier.push(cond);
            if c.is_none() {
                break;
            }
        }
        let (metric, event) = (self.metric_refs, self.event_refs);
        (self.metric_refs, self.event_refs) = saved;
        if let Some(r) = failed {
            return Def::Opaque(r);
        }
        if metric > 0 && event > 0 {
            return Def::Opaque(reason::MIXED);
        }
        Def::Case {
            branches: Rc::new(out),
            metric: metric > 0,
        }
    }

    /// What a field extracted by `rex`/`spath` is: opaque, except inside a
    /// macro (see [`Self::eval_def`]).
    fn extracted(&self, name: &str) -> Def {
        if self.at.is_some() {
            Def::Field(name.to_owned())
        } else {
            Def::Opaque(reason::EXTRACTED)
        }
    }

    fn literal(e: &EvalExpr) -> Option<Value> {
        match strip_group(e) {
            EvalExpr::Call { name, args, .. } if args.is_empty() => {
                match name.to_ascii_lowercase().as_str() {
                    "null" => Some(Value::Null),
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                }
            }
            EvalExpr::Str(w) => Some(Value::Str(w.text())),
            EvalExpr::Num(w) => {
                let t = w.raw.to_ascii_lowercase();
                match t.as_str() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "null" => Some(Value::Null),
                    _ => number_value(&w.raw),
                }
            }
            _ => None,
        }
    }

    /// An eval expression as a condition.
    fn cond(&mut self, e: &EvalExpr) -> Expr {
        match e {
            EvalExpr::Group(x) => self.cond(x),
            EvalExpr::Not(x) => Expr::not(self.cond(x)),
            EvalExpr::Binary { op, lhs, rhs } => match op {
                BinOp::And => Expr::and(vec![self.cond(lhs), self.cond(rhs)]),
                BinOp::Or => Expr::or(vec![self.cond(lhs), self.cond(rhs)]),
                BinOp::Cmp(c) => self.compare(lhs, *c, rhs, e),
                BinOp::Like => self.like(lhs, rhs, e),
                _ => self.opaque(reason::EXPRESSION, e.to_string(), e.span()),
            },
            EvalExpr::In { lhs, list } => self.in_list(lhs, list, e),
            EvalExpr::Call { name, args, span } => {
                match (name.to_ascii_lowercase().as_str(), args.as_slice()) {
                    ("like", [f, p]) => self.like(f, p, e),
                    ("match", [f, p]) => self.regex(f, p, e),
                    ("in", [f, rest @ ..]) => self.in_list(f, rest, e),
                    ("isnull", [f]) => self.null_test(f, true, e),
                    ("isnotnull", [f]) => self.null_test(f, false, e),
                    ("cidrmatch", [c, f]) => match Self::literal(c) {
                        Some(Value::Str(cidr)) => self.column_test(f, e, |l, name, span| {
                            l.pred(name, Op::Cidr, vec![Value::Str(cidr)], false, span)
                        }),
                        _ => self.opaque(reason::EXPRESSION, e.to_string(), *span),
                    },
                    _ => self.opaque(
                        format!("{} ({name})", reason::EXPRESSION),
                        e.to_string(),
                        *span,
                    ),
                }
            }
            _ => self.opaque(reason::EXPRESSION, e.to_string(), e.span()),
        }
    }

    /// The column a subject is tested on: an event field, or a metric name
    /// (tested in `having`). Counts the reference. `None` for a lookup output.
    fn column(&mut self, s: Subject) -> Option<(String, Vec<Transform>, bool)> {
        match s {
            Subject::Field(f, t) => {
                self.event_refs += 1;
                Some((f, t, false))
            }
            Subject::Metric(i, t) => {
                self.metric_refs += 1;
                let name = self
                    .stats
                    .as_ref()
                    .map_or(String::new(), |s| s.agg.metrics[i].name.clone());
                Some((name, t, true))
            }
            Subject::Lookup { .. } | Subject::Case(..) => None,
        }
    }

    /// `x = lit` where `x` is an `if`/`case` value: the branches giving `lit`.
    fn case_eq(
        &mut self,
        branches: &[(Expr, Value)],
        metric: bool,
        lit: &Value,
        neg: bool,
    ) -> Expr {
        if metric {
            self.metric_refs += 1;
        } else {
            self.event_refs += 1;
        }
        let same = |a: &Value, b: &Value| {
            let (x, y) = (a.to_string(), b.to_string());
            x == y
                || x.parse::<f64>()
                    .ok()
                    .zip(y.parse::<f64>().ok())
                    .is_some_and(|(p, q)| (p - q).abs() < f64::EPSILON)
        };
        let x = Expr::or(
            branches
                .iter()
                .filter(|(_, v)| same(v, lit))
                .map(|(c, _)| c.clone())
                .collect(),
        );
        Self::negate_if(neg, x)
    }

    fn compare(&mut self, lhs: &EvalExpr, op: CmpOp, rhs: &EvalExpr, whole: &EvalExpr) -> Expr {
        let span = whole.span();
        let text = whole.to_string();
        let (subj, lit, op) = match (Self::literal(lhs), Self::literal(rhs)) {
            (None, Some(v)) => (lhs, v, op),
            (Some(v), None) => (rhs, v, flip(op)),
            (None, None) => return self.field_ref(lhs, op, rhs, whole),
            (Some(_), Some(_)) => return self.opaque(reason::EXPRESSION, text, span),
        };
        let s = match self.subject(subj) {
            Ok(s) => s,
            Err(r) => return self.opaque(r, text, span),
        };
        let neg = op == CmpOp::Ne;
        if let Subject::Case(branches, metric) = &s {
            if matches!(op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne) {
                return self.case_eq(branches, *metric, &lit, neg);
            }
            return self.opaque(reason::EVAL_COMPUTED, text, span);
        }
        if let Subject::Lookup { table, inputs } = &s {
            self.event_refs += 1;
            if matches!(op, CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne) {
                let l = self.lookup_pred(table, inputs, span);
                return Self::negate_if(neg, l);
            }
            return self.opaque(reason::LOOKUP_VALUE, text, span);
        }
        let Some((f, mut t, metric)) = self.column(s) else {
            return self.opaque(reason::EXPRESSION, text, span);
        };
        if lit == Value::Null {
            let op = if neg { Op::IsNotNull } else { Op::IsNull };
            let mut p = self.pred(&f, op, Vec::new(), false, span);
            p.transforms = t;
            return Expr::Pred(p);
        }
        let mut cased = matches!(lit, Value::Str(_)) && !metric;
        // `lower(f) == "x"` with a lowercase `x` is a case-insensitive test.
        if let (Some(Transform::Lower), Value::Str(v)) = (t.last(), &lit)
            && *v == v.to_lowercase()
        {
            t.pop();
            cased = false;
        } else if let (Some(Transform::Upper), Value::Str(v)) = (t.last(), &lit)
            && *v == v.to_uppercase()
        {
            t.pop();
            cased = false;
        }
        let mut p = self.pred(&f, cmp_op(op), vec![lit], cased, span);
        p.transforms = t;
        Self::negate_if(neg, Expr::Pred(p))
    }

    /// `a == b` between two columns.
    fn field_ref(&mut self, lhs: &EvalExpr, op: CmpOp, rhs: &EvalExpr, whole: &EvalExpr) -> Expr {
        let span = whole.span();
        let (a, b) = match (self.subject(lhs), self.subject(rhs)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(r), _) | (_, Err(r)) => return self.opaque(r, whole.to_string(), span),
        };
        match (self.column(a), self.column(b)) {
            (Some((a, ta, _)), Some((b, tb, _))) if ta.is_empty() && tb.is_empty() => {
                let mut p = self.pred(&a, Op::FieldRef, vec![Value::Str(b)], true, span);
                p.within = match op {
                    CmpOp::Lt => Some(Op::Lt),
                    CmpOp::Le => Some(Op::Lte),
                    CmpOp::Gt => Some(Op::Gt),
                    CmpOp::Ge => Some(Op::Gte),
                    _ => None,
                };
                Self::negate_if(op == CmpOp::Ne, Expr::Pred(p))
            }
            _ => self.opaque(reason::EXPRESSION, whole.to_string(), span),
        }
    }

    /// A test on a column through a function (`like`, `match`, `in`, `isnull`, …).
    fn column_test(
        &mut self,
        f: &EvalExpr,
        whole: &EvalExpr,
        build: impl FnOnce(&Self, &str, Span) -> Pred,
    ) -> Expr {
        let span = whole.span();
        let s = match self.subject(f) {
            Ok(s) => s,
            Err(r) => return self.opaque(r, whole.to_string(), span),
        };
        match self.column(s) {
            Some((name, t, _)) => {
                let mut p = build(self, &name, span);
                p.transforms = t;
                Expr::Pred(p)
            }
            None => self.opaque(reason::LOOKUP_VALUE, whole.to_string(), span),
        }
    }

    fn like(&mut self, f: &EvalExpr, p: &EvalExpr, whole: &EvalExpr) -> Expr {
        let Some(Value::Str(pat)) = Self::literal(p) else {
            return self.opaque(reason::EXPRESSION, whole.to_string(), whole.span());
        };
        let x = self.column_test(f, whole, |l, name, span| {
            let (op, v) = like_pattern(&pat).reduce();
            l.pred(name, op, vec![Value::Str(v)], true, span)
        });
        match x {
            Expr::Pred(mut p)
                if p.transforms.last() == Some(&Transform::Lower) && pat == pat.to_lowercase() =>
            {
                p.transforms.pop();
                p.case_sensitive = false;
                Expr::Pred(p)
            }
            other => other,
        }
    }

    fn regex(&mut self, f: &EvalExpr, p: &EvalExpr, whole: &EvalExpr) -> Expr {
        let Some(Value::Str(re)) = Self::literal(p) else {
            return self.opaque(reason::EXPRESSION, whole.to_string(), whole.span());
        };
        self.column_test(f, whole, |l, name, span| l.regex_pred(name, &re, span))
    }

    fn regex_pred(&self, field: &str, re: &str, span: Span) -> Pred {
        let (re, cased) = match re.strip_prefix("(?i)") {
            Some(rest) => (rest, false),
            None => (re, true),
        };
        self.pred(
            field,
            Op::Regex,
            vec![Value::Str(re.to_owned())],
            cased,
            span,
        )
    }

    fn in_list(&mut self, f: &EvalExpr, list: &[EvalExpr], whole: &EvalExpr) -> Expr {
        let values: Option<Vec<Value>> = list.iter().map(Self::literal).collect();
        let Some(values) = values else {
            return self.opaque(reason::EXPRESSION, whole.to_string(), whole.span());
        };
        let cased = values.iter().any(|v| matches!(v, Value::Str(_)));
        self.column_test(f, whole, |l, name, span| {
            l.pred(name, Op::In, values, cased, span)
        })
    }

    fn null_test(&mut self, f: &EvalExpr, null: bool, whole: &EvalExpr) -> Expr {
        if let Ok(Subject::Lookup { table, inputs }) = self.subject(f) {
            self.event_refs += 1;
            let l = self.lookup_pred(&table, &inputs, whole.span());
            return Self::negate_if(null, l);
        }
        let op = if null { Op::IsNull } else { Op::IsNotNull };
        self.column_test(f, whole, |l, name, span| {
            l.pred(name, op, Vec::new(), false, span)
        })
    }

    // ------------------------------------------------------------ other commands

    fn args_command(&mut self, name: &str, args: &[Arg], c: &Command) {
        let lower = name.to_ascii_lowercase();
        let opt = |k: &str| {
            args.iter().find_map(|a| match a {
                Arg::Opt { key, value, .. } if key.text().eq_ignore_ascii_case(k) => {
                    Some(value.text())
                }
                _ => None,
            })
        };
        let words: Vec<&Word> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Word(w) => Some(w),
                _ => None,
            })
            .collect();
        match lower.as_str() {
            "rex" => {
                let field = opt("field").unwrap_or_else(|| "_raw".to_owned());
                if opt("mode").is_some_and(|m| m == "sed") {
                    self.env.insert(field, Def::Opaque(reason::EXTRACTED));
                    return;
                }
                if let Some(re) = words.first() {
                    for g in named_groups(&re.text()) {
                        let d = self.extracted(&g);
                        self.env.insert(g, d);
                    }
                }
            }
            "spath" => {
                if let Some(o) = opt("output")
                    .or_else(|| opt("path"))
                    .or_else(|| words.first().map(|w| w.text()))
                {
                    let d = self.extracted(&o);
                    self.env.insert(o, d);
                }
            }
            "iplocation" => {
                for f in ["City", "Country", "Region", "lat", "lon"] {
                    self.env
                        .insert(f.to_owned(), Def::Opaque(reason::EXTRACTED));
                }
            }
            "transaction" => {
                for f in ["duration", "eventcount", "closed_txn"] {
                    self.env
                        .insert(f.to_owned(), Def::Opaque(reason::RUNNING_AGGREGATE));
                }
            }
            "top" | "rare" => {
                for f in ["count", "percent"] {
                    self.env
                        .insert(f.to_owned(), Def::Opaque(reason::RUNNING_AGGREGATE));
                }
            }
            "bin" | "bucket" => {
                if words.iter().any(|w| w.raw == "_time")
                    && let Some(s) = opt("span")
                {
                    self.bin_span = Some(s);
                }
            }
            "regex" => {
                for a in args {
                    match a {
                        Arg::Opt {
                            key,
                            value,
                            negated,
                        } => {
                            let f = key.text();
                            let x = match self.resolve(&f) {
                                Def::Field(name) => {
                                    Expr::Pred(self.regex_pred(&name, &value.text(), c.span))
                                }
                                Def::Transformed(name, t) => {
                                    let mut p = self.regex_pred(&name, &value.text(), c.span);
                                    p.transforms = t;
                                    Expr::Pred(p)
                                }
                                Def::Opaque(r) => self.opaque(r, c.to_string(), c.span),
                                _ => self.opaque(reason::EXPRESSION, c.to_string(), c.span),
                            };
                            let x = Self::negate_if(*negated, x);
                            self.conds.push(x);
                        }
                        Arg::Word(w) => {
                            self.conds.push(Expr::Keyword(ruledex_model::Keyword {
                                op: Op::Regex,
                                values: vec![Value::Str(w.text())],
                                case_sensitive: true,
                                all: false,
                                span: Some(self.span(w.span)),
                            }));
                        }
                        _ => {}
                    }
                }
            }
            "lookup" => self.lookup_command(args),
            "inputlookup" => {
                let x = self.opaque(reason::INPUTLOOKUP, c.to_string(), c.span);
                self.conds.push(x);
            }
            "join" => {
                let t = opt("type").unwrap_or_default().to_ascii_lowercase();
                if t != "left" && t != "outer" {
                    let x = self.opaque(reason::JOIN, c.to_string(), c.span);
                    self.conds.push(x);
                }
            }
            "append" => {
                let x = self.opaque(reason::APPEND, c.to_string(), c.span);
                self.conds.push(x);
            }
            _ => {}
        }
    }

    /// `lookup [opts] table f [as g], … [OUTPUT|OUTPUTNEW o [as p], …]`.
    fn lookup_command(&mut self, args: &[Arg]) {
        let mut table: Option<String> = None;
        let mut inputs: Vec<String> = Vec::new();
        let mut outputs: Vec<String> = Vec::new();
        let mut in_output = false;
        let mut pending_as = false;
        for a in args {
            let Arg::Word(w) = a else { continue };
            let t = w.text();
            if table.is_none() {
                table = Some(t);
                continue;
            }
            if t.eq_ignore_ascii_case("output") || t.eq_ignore_ascii_case("outputnew") {
                in_output = true;
                continue;
            }
            if t.eq_ignore_ascii_case("as") {
                pending_as = true;
                continue;
            }
            let list = if in_output { &mut outputs } else { &mut inputs };
            if pending_as {
                list.pop();
                pending_as = false;
            }
            list.push(t);
        }
        let Some(table) = table else { return };
        self.note_lookup(&table);
        let inputs: Vec<String> = inputs
            .into_iter()
            .map(|f| match self.resolve(&f) {
                Def::Field(orig) => orig,
                _ => f,
            })
            .collect();
        for o in outputs {
            self.env.insert(
                o,
                Def::Lookup {
                    table: table.clone(),
                    inputs: inputs.clone(),
                },
            );
        }
    }
}

/// Put the conditions on aggregates into the aggregation, in the first form
/// that holds them all (the forms are never mixed):
///
/// - only bounds on event counts: `condition` of a `Threshold`;
/// - only bounds on the distinct count of one field: a `ValueCount` of that
///   field with those bounds as `condition`;
/// - bounds on event counts and minima on distinct counts: a `Threshold`
///   with `cardinality` (`dc(f) > n` is `f >= n + 1`);
/// - anything else: `having`, the AND of the conditions over metric names.
fn threshold_form(mut agg: Aggregation, conds: Vec<(Expr, Bound)>) -> Aggregation {
    if conds.is_empty() {
        return agg;
    }
    let counts: Vec<Comparison> = conds
        .iter()
        .filter_map(|(_, b)| match b {
            Bound::Count(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let distinct: Vec<(&Field, &Comparison)> = conds
        .iter()
        .filter_map(|(_, b)| match b {
            Bound::Distinct(f, c) => Some((f, c)),
            _ => None,
        })
        .collect();
    let others = conds.len() - counts.len() - distinct.len();
    if others == 0 && distinct.is_empty() {
        agg.condition = counts;
        return agg;
    }
    if others == 0 && counts.is_empty() && distinct.iter().all(|(f, _)| *f == distinct[0].0) {
        agg.kind = AggregationKind::ValueCount {
            field: distinct[0].0.clone(),
            rules: Vec::new(),
        };
        agg.condition = distinct.iter().map(|(_, c)| (*c).clone()).collect();
        return agg;
    }
    let minima: Option<Vec<(Field, u64)>> = distinct
        .iter()
        .map(|(f, c)| {
            let n = match c.op {
                Op::Gte => c.value.ceil(),
                Op::Gt => c.value.floor() + 1.0,
                _ => return None,
            };
            (n >= 0.0).then(|| ((*f).clone(), n as u64))
        })
        .collect();
    if others == 0
        && !counts.is_empty()
        && let Some(minima) = minima
    {
        agg.kind = AggregationKind::Threshold {
            cardinality: minima,
        };
        agg.condition = counts;
        return agg;
    }
    agg.having = Some(Expr::and(conds.into_iter().map(|(e, _)| e).collect()));
    agg
}

/// The branches of `if(c, a, b)` or `case(c1, v1, …)`; `None` for the
/// condition that always holds (`true()`, or the `else` of `if`).
fn case_branches(e: &EvalExpr) -> Option<Vec<(Option<&EvalExpr>, &EvalExpr)>> {
    let EvalExpr::Call { name, args, .. } = strip_group(e) else {
        return None;
    };
    let always = |c: &EvalExpr| match strip_group(c) {
        EvalExpr::Call { name, args, .. } => name.eq_ignore_ascii_case("true") && args.is_empty(),
        EvalExpr::Num(w) => w.raw.eq_ignore_ascii_case("true") || w.raw == "1",
        _ => false,
    };
    match (name.to_ascii_lowercase().as_str(), args.as_slice()) {
        ("if", [c, a, b]) => Some(vec![(Some(c), a), (None, b)]),
        ("case", list) if !list.is_empty() && list.len() % 2 == 0 => Some(
            list.chunks(2)
                .map(|p| (if always(&p[0]) { None } else { Some(&p[0]) }, &p[1]))
                .collect(),
        ),
        _ => None,
    }
}

fn strip_group(e: &EvalExpr) -> &EvalExpr {
    match e {
        EvalExpr::Group(x) => strip_group(x),
        other => other,
    }
}

/// The top-level conjuncts of an eval condition.
fn eval_conjuncts(e: &EvalExpr) -> Vec<&EvalExpr> {
    match e {
        EvalExpr::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => {
            let mut v = eval_conjuncts(lhs);
            v.extend(eval_conjuncts(rhs));
            v
        }
        EvalExpr::Group(x) if matches!(**x, EvalExpr::Binary { op: BinOp::And, .. }) => {
            eval_conjuncts(x)
        }
        other => vec![other],
    }
}

/// The transform an eval function applies to its first argument, when it is
/// one the model has.
fn transform(name: &str, args: &[EvalExpr]) -> Option<Transform> {
    let lit_int = |e: &EvalExpr| match strip_group(e) {
        EvalExpr::Num(w) => int_value(&w.raw),
        _ => None,
    };
    let lit_str = |e: &EvalExpr| match strip_group(e) {
        EvalExpr::Str(w) => Some(w.text()),
        _ => None,
    };
    match (name.to_ascii_lowercase().as_str(), args) {
        ("lower", [_]) => Some(Transform::Lower),
        ("upper", [_]) => Some(Transform::Upper),
        ("trim", [_]) => Some(Transform::Trim),
        ("len", [_]) => Some(Transform::Length),
        ("mvcount", [_]) => Some(Transform::ValueCount),
        ("urldecode", [_]) => Some(Transform::UrlDecode),
        ("substr", [_, s, rest @ ..]) => {
            // SPL counts from 1; a negative start counts from the end.
            let start = lit_int(s)?;
            let start = if start > 0 { start - 1 } else { start };
            let len = match rest {
                [] => None,
                [l] => Some(lit_int(l)?),
                _ => return None,
            };
            Some(Transform::Substring { start, len })
        }
        ("replace", [_, p, r]) => Some(Transform::Replace {
            pattern: lit_str(p)?,
            replacement: lit_str(r)?,
        }),
        ("tostring", [_]) => None,
        _ => None,
    }
}

/// Names of the `(?<name>…)` / `(?P<name>…)` groups of a regular expression.
fn named_groups(re: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = re;
    while let Some(i) = rest.find("(?") {
        rest = &rest[i + 2..];
        let body = rest.strip_prefix('P').unwrap_or(rest);
        if let Some(b) = body.strip_prefix('<')
            && let Some(end) = b.find('>')
        {
            let name = &b[..end];
            if !name.is_empty() && !name.starts_with(['=', '!']) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_match_finds_the_middle() {
        assert_eq!(star_match("*", "dest"), Some("dest"));
        assert_eq!(star_match("a.*", "a.b"), Some("b"));
        assert_eq!(star_match("a.*", "b"), None);
    }

    #[test]
    fn named_groups_are_found() {
        assert_eq!(
            named_groups(r"(?<user>\w+)@(?P<dom>[^ ]+)(?<=x)"),
            ["user", "dom"]
        );
    }

    #[test]
    fn like_pattern_reduces() {
        assert_eq!(like_pattern("%x%").reduce(), (Op::Contains, "x".to_owned()));
        assert_eq!(
            like_pattern("a_b").reduce(),
            (Op::Wildcard, "a?b".to_owned())
        );
    }
}
