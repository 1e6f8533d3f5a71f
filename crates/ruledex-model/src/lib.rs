//! The normalized detection-rule model.
//!
//! Every dialect ruledex reads (Sigma, Elastic, Splunk, Sentinel, Panther) is
//! lowered into the same few types, so that the catalog, the converters and the
//! engine never need to know a dialect's syntax:
//!
//! - [`Rule`]: metadata (title, severity, ATT&CK techniques, source, …) and [`Logic`];
//! - [`Logic`]: a boolean [`Expr`] over events plus an optional [`Aggregation`];
//! - [`Expr`]: `And | Or | Not | Pred | Keyword | Opaque` — `Opaque` keeps the
//!   part of a rule that could not be reduced, with the reason, so nothing is
//!   silently dropped;
//! - [`Pred`]: one field test — field (raw name and canonical name), [`Op`],
//!   values, case sensitivity, any/all — with the [`Span`] it came from.
//!
//! A rule's *exclusions* (what the authors filter out) are computed by
//! [`Logic::exclusions`]; see [`exclusion`] for the exact definition.
//!
//! The JSON form (serde) is stable: enum variants and operators are snake_case,
//! defaults are omitted.
//!
//! ```
//! use ruledex_model::{Expr, Field, Logic, Op, Pred, Value};
//!
//! let sel = Expr::Pred(Pred::new(Field::raw("Image"), Op::EndsWith, vec![Value::from("/nmap")]));
//! let filter = Expr::Pred(Pred::new(Field::raw("CommandLine"), Op::Contains, vec![Value::from(" -l ")]));
//! let logic = Logic::new(Expr::and(vec![sel, Expr::not(filter)]));
//! let exclusions = logic.exclusions();
//! assert_eq!(exclusions.len(), 1);
//! assert!(exclusions[0].scope.is_rule());
//! ```
#![deny(missing_docs)]

pub mod aggregation;
pub mod exclusion;
pub mod expr;
pub mod pattern;
pub mod rule;
pub mod value;

pub use aggregation::{
    Aggregation, AggregationKind, Comparison, Metric, MetricCase, MetricFunction, SequenceStep,
    Window,
};
pub use exclusion::{Exclusion, ExclusionScope};
pub use expr::{
    ArithOp, Expr, Field, Keyword, Op, Opaque, Operand, Pred, RegexFlags, TimeUnit, Transform,
};
pub use rule::{
    Language, LogSource, Logic, RelatedRule, Rule, RuleKind, Severity, SourceInfo, Vendor,
};
pub use ruledex_diag::Span;
pub use value::Value;
