//! Backend: not written yet.

use ruledex_model::Rule;

use crate::{Conversion, Target};

pub(crate) fn convert(_rule: &Rule, target: Target) -> Conversion {
    Conversion::unsupported(target, "this backend is not written yet")
}
