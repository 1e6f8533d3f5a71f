//! The [`Attack`] catalog: tactics, techniques and sub-techniques of one ATT&CK
//! release, loaded from the compact JSON and validated.
//!
//! The compact JSON is the shape of `../shared/attack/enterprise-attack.json`
//! (see its PROVENANCE.md): `version`, `tactics`, `techniques`, `retired` and
//! `data_components`. Only the fields ruledex uses are read; unknown fields are
//! ignored, so the larger real file and the small fixture load alike.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Document, Error, RecordProblem};
use crate::id::{TacticId, TechniqueId};
use crate::remap::{RemapTable, TacticRemap, TechniqueRemap};

/// The fixture shipped with the crate (written by ruledex's authors).
const FIXTURE: &str = include_str!("../fixtures/mini-attack.json");

/// An ATT&CK tactic: the adversary's goal (`discovery`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tactic {
    /// `TA0007`.
    pub id: TacticId,
    /// `Discovery`.
    pub name: String,
    /// `discovery`: the key techniques use to name their tactics.
    pub shortname: String,
    /// The description (markdown).
    pub description: String,
    /// The tactic's page on attack.mitre.org.
    pub url: String,
}

/// An ATT&CK technique or sub-technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Technique {
    /// `T1059.001`.
    pub id: TechniqueId,
    /// `PowerShell`: the sub-technique's own name, without its parent's.
    pub name: String,
    /// Tactic shortnames, in matrix order (`["discovery"]`).
    pub tactics: Vec<String>,
    /// Platforms (`Windows`, `Linux`, `IaaS`, …).
    pub platforms: Vec<String>,
    /// The description (markdown, with ATT&CK's `(Citation: …)` markers).
    pub description: String,
    /// Data component ids (`DC0032`) whose log sources detect it.
    pub data_components: Vec<String>,
    /// Whether it is a sub-technique.
    pub is_subtechnique: bool,
    /// The parent of a sub-technique.
    pub parent: Option<TechniqueId>,
    /// The sub-techniques of a technique, sorted.
    pub subtechniques: Vec<TechniqueId>,
    /// The technique's page on attack.mitre.org.
    pub url: String,
    /// Deprecated by MITRE (kept by the data, no successor).
    pub deprecated: bool,
    /// Revoked by MITRE (replaced by another technique).
    pub revoked: bool,
}

/// A technique id the release no longer lists as active.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RetiredTechnique {
    /// The retired id (`T1086`).
    pub id: TechniqueId,
    /// Its last name (`PowerShell`).
    pub name: String,
    /// Revoked: replaced by another technique.
    pub revoked: bool,
    /// Deprecated: withdrawn without a replacement.
    pub deprecated: bool,
    /// The technique that directly replaced it.
    pub revoked_by: Option<TechniqueId>,
    /// The active technique at the end of the replacement chain.
    pub current: Option<TechniqueId>,
    /// Its former page on attack.mitre.org.
    pub url: String,
}

/// An ATT&CK data component (`DC0032` Process Creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DataComponent {
    /// `DC0032`.
    pub id: String,
    /// `Process Creation`.
    pub name: String,
    /// The legacy data source name (`Process`).
    pub data_source: Option<String>,
    /// Deprecated by MITRE.
    pub deprecated: bool,
    /// The component's page on attack.mitre.org.
    pub url: String,
}

/// One ATT&CK release: tactics, techniques, retired ids and data components,
/// indexed for lookup and resolution.
#[derive(Clone, Debug)]
pub struct Attack {
    version: String,
    tactics: Vec<Tactic>,
    techniques: Vec<Technique>,
    retired: Vec<RetiredTechnique>,
    data_components: Vec<DataComponent>,
    technique_index: HashMap<TechniqueId, usize>,
    retired_index: HashMap<TechniqueId, usize>,
    tactic_index: HashMap<TacticId, usize>,
    /// Normalized tactic name or shortname → index into `tactics`.
    tactic_names: HashMap<String, usize>,
    pub(crate) technique_remaps: Vec<TechniqueRemap>,
    pub(crate) tactic_remaps: Vec<TacticRemap>,
}

impl Attack {
    /// Reads ATT&CK from compact JSON text (the `enterprise-attack.json` shape).
    pub fn from_compact_json(json: &str) -> Result<Attack, Error> {
        Attack::from_compact_json_bytes(json.as_bytes())
    }

    /// Like [`Attack::from_compact_json`], from bytes (invalid UTF-8 is a
    /// JSON error).
    fn from_compact_json_bytes(json: &[u8]) -> Result<Attack, Error> {
        let raw: RawAttack = serde_json::from_slice(json).map_err(|source| Error::Json {
            document: Document::CompactAttack,
            source,
        })?;
        Attack::build(raw, RemapTable::builtin()?)
    }

    /// Reads ATT&CK from a compact JSON file. A gzip-compressed file (the STIX
    /// bundle) is refused with [`Error::Compressed`].
    pub fn load(path: impl AsRef<Path>) -> Result<Attack, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Err(Error::Compressed {
                path: path.to_owned(),
            });
        }
        Attack::from_compact_json_bytes(&bytes).map_err(|err| Error::WithPath {
            path: path.to_owned(),
            source: Box::new(err),
        })
    }

    /// The small ATT&CK subset shipped with this crate, for tests: 8 tactics
    /// and 15 techniques (T1046, T1595, T1059, T1059.001, T1003, T1003.001,
    /// T1110, T1110.001, T1078, T1562, T1562.001, …) with short descriptions
    /// of the fixture authors' own, and two retired ids (T1086, T1064).
    pub fn fixture() -> Attack {
        Attack::from_compact_json(FIXTURE).expect("the embedded fixture is valid (tested)")
    }

    /// The ATT&CK version of the data (`18.1`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// All tactics, in matrix order.
    pub fn tactics(&self) -> &[Tactic] {
        &self.tactics
    }

    /// All active techniques and sub-techniques, sorted by id.
    pub fn techniques(&self) -> &[Technique] {
        &self.techniques
    }

    /// Revoked and deprecated technique ids.
    pub fn retired(&self) -> &[RetiredTechnique] {
        &self.retired
    }

    /// Data components.
    pub fn data_components(&self) -> &[DataComponent] {
        &self.data_components
    }

    /// The built-in ATT&CK v19 → v18.1 technique remappings.
    pub fn technique_remaps(&self) -> &[TechniqueRemap] {
        &self.technique_remaps
    }

    /// The built-in ATT&CK v19 → v18.1 tactic remappings.
    pub fn tactic_remaps(&self) -> &[TacticRemap] {
        &self.tactic_remaps
    }

    /// The active technique with this id, exactly (no remapping; see
    /// [`Attack::resolve`]).
    pub fn technique(&self, id: TechniqueId) -> Option<&Technique> {
        self.technique_index.get(&id).map(|&i| &self.techniques[i])
    }

    /// The retired entry for this id.
    pub fn retired_technique(&self, id: TechniqueId) -> Option<&RetiredTechnique> {
        self.retired_index.get(&id).map(|&i| &self.retired[i])
    }

    /// The tactic with this id, exactly.
    pub fn tactic(&self, id: TacticId) -> Option<&Tactic> {
        self.tactic_index.get(&id).map(|&i| &self.tactics[i])
    }

    /// The tactic with this name or shortname, ignoring case and everything
    /// but letters and digits: `discovery`, `Defense Evasion`, `DefenseEvasion`
    /// and `defense_evasion` all match. No remapping (see
    /// [`Attack::resolve_tactic`]).
    pub fn tactic_by_name(&self, name: &str) -> Option<&Tactic> {
        self.tactic_names
            .get(&name_key(name))
            .map(|&i| &self.tactics[i])
    }

    /// The data component with this id (`DC0032`).
    pub fn data_component(&self, id: &str) -> Option<&DataComponent> {
        self.data_components
            .iter()
            .find(|dc| dc.id.eq_ignore_ascii_case(id.trim()))
    }

    /// The tactics of a technique, in matrix order.
    pub fn tactics_of<'a>(&'a self, technique: &'a Technique) -> impl Iterator<Item = &'a Tactic> {
        technique
            .tactics
            .iter()
            .filter_map(|shortname| self.tactic_by_name(shortname))
    }

    /// The sub-techniques of a technique.
    pub fn subtechniques_of<'a>(
        &'a self,
        technique: &'a Technique,
    ) -> impl Iterator<Item = &'a Technique> {
        technique
            .subtechniques
            .iter()
            .filter_map(|&id| self.technique(id))
    }

    /// The techniques and sub-techniques of a tactic, sorted by id.
    pub fn techniques_of<'a>(&'a self, tactic: &'a Tactic) -> impl Iterator<Item = &'a Technique> {
        self.techniques
            .iter()
            .filter(move |t| t.tactics.contains(&tactic.shortname))
    }

    fn build(raw: RawAttack, remaps: RemapTable) -> Result<Attack, Error> {
        let tactics = raw
            .tactics
            .into_iter()
            .map(RawTactic::into_tactic)
            .collect::<Result<Vec<_>, _>>()?;
        let mut techniques = raw
            .techniques
            .into_iter()
            .map(RawTechnique::into_technique)
            .collect::<Result<Vec<_>, _>>()?;
        techniques.sort_by_key(|t| t.id);
        for t in &mut techniques {
            t.subtechniques.sort_unstable();
        }
        let retired = raw
            .retired
            .into_iter()
            .map(RawRetired::into_retired)
            .collect::<Result<Vec<_>, _>>()?;
        let data_components = raw
            .data_components
            .into_iter()
            .map(RawDataComponent::into_data_component)
            .collect();

        let mut tactic_index = HashMap::new();
        let mut tactic_names = HashMap::new();
        for (i, tactic) in tactics.iter().enumerate() {
            if tactic_index.insert(tactic.id, i).is_some()
                || tactic_names
                    .insert(name_key(&tactic.shortname), i)
                    .is_some()
            {
                return Err(record("tactics", tactic.id, RecordProblem::Duplicate));
            }
            // A name equal to another tactic's shortname would be ambiguous;
            // the shortname wins.
            tactic_names.entry(name_key(&tactic.name)).or_insert(i);
        }
        let mut technique_index = HashMap::new();
        for (i, technique) in techniques.iter().enumerate() {
            if technique_index.insert(technique.id, i).is_some() {
                return Err(record("techniques", technique.id, RecordProblem::Duplicate));
            }
        }
        let mut retired_index = HashMap::new();
        for (i, entry) in retired.iter().enumerate() {
            if retired_index.insert(entry.id, i).is_some()
                || technique_index.contains_key(&entry.id)
            {
                return Err(record("retired", entry.id, RecordProblem::Duplicate));
            }
        }
        let attack = Attack {
            version: raw.version,
            tactics,
            techniques,
            retired,
            data_components,
            technique_index,
            retired_index,
            tactic_index,
            tactic_names,
            technique_remaps: remaps.techniques,
            tactic_remaps: remaps.tactics,
        };
        attack.validate()?;
        Ok(attack)
    }

    /// Cross-record checks: tactics exist, parents and sub-techniques agree.
    fn validate(&self) -> Result<(), Error> {
        for t in &self.techniques {
            if let Some(shortname) = t
                .tactics
                .iter()
                .find(|s| !self.tactics.iter().any(|tactic| tactic.shortname == **s))
            {
                return Err(record(
                    "techniques",
                    t.id,
                    RecordProblem::UnknownTactic(shortname.clone()),
                ));
            }
            if t.parent != t.id.parent() || t.is_subtechnique != t.id.is_subtechnique() {
                return Err(record(
                    "techniques",
                    t.id,
                    RecordProblem::ParentMismatch {
                        expected: t.id.parent(),
                        found: t.parent,
                    },
                ));
            }
            if let Some(parent) = t.parent
                && self.technique(parent).is_none()
            {
                return Err(record(
                    "techniques",
                    t.id,
                    RecordProblem::MissingParent(parent),
                ));
            }
            for &sub in &t.subtechniques {
                if sub.parent() != Some(t.id) || self.technique(sub).is_none() {
                    return Err(record(
                        "techniques",
                        t.id,
                        RecordProblem::MissingSubtechnique(sub),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The key names are matched by: ASCII letters and digits, lowercased.
pub(crate) fn name_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn record(section: &'static str, id: impl ToString, problem: RecordProblem) -> Error {
    Error::Record {
        section,
        id: id.to_string(),
        problem,
    }
}

/// Parses an id field of a record, naming the record on failure.
fn parse_id<T: std::str::FromStr<Err = crate::error::RefError>>(
    section: &'static str,
    record_id: &str,
    text: &str,
) -> Result<T, Error> {
    text.parse()
        .map_err(|err| record(section, record_id, RecordProblem::BadId(err)))
}

#[derive(Deserialize)]
struct RawAttack {
    #[serde(default)]
    version: String,
    tactics: Vec<RawTactic>,
    techniques: Vec<RawTechnique>,
    #[serde(default)]
    retired: Vec<RawRetired>,
    #[serde(default)]
    data_components: Vec<RawDataComponent>,
}

#[derive(Deserialize)]
struct RawTactic {
    id: String,
    name: String,
    shortname: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    url: String,
}

impl RawTactic {
    fn into_tactic(self) -> Result<Tactic, Error> {
        Ok(Tactic {
            id: parse_id("tactics", &self.id, &self.id)?,
            name: self.name,
            shortname: self.shortname,
            description: self.description,
            url: self.url,
        })
    }
}

#[derive(Deserialize)]
struct RawTechnique {
    id: String,
    name: String,
    #[serde(default)]
    tactics: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    data_components: Vec<String>,
    #[serde(default)]
    is_subtechnique: bool,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    subtechniques: Vec<String>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    revoked: bool,
}

impl RawTechnique {
    fn into_technique(self) -> Result<Technique, Error> {
        let id = &self.id;
        Ok(Technique {
            id: parse_id("techniques", id, id)?,
            parent: self
                .parent
                .as_deref()
                .map(|p| parse_id("techniques", id, p))
                .transpose()?,
            subtechniques: self
                .subtechniques
                .iter()
                .map(|s| parse_id("techniques", id, s))
                .collect::<Result<_, _>>()?,
            name: self.name,
            tactics: self.tactics,
            platforms: self.platforms,
            description: self.description.unwrap_or_default(),
            data_components: self.data_components,
            is_subtechnique: self.is_subtechnique,
            url: self.url,
            deprecated: self.deprecated,
            revoked: self.revoked,
        })
    }
}

#[derive(Deserialize)]
struct RawRetired {
    id: String,
    name: String,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    revoked_by: Option<String>,
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    url: String,
}

impl RawRetired {
    fn into_retired(self) -> Result<RetiredTechnique, Error> {
        let id = &self.id;
        let opt = |field: &Option<String>| {
            field
                .as_deref()
                .map(|text| parse_id("retired", id, text))
                .transpose()
        };
        Ok(RetiredTechnique {
            id: parse_id("retired", id, id)?,
            revoked_by: opt(&self.revoked_by)?,
            current: opt(&self.current)?,
            name: self.name,
            revoked: self.revoked,
            deprecated: self.deprecated,
            url: self.url,
        })
    }
}

#[derive(Deserialize)]
struct RawDataComponent {
    id: String,
    name: String,
    #[serde(default)]
    data_source: Option<String>,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    url: String,
}

impl RawDataComponent {
    fn into_data_component(self) -> DataComponent {
        DataComponent {
            id: self.id,
            name: self.name,
            data_source: self.data_source,
            deprecated: self.deprecated,
            url: self.url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> TechniqueId {
        text.parse().unwrap()
    }

    #[test]
    fn fixture_loads() {
        let attack = Attack::fixture();
        assert_eq!(attack.version(), "18.1");
        assert_eq!(attack.tactics().len(), 8);
        assert_eq!(attack.techniques().len(), 15);
        for wanted in [
            "T1046",
            "T1595",
            "T1059",
            "T1059.001",
            "T1003",
            "T1003.001",
            "T1110",
            "T1110.001",
            "T1078",
            "T1562",
            "T1562.001",
        ] {
            assert!(
                attack.technique(id(wanted)).is_some(),
                "fixture lacks {wanted}"
            );
        }
        assert_eq!(attack.retired().len(), 2);
        assert!(attack.techniques().windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn fixture_relations() {
        let attack = Attack::fixture();
        let t1059 = attack.technique(id("T1059")).unwrap();
        let subs: Vec<_> = attack
            .subtechniques_of(t1059)
            .map(|t| t.id.to_string())
            .collect();
        assert_eq!(subs, ["T1059.001", "T1059.003"]);
        let t1078 = attack.technique(id("T1078")).unwrap();
        let tactics: Vec<_> = attack.tactics_of(t1078).map(|t| t.id.to_string()).collect();
        assert_eq!(tactics, ["TA0001", "TA0003", "TA0004", "TA0005"]);
        let discovery = attack.tactic_by_name("Discovery").unwrap();
        let in_discovery: Vec<_> = attack
            .techniques_of(discovery)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(in_discovery, ["Network Service Discovery"]);
        let pwsh = attack.technique(id("T1059.001")).unwrap();
        assert_eq!(pwsh.parent, Some(id("T1059")));
        assert!(
            pwsh.data_components
                .iter()
                .all(|dc| attack.data_component(dc).is_some())
        );
        assert_eq!(
            attack.data_component("dc0032").unwrap().name,
            "Process Creation"
        );
    }

    #[test]
    fn tactic_lookup_by_any_name_spelling() {
        let attack = Attack::fixture();
        let cases = [
            ("shortname", "defense-evasion", Some("TA0005")),
            ("display name", "Defense Evasion", Some("TA0005")),
            ("sentinel camel case", "DefenseEvasion", Some("TA0005")),
            ("old sigma underscore", "defense_evasion", Some("TA0005")),
            ("odd capitalisation", "Credentialaccess", Some("TA0006")),
            ("misspelt", "CommanAndControl", None),
            ("credential access", "CredentialAccess", Some("TA0006")),
            ("v19 name is not exact", "stealth", None),
            ("unknown", "PreAttack", None),
        ];
        for (case, name, expected) in cases {
            let got = attack.tactic_by_name(name).map(|t| t.id.to_string());
            assert_eq!(got.as_deref(), expected, "{case}");
        }
    }

    #[test]
    fn invalid_data_is_a_typed_error() {
        let tactic = r#"{"id":"TA0007","name":"Discovery","shortname":"discovery"}"#;
        let cases = [
            ("not json", "{".to_owned(), "json"),
            (
                "bad technique id",
                format!(r#"{{"tactics":[{tactic}],"techniques":[{{"id":"X1","name":"n"}}]}}"#),
                "bad-id",
            ),
            (
                "unknown tactic",
                format!(
                    r#"{{"tactics":[{tactic}],"techniques":[{{"id":"T1046","name":"n","tactics":["nope"]}}]}}"#
                ),
                "unknown-tactic",
            ),
            (
                "missing parent",
                format!(
                    r#"{{"tactics":[{tactic}],"techniques":[{{"id":"T1046.001","name":"n","is_subtechnique":true,"parent":"T1046"}}]}}"#
                ),
                "missing-parent",
            ),
            (
                "parent disagrees with id",
                format!(
                    r#"{{"tactics":[{tactic}],"techniques":[{{"id":"T1046.001","name":"n"}}]}}"#
                ),
                "parent-mismatch",
            ),
            (
                "duplicate technique",
                format!(
                    r#"{{"tactics":[{tactic}],"techniques":[{{"id":"T1046","name":"a"}},{{"id":"t1046","name":"b"}}]}}"#
                ),
                "duplicate",
            ),
            (
                "duplicate tactic",
                format!(r#"{{"tactics":[{tactic},{tactic}],"techniques":[]}}"#),
                "duplicate",
            ),
        ];
        for (case, json, expected) in cases {
            let err = Attack::from_compact_json(&json).expect_err(case);
            let kind = match err {
                Error::Json { .. } => "json",
                Error::Record { problem, .. } => match problem {
                    RecordProblem::BadId(_) => "bad-id",
                    RecordProblem::UnknownTactic(_) => "unknown-tactic",
                    RecordProblem::MissingParent(_) => "missing-parent",
                    RecordProblem::ParentMismatch { .. } => "parent-mismatch",
                    RecordProblem::Duplicate => "duplicate",
                    other => panic!("{case}: unexpected {other:?}"),
                },
                other => panic!("{case}: unexpected {other:?}"),
            };
            assert_eq!(kind, expected, "{case}");
        }
    }

    #[test]
    fn load_reports_missing_and_compressed_files() {
        let dir = std::env::temp_dir().join(format!("ruledex-attack-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let gz = dir.join("bundle.json.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0]).unwrap();
        assert!(matches!(Attack::load(&gz), Err(Error::Compressed { .. })));
        let missing = dir.join("missing.json");
        assert!(matches!(Attack::load(&missing), Err(Error::Io { .. })));
        let bad = dir.join("bad.json");
        std::fs::write(&bad, b"{\"tactics\": [\"\xff\"]}").unwrap();
        let err = Attack::load(&bad).unwrap_err();
        assert!(
            matches!(&err, Error::WithPath { source, .. } if matches!(**source, Error::Json { .. }))
        );
        assert!(err.to_string().contains("bad.json"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
