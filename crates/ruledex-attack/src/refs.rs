//! ATT&CK references as each vendor spells them, read into one [`AttackRef`].
//!
//! Every vendor cites ATT&CK differently:
//!
//! | vendor | spelling |
//! |---|---|
//! | Sigma | tags `attack.t1059.001`, `attack.discovery`, `attack.s0002`, `attack.g0010` |
//! | Elastic | `[[rule.threat]]` blocks: `tactic {id,name,reference}`, `technique [{id, subtechnique [...]}]` |
//! | Splunk | `tags: mitre_attack_id: [T1046, T1059.001]` |
//! | Sentinel | `relevantTechniques: [T1046]`, `tactics: [Discovery, DefenseEvasion]` |
//! | Panther | `Reports: MITRE ATT&CK: ["TA0007:T1046"]` |
//!
//! The functions here only read the spelling: they know nothing of which ids
//! exist. Each returns one [`Parsed`] per reference found, an error included,
//! so nothing a rule cites is dropped; [`crate::Attack::check`] then says what
//! each reference resolves to.

use serde::{Deserialize, Serialize};

use crate::error::{Expected, IdProblem, RefError};
use crate::id::{OtherId, TacticId, TechniqueId, strip_prefix_ci};

/// One ATT&CK reference, read but not yet checked against the data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttackRef {
    /// A technique or sub-technique.
    Technique(TechniqueId),
    /// A tactic, by id or by name.
    Tactic(TacticRef),
    /// Software, group, campaign, … (not loaded by this crate).
    Other(OtherId),
}

/// A tactic, as the rule names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum TacticRef {
    /// By id: `TA0007`.
    Id(TacticId),
    /// By name, as written: `discovery`, `defense_evasion`, `DefenseEvasion`,
    /// `Command and Control`. Names are matched ignoring case and everything
    /// but letters and digits.
    Name(String),
}

impl std::fmt::Display for TacticRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TacticRef::Id(id) => id.fmt(f),
            TacticRef::Name(name) => f.write_str(name),
        }
    }
}

impl std::fmt::Display for AttackRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttackRef::Technique(id) => id.fmt(f),
            AttackRef::Tactic(tactic) => tactic.fmt(f),
            AttackRef::Other(id) => id.fmt(f),
        }
    }
}

/// One reference read from a rule: the text it came from and what it reads as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The text as the rule writes it (`attack.t1046`, `TA0007:T1046`).
    pub input: String,
    /// The reference, or why the text is not one.
    pub result: Result<AttackRef, RefError>,
}

impl Parsed {
    fn new(input: &str, result: Result<AttackRef, RefError>) -> Parsed {
        Parsed {
            input: input.to_owned(),
            result,
        }
    }
}

/// Reads any ATT&CK reference: a technique, tactic or other id, or a tactic
/// name (letters, digits, spaces, `-` and `_`).
pub fn parse_ref(text: &str) -> Result<AttackRef, RefError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(malformed(text, Expected::Any, IdProblem::Empty));
    }
    if looks_like_id(trimmed, "TA") {
        return trimmed
            .parse()
            .map(|id| AttackRef::Tactic(TacticRef::Id(id)));
    }
    if looks_like_id(trimmed, "T") {
        return trimmed.parse().map(AttackRef::Technique);
    }
    if ["S", "G", "C", "M", "DS", "DC"]
        .iter()
        .any(|prefix| looks_like_id(trimmed, prefix))
    {
        return trimmed.parse().map(AttackRef::Other);
    }
    tactic_name(text, Expected::Any).map(AttackRef::Tactic)
}

/// Reads a tactic: an id (`TA0007`) or a name (`discovery`, `DefenseEvasion`).
pub fn parse_tactic(text: &str) -> Result<TacticRef, RefError> {
    let trimmed = text.trim();
    if looks_like_id(trimmed, "TA") {
        return trimmed.parse().map(TacticRef::Id);
    }
    tactic_name(text, Expected::Tactic)
}

/// Reads one Sigma tag. `None` when the tag is outside the `attack.` namespace
/// (`cve.2021-44228`, `detection.threat-hunting`, `car.2016-04-005`).
///
/// ```
/// use ruledex_attack::{parse_sigma_tag, AttackRef};
/// let parsed = parse_sigma_tag("attack.t1059.001").unwrap();
/// assert!(matches!(parsed.result, Ok(AttackRef::Technique(id)) if id.to_string() == "T1059.001"));
/// assert!(parse_sigma_tag("cve.2021-44228").is_none());
/// ```
pub fn parse_sigma_tag(tag: &str) -> Option<Parsed> {
    let rest = strip_prefix_ci(tag.trim(), "attack.")?;
    Some(Parsed::new(tag, parse_ref(rest)))
}

/// Reads the ATT&CK tags among a Sigma rule's `tags`, in order; other
/// namespaces are skipped.
pub fn parse_sigma_tags<S: AsRef<str>>(tags: &[S]) -> Vec<Parsed> {
    tags.iter()
        .filter_map(|tag| parse_sigma_tag(tag.as_ref()))
        .collect()
}

/// One `[[rule.threat]]` block of an Elastic detection rule.
///
/// Its field names follow the TOML, so a front-end can deserialize the block
/// straight into it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElasticThreat {
    /// The framework; only `MITRE ATT&CK` is read.
    pub framework: String,
    /// The tactic of the block.
    #[serde(default)]
    pub tactic: Option<ElasticEntry>,
    /// The techniques of the block.
    #[serde(default, rename = "technique")]
    pub techniques: Vec<ElasticTechnique>,
}

impl ElasticThreat {
    /// A MITRE ATT&CK block with a tactic id and techniques, each with its
    /// sub-technique ids; names and references are left empty.
    pub fn new(tactic: Option<&str>, techniques: &[(&str, &[&str])]) -> ElasticThreat {
        let entry = |id: &str| ElasticEntry {
            id: id.to_owned(),
            ..ElasticEntry::default()
        };
        ElasticThreat {
            framework: ELASTIC_ATTACK_FRAMEWORK.to_owned(),
            tactic: tactic.map(entry),
            techniques: techniques
                .iter()
                .map(|(id, subs)| ElasticTechnique {
                    id: (*id).to_owned(),
                    name: String::new(),
                    reference: String::new(),
                    subtechniques: subs.iter().map(|s| entry(s)).collect(),
                })
                .collect(),
        }
    }
}

/// A tactic or sub-technique entry of an Elastic `threat` block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElasticEntry {
    /// `TA0007`, `T1059.001`.
    pub id: String,
    /// The name as written.
    #[serde(default)]
    pub name: String,
    /// The attack.mitre.org URL as written.
    #[serde(default)]
    pub reference: String,
}

/// A technique entry of an Elastic `threat` block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElasticTechnique {
    /// `T1059`.
    pub id: String,
    /// The name as written.
    #[serde(default)]
    pub name: String,
    /// The attack.mitre.org URL as written.
    #[serde(default)]
    pub reference: String,
    /// Its sub-techniques.
    #[serde(default, rename = "subtechnique")]
    pub subtechniques: Vec<ElasticEntry>,
}

/// The `framework` value of Elastic's ATT&CK `threat` blocks.
pub const ELASTIC_ATTACK_FRAMEWORK: &str = "MITRE ATT&CK";

/// Reads an Elastic `threat` block: its tactic id, then each technique id
/// followed by its sub-technique ids. A block of another framework yields one
/// [`RefError::UnknownFramework`].
pub fn parse_elastic_threat(threat: &ElasticThreat) -> Vec<Parsed> {
    if !threat
        .framework
        .trim()
        .eq_ignore_ascii_case(ELASTIC_ATTACK_FRAMEWORK)
    {
        return vec![Parsed::new(
            &threat.framework,
            Err(RefError::UnknownFramework {
                framework: threat.framework.clone(),
            }),
        )];
    }
    let mut out = Vec::new();
    if let Some(tactic) = &threat.tactic {
        let result = tactic
            .id
            .parse::<TacticId>()
            .map(|id| AttackRef::Tactic(TacticRef::Id(id)));
        out.push(Parsed::new(&tactic.id, result));
    }
    for technique in &threat.techniques {
        out.push(Parsed::new(&technique.id, technique_ref(&technique.id)));
        for sub in &technique.subtechniques {
            out.push(Parsed::new(&sub.id, technique_ref(&sub.id)));
        }
    }
    out
}

/// Reads a Splunk detection's `tags.mitre_attack_id` list: technique ids.
pub fn parse_splunk_ids<S: AsRef<str>>(ids: &[S]) -> Vec<Parsed> {
    ids.iter()
        .map(|id| Parsed::new(id.as_ref(), technique_ref(id.as_ref())))
        .collect()
}

/// Reads a Sentinel rule's `tactics` (names such as `DefenseEvasion`) and
/// `relevantTechniques` (technique ids), tactics first.
pub fn parse_sentinel<S: AsRef<str>, T: AsRef<str>>(
    tactics: &[S],
    relevant_techniques: &[T],
) -> Vec<Parsed> {
    let tactics = tactics.iter().map(|t| {
        let t = t.as_ref();
        Parsed::new(t, parse_tactic(t).map(AttackRef::Tactic))
    });
    let techniques = relevant_techniques
        .iter()
        .map(|t| Parsed::new(t.as_ref(), technique_ref(t.as_ref())));
    tactics.chain(techniques).collect()
}

/// Reads the entries of a Panther rule's `Reports: MITRE ATT&CK:` list:
/// `TA0007:T1046` yields the tactic and the technique, both with the whole
/// entry as input; a lone `TA0007` or `T1046` yields one reference.
pub fn parse_panther_reports<S: AsRef<str>>(entries: &[S]) -> Vec<Parsed> {
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.as_ref();
        match entry.split_once(':') {
            Some((tactic, technique)) => {
                let tactic = tactic
                    .parse::<TacticId>()
                    .map(|id| AttackRef::Tactic(TacticRef::Id(id)));
                out.push(Parsed::new(entry, tactic));
                // `TA0004:` (a tactic with no technique) is a complete entry.
                if !technique.trim().is_empty() {
                    out.push(Parsed::new(entry, technique_ref(technique)));
                }
            }
            None => out.push(Parsed::new(entry, parse_ref(entry))),
        }
    }
    out
}

fn technique_ref(text: &str) -> Result<AttackRef, RefError> {
    text.parse().map(AttackRef::Technique)
}

/// Whether `text` is `prefix` (any case) followed by a digit.
fn looks_like_id(text: &str, prefix: &str) -> bool {
    strip_prefix_ci(text, prefix).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

fn tactic_name(text: &str, expected: Expected) -> Result<TacticRef, RefError> {
    let name = text.trim();
    if name.is_empty() {
        return Err(malformed(text, expected, IdProblem::Empty));
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    if ok {
        Ok(TacticRef::Name(name.to_owned()))
    } else {
        Err(malformed(text, expected, IdProblem::Characters))
    }
}

fn malformed(input: &str, expected: Expected, problem: IdProblem) -> RefError {
    RefError::Malformed {
        input: input.to_owned(),
        expected,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str) -> AttackRef {
        AttackRef::Technique(id.parse().unwrap())
    }
    fn ta(id: &str) -> AttackRef {
        AttackRef::Tactic(TacticRef::Id(id.parse().unwrap()))
    }
    fn name(n: &str) -> AttackRef {
        AttackRef::Tactic(TacticRef::Name(n.to_owned()))
    }
    fn other(id: &str) -> AttackRef {
        AttackRef::Other(id.parse().unwrap())
    }

    /// Expected parse results: references, or `!input` for an error.
    type Expect = Vec<Result<AttackRef, String>>;
    /// A Sigma case: name, tag, and the result with errors reduced to `()`.
    type SigmaCase = (&'static str, &'static str, Option<Result<AttackRef, ()>>);

    /// The `Ok` references, or the inputs of the errors prefixed with `!`.
    fn summary(parsed: &[Parsed]) -> Expect {
        parsed
            .iter()
            .map(|p| p.result.clone().map_err(|_| format!("!{}", p.input)))
            .collect()
    }

    #[test]
    fn sigma_tags() {
        let cases: [SigmaCase; 14] = [
            ("technique", "attack.t1046", Some(Ok(t("T1046")))),
            (
                "sub-technique",
                "attack.t1059.001",
                Some(Ok(t("T1059.001"))),
            ),
            (
                "tactic shortname",
                "attack.discovery",
                Some(Ok(name("discovery"))),
            ),
            (
                "v19 tactic",
                "attack.defense-impairment",
                Some(Ok(name("defense-impairment"))),
            ),
            (
                "old underscore tactic",
                "attack.defense_evasion",
                Some(Ok(name("defense_evasion"))),
            ),
            ("software", "attack.s0002", Some(Ok(other("S0002")))),
            ("group", "attack.g0010", Some(Ok(other("G0010")))),
            ("uppercase namespace", "ATTACK.T1046", Some(Ok(t("T1046")))),
            (
                "surrounding whitespace",
                " attack.t1046 ",
                Some(Ok(t("T1046"))),
            ),
            ("malformed technique", "attack.t10466", Some(Err(()))),
            ("malformed tactic", "attack.discovery!", Some(Err(()))),
            ("empty after namespace", "attack.", Some(Err(()))),
            ("cve namespace", "cve.2021-44228", None),
            ("detection namespace", "detection.threat-hunting", None),
        ];
        for (case, tag, expected) in cases {
            let got = parse_sigma_tag(tag).map(|p| {
                assert_eq!(p.input, tag, "{case}: input kept as written");
                p.result.map_err(|_| ())
            });
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn sigma_tag_list_keeps_only_attack_namespace_in_order() {
        let tags = [
            "attack.execution",
            "cve.2024-1",
            "attack.t1059.001",
            "attack.t99",
        ];
        let got = summary(&parse_sigma_tags(&tags));
        assert_eq!(
            got,
            [
                Ok(name("execution")),
                Ok(t("T1059.001")),
                Err("!attack.t99".to_owned())
            ]
        );
    }

    #[test]
    fn elastic_threat_blocks() {
        let cases = [
            (
                "tactic, technique and sub-technique",
                ElasticThreat::new(Some("TA0002"), &[("T1059", &["T1059.001"])]),
                vec![Ok(ta("TA0002")), Ok(t("T1059")), Ok(t("T1059.001"))],
            ),
            (
                "tactic only",
                ElasticThreat::new(Some("TA0007"), &[]),
                vec![Ok(ta("TA0007"))],
            ),
            (
                "bad ids are reported in place",
                ElasticThreat::new(Some("Discovery"), &[("T1046", &["1046.001"])]),
                vec![
                    Err("!Discovery".to_owned()),
                    Ok(t("T1046")),
                    Err("!1046.001".to_owned()),
                ],
            ),
            (
                "other framework",
                ElasticThreat {
                    framework: "MITRE ATLAS".to_owned(),
                    ..ElasticThreat::new(Some("AML.TA0002"), &[])
                },
                vec![Err("!MITRE ATLAS".to_owned())],
            ),
        ];
        for (case, threat, expected) in cases {
            assert_eq!(summary(&parse_elastic_threat(&threat)), expected, "{case}");
        }
    }

    #[test]
    fn elastic_threat_deserializes_from_the_rule_shape() {
        // The shape of a `[[rule.threat]]` TOML table, as JSON.
        let json = r#"{
            "framework": "MITRE ATT&CK",
            "tactic": {"id": "TA0005", "name": "Defense Evasion",
                       "reference": "https://attack.mitre.org/tactics/TA0005/"},
            "technique": [{"id": "T1562", "name": "Impair Defenses",
                           "reference": "https://attack.mitre.org/techniques/T1562/",
                           "subtechnique": [{"id": "T1562.001", "name": "Disable or Modify Tools",
                                             "reference": "https://attack.mitre.org/techniques/T1562/001/"}]}]
        }"#;
        let threat: ElasticThreat = serde_json::from_str(json).unwrap();
        assert_eq!(
            summary(&parse_elastic_threat(&threat)),
            [Ok(ta("TA0005")), Ok(t("T1562")), Ok(t("T1562.001"))]
        );
    }

    #[test]
    fn splunk_mitre_attack_ids() {
        let cases: [(&str, &[&str], Expect); 4] = [
            (
                "techniques",
                &["T1046", "T1059.001"],
                vec![Ok(t("T1046")), Ok(t("T1059.001"))],
            ),
            ("lowercase", &["t1003.001"], vec![Ok(t("T1003.001"))]),
            (
                "tactic id is not a technique",
                &["TA0007"],
                vec![Err("!TA0007".to_owned())],
            ),
            ("empty list", &[], vec![]),
        ];
        for (case, ids, expected) in cases {
            assert_eq!(summary(&parse_splunk_ids(ids)), expected, "{case}");
        }
    }

    #[test]
    fn sentinel_tactics_and_techniques() {
        let cases: [(&str, &[&str], &[&str], Expect); 4] = [
            (
                "discovery",
                &["Discovery"],
                &["T1046"],
                vec![Ok(name("Discovery")), Ok(t("T1046"))],
            ),
            (
                "camel case tactics",
                &["DefenseEvasion", "PrivilegeEscalation", "CommandAndControl"],
                &[],
                vec![
                    Ok(name("DefenseEvasion")),
                    Ok(name("PrivilegeEscalation")),
                    Ok(name("CommandAndControl")),
                ],
            ),
            (
                "sub-technique",
                &[],
                &["T1078.004"],
                vec![Ok(t("T1078.004"))],
            ),
            (
                "malformed entries",
                &["Initial Access!"],
                &["T1078,T1110"],
                vec![
                    Err("!Initial Access!".to_owned()),
                    Err("!T1078,T1110".to_owned()),
                ],
            ),
        ];
        for (case, tactics, techniques, expected) in cases {
            assert_eq!(
                summary(&parse_sentinel(tactics, techniques)),
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn panther_reports() {
        let cases: [(&str, &[&str], Expect); 6] = [
            (
                "tactic and technique",
                &["TA0007:T1046"],
                vec![Ok(ta("TA0007")), Ok(t("T1046"))],
            ),
            (
                "sub-technique",
                &["TA0005:T1562.001"],
                vec![Ok(ta("TA0005")), Ok(t("T1562.001"))],
            ),
            ("tactic alone", &["TA0004"], vec![Ok(ta("TA0004"))]),
            ("technique alone", &["T1548"], vec![Ok(t("T1548"))]),
            (
                "tactic with empty technique",
                &["TA0004:"],
                vec![Ok(ta("TA0004"))],
            ),
            (
                "malformed technique",
                &["TA0001:T1078.1"],
                vec![Ok(ta("TA0001")), Err("!TA0001:T1078.1".to_owned())],
            ),
        ];
        for (case, entries, expected) in cases {
            assert_eq!(summary(&parse_panther_reports(entries)), expected, "{case}");
        }
    }

    #[test]
    fn generic_references() {
        let cases = [
            ("technique", "T1046", Ok(t("T1046"))),
            ("tactic id", "ta0007", Ok(ta("TA0007"))),
            (
                "tactic name with spaces",
                "Command and Control",
                Ok(name("Command and Control")),
            ),
            ("data source", "DS0009", Ok(other("DS0009"))),
            (
                "name starting like an id",
                "Collection",
                Ok(name("Collection")),
            ),
            ("punctuation", "T1046;", Err(())),
            ("leading digit", "1046", Err(())),
            ("blank", "  ", Err(())),
        ];
        for (case, input, expected) in cases {
            assert_eq!(parse_ref(input).map_err(|_| ()), expected, "{case}");
        }
    }
}
