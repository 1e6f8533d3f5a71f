//! Aggregations: counts, thresholds, new terms and sequences over many events.

use serde::{Deserialize, Serialize};

use crate::expr::{Expr, Field, Op, Transform};
use crate::value::Value;

/// A time window, kept both as written and in seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The window as the rule wrote it (`5m`, `1h`, `now-7d`).
    pub text: String,
    /// Its length in seconds, when it could be computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
}

impl Window {
    /// Parse a duration like `30s`, `5m`, `1h`, `7d`, `2w` (optionally prefixed `now-`).
    /// A month is 30 days and a year 365. Unknown forms keep `seconds: None`.
    pub fn parse(text: &str) -> Window {
        let t = text.trim();
        let body = t.strip_prefix("now-").unwrap_or(t);
        let split = body
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(body.len());
        let (num, unit) = body.split_at(split);
        let mult = match unit.trim() {
            "s" | "sec" | "second" | "seconds" => Some(1),
            "m" | "min" | "minute" | "minutes" => Some(60),
            "h" | "hour" | "hours" => Some(3600),
            "d" | "day" | "days" => Some(86_400),
            "w" | "week" | "weeks" => Some(604_800),
            "M" | "month" | "months" => Some(2_592_000),
            "y" | "year" | "years" => Some(31_536_000),
            _ => None,
        };
        let seconds = num
            .parse::<u64>()
            .ok()
            .zip(mult)
            .and_then(|(n, m)| n.checked_mul(m));
        Window {
            text: t.to_owned(),
            seconds,
        }
    }
}

/// A numeric comparison on the aggregated value (`count >= 10`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// One of `eq, gt, gte, lt, lte`.
    pub op: Op,
    /// The bound.
    pub value: f64,
}

/// One step of a sequence: the events it matches and the fields that join it
/// to the other steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceStep {
    /// Events this step matches.
    pub expr: Expr,
    /// Join fields specific to this step (in addition to the sequence's `group_by`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<Field>,
}

/// What is aggregated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AggregationKind {
    /// A count of matching events per group reaching a threshold (Elastic threshold rules,
    /// SPL `stats count ... | where count > N`).
    Threshold {
        /// Distinct values of these fields, when the threshold counts cardinality.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cardinality: Vec<(Field, u64)>,
    },
    /// Count of events matched by the referenced rules (Sigma `event_count`).
    EventCount {
        /// Rule ids or names the correlation refers to.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rules: Vec<String>,
    },
    /// Count of distinct values of a field (Sigma `value_count`).
    ValueCount {
        /// The field whose distinct values are counted.
        field: Field,
        /// Rule ids or names the correlation refers to.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rules: Vec<String>,
    },
    /// All referenced rules match within the window, in any order (Sigma `temporal`).
    Temporal {
        /// Rule ids or names.
        rules: Vec<String>,
    },
    /// All referenced rules match within the window, in the order given (Sigma `temporal_ordered`).
    TemporalOrdered {
        /// Rule ids or names, in order.
        rules: Vec<String>,
    },
    /// A value of these fields not seen in the history window (Elastic new_terms).
    NewTerms {
        /// The fields whose combination must be new.
        fields: Vec<Field>,
        /// How far back "seen before" looks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        history: Option<Window>,
    },
    /// Ordered steps joined by fields (EQL `sequence`).
    Sequence {
        /// The steps in order.
        steps: Vec<SequenceStep>,
        /// The sequence is cancelled by an event matching this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Box<Expr>>,
    },
}

/// What a named aggregate value computes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricFunction {
    /// Number of events.
    Count,
    /// Number of distinct values of the field.
    CountDistinct,
    /// Sum of the field.
    Sum,
    /// Smallest value of the field.
    Min,
    /// Largest value of the field.
    Max,
    /// Mean of the field.
    Avg,
    /// Median of the field.
    Median,
    /// The distinct values of the field, as a list.
    Values,
    /// Any other aggregate function, by its name in the source language.
    Other(String),
}

impl MetricFunction {
    /// The snake_case name (`count_distinct`), or the source language's own name for `Other`.
    pub fn name(&self) -> &str {
        match self {
            MetricFunction::Count => "count",
            MetricFunction::CountDistinct => "count_distinct",
            MetricFunction::Sum => "sum",
            MetricFunction::Min => "min",
            MetricFunction::Max => "max",
            MetricFunction::Avg => "avg",
            MetricFunction::Median => "median",
            MetricFunction::Values => "values",
            MetricFunction::Other(name) => name,
        }
    }
}

/// A named aggregate value (ES|QL `STATS failures = COUNT(*) WHERE …`, SPL
/// `stats dc(user) as users`) that [`Aggregation::having`] can test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// The name the query gives it (used as the field name in `having`).
    pub name: String,
    /// What it computes.
    pub function: MetricFunction,
    /// The field it reads (none for a plain count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// Only events matching this count towards it (ES|QL `COUNT(*) WHERE …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Expr>,
    /// Functions applied to `field`'s value, innermost first, before it is
    /// aggregated, as [`Pred::transforms`](crate::Pred::transforms)
    /// (`COUNT_DISTINCT(TO_LOWER(url.original))` is `field: url.original`,
    /// `transforms: [Lower]`). Empty for the field's own value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<Transform>,
    /// When not empty, what is aggregated is not a field but a label computed
    /// for each event (ES|QL `EVAL vendor = CASE(c1, "a", c2, "b", "z") |
    /// STATS COUNT_DISTINCT(vendor)`): the `value` of the first case whose
    /// `when` holds, else [`Metric::otherwise`]. An event whose label is null
    /// (no case holds and no `otherwise`) is not aggregated, as aggregate
    /// functions skip nulls. `field` is then `None`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<MetricCase>,
    /// The label of an event no case of [`Metric::cases`] holds for; `None` is null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<Value>,
}

impl Metric {
    /// A metric of `function` over `field` (or over events), with no filter,
    /// transform or cases.
    pub fn new(name: impl Into<String>, function: MetricFunction, field: Option<Field>) -> Metric {
        Metric {
            name: name.into(),
            function,
            field,
            filter: None,
            transforms: Vec::new(),
            cases: Vec::new(),
            otherwise: None,
        }
    }
}

/// One case of [`Metric::cases`]: events matching `when` (and no earlier
/// case) are labelled `value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricCase {
    /// The condition on the event.
    pub when: Expr,
    /// The label (a literal; null labels are not aggregated).
    pub value: Value,
}

/// An aggregation over the events a rule's expression selects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregation {
    /// What is aggregated.
    pub kind: AggregationKind,
    /// Group-by / join fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<Field>,
    /// Time window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Conditions on the aggregated value, all of which must hold (a range is two).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition: Vec<Comparison>,
    /// Named aggregate values, when the query computes several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// A condition over the metrics (their names stand as fields), for what a
    /// single comparison cannot hold: `failures > 10 and successes >= 1`.
    /// Must hold in addition to `condition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub having: Option<Expr>,
}

impl Aggregation {
    /// An aggregation of `kind` with no grouping, window or condition.
    pub fn new(kind: AggregationKind) -> Aggregation {
        Aggregation {
            kind,
            group_by: Vec::new(),
            window: None,
            condition: Vec::new(),
            metrics: Vec::new(),
            having: None,
        }
    }
}

impl std::fmt::Display for Aggregation {
    /// One line for a person: `threshold count >= 1 by host.id; distinct process.args >= 100; window now-9m`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |fields: &[Field]| {
            fields
                .iter()
                .map(|x| x.raw.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cond = self
            .condition
            .iter()
            .map(|c| {
                let sym = match c.op {
                    Op::Gt => ">",
                    Op::Gte => ">=",
                    Op::Lt => "<",
                    Op::Lte => "<=",
                    _ => "==",
                };
                format!("{sym} {}", c.value)
            })
            .collect::<Vec<_>>()
            .join(" and ");
        match &self.kind {
            AggregationKind::Threshold { .. } if cond.is_empty() => write!(f, "threshold")?,
            AggregationKind::Threshold { .. } => write!(f, "threshold: count {cond}")?,
            AggregationKind::EventCount { rules } => {
                write!(f, "event_count of [{}]: count {cond}", rules.join(", "))?;
            }
            AggregationKind::ValueCount { field, rules } => {
                write!(
                    f,
                    "value_count of {} over [{}]: {cond}",
                    field.raw,
                    rules.join(", ")
                )?;
            }
            AggregationKind::Temporal { rules } => {
                write!(f, "temporal: all of [{}]", rules.join(", "))?;
            }
            AggregationKind::TemporalOrdered { rules } => {
                write!(f, "temporal_ordered: [{}] in order", rules.join(", "))?;
            }
            AggregationKind::NewTerms { fields, history } => {
                write!(f, "new_terms: {} not seen", names(fields))?;
                if let Some(h) = history {
                    write!(f, " since {}", h.text)?;
                }
            }
            AggregationKind::Sequence { steps, until } => {
                write!(f, "sequence of {} steps", steps.len())?;
                for (i, s) in steps.iter().enumerate() {
                    write!(f, "\n    [{}] {}", i + 1, s.expr)?;
                    if !s.by.is_empty() {
                        write!(f, " by {}", names(&s.by))?;
                    }
                }
                if let Some(u) = until {
                    write!(f, "\n    until {u}")?;
                }
            }
        }
        if let AggregationKind::Threshold { cardinality } = &self.kind {
            for (field, n) in cardinality {
                write!(f, "; distinct {} >= {n}", field.raw)?;
            }
        }
        if !self.group_by.is_empty() {
            write!(f, "; by {}", names(&self.group_by))?;
        }
        for m in &self.metrics {
            let mut field = m.field.as_ref().map_or(String::new(), |x| {
                let mut p = crate::expr::Pred::new(x.clone(), Op::Eq, Vec::new());
                p.transforms.clone_from(&m.transforms);
                p.subject()
            });
            if !m.cases.is_empty() {
                field = format!("case of {} labels", m.cases.len());
            }
            write!(f, "; {} = {}({field})", m.name, m.function.name())?;
            if let Some(filter) = &m.filter {
                write!(f, " where {filter}")?;
            }
        }
        if let Some(h) = &self.having {
            write!(f, "; having {h}")?;
        }
        if let Some(w) = &self.window {
            write!(f, "; window {}", w.text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_parses_common_units() {
        assert_eq!(Window::parse("5m").seconds, Some(300));
        assert_eq!(Window::parse("now-9m").seconds, Some(540));
        assert_eq!(Window::parse("1h").seconds, Some(3600));
        assert_eq!(Window::parse("7d").seconds, Some(604_800));
        assert_eq!(Window::parse("soon").seconds, None);
        assert_eq!(Window::parse("99999999999999999999d").seconds, None);
    }
}
