//! Resolution: what an id a rule cites means in the loaded ATT&CK release.
//!
//! A technique id is, in order of precedence: an active technique of the data
//! ([`Resolution::Current`]); a retired id of the data, revoked into another
//! technique or deprecated; an ATT&CK v19 id the v18.1 data does not know but
//! the built-in remapping table maps ([`Resolution::Remapped`]); or unknown.
//! The data is asked first, so the remapping table never overrides data that
//! knows an id.

use crate::attack::{Attack, Tactic, Technique, name_key};
use crate::id::TechniqueId;
use crate::refs::TacticRef;

/// What a technique id resolves to in the loaded data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution<'a> {
    /// An active technique of the data.
    Current(&'a Technique),
    /// A newer (ATT&CK v19) id the data lacks, mapped to the data's technique
    /// that covers the same behaviour.
    Remapped {
        /// The id as cited.
        from: TechniqueId,
        /// The technique of the data it maps to.
        to: &'a Technique,
    },
    /// An id MITRE revoked; `current` is its replacement, when the data has it.
    Revoked {
        /// The id as cited.
        id: TechniqueId,
        /// Its last name.
        name: &'a str,
        /// The active technique that replaced it.
        current: Option<&'a Technique>,
    },
    /// An id MITRE deprecated without replacement.
    Deprecated {
        /// The id as cited.
        id: TechniqueId,
        /// Its last name.
        name: &'a str,
    },
    /// An id neither the data nor the remapping table knows.
    Unknown(TechniqueId),
}

impl<'a> Resolution<'a> {
    /// The active technique to catalogue the id under, if there is one.
    pub fn technique(&self) -> Option<&'a Technique> {
        match *self {
            Resolution::Current(t) | Resolution::Remapped { to: t, .. } => Some(t),
            Resolution::Revoked { current, .. } => current,
            Resolution::Deprecated { .. } | Resolution::Unknown(_) => None,
        }
    }
}

/// What a tactic reference resolves to in the loaded data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TacticResolution<'a> {
    /// A tactic of the data.
    Current(&'a Tactic),
    /// A newer (ATT&CK v19) tactic the data lacks (`stealth`,
    /// `defense-impairment`, `TA0112`), mapped to the data's tactic.
    Remapped {
        /// The v19 shortname it was recognised as.
        from: &'a str,
        /// The tactic of the data it maps to.
        to: &'a Tactic,
    },
    /// Neither the data nor the remapping table knows it.
    Unknown,
}

impl<'a> TacticResolution<'a> {
    /// The tactic to catalogue the reference under, if there is one.
    pub fn tactic(&self) -> Option<&'a Tactic> {
        match *self {
            TacticResolution::Current(t) | TacticResolution::Remapped { to: t, .. } => Some(t),
            TacticResolution::Unknown => None,
        }
    }
}

impl Attack {
    /// Resolves a technique id against the data, then the v19 remapping table.
    ///
    /// ```
    /// use ruledex_attack::{Attack, Resolution, TechniqueId};
    /// let attack = Attack::fixture();
    /// let v19: TechniqueId = "T1685".parse()?;
    /// match attack.resolve(v19) {
    ///     Resolution::Remapped { to, .. } => assert_eq!(to.id.to_string(), "T1562.001"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), ruledex_attack::RefError>(())
    /// ```
    pub fn resolve(&self, id: TechniqueId) -> Resolution<'_> {
        if let Some(t) = self.technique(id) {
            // The compact data lists only active techniques, but a dataset
            // that keeps retired ones among them is honoured.
            return if t.revoked {
                Resolution::Revoked {
                    id,
                    name: &t.name,
                    current: None,
                }
            } else if t.deprecated {
                Resolution::Deprecated { id, name: &t.name }
            } else {
                Resolution::Current(t)
            };
        }
        if let Some(r) = self.retired_technique(id) {
            if r.revoked {
                let current = r.current.or(r.revoked_by).and_then(|c| self.technique(c));
                return Resolution::Revoked {
                    id,
                    name: &r.name,
                    current,
                };
            }
            return Resolution::Deprecated { id, name: &r.name };
        }
        let remapped = self
            .technique_remaps
            .iter()
            .find(|r| r.from == id)
            .and_then(|r| self.technique(r.to));
        match remapped {
            Some(to) => Resolution::Remapped { from: id, to },
            None => Resolution::Unknown(id),
        }
    }

    /// Resolves a tactic id or name against the data, then the v19 remapping
    /// table. Names match ignoring case and everything but letters and digits.
    pub fn resolve_tactic(&self, tactic: &TacticRef) -> TacticResolution<'_> {
        let known = match tactic {
            TacticRef::Id(id) => self.tactic(*id),
            TacticRef::Name(name) => self.tactic_by_name(name),
        };
        if let Some(t) = known {
            return TacticResolution::Current(t);
        }
        let remap = self.tactic_remaps.iter().find(|r| match tactic {
            TacticRef::Id(id) => r.id == *id,
            TacticRef::Name(name) => {
                let key = name_key(name);
                key == name_key(&r.from) || key == name_key(&r.name)
            }
        });
        remap
            .and_then(|r| {
                self.tactic_by_name(&r.to)
                    .map(|to| TacticResolution::Remapped { from: &r.from, to })
            })
            .unwrap_or(TacticResolution::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refs::parse_tactic;

    /// A compact summary of a resolution: `current T1046`, `remapped T1685 -> T1562.001`, ….
    fn show(r: Resolution<'_>) -> String {
        match r {
            Resolution::Current(t) => format!("current {}", t.id),
            Resolution::Remapped { from, to } => format!("remapped {from} -> {}", to.id),
            Resolution::Revoked { id, current, .. } => format!(
                "revoked {id} -> {}",
                current.map_or("none".to_owned(), |t| t.id.to_string())
            ),
            Resolution::Deprecated { id, .. } => format!("deprecated {id}"),
            Resolution::Unknown(id) => format!("unknown {id}"),
        }
    }

    #[test]
    fn technique_resolution() {
        let attack = Attack::fixture();
        let cases = [
            ("active technique", "T1046", "current T1046"),
            (
                "active sub-technique, lowercase",
                "t1059.001",
                "current T1059.001",
            ),
            (
                "revoked id follows its replacement",
                "T1086",
                "revoked T1086 -> T1059.001",
            ),
            ("deprecated id", "T1064", "deprecated T1064"),
            (
                "v19 parent remapped",
                "T1685",
                "remapped T1685 -> T1562.001",
            ),
            (
                "v19 firewall remapped",
                "T1686",
                "remapped T1686 -> T1562.004",
            ),
            (
                "v19 host firewall sub-technique",
                "T1686.003",
                "remapped T1686.003 -> T1562.004",
            ),
            // T1562.002 is not in the fixture, so the remap has nowhere to land.
            (
                "v19 remap target missing from data",
                "T1685.001",
                "unknown T1685.001",
            ),
            (
                "unknown sub-technique of a known technique",
                "T1046.001",
                "unknown T1046.001",
            ),
            ("ICS id in enterprise data", "T0813", "unknown T0813"),
        ];
        for (case, input, expected) in cases {
            let id: TechniqueId = input.parse().unwrap();
            assert_eq!(show(attack.resolve(id)), expected, "{case}");
        }
    }

    #[test]
    fn resolution_names_the_technique_to_use() {
        let attack = Attack::fixture();
        let cases = [
            ("current", "T1110.001", Some("Password Guessing")),
            ("remapped", "T1685", Some("Disable or Modify Tools")),
            ("revoked", "T1086", Some("PowerShell")),
            ("deprecated", "T1064", None),
            ("unknown", "T9999", None),
        ];
        for (case, input, expected) in cases {
            let r = attack.resolve(input.parse().unwrap());
            assert_eq!(r.technique().map(|t| t.name.as_str()), expected, "{case}");
        }
    }

    #[test]
    fn tactic_resolution() {
        let attack = Attack::fixture();
        let cases = [
            ("id", "TA0007", "current discovery"),
            ("sigma shortname", "discovery", "current discovery"),
            (
                "sentinel camel case",
                "DefenseEvasion",
                "current defense-evasion",
            ),
            (
                "v19 stealth shortname",
                "stealth",
                "remapped stealth -> defense-evasion",
            ),
            (
                "v19 stealth display name",
                "Stealth",
                "remapped stealth -> defense-evasion",
            ),
            (
                "v19 defense-impairment shortname",
                "defense-impairment",
                "remapped defense-impairment -> defense-evasion",
            ),
            (
                "v19 defense impairment camel case",
                "DefenseImpairment",
                "remapped defense-impairment -> defense-evasion",
            ),
            (
                "v19 defense impairment id",
                "TA0112",
                "remapped defense-impairment -> defense-evasion",
            ),
            (
                "v19 stealth id is v18.1 defense evasion",
                "TA0005",
                "current defense-evasion",
            ),
            ("mobile tactic id", "TA0035", "unknown"),
            ("sentinel legacy PreAttack", "PreAttack", "unknown"),
            ("typo", "CommanAndControl", "unknown"),
        ];
        for (case, input, expected) in cases {
            let tactic = parse_tactic(input).unwrap();
            let got = match attack.resolve_tactic(&tactic) {
                TacticResolution::Current(t) => format!("current {}", t.shortname),
                TacticResolution::Remapped { from, to } => {
                    format!("remapped {from} -> {}", to.shortname)
                }
                TacticResolution::Unknown => "unknown".to_owned(),
            };
            assert_eq!(got, expected, "{case}");
        }
    }
}
