//! MITRE ATT&CK for ruledex: tactics, techniques and sub-techniques, id
//! validation, and remapping of the ids rules cite to the ids of the loaded
//! release.
//!
//! Every detection repository cites ATT&CK, each in its own spelling, and not
//! all against the same release: Sigma and Atomic Red Team already use ATT&CK
//! v19 ids (`T1685`, `attack.defense-impairment`) while the newest data
//! available to ruledex is v18.1. This crate owns the three steps that turn
//! those citations into ids the catalog can group by:
//!
//! 1. **Load** an ATT&CK release ([`Attack::load`], [`Attack::from_compact_json`])
//!    from the compact JSON described in `../shared/attack/PROVENANCE.md`, or
//!    use the small fixture shipped for tests ([`Attack::fixture`]). The STIX
//!    bundle is not read: it is gzip-compressed, and reading it would need a
//!    decompression dependency.
//! 2. **Parse** each vendor's spelling into an [`AttackRef`] ([`parse_sigma_tags`],
//!    [`parse_elastic_threat`], [`parse_splunk_ids`], [`parse_sentinel`],
//!    [`parse_panther_reports`]). Parsing knows only the forms of ids
//!    ([`TechniqueId`], [`TacticId`], [`OtherId`]).
//! 3. **Resolve** against the data ([`Attack::resolve`], [`Attack::resolve_tactic`])
//!    or check a rule's references in one go ([`Attack::check`]): each
//!    reference is current, remapped (a v19 id, or one MITRE revoked),
//!    deprecated, unknown or malformed — always reported, never dropped.
//!
//! The v19 → v18.1 table is a data file of this crate
//! (`data/v19-to-v18.1.json`) naming the source of each entry.
//!
//! # Example
//!
//! ```
//! use ruledex_attack::{parse_sigma_tags, parse_panther_reports, Attack, Resolution, TechniqueId};
//!
//! let attack = Attack::fixture();
//!
//! // One id, any spelling.
//! let id: TechniqueId = "t1046".parse()?;
//! let Resolution::Current(technique) = attack.resolve(id) else { panic!() };
//! assert_eq!(technique.name, "Network Service Discovery");
//! assert_eq!(technique.tactics, ["discovery"]);
//!
//! // A Sigma rule citing a v19 tactic and technique, and a typo.
//! let tags = ["attack.defense-impairment", "attack.t1685", "attack.t1562.01"];
//! let checked = attack.check(&parse_sigma_tags(&tags));
//! assert_eq!(checked[0].status.tactic().map(|t| t.to_string()).as_deref(), Some("TA0005"));
//! assert_eq!(checked[1].status.technique().map(|t| t.to_string()).as_deref(), Some("T1562.001"));
//! assert!(checked[2].status.is_problem());
//!
//! // Panther cites tactic and technique together.
//! let checked = attack.check(&parse_panther_reports(&["TA0006:T1110.001"]));
//! assert!(checked.iter().all(|c| !c.status.is_problem()));
//! # Ok::<(), ruledex_attack::RefError>(())
//! ```
#![deny(missing_docs)]

mod attack;
mod check;
mod error;
mod id;
mod refs;
mod remap;
mod resolve;

pub use attack::{Attack, DataComponent, RetiredTechnique, Tactic, Technique};
pub use check::{Checked, RemapReason, Status};
pub use error::{Document, Error, Expected, IdProblem, RecordProblem, RefError};
pub use id::{OtherId, OtherKind, TacticId, TechniqueId};
pub use refs::{
    AttackRef, ELASTIC_ATTACK_FRAMEWORK, ElasticEntry, ElasticTechnique, ElasticThreat, Parsed,
    TacticRef, parse_elastic_threat, parse_panther_reports, parse_ref, parse_sentinel,
    parse_sigma_tag, parse_sigma_tags, parse_splunk_ids, parse_tactic,
};
pub use remap::{RemapSource, TacticRemap, TechniqueRemap};
pub use resolve::{Resolution, TacticResolution};
