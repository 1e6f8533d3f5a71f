//! Checking a rule's references: one [`Checked`] per reference the rule
//! cites, saying what it resolved to or what is wrong with it.
//!
//! This is what a front-end stores on a normalized rule: the resolved
//! technique and tactic ids to catalogue it under, and a finding for every
//! reference that is malformed, unknown, retired or remapped — none dropped.

use serde::Serialize;

use crate::attack::Attack;
use crate::error::RefError;
use crate::id::{OtherId, TacticId, TechniqueId};
use crate::refs::{AttackRef, Parsed, TacticRef};
use crate::resolve::{Resolution, TacticResolution};

/// Why a reference resolved to a different id than the one cited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RemapReason {
    /// A newer ATT&CK (v19) id, mapped by the built-in remapping table.
    NewerVersion,
    /// An id MITRE revoked, replaced by another technique.
    Revoked,
}

/// What one reference resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Known to the data as cited; tactics are given by id.
    Current(AttackRef),
    /// Known to the data under another id.
    Remapped {
        /// The reference as cited.
        from: AttackRef,
        /// The data's id (a technique, or a tactic by id).
        to: AttackRef,
        /// Why it changed.
        reason: RemapReason,
    },
    /// A technique MITRE deprecated without replacement.
    Deprecated(TechniqueId),
    /// A technique MITRE revoked whose replacement the data lacks.
    Revoked(TechniqueId),
    /// Well-formed, but neither the data nor the remapping table knows it.
    Unknown(AttackRef),
    /// Software, group, campaign, …: well-formed, but this crate does not load
    /// those objects, so existence is not checked.
    Unchecked(OtherId),
    /// Not an ATT&CK reference at all.
    Malformed(RefError),
}

impl Status {
    /// The resolved reference to catalogue the rule under, if any.
    pub fn resolved(&self) -> Option<&AttackRef> {
        match self {
            Status::Current(r) | Status::Remapped { to: r, .. } => Some(r),
            _ => None,
        }
    }

    /// The resolved technique, if the reference resolved to one.
    pub fn technique(&self) -> Option<TechniqueId> {
        match self.resolved() {
            Some(AttackRef::Technique(id)) => Some(*id),
            _ => None,
        }
    }

    /// The resolved tactic, if the reference resolved to one.
    pub fn tactic(&self) -> Option<TacticId> {
        match self.resolved() {
            Some(AttackRef::Tactic(TacticRef::Id(id))) => Some(*id),
            _ => None,
        }
    }

    /// Whether a person should look at the reference: malformed, unknown,
    /// deprecated, or revoked with no replacement. Remapped and unchecked
    /// references are not problems.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Status::Malformed(_) | Status::Unknown(_) | Status::Deprecated(_) | Status::Revoked(_)
        )
    }
}

/// One cited reference and what it resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The text as the rule writes it.
    pub input: String,
    /// What it resolved to.
    pub status: Status,
}

impl Attack {
    /// Checks parsed references against the data: one [`Checked`] per input,
    /// in order.
    ///
    /// ```
    /// use ruledex_attack::{parse_sigma_tags, Attack, Status};
    /// let attack = Attack::fixture();
    /// let tags = ["attack.discovery", "attack.t1046", "attack.t1685", "attack.t9999"];
    /// let checked = attack.check(&parse_sigma_tags(&tags));
    /// let techniques: Vec<String> = checked
    ///     .iter()
    ///     .filter_map(|c| c.status.technique())
    ///     .map(|id| id.to_string())
    ///     .collect();
    /// assert_eq!(techniques, ["T1046", "T1562.001"]);
    /// let problems: Vec<&str> = checked
    ///     .iter()
    ///     .filter(|c| c.status.is_problem())
    ///     .map(|c| c.input.as_str())
    ///     .collect();
    /// assert_eq!(problems, ["attack.t9999"]);
    /// ```
    pub fn check(&self, parsed: &[Parsed]) -> Vec<Checked> {
        parsed
            .iter()
            .map(|p| Checked {
                input: p.input.clone(),
                status: match &p.result {
                    Ok(reference) => self.check_ref(reference),
                    Err(err) => Status::Malformed(err.clone()),
                },
            })
            .collect()
    }

    /// Checks one reference against the data.
    pub fn check_ref(&self, reference: &AttackRef) -> Status {
        match reference {
            AttackRef::Technique(id) => self.check_technique(*id),
            AttackRef::Tactic(tactic) => {
                let to_ref = |id: TacticId| AttackRef::Tactic(TacticRef::Id(id));
                match self.resolve_tactic(tactic) {
                    TacticResolution::Current(t) => Status::Current(to_ref(t.id)),
                    TacticResolution::Remapped { to, .. } => Status::Remapped {
                        from: reference.clone(),
                        to: to_ref(to.id),
                        reason: RemapReason::NewerVersion,
                    },
                    TacticResolution::Unknown => Status::Unknown(reference.clone()),
                }
            }
            AttackRef::Other(id) => Status::Unchecked(*id),
        }
    }

    fn check_technique(&self, id: TechniqueId) -> Status {
        let remapped = |to: TechniqueId, reason| Status::Remapped {
            from: AttackRef::Technique(id),
            to: AttackRef::Technique(to),
            reason,
        };
        match self.resolve(id) {
            Resolution::Current(t) => Status::Current(AttackRef::Technique(t.id)),
            Resolution::Remapped { to, .. } => remapped(to.id, RemapReason::NewerVersion),
            Resolution::Revoked {
                current: Some(to), ..
            } => remapped(to.id, RemapReason::Revoked),
            Resolution::Revoked { current: None, .. } => Status::Revoked(id),
            Resolution::Deprecated { .. } => Status::Deprecated(id),
            Resolution::Unknown(_) => Status::Unknown(AttackRef::Technique(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refs::{
        ElasticThreat, parse_elastic_threat, parse_panther_reports, parse_sentinel,
        parse_sigma_tags, parse_splunk_ids,
    };

    /// `input => status` lines, statuses abbreviated.
    fn show(checked: &[Checked]) -> Vec<String> {
        checked
            .iter()
            .map(|c| {
                let status = match &c.status {
                    Status::Current(r) => format!("current {r}"),
                    Status::Remapped { from, to, reason } => {
                        format!("remapped {from} -> {to} ({reason:?})")
                    }
                    Status::Deprecated(id) => format!("deprecated {id}"),
                    Status::Revoked(id) => format!("revoked {id}"),
                    Status::Unknown(r) => format!("unknown {r}"),
                    Status::Unchecked(id) => format!("unchecked {id}"),
                    Status::Malformed(_) => "malformed".to_owned(),
                };
                format!("{} => {status}", c.input)
            })
            .collect()
    }

    #[test]
    fn every_vendor_spelling_checks_to_the_same_ids() {
        let attack = Attack::fixture();
        let cases: [(&str, Vec<Parsed>, &[&str]); 5] = [
            (
                "sigma",
                parse_sigma_tags(&[
                    "attack.discovery",
                    "attack.t1046",
                    "attack.defense-impairment",
                    "attack.t1685",
                    "attack.s0002",
                    "attack.t1086",
                    "attack.t1064",
                    "attack.t1686.001",
                    "attack.t10466",
                ]),
                &[
                    "attack.discovery => current TA0007",
                    "attack.t1046 => current T1046",
                    "attack.defense-impairment => remapped defense-impairment -> TA0005 (NewerVersion)",
                    "attack.t1685 => remapped T1685 -> T1562.001 (NewerVersion)",
                    "attack.s0002 => unchecked S0002",
                    "attack.t1086 => remapped T1086 -> T1059.001 (Revoked)",
                    "attack.t1064 => deprecated T1064",
                    // T1562.007 is not in the fixture.
                    "attack.t1686.001 => unknown T1686.001",
                    "attack.t10466 => malformed",
                ],
            ),
            (
                "elastic",
                parse_elastic_threat(&ElasticThreat::new(
                    Some("TA0005"),
                    &[("T1562", &["T1562.001"])],
                )),
                &[
                    "TA0005 => current TA0005",
                    "T1562 => current T1562",
                    "T1562.001 => current T1562.001",
                ],
            ),
            (
                "splunk",
                parse_splunk_ids(&["T1046", "T1059.001", "T1110.009"]),
                &[
                    "T1046 => current T1046",
                    "T1059.001 => current T1059.001",
                    "T1110.009 => unknown T1110.009",
                ],
            ),
            (
                "sentinel",
                parse_sentinel(&["Discovery", "PreAttack"], &["T1046"]),
                &[
                    "Discovery => current TA0007",
                    "PreAttack => unknown PreAttack",
                    "T1046 => current T1046",
                ],
            ),
            (
                "panther",
                parse_panther_reports(&["TA0007:T1046", "TA0035:T1636.003"]),
                &[
                    "TA0007:T1046 => current TA0007",
                    "TA0007:T1046 => current T1046",
                    "TA0035:T1636.003 => unknown TA0035",
                    "TA0035:T1636.003 => unknown T1636.003",
                ],
            ),
        ];
        for (case, parsed, expected) in cases {
            assert_eq!(show(&attack.check(&parsed)), expected, "{case}");
        }
    }

    #[test]
    fn problems_are_the_findings_to_report() {
        let cases = [
            (
                "current",
                Status::Current(AttackRef::Technique("T1046".parse().unwrap())),
                false,
            ),
            (
                "unchecked software",
                Status::Unchecked("S0002".parse().unwrap()),
                false,
            ),
            (
                "deprecated",
                Status::Deprecated("T1064".parse().unwrap()),
                true,
            ),
            (
                "revoked without successor",
                Status::Revoked("T1086".parse().unwrap()),
                true,
            ),
            (
                "unknown tactic",
                Status::Unknown(AttackRef::Tactic(TacticRef::Name("PreAttack".to_owned()))),
                true,
            ),
        ];
        for (case, status, expected) in cases {
            assert_eq!(status.is_problem(), expected, "{case}");
        }
    }
}
