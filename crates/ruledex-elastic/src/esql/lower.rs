//! Lowering (WIP).
use super::ast::Query;
use crate::lowered::Lowered;
use ruledex_model::Expr;

/// Lower.
pub fn lower(q: &Query) -> Lowered {
    let _ = q;
    Lowered::expr(Expr::And(vec![]))
}
