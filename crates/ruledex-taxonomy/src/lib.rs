//! One field vocabulary across vendors, value normalization, and catalog events.
//!
//! - [`fields`]: canonical (ECS-style) fields and their aliases per schema and
//!   context, loaded once from `data/fields.toml`.
//! - [`values`]: normalization of indicator values so that the same indicator
//!   written in two dialects compares equal.
//! - [`events`]: catalog events — the data a rule needs, one name across
//!   vendors — loaded from `data/events.toml`.
#![deny(missing_docs)]

pub mod enrich;
pub mod events;
pub mod fields;
pub mod values;
