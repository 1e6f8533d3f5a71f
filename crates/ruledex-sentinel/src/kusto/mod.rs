//! Kusto (KQL), the query language of Microsoft Sentinel and Defender XDR
//! advanced hunting: tokenizer → parser → AST that prints itself back →
//! [`lower`] into the model.
//!
//! ```
//! use ruledex_sentinel::kusto;
//!
//! let q = kusto::parse("SecurityEvent | where EventID == 4688 and Process =~ 'nmap.exe'").unwrap();
//! assert_eq!(q.to_string(), "SecurityEvent\n| where EventID == 4688 and Process =~ 'nmap.exe'");
//! let lowered = kusto::lower(&q);
//! assert_eq!(lowered.tables, ["SecurityEvent"]);
//! assert_eq!(lowered.expr.to_string(), r#"EventID eq 4688 and Process eq "nmap.exe""#);
//! ```

pub mod ast;
mod lower;
pub mod parser;
pub mod tokenizer;

pub use lower::{Lowered, lower, reason};
pub use parser::{MAX_DEPTH, MAX_QUERY_LEN, parse};
