//! Backend: not written yet.

use ruledex_model::Rule;

use crate::{Conversion, Target};

pub(crate) fn convert(_rule: &Rule) -> Conversion {
    Conversion::unsupported(Target::Esql, "this backend is not written yet")
}
