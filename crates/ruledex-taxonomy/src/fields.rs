//! Canonical fields and their aliases per schema: one field vocabulary across vendors.
//!
//! # Why
//!
//! The same datum has a different name in every dialect: the path of a new
//! process is Sigma's `Image`, Elastic's `process.executable`, Splunk CIM's
//! `Processes.process_path`, ASIM's `TargetProcessName`, Defender XDR's
//! `DeviceProcessEvents.FolderPath`. An authoring guide that counts "fields used
//! for T1046" must put all of them in one row, and a converter must go back from
//! that row to the target's name. This module owns that mapping.
//!
//! # The data
//!
//! The table is the data file `data/fields.toml`, embedded in the binary and
//! parsed once ([`Fields::global`]). Canonical names follow ECS, the widest open
//! schema; a field ECS has no home for uses the namespace Elastic's own
//! integrations use (`winlog.event_data.*`, `aws.cloudtrail.*`, …), and every such
//! namespace is declared in the file with its source, so that "canonical" never
//! means "made up here". Each canonical field lists its aliases per [`Schema`];
//! an alias may be limited to *events*: glob patterns over catalog event ids
//! (`*/process_creation`, `windows/registry_*`, `aws/*`), see [`EventPattern`].
//! The file's header documents its format.
//!
//! # Resolving a name ([`Fields::resolve`])
//!
//! 1. **Case.** Sigma, Splunk CIM, ASIM, Defender XDR and `SecurityEvent` names
//!    match case-insensitively: those dialects' authors are inconsistent
//!    (`operationName` / `OperationName`) and no two of their fields differ only
//!    by case. ECS, Panther and OCSF names match exactly: they are dotted paths
//!    into JSON documents, where case is part of the name.
//! 2. **Context.** Among the aliases with that name, one whose event pattern
//!    matches the event wins, the most specific pattern first (see
//!    [`EventPattern::specificity`]; on a tie, the first listed). Otherwise the
//!    alias with no events applies. With no event at all, an alias whose events
//!    all lead to a single canonical field is still taken.
//! 3. **Qualified names.** A prefix that names a table or a data model
//!    (Splunk's `Processes.` or `Network_Traffic.All_Traffic.`, XDR's
//!    `DeviceProcessEvents.`, Sentinel's `SecurityEvent.`) is a [`Qualifier`]:
//!    the rest of the name is resolved as in the qualifier's event, whatever
//!    event the caller passed, because the prefix says more than the caller.
//! 4. **Objects.** An alias written `requestParameters.*` also matches every
//!    sub-path (`requestParameters.enable`): the canonical field is an object or
//!    a flattened field that holds the whole sub-document, as Elastic stores it.
//!    An exact alias wins over such a prefix, and a longer prefix over a shorter.
//! 5. **ECS.** In the [`Schema::Ecs`] schema a canonical name resolves to itself
//!    unless an alias for the very event says otherwise (Elastic's Sysmon data
//!    puts a loaded module in `file.path`, which in `*/image_load` is `dll.path`),
//!    and a multi-field (`process.name.caseless`, `.text`, `.keyword`) resolves
//!    to its parent.
//! 6. **Last resort.** In every schema, a name written exactly as a canonical
//!    field resolves to it (Sigma rules for ECS-shaped logs use ECS names).
//!
//! A name that resolves to nothing stays raw: [`Fields::resolve`] returns `None`
//! and callers report it, so that the table grows where the content needs it.
//!
//! # Going back ([`Fields::alias_for`])
//!
//! A converter asks for the name to write for a canonical field in a target
//! schema and event: the first alias listed in the data file that applies in
//! that event (no events, or a matching pattern) and resolves back to the same
//! field there. Order in the file is preference: an alias limited to some
//! events comes before a general one when it is the name those events use.
//!
//! ```
//! use ruledex_taxonomy::fields::{Fields, Schema};
//!
//! let fields = Fields::global();
//! let ev = Some("windows/process_creation");
//! assert_eq!(fields.resolve(Schema::Sigma, ev, "Image"), Some("process.executable"));
//! assert_eq!(fields.resolve(Schema::SplunkCim, None, "Processes.process_name"), Some("process.name"));
//! assert_eq!(fields.resolve(Schema::DefenderXdr, None, "DeviceProcessEvents.FileName"), Some("process.name"));
//! assert_eq!(fields.alias_for("process.executable", Schema::Asim, ev), Some("TargetProcessName"));
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use ruledex_model::Field;
use serde::{Deserialize, Serialize};

/// The embedded alias table.
const DATA: &str = include_str!("../data/fields.toml");

/// Elastic multi-fields that index their parent's value another way.
const MULTI_FIELDS: [&str; 3] = [".text", ".caseless", ".keyword"];

/// A field-naming schema: the vocabulary a dialect writes field names in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schema {
    /// Sigma rules: the raw field names of each log source (Sysmon, Windows
    /// channels, auditd, CloudTrail, Okta, proxy logs, …).
    Sigma,
    /// Elastic Common Schema, plus the fields of Elastic's integrations.
    Ecs,
    /// Splunk Common Information Model, bare (`process_name`) or qualified by
    /// data model (`Processes.process_name`), plus Splunk's Windows add-on names.
    SplunkCim,
    /// Microsoft Sentinel's Advanced Security Information Model.
    Asim,
    /// Microsoft Defender XDR advanced-hunting tables (`DeviceProcessEvents`, …).
    DefenderXdr,
    /// Microsoft Sentinel's native Log Analytics tables: `SecurityEvent`, and
    /// the other tables rules query directly (`SigninLogs`, `AuditLogs`,
    /// `AzureActivity`, `OfficeActivity`).
    SecurityEvent,
    /// Panther: data-model ("unified") names such as `actor_user`, and the
    /// log fields Panther rules read.
    Panther,
    /// Open Cybersecurity Schema Framework attribute paths.
    Ocsf,
}

impl Schema {
    /// Every schema, in declaration order.
    pub const ALL: [Schema; 8] = [
        Schema::Sigma,
        Schema::Ecs,
        Schema::SplunkCim,
        Schema::Asim,
        Schema::DefenderXdr,
        Schema::SecurityEvent,
        Schema::Panther,
        Schema::Ocsf,
    ];

    /// The stable snake_case name, as used in the data file.
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Sigma => "sigma",
            Schema::Ecs => "ecs",
            Schema::SplunkCim => "splunk_cim",
            Schema::Asim => "asim",
            Schema::DefenderXdr => "defender_xdr",
            Schema::SecurityEvent => "security_event",
            Schema::Panther => "panther",
            Schema::Ocsf => "ocsf",
        }
    }

    /// Whether names in this schema match case-insensitively (see the module docs).
    pub fn case_insensitive(self) -> bool {
        matches!(
            self,
            Schema::Sigma
                | Schema::SplunkCim
                | Schema::Asim
                | Schema::DefenderXdr
                | Schema::SecurityEvent
        )
    }

    /// The lookup key of `name` in this schema: folded when the schema ignores case.
    fn key(self, name: &str) -> String {
        if self.case_insensitive() {
            name.to_lowercase()
        } else {
            name.to_owned()
        }
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema name that is not one of [`Schema::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown schema `{0}` (expected one of sigma, ecs, splunk_cim, asim, defender_xdr, security_event, panther, ocsf)"
)]
pub struct UnknownSchema(pub String);

impl FromStr for Schema {
    type Err = UnknownSchema;

    /// Parse a schema name as [`Schema::as_str`] writes it, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Schema, UnknownSchema> {
        Schema::ALL
            .into_iter()
            .find(|schema| schema.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSchema(s.to_owned()))
    }
}

/// The data type of a canonical field, as ECS names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldType {
    /// An exact string.
    Keyword,
    /// An exact string, the same in every document of an index.
    ConstantKeyword,
    /// An exact string, indexed for wildcard and regex search.
    Wildcard,
    /// Full text, without scoring positions.
    MatchOnlyText,
    /// Full text.
    Text,
    /// A 64-bit integer.
    Long,
    /// A 32-bit integer.
    Integer,
    /// A 16-bit integer.
    Short,
    /// An 8-bit integer.
    Byte,
    /// An unsigned 64-bit integer.
    UnsignedLong,
    /// A 32-bit float.
    Float,
    /// A 64-bit float.
    Double,
    /// A float stored as a scaled long.
    ScaledFloat,
    /// A timestamp.
    Date,
    /// `true` / `false`.
    Boolean,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A latitude/longitude pair.
    GeoPoint,
    /// A JSON object.
    Object,
    /// A JSON object indexed as one field.
    Flattened,
    /// An array of objects indexed one by one.
    Nested,
}

impl FieldType {
    /// The ECS name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Keyword => "keyword",
            FieldType::ConstantKeyword => "constant_keyword",
            FieldType::Wildcard => "wildcard",
            FieldType::MatchOnlyText => "match_only_text",
            FieldType::Text => "text",
            FieldType::Long => "long",
            FieldType::Integer => "integer",
            FieldType::Short => "short",
            FieldType::Byte => "byte",
            FieldType::UnsignedLong => "unsigned_long",
            FieldType::Float => "float",
            FieldType::Double => "double",
            FieldType::ScaledFloat => "scaled_float",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
            FieldType::Ip => "ip",
            FieldType::GeoPoint => "geo_point",
            FieldType::Object => "object",
            FieldType::Flattened => "flattened",
            FieldType::Nested => "nested",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A canonical field: one row of an authoring guide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalField {
    name: String,
    title: String,
    description: Option<String>,
    field_type: FieldType,
    basename: Option<String>,
}

impl CanonicalField {
    /// The canonical (ECS-style) name, e.g. `process.executable`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A short human title for display, e.g. "Process executable path".
    pub fn title(&self) -> &str {
        &self.title
    }

    /// A longer note on meaning or mapping caveats, when the data file has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The data type.
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }

    /// For a path field, the canonical field holding its last component
    /// (`process.executable` → `process.name`); used by value normalization.
    pub fn basename(&self) -> Option<&str> {
        self.basename.as_deref()
    }
}

/// What is wrong with an event pattern or an event id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternProblem {
    /// The pattern is empty.
    #[error("it is empty")]
    Empty,
    /// A character outside lowercase ASCII letters, digits, `_`, `/` and `*`.
    #[error("character {0:?} is not allowed (use lowercase a-z, 0-9, `_`, `/`, `*`)")]
    Char(char),
    /// Two slashes in a row, or a slash at either end.
    #[error("it has an empty segment")]
    EmptySegment,
    /// A `*` where a concrete event id is required.
    #[error("a concrete event id cannot hold `*`")]
    Wildcard,
}

/// A glob pattern over catalog event ids: where an alias applies.
///
/// Event ids are those of [`crate::events`]: lowercase ASCII letters, digits and
/// `_`, in `/`-separated segments — `<platform>/<category>` for endpoint events
/// (`windows/process_creation`), `<product>/<service>` for services
/// (`aws/cloudtrail`), optionally refined (`windows/security/4625`).
/// In a pattern, `*` matches any run of characters, `/` included. A pattern
/// matches an event id if it matches the whole id or one of its ancestors
/// (`windows/security` matches `windows/security/4625`). Event ids are compared
/// ignoring ASCII case.
///
/// A [`Qualifier`] may name the platform `any` (`any/process_creation`) for a
/// table that spans platforms; patterns that name a platform do not match it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventPattern(String);

impl EventPattern {
    /// Parse a pattern; see the type docs for the syntax.
    pub fn new(text: &str) -> Result<EventPattern, PatternProblem> {
        check_event_text(text, true)?;
        Ok(EventPattern(text.to_owned()))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How specific the pattern is: the number of characters that are not `*`.
    /// When several patterns match an event, the most specific wins, so that
    /// `windows/registry_set` beats `*/registry_*` beats `windows/*`.
    pub fn specificity(&self) -> usize {
        self.0.bytes().filter(|&b| b != b'*').count()
    }

    /// Whether the pattern matches `event` or one of its ancestors.
    pub fn matches(&self, event: &str) -> bool {
        let pat = self.0.as_bytes();
        let ev = event.as_bytes();
        if glob(pat, ev) {
            return true;
        }
        ev.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .any(|(i, _)| glob(pat, &ev[..i]))
    }
}

impl fmt::Display for EventPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Check the syntax of an event id (`wildcards == false`) or pattern.
fn check_event_text(text: &str, wildcards: bool) -> Result<(), PatternProblem> {
    if text.is_empty() {
        return Err(PatternProblem::Empty);
    }
    if let Some(c) = text
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_/*".contains(c)))
    {
        return Err(PatternProblem::Char(c));
    }
    if !wildcards && text.contains('*') {
        return Err(PatternProblem::Wildcard);
    }
    if text.split('/').any(str::is_empty) {
        return Err(PatternProblem::EmptySegment);
    }
    Ok(())
}

/// Glob match where `*` matches any run of bytes; `text` is compared ignoring ASCII case.
fn glob(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pat.len() && pat[p] == text[t].to_ascii_lowercase() {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&b| b == b'*')
}

/// One name a canonical field goes by in one schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    name: String,
    events: Vec<EventPattern>,
}

impl Alias {
    /// The name as the schema writes it; a trailing `.*` marks an object prefix
    /// (see the module docs).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name without a trailing `.*`: what a converter writes.
    pub fn stem(&self) -> &str {
        self.name.strip_suffix(".*").unwrap_or(&self.name)
    }

    /// Whether this alias also matches every sub-path of [`Alias::stem`].
    pub fn is_prefix(&self) -> bool {
        self.name.ends_with(".*")
    }

    /// The events it is limited to; empty means everywhere.
    pub fn events(&self) -> &[EventPattern] {
        &self.events
    }
}

/// A table or data-model prefix that says which event the rest of a name is
/// read in: Splunk's `Processes.`, XDR's `DeviceProcessEvents.`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qualifier {
    schema: Schema,
    prefix: String,
    event: String,
}

impl Qualifier {
    /// The schema the prefix belongs to.
    pub fn schema(&self) -> Schema {
        self.schema
    }

    /// The prefix, without the trailing dot (`Network_Traffic.All_Traffic`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The catalog event id the rest of the name is resolved in.
    pub fn event(&self) -> &str {
        &self.event
    }
}

/// A namespace outside ECS that canonical fields may live in, with where it
/// comes from (which Elastic integration or beat defines it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    prefix: String,
    source: String,
}

impl Namespace {
    /// The prefix, ending with `.` (`winlog.event_data.`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Who defines the namespace.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// An error in the fields data file. The embedded file is checked by tests, so
/// these surface only when loading another file with [`Fields::from_toml`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldsError {
    /// Not valid TOML, or not of the expected shape; carries line and column.
    #[error("invalid fields data: {0}")]
    Toml(#[from] toml::de::Error),
    /// A key that is neither a known field attribute nor a schema name.
    #[error("{owner}: unknown key `{key}` (not a schema name)")]
    UnknownKey {
        /// The field (or family prefix) the key is on.
        owner: String,
        /// The key as written.
        key: String,
    },
    /// A canonical field name is empty or holds whitespace.
    #[error("field name {name:?} is empty or holds whitespace")]
    BadName {
        /// The name as written.
        name: String,
    },
    /// The same canonical field is defined twice.
    #[error("field `{name}` is defined twice")]
    DuplicateField {
        /// The field.
        name: String,
    },
    /// An alias name is empty, holds whitespace, or is a bare `.*`.
    #[error("{schema} alias {alias:?} of `{field}` is not a valid name")]
    BadAlias {
        /// The canonical field.
        field: String,
        /// The schema.
        schema: Schema,
        /// The alias as written.
        alias: String,
    },
    /// A malformed event pattern on an alias.
    #[error("{schema} alias `{alias}` of `{field}`: event pattern {pattern:?}: {problem}")]
    Pattern {
        /// The canonical field.
        field: String,
        /// The schema.
        schema: Schema,
        /// The alias.
        alias: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        problem: PatternProblem,
    },
    /// One alias name in one (schema, event pattern) leads to two canonical fields,
    /// or is listed twice.
    #[error("{schema} alias `{alias}` {} maps to `{first}` and to `{second}`", context_text(.events.as_deref()))]
    DuplicateAlias {
        /// The schema.
        schema: Schema,
        /// The alias.
        alias: String,
        /// The event pattern, or `None` for the context-free alias.
        events: Option<String>,
        /// The first canonical field.
        first: String,
        /// The second one.
        second: String,
    },
    /// A basename reference to a field that is not defined.
    #[error("field `{field}`: basename field `{basename}` is not defined")]
    UnknownBasename {
        /// The field.
        field: String,
        /// The missing basename field.
        basename: String,
    },
    /// A qualifier with an empty prefix, a bad event id, or a duplicate prefix.
    #[error("{schema} qualifier {prefix:?}: {problem}")]
    Qualifier {
        /// The schema.
        schema: Schema,
        /// The prefix as written.
        prefix: String,
        /// What is wrong.
        problem: QualifierProblem,
    },
    /// A namespace prefix that does not end with `.`.
    #[error("namespace prefix {prefix:?} must be non-empty and end with `.`")]
    Namespace {
        /// The prefix as written.
        prefix: String,
    },
}

fn context_text(events: Option<&str>) -> String {
    events.map_or_else(|| "(everywhere)".to_owned(), |e| format!("on `{e}`"))
}

/// What is wrong with a [`Qualifier`] in the data file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QualifierProblem {
    /// The prefix is empty or ends with a dot.
    #[error("the prefix must be non-empty and written without the trailing dot")]
    BadPrefix,
    /// The event is not a concrete event id.
    #[error("event {event:?}: {problem}")]
    Event {
        /// The event as written.
        event: String,
        /// What is wrong.
        problem: PatternProblem,
    },
    /// The prefix is declared twice in the schema.
    #[error("declared twice")]
    Duplicate,
}

/// Candidates for one alias name: which canonical field, in which events.
#[derive(Debug)]
struct Candidate {
    field: usize,
    /// `None` for the context-free alias.
    event: Option<EventPattern>,
}

/// The field taxonomy: canonical fields, their aliases, qualifiers and namespaces.
#[derive(Debug)]
pub struct Fields {
    canon: Vec<CanonicalField>,
    index: HashMap<String, usize>,
    /// Aliases of each canonical field per schema, in file order.
    aliases: HashMap<(Schema, usize), Vec<Alias>>,
    /// Exact alias names (key folded per schema) to candidates, in file order.
    exact: HashMap<(Schema, String), Vec<Candidate>>,
    /// Prefix alias stems (key folded per schema) to candidates.
    prefixes: HashMap<(Schema, String), Vec<Candidate>>,
    qualifiers: Vec<Qualifier>,
    namespaces: Vec<Namespace>,
}

impl Fields {
    /// The embedded table, parsed on first use.
    pub fn global() -> &'static Fields {
        static FIELDS: OnceLock<Fields> = OnceLock::new();
        // The embedded file is validated by this crate's tests; failing here is a build defect.
        FIELDS.get_or_init(|| Fields::from_toml(DATA).expect("embedded data/fields.toml is valid"))
    }

    /// Load a table from TOML text in the format of `data/fields.toml`.
    pub fn from_toml(text: &str) -> Result<Fields, FieldsError> {
        let raw: RawFile = toml::from_str(text)?;
        let mut fields = Fields {
            canon: Vec::new(),
            index: HashMap::new(),
            aliases: HashMap::new(),
            exact: HashMap::new(),
            prefixes: HashMap::new(),
            qualifiers: Vec::new(),
            namespaces: Vec::new(),
        };
        for ns in raw.namespace {
            if ns.prefix.len() < 2 || !ns.prefix.ends_with('.') {
                return Err(FieldsError::Namespace { prefix: ns.prefix });
            }
            fields.namespaces.push(Namespace {
                prefix: ns.prefix,
                source: ns.source,
            });
        }
        for q in raw.qualifier {
            fields.add_qualifier(q)?;
        }
        let mut basenames = Vec::new();
        for f in raw.field {
            let aliases = schema_map(&f.name, f.aliases)?;
            let id = fields.add_field(CanonicalField {
                name: f.name,
                title: f.title,
                description: f.description,
                field_type: f.field_type,
                basename: f.basename,
            })?;
            basenames.push(id);
            for (schema, list) in aliases {
                for alias in list {
                    let (name, events) = match alias {
                        RawAlias::Name(name) => (name, Vec::new()),
                        RawAlias::WithEvents { name, events } => (name, events),
                    };
                    fields.add_alias(id, schema, name, &events)?;
                }
            }
        }
        for fam in raw.family {
            let aliases = schema_map(&fam.prefix, fam.aliases)?;
            for member in &fam.names {
                let id = fields.add_field(CanonicalField {
                    name: format!("{}{member}", fam.prefix),
                    title: fam.title.replace("{name}", member),
                    description: fam.description.clone(),
                    field_type: fam.field_type,
                    basename: None,
                })?;
                for (schema, events) in &aliases {
                    fields.add_alias(id, *schema, member.clone(), events)?;
                }
            }
        }
        for id in basenames {
            let f = &fields.canon[id];
            if let Some(b) = &f.basename {
                if !fields.index.contains_key(b) {
                    return Err(FieldsError::UnknownBasename {
                        field: f.name.clone(),
                        basename: b.clone(),
                    });
                }
            }
        }
        Ok(fields)
    }

    fn add_qualifier(&mut self, q: RawQualifier) -> Result<(), FieldsError> {
        let err = |prefix: &str, problem| FieldsError::Qualifier {
            schema: q.schema,
            prefix: prefix.to_owned(),
            problem,
        };
        check_event_text(&q.event, false).map_err(|problem| {
            err(
                q.prefixes.first().map_or("", String::as_str),
                QualifierProblem::Event {
                    event: q.event.clone(),
                    problem,
                },
            )
        })?;
        for prefix in q.prefixes {
            if prefix.is_empty() || prefix.ends_with('.') || prefix.chars().any(char::is_whitespace)
            {
                return Err(err(&prefix, QualifierProblem::BadPrefix));
            }
            let key = q.schema.key(&prefix);
            if self
                .qualifiers
                .iter()
                .any(|o| o.schema == q.schema && o.schema.key(&o.prefix) == key)
            {
                return Err(err(&prefix, QualifierProblem::Duplicate));
            }
            self.qualifiers.push(Qualifier {
                schema: q.schema,
                prefix,
                event: q.event.clone(),
            });
        }
        Ok(())
    }

    fn add_field(&mut self, field: CanonicalField) -> Result<usize, FieldsError> {
        if field.name.is_empty() || field.name.chars().any(char::is_whitespace) {
            return Err(FieldsError::BadName { name: field.name });
        }
        if self.index.contains_key(&field.name) {
            return Err(FieldsError::DuplicateField { name: field.name });
        }
        let id = self.canon.len();
        self.index.insert(field.name.clone(), id);
        self.canon.push(field);
        Ok(id)
    }

    fn add_alias(
        &mut self,
        id: usize,
        schema: Schema,
        name: String,
        events: &[String],
    ) -> Result<(), FieldsError> {
        let field_name = || self.canon[id].name.clone();
        let stem = name.strip_suffix(".*").unwrap_or(&name);
        if stem.is_empty() || stem.contains('*') || name.chars().any(char::is_whitespace) {
            return Err(FieldsError::BadAlias {
                field: field_name(),
                schema,
                alias: name,
            });
        }
        let mut patterns = Vec::with_capacity(events.len());
        for e in events {
            let p = EventPattern::new(e).map_err(|problem| FieldsError::Pattern {
                field: field_name(),
                schema,
                alias: name.clone(),
                pattern: e.clone(),
                problem,
            })?;
            patterns.push(p);
        }
        let key = (schema, schema.key(stem));
        let table = if name.ends_with(".*") {
            &mut self.prefixes
        } else {
            &mut self.exact
        };
        let cands = table.entry(key).or_default();
        let contexts: Vec<Option<EventPattern>> = if patterns.is_empty() {
            vec![None]
        } else {
            patterns.iter().cloned().map(Some).collect()
        };
        for event in contexts {
            if let Some(other) = cands.iter().find(|c| c.event == event) {
                return Err(FieldsError::DuplicateAlias {
                    schema,
                    alias: name,
                    events: event.map(|e| e.0),
                    first: self.canon[other.field].name.clone(),
                    second: self.canon[id].name.clone(),
                });
            }
            cands.push(Candidate { field: id, event });
        }
        self.aliases.entry((schema, id)).or_default().push(Alias {
            name,
            events: patterns,
        });
        Ok(())
    }

    /// The canonical name of `raw`, a field name written in `schema`, in a rule
    /// about `event` (a catalog event id, if known); `None` if the table does not
    /// know it. See the module docs for the rules.
    pub fn resolve(&self, schema: Schema, event: Option<&str>, raw: &str) -> Option<&str> {
        self.resolve_id(schema, event, raw)
            .map(|id| self.canon[id].name.as_str())
    }

    fn resolve_id(&self, schema: Schema, event: Option<&str>, raw: &str) -> Option<usize> {
        if schema == Schema::Ecs {
            // An alias for this very event (Sysmon's `file.path` in an image load) beats
            // the name's own meaning; otherwise an ECS name means itself.
            let in_event =
                event.and_then(|ev| pick_in_event(self.exact.get(&(schema, raw.to_owned()))?, ev));
            if let Some(id) = in_event.or_else(|| self.index.get(raw).copied()) {
                return Some(id);
            }
        }
        if let Some(id) = self.lookup(schema, event, raw) {
            return Some(id);
        }
        if let Some((q, rest)) = self.qualifier_of(schema, raw) {
            if let Some(id) = self.lookup(schema, Some(&q.event), rest) {
                return Some(id);
            }
        }
        if schema == Schema::Ecs {
            if let Some(parent) = MULTI_FIELDS.iter().find_map(|s| raw.strip_suffix(s)) {
                return self.resolve_id(schema, event, parent);
            }
        }
        self.index.get(raw).copied()
    }

    /// Exact aliases, then object prefixes from the longest.
    fn lookup(&self, schema: Schema, event: Option<&str>, raw: &str) -> Option<usize> {
        let key = schema.key(raw);
        if let Some(id) = self
            .exact
            .get(&(schema, key.clone()))
            .and_then(|c| pick(c, event))
        {
            return Some(id);
        }
        let mut stem = key.as_str();
        loop {
            if let Some(id) = self
                .prefixes
                .get(&(schema, stem.to_owned()))
                .and_then(|c| pick(c, event))
            {
                return Some(id);
            }
            stem = &stem[..stem.rfind('.')?];
        }
    }

    /// The longest qualifier `raw` starts with (followed by a dot), and the rest.
    fn qualifier_of<'r>(&self, schema: Schema, raw: &'r str) -> Option<(&Qualifier, &'r str)> {
        self.qualifiers
            .iter()
            .filter(|q| q.schema == schema)
            .filter_map(|q| {
                let head = raw.get(..q.prefix.len())?;
                let same = if schema.case_insensitive() {
                    head.eq_ignore_ascii_case(&q.prefix)
                } else {
                    head == q.prefix
                };
                let rest = raw[q.prefix.len()..].strip_prefix('.')?;
                (same && !rest.is_empty()).then_some((q, rest))
            })
            .max_by_key(|(q, _)| q.prefix.len())
    }

    /// Fill `field.canonical` by resolving `field.raw`; returns whether it resolved.
    /// An unresolved field gets `canonical: None`.
    pub fn resolve_field(&self, schema: Schema, event: Option<&str>, field: &mut Field) -> bool {
        field.canonical = self.resolve(schema, event, &field.raw).map(str::to_owned);
        field.canonical.is_some()
    }

    /// The canonical field of that name.
    pub fn canonical(&self, name: &str) -> Option<&CanonicalField> {
        self.index.get(name).map(|&id| &self.canon[id])
    }

    /// Every canonical field, in data-file order.
    pub fn iter(&self) -> impl Iterator<Item = &CanonicalField> {
        self.canon.iter()
    }

    /// The aliases of `canonical` in `schema`, preferred first; empty if none.
    pub fn aliases(&self, canonical: &str, schema: Schema) -> &[Alias] {
        self.index
            .get(canonical)
            .and_then(|&id| self.aliases.get(&(schema, id)))
            .map_or(&[], Vec::as_slice)
    }

    /// The name a converter should write for `canonical` in `schema` for a rule
    /// about `event`: the first listed alias that applies there (no events, or a
    /// pattern matching `event`; with no event, any) and resolves back to
    /// `canonical` — in [`Schema::Ecs`], the canonical name itself first.
    pub fn alias_for(&self, canonical: &str, schema: Schema, event: Option<&str>) -> Option<&str> {
        let &id = self.index.get(canonical)?;
        let applies = |a: &Alias| match event {
            Some(ev) => a.events.is_empty() || a.events.iter().any(|p| p.matches(ev)),
            None => true,
        };
        let own = (schema == Schema::Ecs).then_some(self.canon[id].name.as_str());
        let aliases = self
            .aliases
            .get(&(schema, id))
            .into_iter()
            .flatten()
            .filter(|a| applies(a))
            .map(Alias::stem);
        own.into_iter()
            .chain(aliases)
            .find(|name| self.resolve_id(schema, event, name) == Some(id))
    }

    /// The qualifiers of `schema`, in data-file order.
    pub fn qualifiers(&self, schema: Schema) -> impl Iterator<Item = &Qualifier> {
        self.qualifiers.iter().filter(move |q| q.schema == schema)
    }

    /// The declared non-ECS namespaces.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// The declared non-ECS namespace `name` lives in, if any.
    pub fn namespace_of(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .iter()
            .filter(|ns| name.starts_with(&ns.prefix))
            .max_by_key(|ns| ns.prefix.len())
    }
}

/// The candidate whose event pattern matches `event` most specifically; the first
/// listed on a tie.
fn pick_in_event(cands: &[Candidate], event: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for c in cands {
        if let Some(p) = &c.event {
            let s = p.specificity();
            if p.matches(event) && best.is_none_or(|(bs, _)| s > bs) {
                best = Some((s, c.field));
            }
        }
    }
    best.map(|(_, id)| id)
}

/// The best candidate for `event` (see the module docs).
fn pick(cands: &[Candidate], event: Option<&str>) -> Option<usize> {
    if let Some(id) = event.and_then(|ev| pick_in_event(cands, ev)) {
        return Some(id);
    }
    if let Some(c) = cands.iter().find(|c| c.event.is_none()) {
        return Some(c.field);
    }
    if event.is_none() {
        let first = cands.first()?.field;
        if cands.iter().all(|c| c.field == first) {
            return Some(first);
        }
    }
    None
}

/// Split the flattened per-schema keys of a field or family, rejecting unknown keys.
fn schema_map<T>(
    owner: &str,
    map: BTreeMap<String, Vec<T>>,
) -> Result<Vec<(Schema, Vec<T>)>, FieldsError> {
    let mut out: Vec<(Schema, Vec<T>)> = Vec::with_capacity(map.len());
    for (key, list) in map {
        let schema = Schema::ALL
            .into_iter()
            .find(|s| s.as_str() == key)
            .ok_or_else(|| FieldsError::UnknownKey {
                owner: owner.to_owned(),
                key: key.clone(),
            })?;
        out.push((schema, list));
    }
    out.sort_by_key(|(s, _)| *s);
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    namespace: Vec<RawNamespace>,
    #[serde(default)]
    qualifier: Vec<RawQualifier>,
    #[serde(default)]
    field: Vec<RawField>,
    #[serde(default)]
    family: Vec<RawFamily>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNamespace {
    prefix: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQualifier {
    schema: Schema,
    prefixes: Vec<String>,
    event: String,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    basename: Option<String>,
    /// Every other key must be a schema name (checked by [`schema_map`]).
    #[serde(flatten)]
    aliases: BTreeMap<String, Vec<RawAlias>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawAlias {
    Name(String),
    WithEvents { name: String, events: Vec<String> },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    prefix: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    title: String,
    #[serde(default)]
    description: Option<String>,
    names: Vec<String>,
    /// Schema name → event patterns where a member's bare name is its alias.
    aliases: BTreeMap<String, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Fields, FieldsError> {
        Fields::from_toml(text)
    }

    const MINI: &str = r#"
[[namespace]]
prefix = "winlog."
source = "Winlogbeat"

[[qualifier]]
schema = "splunk_cim"
prefixes = ["Processes", "Endpoint.Processes"]
event = "any/process_creation"

[[field]]
name = "process.executable"
type = "keyword"
title = "Process executable path"
basename = "process.name"
sigma = [{ name = "ProcessName", events = ["windows/security"] }, "Image"]
splunk_cim = ["process_path"]

[[field]]
name = "process.name"
type = "keyword"
title = "Process name"
splunk_cim = ["process_name"]
defender_xdr = [{ name = "FileName", events = ["*/process_creation"] }]

[[field]]
name = "file.name"
type = "keyword"
title = "File name"
defender_xdr = [{ name = "FileName", events = ["*/file_*"] }]

[[field]]
name = "host.name"
type = "keyword"
title = "Host name"
splunk_cim = ["dest"]

[[field]]
name = "destination.address"
type = "keyword"
title = "Destination address"
splunk_cim = [{ name = "dest", events = ["*/network_connection", "network/*"] }]

[[field]]
name = "file.path"
type = "keyword"
title = "File path"

[[field]]
name = "dll.path"
type = "keyword"
title = "Loaded module path"
ecs = [{ name = "file.path", events = ["*/image_load"] }]

[[field]]
name = "aws.cloudtrail.request_parameters"
type = "keyword"
title = "Request parameters"
sigma = [{ name = "requestParameters.*", events = ["aws/*"] }]

[[family]]
prefix = "winlog.event_data."
type = "keyword"
title = "Windows event data {name}"
names = ["GrantedAccess"]
aliases = { sigma = ["windows/*"] }
"#;

    fn mini() -> Fields {
        load(MINI).unwrap()
    }

    #[test]
    fn schema_names_round_trip() {
        for s in Schema::ALL {
            assert_eq!(s.as_str().parse::<Schema>(), Ok(s));
        }
        assert_eq!("SPLUNK_CIM".parse::<Schema>(), Ok(Schema::SplunkCim));
        assert!("splunk".parse::<Schema>().is_err());
    }

    #[test]
    fn context_free_alias_applies_everywhere() {
        let f = mini();
        assert_eq!(
            f.resolve(Schema::Sigma, Some("windows/image_load"), "Image"),
            Some("process.executable")
        );
        assert_eq!(
            f.resolve(Schema::Sigma, None, "Image"),
            Some("process.executable")
        );
    }

    #[test]
    fn contexted_alias_applies_only_in_its_events() {
        let f = mini();
        assert_eq!(
            f.resolve(Schema::Sigma, Some("windows/security"), "ProcessName"),
            Some("process.executable")
        );
        assert_eq!(
            f.resolve(Schema::Sigma, Some("windows/security/4688"), "ProcessName"),
            Some("process.executable")
        );
        assert_eq!(
            f.resolve(Schema::Sigma, Some("linux/auditd"), "ProcessName"),
            None
        );
        // No event at all: the one canonical field the name can mean.
        assert_eq!(
            f.resolve(Schema::Sigma, None, "ProcessName"),
            Some("process.executable")
        );
    }

    #[test]
    fn event_picks_between_meanings() {
        let f = mini();
        let x = Schema::DefenderXdr;
        assert_eq!(
            f.resolve(x, Some("windows/process_creation"), "FileName"),
            Some("process.name")
        );
        assert_eq!(
            f.resolve(x, Some("windows/file_event"), "FileName"),
            Some("file.name")
        );
        // Ambiguous without an event: stays raw.
        assert_eq!(f.resolve(x, None, "FileName"), None);
    }

    #[test]
    fn contexted_alias_beats_context_free_one() {
        let f = mini();
        let s = Schema::SplunkCim;
        assert_eq!(
            f.resolve(s, Some("windows/network_connection"), "dest"),
            Some("destination.address")
        );
        assert_eq!(
            f.resolve(s, Some("windows/process_creation"), "dest"),
            Some("host.name")
        );
        assert_eq!(f.resolve(s, None, "dest"), Some("host.name"));
    }

    #[test]
    fn case_is_folded_only_where_the_schema_ignores_it() {
        let f = mini();
        assert_eq!(
            f.resolve(Schema::Sigma, None, "image"),
            Some("process.executable")
        );
        assert_eq!(f.resolve(Schema::Ecs, None, "Process.Executable"), None);
        assert_eq!(
            f.resolve(Schema::Ecs, None, "process.executable"),
            Some("process.executable")
        );
    }

    #[test]
    fn qualifier_sets_the_event() {
        let f = mini();
        let s = Schema::SplunkCim;
        assert_eq!(
            f.resolve(s, None, "Processes.process_name"),
            Some("process.name")
        );
        assert_eq!(
            f.resolve(s, None, "Endpoint.Processes.process_path"),
            Some("process.executable")
        );
        // The data model says "endpoint", whatever the caller thought.
        assert_eq!(
            f.resolve(s, Some("network/firewall"), "Processes.dest"),
            Some("host.name")
        );
        assert_eq!(
            f.resolve(s, None, "processes.PROCESS_NAME"),
            Some("process.name")
        );
        assert_eq!(f.resolve(s, None, "Processes."), None);
    }

    #[test]
    fn object_prefix_matches_sub_paths() {
        let f = mini();
        let aws = Some("aws/cloudtrail");
        let want = Some("aws.cloudtrail.request_parameters");
        assert_eq!(f.resolve(Schema::Sigma, aws, "requestParameters"), want);
        assert_eq!(
            f.resolve(Schema::Sigma, aws, "requestParameters.enable"),
            want
        );
        assert_eq!(f.resolve(Schema::Sigma, aws, "requestParametersX"), None);
    }

    #[test]
    fn ecs_alias_for_the_event_beats_the_name_itself() {
        let f = mini();
        assert_eq!(
            f.resolve(Schema::Ecs, Some("windows/image_load"), "file.path"),
            Some("dll.path")
        );
        assert_eq!(
            f.resolve(Schema::Ecs, Some("windows/file_event"), "file.path"),
            Some("file.path")
        );
        assert_eq!(f.resolve(Schema::Ecs, None, "file.path"), Some("file.path"));
    }

    #[test]
    fn ecs_multi_fields_resolve_to_their_parent() {
        let f = mini();
        assert_eq!(
            f.resolve(Schema::Ecs, None, "process.name.caseless"),
            Some("process.name")
        );
        assert_eq!(
            f.resolve(Schema::Ecs, None, "process.name.text"),
            Some("process.name")
        );
    }

    #[test]
    fn a_canonical_name_resolves_in_every_schema() {
        let f = mini();
        assert_eq!(
            f.resolve(Schema::Sigma, Some("generic/netflow"), "host.name"),
            Some("host.name")
        );
        assert_eq!(f.resolve(Schema::Sigma, None, "no.such.field"), None);
    }

    #[test]
    fn families_expand_to_fields_and_aliases() {
        let f = mini();
        let c = f.canonical("winlog.event_data.GrantedAccess").unwrap();
        assert_eq!(c.title(), "Windows event data GrantedAccess");
        assert_eq!(
            f.resolve(
                Schema::Sigma,
                Some("windows/process_access"),
                "GrantedAccess"
            ),
            Some("winlog.event_data.GrantedAccess")
        );
        assert_eq!(
            f.namespace_of(c.name()).map(Namespace::source),
            Some("Winlogbeat")
        );
    }

    #[test]
    fn resolve_field_fills_canonical() {
        let f = mini();
        let mut field = Field::raw("Image");
        assert!(f.resolve_field(Schema::Sigma, None, &mut field));
        assert_eq!(field.canonical.as_deref(), Some("process.executable"));
        let mut field = Field::raw("Nope");
        assert!(!f.resolve_field(Schema::Sigma, None, &mut field));
        assert_eq!(field.canonical, None);
    }

    #[test]
    fn alias_for_goes_back_per_event() {
        let f = mini();
        let x = Schema::DefenderXdr;
        assert_eq!(
            f.alias_for("process.name", x, Some("windows/process_creation")),
            Some("FileName")
        );
        assert_eq!(
            f.alias_for("file.name", x, Some("linux/file_event")),
            Some("FileName")
        );
        // FileName means process.name here, so it is no way to write file.name.
        assert_eq!(
            f.alias_for("file.name", x, Some("windows/process_creation")),
            None
        );
        assert_eq!(
            f.alias_for(
                "process.executable",
                Schema::Sigma,
                Some("windows/security")
            ),
            Some("ProcessName")
        );
        assert_eq!(
            f.alias_for("process.executable", Schema::Sigma, Some("linux/auditd")),
            Some("Image")
        );
        assert_eq!(
            f.alias_for("process.executable", Schema::Ecs, None),
            Some("process.executable")
        );
        // Elastic's Sysmon data holds a loaded module in file.path: that is how to write it there,
        // and file.path itself cannot be written in an image load.
        assert_eq!(
            f.alias_for("dll.path", Schema::Ecs, Some("windows/image_load")),
            Some("dll.path")
        );
        assert_eq!(
            f.alias_for("file.path", Schema::Ecs, Some("windows/image_load")),
            None
        );
        assert_eq!(
            f.alias_for(
                "aws.cloudtrail.request_parameters",
                Schema::Sigma,
                Some("aws/cloudtrail")
            ),
            Some("requestParameters")
        );
    }

    #[test]
    fn pattern_syntax() {
        for good in [
            "windows/process_creation",
            "*/process_creation",
            "windows/registry_*",
            "aws/*",
            "*",
            "windows/security/4625",
            "windows/codeintegrity_operational",
        ] {
            assert!(EventPattern::new(good).is_ok(), "{good}");
        }
        assert_eq!(EventPattern::new(""), Err(PatternProblem::Empty));
        assert_eq!(
            EventPattern::new("Windows/x"),
            Err(PatternProblem::Char('W'))
        );
        assert_eq!(
            EventPattern::new("windows/firewall-as"),
            Err(PatternProblem::Char('-'))
        );
        assert_eq!(
            EventPattern::new("windows//x"),
            Err(PatternProblem::EmptySegment)
        );
        assert_eq!(
            EventPattern::new("windows/"),
            Err(PatternProblem::EmptySegment)
        );
    }

    #[test]
    fn pattern_matching() {
        let p = |s: &str| EventPattern::new(s).unwrap();
        assert!(p("*/process_creation").matches("windows/process_creation"));
        assert!(p("*/process_creation").matches("any/process_creation"));
        assert!(!p("windows/*").matches("any/process_creation"));
        assert!(p("windows/registry_*").matches("windows/registry_set"));
        assert!(!p("windows/registry_*").matches("windows/file_event"));
        assert!(p("windows/security").matches("windows/security/4625"));
        assert!(!p("windows/security").matches("windows/security_x"));
        assert!(p("*/file_*").matches("Windows/File_Event"));
        assert!(p("a*b*c").matches("axxbyyc"));
        assert!(!p("a*b*c").matches("axxbyy"));
        assert!(p("windows/registry_set").specificity() > p("*/registry_*").specificity());
        assert!(p("*/registry_*").specificity() > p("windows/*").specificity());
    }

    // --- Invariants of the alias table: the loader rejects each violation. ---

    #[test]
    fn invariant_one_canonical_per_alias_and_context() {
        let text = r#"
[[field]]
name = "a.b"
type = "keyword"
title = "A"
sigma = [{ name = "X", events = ["windows/*"] }]
[[field]]
name = "c.d"
type = "keyword"
title = "C"
sigma = [{ name = "x", events = ["linux/*", "windows/*"] }]
"#;
        match load(text) {
            Err(FieldsError::DuplicateAlias {
                schema,
                alias,
                events,
                first,
                second,
            }) => {
                assert_eq!(
                    (schema, alias.as_str(), events.as_deref()),
                    (Schema::Sigma, "x", Some("windows/*"))
                );
                assert_eq!((first.as_str(), second.as_str()), ("a.b", "c.d"));
            }
            other => panic!("expected a duplicate alias, got {other:?}"),
        }
        // The same spelling in an exact-case schema is two different names.
        let ok = text.replace("sigma", "panther");
        assert!(load(&ok).is_ok());
    }

    #[test]
    fn invariant_context_free_alias_is_unique() {
        let text = r#"
[[field]]
name = "a.b"
type = "keyword"
title = "A"
asim = ["X"]
[[field]]
name = "c.d"
type = "keyword"
title = "C"
asim = ["X"]
"#;
        assert!(matches!(
            load(text),
            Err(FieldsError::DuplicateAlias { events: None, .. })
        ));
    }

    #[test]
    fn invariant_patterns_are_well_formed() {
        let text = r#"
[[field]]
name = "a.b"
type = "keyword"
title = "A"
sigma = [{ name = "X", events = ["Windows/*"] }]
"#;
        assert!(matches!(
            load(text),
            Err(FieldsError::Pattern {
                problem: PatternProblem::Char('W'),
                ..
            })
        ));
        let text = r#"
[[qualifier]]
schema = "defender_xdr"
prefixes = ["DeviceProcessEvents"]
event = "any/*"
"#;
        assert!(matches!(
            load(text),
            Err(FieldsError::Qualifier {
                problem: QualifierProblem::Event { .. },
                ..
            })
        ));
    }

    #[test]
    fn invariant_schema_names_are_known() {
        let text = r#"
[[field]]
name = "a.b"
type = "keyword"
title = "A"
splunk = ["X"]
"#;
        match load(text) {
            Err(FieldsError::UnknownKey { owner, key }) => {
                assert_eq!((owner.as_str(), key.as_str()), ("a.b", "splunk"));
            }
            other => panic!("expected an unknown key, got {other:?}"),
        }
        let text = r#"
[[qualifier]]
schema = "splunk"
prefixes = ["Processes"]
event = "any/process_creation"
"#;
        assert!(matches!(load(text), Err(FieldsError::Toml(_))));
    }

    #[test]
    fn invariant_fields_and_basenames_are_defined_once() {
        let twice = "[[field]]\nname = \"a.b\"\ntype = \"keyword\"\ntitle = \"A\"\n";
        assert!(matches!(
            load(&twice.repeat(2)),
            Err(FieldsError::DuplicateField { .. })
        ));
        let dangling =
            "[[field]]\nname = \"a.b\"\ntype = \"keyword\"\ntitle = \"A\"\nbasename = \"a.c\"\n";
        assert!(matches!(
            load(dangling),
            Err(FieldsError::UnknownBasename { .. })
        ));
    }

    #[test]
    fn embedded_table_loads() {
        let f = Fields::global();
        assert!(f.iter().count() > 100);
    }
}
