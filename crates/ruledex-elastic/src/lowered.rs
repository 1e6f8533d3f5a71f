//! What lowering a query gives.

use ruledex_model::{Aggregation, Expr};

/// Fields whose positive equalities every query language passes on as
/// [`Lowered::hints`]: the ones the taxonomy reads to pick catalog events.
pub(crate) const HINT_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "event.action",
    "event.dataset",
    "data_stream.dataset",
    "event.code",
    "winlog.event_id",
    "winlog.channel",
    "host.os.type",
    "host.os.family",
    "host.os.platform",
    "os.type",
];

/// A query lowered into the model, with what it says about its data.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    /// The condition on each event.
    pub expr: Expr,
    /// Aggregation the query itself expresses (EQL `sequence`, ES|QL `STATS … | WHERE`).
    pub aggregation: Option<Aggregation>,
    /// Index patterns the query names (ES|QL `FROM`).
    pub indices: Vec<String>,
    /// `(field, value)` facts that tell which events the query reads, for the
    /// taxonomy's `for_elastic`: EQL `process where` gives `("event.category", "process")`;
    /// positive equalities on the fields `for_elastic` reads (`event.category`,
    /// `event.type`, `event.action`, `event.dataset`, `data_stream.dataset`,
    /// `event.code`, `winlog.event_id`, `winlog.channel`, `host.os.type`,
    /// `host.os.family`, `host.os.platform`, `os.type`) are passed on too.
    pub hints: Vec<(String, String)>,
}

impl Lowered {
    /// A lowering with only an expression.
    pub fn expr(expr: Expr) -> Lowered {
        Lowered {
            expr,
            aggregation: None,
            indices: Vec::new(),
            hints: Vec::new(),
        }
    }
}
