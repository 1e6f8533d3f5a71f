//! Sigma rules (specification 2.x) lowered into the ruledex model.
//!
//! [`parse_sigma`] reads one file — one or more YAML documents — and returns
//! every rule it could read together with typed, located errors for what it
//! could not: a file never vanishes silently, and no input panics.
//!
//! Covered: every value modifier (`contains`, `startswith`, `endswith`, `all`,
//! `windash`, `re` with `i`/`m`/`s`, `cidr`, `base64`, `base64offset`,
//! `utf16`/`utf16le`/`utf16be`/`wide`, `exists`, `cased`, `gt`/`gte`/`lt`/`lte`,
//! `fieldref`, `expand`), wildcards and their escapes, null values, numbers,
//! keyword selections, the whole condition language (including `1 of`/`all
//! of` patterns and `them`, and the deprecated `| count()` aggregation),
//! correlation rules, filter documents, and Sigma 1.x multi-document
//! collections (`action: global/reset/repeat`).
//!
//! ```
//! let text = "title: Netcat
//! id: 1d2b5c0e-0000-4000-8000-000000000001
//! logsource: {product: linux, category: process_creation}
//! detection:
//!   selection:
//!     Image|endswith: [/nc, /ncat]
//!   filter:
//!     CommandLine|contains: ' -l '
//!   condition: selection and not filter
//! level: low
//! ";
//! let parsed = ruledex_sigma::parse_sigma("nc.yml", text);
//! assert!(parsed.errors.is_empty());
//! let rule = &parsed.rules[0];
//! assert_eq!(rule.uid, "sigma:1d2b5c0e-0000-4000-8000-000000000001");
//! assert_eq!(rule.logic.exclusions().len(), 1);
//! ```
#![deny(missing_docs)]

mod condition;
mod detection;
mod document;
mod error;
mod modifiers;
mod yaml;

pub use document::{MAX_FILE_SIZE, Parsed, parse_sigma};
pub use error::{Error, ErrorKind};
