//! Typed ATT&CK ids: [`TechniqueId`], [`TacticId`] and [`OtherId`].
//!
//! Ids are parsed case-insensitively and printed in ATT&CK's canonical form
//! (`t1059.001` → `T1059.001`), so that two vendors' spellings of the same id
//! compare equal. Parsing checks only the form; whether the id exists is a
//! question for [`crate::Attack::resolve`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Expected, IdProblem, RefError};

/// An ATT&CK technique or sub-technique id: `T1059` or `T1059.001`.
///
/// Ordered by number, a technique before its sub-techniques.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TechniqueId {
    number: u16,
    sub: Option<u16>,
}

impl TechniqueId {
    /// A technique id from its numbers: `new(1059, Some(1))` is `T1059.001`.
    /// `None` when a number is out of range (technique above 9999,
    /// sub-technique 0 or above 999).
    pub fn new(number: u16, sub: Option<u16>) -> Option<TechniqueId> {
        let sub_ok = sub.is_none_or(|s| (1..=999).contains(&s));
        (number <= 9999 && sub_ok).then_some(TechniqueId { number, sub })
    }

    /// The technique number: 1059 for `T1059.001`.
    pub fn number(self) -> u16 {
        self.number
    }

    /// The sub-technique number: `Some(1)` for `T1059.001`.
    pub fn sub(self) -> Option<u16> {
        self.sub
    }

    /// Whether this is a sub-technique id.
    pub fn is_subtechnique(self) -> bool {
        self.sub.is_some()
    }

    /// The parent technique of a sub-technique (`T1059.001` → `T1059`).
    pub fn parent(self) -> Option<TechniqueId> {
        self.sub.map(|_| self.technique())
    }

    /// The technique itself, or the parent of a sub-technique.
    pub fn technique(self) -> TechniqueId {
        TechniqueId {
            number: self.number,
            sub: None,
        }
    }

    /// The id's page on attack.mitre.org.
    pub fn url(self) -> String {
        match self.sub {
            Some(sub) => format!(
                "https://attack.mitre.org/techniques/T{:04}/{sub:03}/",
                self.number
            ),
            None => format!("https://attack.mitre.org/techniques/T{:04}/", self.number),
        }
    }
}

impl fmt::Display for TechniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{:04}", self.number)?;
        if let Some(sub) = self.sub {
            write!(f, ".{sub:03}")?;
        }
        Ok(())
    }
}

impl FromStr for TechniqueId {
    type Err = RefError;

    /// Parses `T1059`, `t1059.001`, ` T1059.001 `: a `T`, four digits and an
    /// optional `.` and three digits, surrounding whitespace ignored.
    fn from_str(input: &str) -> Result<TechniqueId, RefError> {
        let malformed = |problem| malformed(input, Expected::Technique, problem);
        let text = input.trim();
        if text.is_empty() {
            return Err(malformed(IdProblem::Empty));
        }
        let rest = strip_prefix_ci(text, "T").ok_or(malformed(IdProblem::Prefix))?;
        let (number, rest) = digits(rest, 4).ok_or(malformed(IdProblem::Digits { expected: 4 }))?;
        let sub = match rest.strip_prefix('.') {
            None if rest.is_empty() => None,
            None => return Err(malformed(IdProblem::Trailing)),
            Some(after_dot) => {
                let (sub, rest) =
                    digits(after_dot, 3).ok_or(malformed(IdProblem::Digits { expected: 3 }))?;
                if !rest.is_empty() {
                    return Err(malformed(IdProblem::Trailing));
                }
                if sub == 0 {
                    return Err(malformed(IdProblem::ZeroSubtechnique));
                }
                Some(sub)
            }
        };
        Ok(TechniqueId { number, sub })
    }
}

/// An ATT&CK tactic id: `TA0007`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TacticId(u16);

impl TacticId {
    /// A tactic id from its number: `new(7)` is `TA0007`. `None` above 9999.
    pub fn new(number: u16) -> Option<TacticId> {
        (number <= 9999).then_some(TacticId(number))
    }

    /// The tactic number: 7 for `TA0007`.
    pub fn number(self) -> u16 {
        self.0
    }

    /// The id's page on attack.mitre.org.
    pub fn url(self) -> String {
        format!("https://attack.mitre.org/tactics/TA{:04}/", self.0)
    }
}

impl fmt::Display for TacticId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TA{:04}", self.0)
    }
}

impl FromStr for TacticId {
    type Err = RefError;

    /// Parses `TA0007` or `ta0007`, surrounding whitespace ignored.
    fn from_str(input: &str) -> Result<TacticId, RefError> {
        let malformed = |problem| malformed(input, Expected::TacticId, problem);
        let text = input.trim();
        if text.is_empty() {
            return Err(malformed(IdProblem::Empty));
        }
        let rest = strip_prefix_ci(text, "TA").ok_or(malformed(IdProblem::Prefix))?;
        let (number, rest) = digits(rest, 4).ok_or(malformed(IdProblem::Digits { expected: 4 }))?;
        if !rest.is_empty() {
            return Err(malformed(IdProblem::Trailing));
        }
        Ok(TacticId(number))
    }
}

/// The kind of an ATT&CK object that is neither a technique nor a tactic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OtherKind {
    /// Software (malware or tool), `S0029`.
    Software,
    /// Group (intrusion set), `G0069`.
    Group,
    /// Campaign, `C0024`.
    Campaign,
    /// Mitigation, `M1042`.
    Mitigation,
    /// Data source, `DS0009`.
    DataSource,
    /// Data component, `DC0032`.
    DataComponent,
}

impl OtherKind {
    /// The id prefix: `S`, `G`, `C`, `M`, `DS` or `DC`.
    pub fn prefix(self) -> &'static str {
        match self {
            OtherKind::Software => "S",
            OtherKind::Group => "G",
            OtherKind::Campaign => "C",
            OtherKind::Mitigation => "M",
            OtherKind::DataSource => "DS",
            OtherKind::DataComponent => "DC",
        }
    }

    /// The attack.mitre.org path segment of this kind, if it has pages there.
    fn url_segment(self) -> &'static str {
        match self {
            OtherKind::Software => "software",
            OtherKind::Group => "groups",
            OtherKind::Campaign => "campaigns",
            OtherKind::Mitigation => "mitigations",
            OtherKind::DataSource => "datasources",
            OtherKind::DataComponent => "datacomponents",
        }
    }
}

/// An id of another ATT&CK object: software `S0029`, group `G0069`, ….
///
/// This crate does not load these objects; it only validates the id's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherId {
    kind: OtherKind,
    number: u16,
}

impl OtherId {
    /// An id from its kind and number. `None` above 9999.
    pub fn new(kind: OtherKind, number: u16) -> Option<OtherId> {
        (number <= 9999).then_some(OtherId { kind, number })
    }

    /// The kind of object.
    pub fn kind(self) -> OtherKind {
        self.kind
    }

    /// The number: 29 for `S0029`.
    pub fn number(self) -> u16 {
        self.number
    }

    /// The id's page on attack.mitre.org.
    pub fn url(self) -> String {
        format!(
            "https://attack.mitre.org/{}/{self}/",
            self.kind.url_segment()
        )
    }
}

impl fmt::Display for OtherId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:04}", self.kind.prefix(), self.number)
    }
}

impl FromStr for OtherId {
    type Err = RefError;

    /// Parses `S0029`, `g0069`, `DS0009`, … (four digits), whitespace ignored.
    fn from_str(input: &str) -> Result<OtherId, RefError> {
        let malformed = |problem| malformed(input, Expected::Other, problem);
        let text = input.trim();
        if text.is_empty() {
            return Err(malformed(IdProblem::Empty));
        }
        // Two-letter prefixes first, so that `DS` is not read as an unknown `D`.
        let kinds = [
            OtherKind::DataSource,
            OtherKind::DataComponent,
            OtherKind::Software,
            OtherKind::Group,
            OtherKind::Campaign,
            OtherKind::Mitigation,
        ];
        let (kind, rest) = kinds
            .iter()
            .find_map(|&kind| strip_prefix_ci(text, kind.prefix()).map(|rest| (kind, rest)))
            .ok_or(malformed(IdProblem::Prefix))?;
        let (number, rest) = digits(rest, 4).ok_or(malformed(IdProblem::Digits { expected: 4 }))?;
        if !rest.is_empty() {
            return Err(malformed(IdProblem::Trailing));
        }
        Ok(OtherId { kind, number })
    }
}

macro_rules! serde_as_string {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_as_string!(TechniqueId, TacticId, OtherId);

fn malformed(input: &str, expected: Expected, problem: IdProblem) -> RefError {
    RefError::Malformed {
        input: input.to_owned(),
        expected,
        problem,
    }
}

/// `text` without `prefix`, compared ASCII case-insensitively.
pub(crate) fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Exactly `count` ASCII digits at the start of `text` (not followed by another
/// digit), as a number, and the rest of the text.
fn digits(text: &str, count: usize) -> Option<(u16, &str)> {
    let bytes = text.as_bytes();
    let run = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if run != count {
        return None;
    }
    let number = text[..count].parse().ok()?;
    Some((number, &text[count..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_parse_and_normalize() {
        let cases = [
            ("plain technique", "T1046", "T1046"),
            ("lowercase", "t1046", "T1046"),
            ("sub-technique", "T1059.001", "T1059.001"),
            ("lowercase sub-technique", "t1059.001", "T1059.001"),
            ("surrounding whitespace", "  T1003.001\t", "T1003.001"),
            ("leading zeros kept", "T0018", "T0018"),
        ];
        for (name, input, expected) in cases {
            let id: TechniqueId = input.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(id.to_string(), expected, "{name}");
        }
    }

    #[test]
    fn malformed_technique_ids_are_rejected_with_the_reason() {
        let cases = [
            ("empty", "", IdProblem::Empty),
            ("blank", "   ", IdProblem::Empty),
            ("tactic id", "TA0007", IdProblem::Digits { expected: 4 }),
            ("no prefix", "1046", IdProblem::Prefix),
            ("three digits", "T104", IdProblem::Digits { expected: 4 }),
            ("five digits", "T10466", IdProblem::Digits { expected: 4 }),
            ("short sub", "T1059.01", IdProblem::Digits { expected: 3 }),
            ("long sub", "T1059.0011", IdProblem::Digits { expected: 3 }),
            ("zero sub", "T0018.000", IdProblem::ZeroSubtechnique),
            ("slash form", "T1059/001", IdProblem::Trailing),
            ("dot only", "T1059.", IdProblem::Digits { expected: 3 }),
            ("suffix", "T1059x", IdProblem::Trailing),
            (
                "non-ascii digits",
                "T١٠٥٩",
                IdProblem::Digits { expected: 4 },
            ),
            ("multibyte prefix", "Ｔ1059", IdProblem::Prefix),
        ];
        for (name, input, problem) in cases {
            let err = input.parse::<TechniqueId>().expect_err(name);
            assert_eq!(
                err,
                RefError::Malformed {
                    input: input.to_owned(),
                    expected: Expected::Technique,
                    problem
                },
                "{name}"
            );
        }
    }

    #[test]
    fn technique_id_relations() {
        let sub: TechniqueId = "T1059.001".parse().unwrap();
        let parent: TechniqueId = "T1059".parse().unwrap();
        assert_eq!(sub.parent(), Some(parent));
        assert_eq!(parent.parent(), None);
        assert_eq!(sub.technique(), parent);
        assert!(sub.is_subtechnique() && !parent.is_subtechnique());
        assert!(parent < sub, "a technique sorts before its sub-techniques");
        assert_eq!(sub.url(), "https://attack.mitre.org/techniques/T1059/001/");
        assert_eq!(TechniqueId::new(1059, Some(0)), None);
        assert_eq!(TechniqueId::new(10_000, None), None);
        assert_eq!(TechniqueId::new(1059, Some(1)), Some(sub));
    }

    #[test]
    fn tactic_ids_parse() {
        let cases = [
            ("canonical", "TA0007", Some("TA0007")),
            ("lowercase", "ta0005", Some("TA0005")),
            ("technique id", "T1046", None),
            ("three digits", "TA007", None),
            ("trailing", "TA0007:T1046", None),
        ];
        for (name, input, expected) in cases {
            let got = input.parse::<TacticId>().ok().map(|id| id.to_string());
            assert_eq!(got.as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn other_ids_parse() {
        let cases = [
            ("software", "s0029", Some((OtherKind::Software, "S0029"))),
            ("group", "G0069", Some((OtherKind::Group, "G0069"))),
            ("campaign", "c0024", Some((OtherKind::Campaign, "C0024"))),
            (
                "mitigation",
                "M1042",
                Some((OtherKind::Mitigation, "M1042")),
            ),
            (
                "data source",
                "ds0009",
                Some((OtherKind::DataSource, "DS0009")),
            ),
            (
                "data component",
                "DC0032",
                Some((OtherKind::DataComponent, "DC0032")),
            ),
            ("unknown letter", "X0001", None),
            ("five digits", "S00290", None),
        ];
        for (name, input, expected) in cases {
            let got = input
                .parse::<OtherId>()
                .ok()
                .map(|id| (id.kind(), id.to_string()));
            let expected = expected.map(|(k, s)| (k, s.to_owned()));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn ids_round_trip_through_serde_as_strings() {
        let id: TechniqueId = "t1059.001".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"T1059.001\"");
        let back: TechniqueId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<TacticId>("\"TA00\"").is_err());
    }
}
