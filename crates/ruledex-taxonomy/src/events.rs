//! Catalog events: the kinds of data detection rules read, named once across vendors.
//!
//! # Why
//!
//! Every dialect says where a rule's events come from in its own terms: a Sigma
//! logsource (`product: windows, category: process_creation`), Elastic index
//! patterns plus `event.category`, a Splunk `data_source` (`Sysmon EventID 1`), a
//! Sentinel table (`DeviceProcessEvents`) or ASIM parser (`imProcessCreate`), a
//! Panther LogType (`AWS.CloudTrail`). To answer "which events does everyone use
//! for T1046" those must meet under one name: the *catalog event*
//! (`windows/process_creation`). This module owns those names, what each means,
//! which sources produce it, and the functions that map a rule's source to them.
//!
//! # The data
//!
//! The catalog is the data file `data/events.toml`, embedded in the binary and
//! parsed once ([`CatalogEvents::global`]); its header documents the format. Ids
//! are `<platform>/<sigma category>` for endpoint telemetry, `<product>/<service>`
//! for a service's log, and `<product>/<service>/<event id>` for one event of a
//! Windows channel (`windows/security/4625`, title "Failed logon (4625)").
//!
//! # Event ids are producers, not field values
//!
//! Sysmon event 1 and Security event 4688 are two *producers* of one event,
//! `windows/process_creation`; a rule pinning `EventID: 4688` reads process
//! creation, and the id says nothing more about what the rule detects. Channels
//! (`[[channel]]` in the data: Security, Sysmon, System, PowerShell, Defender, …)
//! list which ids produce which event:
//!
//! - an id with an event of its own generates `<channel event>/<id>`, whose
//!   *parent* is the channel event: a rule on Security 4625 gets
//!   `windows/security/4625` **and** `windows/security`;
//! - an id that is another producer of a shared event maps to that event only
//!   (4688 → `windows/process_creation`, 4697 and System 7045 →
//!   `windows/service_install`, Sysmon 12 → `windows/registry_add` and
//!   `windows/registry_delete`);
//! - no pinned id, or an id the channel does not list, gives the channel event.
//!
//! There is no shared `windows/logon`: 4624 (success) and 4625 (failure) are
//! different events with different fields; a source that carries both (Defender
//! `DeviceLogonEvents`) produces both.
//!
//! # Platforms
//!
//! Endpoint events exist per platform (`windows/…`, `linux/…`, `macos/…`). For
//! Elastic the platform comes from `host.os.type`-like hints or tags, else from
//! platform-specific indices; when nothing tells, every platform's event is
//! returned. Sentinel's Defender XDR tables and ASIM parsers, Splunk's CrowdStrike
//! data source and Panther's CrowdStrike log types map to the Windows event, which
//! is how the corpora use them; [`CatalogEvents::on_platform`] moves an event to
//! another platform when a caller knows better.
//!
//! # Example
//!
//! ```
//! use ruledex_model::LogSource;
//! use ruledex_taxonomy::events::CatalogEvents;
//!
//! let events = CatalogEvents::global();
//! let security = LogSource {
//!     product: Some("windows".into()),
//!     service: Some("security".into()),
//!     ..LogSource::default()
//! };
//! assert_eq!(events.for_sigma(&security, &[4688]), ["windows/process_creation"]);
//! assert_eq!(events.for_sigma(&security, &[4625]), ["windows/security", "windows/security/4625"]);
//! assert_eq!(events.for_splunk("Sysmon EventID 1"), ["windows/process_creation"]);
//! assert_eq!(events.get("windows/security/4625").unwrap().title, "Failed logon (4625)");
//! ```

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use ruledex_model::LogSource;
use serde::{Deserialize, Serialize};

/// The embedded catalog.
const EVENTS_TOML: &str = include_str!("../data/events.toml");

/// Operating-system platforms: endpoint events exist once per platform.
const OS_PLATFORMS: [&str; 3] = ["windows", "linux", "macos"];

/// Why a catalog file was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventsError {
    /// The file is not valid TOML or does not have the documented shape.
    #[error("events data: {0}")]
    Toml(#[from] Box<toml::de::Error>),
    /// An event id is not lowercase `a/b` or `a/b/c`.
    #[error("malformed event id `{id}`: expected 2 or 3 `/`-separated segments of [a-z0-9_]")]
    MalformedId {
        /// The id as written (or as generated from a channel).
        id: String,
    },
    /// Two events have the same id.
    #[error("event `{id}` is defined twice")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// An event or channel refers to an event that does not exist.
    #[error("`{from}` refers to unknown event `{to}`")]
    UnknownEvent {
        /// Who refers (an event id or a channel name).
        from: String,
        /// The missing event id.
        to: String,
    },
    /// A channel lists an event id twice (legacy ids included).
    #[error("channel `{channel}` lists event id {event_id} twice")]
    DuplicateChannelId {
        /// The channel's name.
        channel: String,
        /// The repeated id.
        event_id: i64,
    },
    /// A channel id has both or neither of `title` and `events`.
    #[error("channel `{channel}`, id {event_id}: give exactly one of `title` and `events`")]
    InvalidChannelId {
        /// The channel's name.
        channel: String,
        /// The id.
        event_id: i64,
    },
}

/// One kind of data that rules read, with the sources that produce it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogEvent {
    /// Catalog id, e.g. `windows/process_creation`, `windows/security/4625`.
    pub id: String,
    /// Display title, e.g. `Process creation`, `Failed logon (4625)`.
    pub title: String,
    /// What the data is.
    pub description: String,
    /// `windows`, `linux`, `macos`, a cloud or SaaS product (`aws`, `okta`), or a
    /// domain (`network`, `web`, `application`, `multi`).
    pub platform: String,
    /// A broader event this one implies (returned with it by every mapping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Sigma logsources that produce it.
    pub sigma: Vec<SigmaProducer>,
    /// Elastic indices, datasets and query hints that select it.
    pub elastic: ElasticProducer,
    /// Splunk `data_source` names that produce it.
    pub splunk: Vec<String>,
    /// Splunk `data_source` name prefixes that produce it (`AWS CloudTrail `).
    pub splunk_prefixes: Vec<String>,
    /// Sentinel and Defender XDR tables that produce it.
    pub sentinel: Vec<SentinelProducer>,
    /// ASIM schemas that produce it (`ProcessCreate`: parsers `imProcessCreate`,
    /// `_Im_ProcessCreate`, `ASimProcessCreate…`).
    pub asim: Vec<String>,
    /// Panther LogTypes that produce it.
    pub panther: Vec<String>,
}

/// A Sigma logsource that produces an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaProducer {
    /// `product`; `None` means the logsource must have none, `*` means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// `category`; `None` means the logsource must have none, `*` means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `service`; `None` means the logsource must have none, `*` means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The `EventID` values the rule pins (empty: none needed).
    #[serde(default, skip_deserializing, skip_serializing_if = "Vec::is_empty")]
    pub event_ids: Vec<i64>,
}

/// How Elastic rules select an event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElasticProducer {
    /// Index prefixes that hold only this kind of event (`logs-aws.cloudtrail`).
    pub indices: Vec<String>,
    /// Index prefixes that hold it among others; used when nothing else matched.
    pub broad_indices: Vec<String>,
    /// `event.dataset` values that hold only this kind of event.
    pub datasets: Vec<String>,
    /// `event.dataset` values that hold it among others.
    pub broad_datasets: Vec<String>,
    /// `event.category` values (endpoint events).
    pub categories: Vec<String>,
    /// `event.type` values that select this event rather than its category's
    /// default (`end` for process termination); empty for the default.
    pub types: Vec<String>,
    /// `event.action` values.
    pub actions: Vec<String>,
    /// Fields whose presence in a query selects this event.
    pub fields: Vec<String>,
    /// `event.category` values that an action or field match of this event stands
    /// for: a `network` rule testing `dns.question.name` reads DNS queries, not
    /// connections.
    pub settles: Vec<String>,
    /// `event.code` / `winlog.event_id` values (from the channels).
    #[serde(skip_deserializing)]
    pub codes: Vec<i64>,
}

/// A Sentinel table (or Defender XDR table) that produces an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentinelProducer {
    /// Table name, e.g. `SecurityEvent`, `DeviceProcessEvents`.
    pub table: String,
    /// The `EventID` values that select the event in that table (empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_ids: Vec<i64>,
}

/// The catalog: every event and the indexes that map vendor sources onto them.
#[derive(Debug)]
pub struct CatalogEvents {
    events: Vec<CatalogEvent>,
    by_id: HashMap<String, usize>,
    parent: Vec<Option<usize>>,
    channels: Vec<Channel>,
    sigma: Vec<(LogSourcePattern, usize)>,
    splunk_exact: HashMap<String, Vec<usize>>,
    splunk_prefixes: Vec<(String, usize)>,
    sentinel_tables: HashMap<String, Vec<usize>>,
    asim: Vec<(String, usize)>,
    panther: HashMap<String, Vec<usize>>,
    /// `(normalized index prefix, event, broad)`.
    elastic_indices: Vec<(String, usize, bool)>,
    /// `dataset → (event, broad)`.
    elastic_datasets: HashMap<String, Vec<(usize, bool)>>,
    /// `(normalized index prefix, platform)`: indices that tell the platform only.
    elastic_platform_indices: Vec<(String, String)>,
}

/// A log keyed by event id (Windows channel, Sysmon): which ids produce which events.
#[derive(Debug)]
struct Channel {
    event: usize,
    sigma: Option<LogSourcePattern>,
    splunk_prefixes: Vec<String>,
    sentinel: Vec<String>,
    elastic_indices: Vec<String>,
    elastic_datasets: Vec<String>,
    winlog_name: Option<String>,
    ids: HashMap<i64, Vec<usize>>,
}

/// A normalized Sigma producer: lowercase values, `*` for any.
#[derive(Debug)]
struct LogSourcePattern {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

impl LogSourcePattern {
    fn new(
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> LogSourcePattern {
        LogSourcePattern {
            product: product.map(normalize),
            category: category.map(normalize),
            service: service.map(normalize),
        }
    }

    /// How many keys this pattern names, if it matches the logsource.
    fn score(
        &self,
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> Option<usize> {
        let mut score = 0;
        for (want, have) in [
            (&self.product, product),
            (&self.category, category),
            (&self.service, service),
        ] {
            match want.as_deref() {
                Some("*") => {}
                Some(want) if Some(want) == have => score += 1,
                None if have.is_none() => {}
                _ => return None,
            }
        }
        Some(score)
    }
}

// ---------------------------------------------------------------------------------
// The data file's shape.
// ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    event: Vec<RawEvent>,
    #[serde(default)]
    channel: Vec<RawChannel>,
    #[serde(default)]
    elastic: RawElasticConfig,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElasticConfig {
    #[serde(default)]
    platform_indices: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    id: String,
    title: String,
    platform: String,
    description: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    sigma: Vec<SigmaProducer>,
    #[serde(default)]
    elastic: ElasticProducer,
    #[serde(default)]
    splunk: Vec<String>,
    #[serde(default)]
    splunk_prefixes: Vec<String>,
    #[serde(default)]
    sentinel: Vec<String>,
    #[serde(default)]
    asim: Vec<String>,
    #[serde(default)]
    panther: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: String,
    event: String,
    #[serde(default)]
    sigma: Option<SigmaProducer>,
    #[serde(default)]
    splunk_prefixes: Vec<String>,
    #[serde(default)]
    sentinel: Vec<String>,
    #[serde(default)]
    elastic_indices: Vec<String>,
    #[serde(default)]
    elastic_datasets: Vec<String>,
    #[serde(default)]
    winlog_channel: Option<String>,
    #[serde(default)]
    ids: Vec<RawChannelId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannelId {
    id: i64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    legacy: Vec<i64>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    sentinel: Vec<String>,
}

// ---------------------------------------------------------------------------------
// Loading.
// ---------------------------------------------------------------------------------

impl CatalogEvents {
    /// The catalog embedded in this crate, parsed on first use.
    ///
    /// # Panics
    ///
    /// If the embedded `data/events.toml` is invalid, which the crate's tests rule out.
    pub fn global() -> &'static CatalogEvents {
        static GLOBAL: OnceLock<CatalogEvents> = OnceLock::new();
        GLOBAL.get_or_init(|| match CatalogEvents::from_toml(EVENTS_TOML) {
            Ok(events) => events,
            Err(err) => panic!("embedded data/events.toml is invalid: {err}"),
        })
    }

    /// Parses and checks a catalog in the format of `data/events.toml`.
    pub fn from_toml(text: &str) -> Result<CatalogEvents, EventsError> {
        let raw: RawFile = toml::from_str(text).map_err(Box::new)?;
        let mut catalog = CatalogEvents {
            events: Vec::new(),
            by_id: HashMap::new(),
            parent: Vec::new(),
            channels: Vec::new(),
            sigma: Vec::new(),
            splunk_exact: HashMap::new(),
            splunk_prefixes: Vec::new(),
            sentinel_tables: HashMap::new(),
            asim: Vec::new(),
            panther: HashMap::new(),
            elastic_indices: Vec::new(),
            elastic_datasets: HashMap::new(),
            elastic_platform_indices: Vec::new(),
        };
        for (platform, prefixes) in raw.elastic.platform_indices {
            let platform = normalize(&platform);
            for prefix in prefixes {
                catalog
                    .elastic_platform_indices
                    .push((normalize_index(&prefix), platform.clone()));
            }
        }
        for event in raw.event {
            catalog.add_event(CatalogEvent {
                id: event.id,
                title: event.title,
                description: event.description,
                platform: event.platform,
                parent: event.parent,
                sigma: event.sigma,
                elastic: event.elastic,
                splunk: event.splunk,
                splunk_prefixes: event.splunk_prefixes,
                sentinel: event
                    .sentinel
                    .into_iter()
                    .map(|table| SentinelProducer {
                        table,
                        event_ids: Vec::new(),
                    })
                    .collect(),
                asim: event.asim,
                panther: event.panther,
            })?;
        }
        for channel in raw.channel {
            catalog.add_channel(channel)?;
        }
        catalog.parent = catalog
            .events
            .iter()
            .map(|event| {
                event
                    .parent
                    .as_deref()
                    .map(|parent| catalog.index_of(&event.id, parent))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        catalog.build_indexes();
        Ok(catalog)
    }

    fn index_of(&self, from: &str, to: &str) -> Result<usize, EventsError> {
        self.by_id
            .get(to)
            .copied()
            .ok_or_else(|| EventsError::UnknownEvent {
                from: from.to_owned(),
                to: to.to_owned(),
            })
    }

    fn add_event(&mut self, event: CatalogEvent) -> Result<usize, EventsError> {
        if !is_well_formed_id(&event.id) {
            return Err(EventsError::MalformedId { id: event.id });
        }
        if self.by_id.contains_key(&event.id) {
            return Err(EventsError::DuplicateId { id: event.id });
        }
        let index = self.events.len();
        self.by_id.insert(event.id.clone(), index);
        self.events.push(event);
        Ok(index)
    }

    /// Adds a channel: its generated events, and its producers on every event it feeds.
    fn add_channel(&mut self, raw: RawChannel) -> Result<(), EventsError> {
        let base = self.index_of(&raw.name, &raw.event)?;
        let base_id = raw.event.clone();
        let platform = self.events[base].platform.clone();

        // The channel event itself: produced by the channel with no id pinned.
        {
            let event = &mut self.events[base];
            if let Some(sigma) = &raw.sigma {
                event.sigma.push(sigma.clone());
            }
            event.splunk.extend(raw.splunk_prefixes.iter().cloned());
            event
                .sentinel
                .extend(raw.sentinel.iter().map(|table| SentinelProducer {
                    table: table.clone(),
                    event_ids: Vec::new(),
                }));
            event
                .elastic
                .broad_indices
                .extend(raw.elastic_indices.iter().cloned());
            event
                .elastic
                .broad_datasets
                .extend(raw.elastic_datasets.iter().cloned());
        }

        let mut ids: HashMap<i64, Vec<usize>> = HashMap::new();
        for entry in raw.ids {
            let targets = match (&entry.title, entry.events.is_empty()) {
                (Some(title), true) => {
                    let id = format!("{base_id}/{}", entry.id);
                    let index = self.add_event(CatalogEvent {
                        id,
                        title: format!("{title} ({})", entry.id),
                        description: format!("{} log, event {}: {title}.", raw.name, entry.id),
                        platform: platform.clone(),
                        parent: Some(base_id.clone()),
                        sigma: Vec::new(),
                        elastic: ElasticProducer::default(),
                        splunk: Vec::new(),
                        splunk_prefixes: Vec::new(),
                        sentinel: Vec::new(),
                        asim: Vec::new(),
                        panther: Vec::new(),
                    })?;
                    vec![index]
                }
                (None, false) => entry
                    .events
                    .iter()
                    .map(|to| self.index_of(&raw.name, to))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(EventsError::InvalidChannelId {
                        channel: raw.name,
                        event_id: entry.id,
                    });
                }
            };
            let all_ids: Vec<i64> = std::iter::once(entry.id)
                .chain(entry.legacy.iter().copied())
                .collect();
            for &event_id in &all_ids {
                if ids.insert(event_id, targets.clone()).is_some() {
                    return Err(EventsError::DuplicateChannelId {
                        channel: raw.name,
                        event_id,
                    });
                }
            }
            for &target in &targets {
                let event = &mut self.events[target];
                if let Some(sigma) = &raw.sigma {
                    event.sigma.push(SigmaProducer {
                        event_ids: all_ids.clone(),
                        ..sigma.clone()
                    });
                }
                event.splunk.extend(
                    raw.splunk_prefixes
                        .iter()
                        .map(|prefix| format!("{prefix} {}", entry.id)),
                );
                event
                    .sentinel
                    .extend(raw.sentinel.iter().map(|table| SentinelProducer {
                        table: table.clone(),
                        event_ids: all_ids.clone(),
                    }));
                event
                    .sentinel
                    .extend(entry.sentinel.iter().map(|table| SentinelProducer {
                        table: table.clone(),
                        event_ids: Vec::new(),
                    }));
                event.elastic.codes.push(entry.id);
                event.elastic.actions.extend(entry.actions.iter().cloned());
            }
        }

        self.channels.push(Channel {
            event: base,
            sigma: raw.sigma.as_ref().map(|s| {
                LogSourcePattern::new(
                    s.product.as_deref(),
                    s.category.as_deref(),
                    s.service.as_deref(),
                )
            }),
            splunk_prefixes: raw.splunk_prefixes.iter().map(|p| normalize(p)).collect(),
            sentinel: raw.sentinel.iter().map(|t| normalize(t)).collect(),
            elastic_indices: raw
                .elastic_indices
                .iter()
                .map(|i| normalize_index(i))
                .collect(),
            elastic_datasets: raw.elastic_datasets.iter().map(|d| normalize(d)).collect(),
            winlog_name: raw.winlog_channel.as_deref().map(normalize),
            ids,
        });
        Ok(())
    }

    /// Builds the lookup tables from the events' producers. Producers that come from
    /// channels are resolved through the channels instead and are skipped here.
    fn build_indexes(&mut self) {
        for (index, event) in self.events.iter().enumerate() {
            for sigma in event.sigma.iter().filter(|s| s.event_ids.is_empty()) {
                let pattern = LogSourcePattern::new(
                    sigma.product.as_deref(),
                    sigma.category.as_deref(),
                    sigma.service.as_deref(),
                );
                let from_channel = self.channels.iter().any(|c| {
                    c.event == index
                        && c.sigma.as_ref().is_some_and(|p| {
                            p.product == pattern.product
                                && p.category == pattern.category
                                && p.service == pattern.service
                        })
                });
                if !from_channel {
                    self.sigma.push((pattern, index));
                }
            }
            for name in &event.splunk {
                let name = normalize(name);
                if self.splunk_channel(&name).is_none() {
                    push_unique(self.splunk_exact.entry(name).or_default(), index);
                }
            }
            for prefix in &event.splunk_prefixes {
                self.splunk_prefixes.push((normalize(prefix), index));
            }
            for producer in event.sentinel.iter().filter(|p| p.event_ids.is_empty()) {
                let table = normalize(&producer.table);
                if !self.channels.iter().any(|c| c.sentinel.contains(&table)) {
                    push_unique(self.sentinel_tables.entry(table).or_default(), index);
                }
            }
            for schema in &event.asim {
                self.asim.push((normalize(schema), index));
            }
            for log_type in &event.panther {
                push_unique(self.panther.entry(normalize(log_type)).or_default(), index);
            }
            let elastic = &event.elastic;
            for (list, broad) in [(&elastic.indices, false), (&elastic.broad_indices, true)] {
                for prefix in list {
                    self.elastic_indices
                        .push((normalize_index(prefix), index, broad));
                }
            }
            for (list, broad) in [(&elastic.datasets, false), (&elastic.broad_datasets, true)] {
                for dataset in list {
                    self.elastic_datasets
                        .entry(normalize(dataset))
                        .or_default()
                        .push((index, broad));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Queries.
// ---------------------------------------------------------------------------------

impl CatalogEvents {
    /// The event with this id.
    pub fn get(&self, id: &str) -> Option<&CatalogEvent> {
        self.by_id.get(id).map(|&i| &self.events[i])
    }

    /// Every event, in catalog order (the data file's order, channel events last).
    pub fn all(&self) -> &[CatalogEvent] {
        &self.events
    }

    /// The same kind of event on another platform: `windows/process_creation` on
    /// `linux` is `linux/process_creation`. `None` when the catalog has no such event.
    pub fn on_platform(&self, id: &str, platform: &str) -> Option<&str> {
        let (_, rest) = id.split_once('/')?;
        self.get(&format!("{}/{rest}", normalize(platform)))
            .map(|e| e.id.as_str())
    }

    /// Events read by a Sigma rule with this logsource whose detection pins these
    /// `EventID` values (empty when it pins none).
    ///
    /// Logsource values compare case-insensitively. Unknown logsources give nothing.
    pub fn for_sigma(&self, logsource: &LogSource, event_ids: &[i64]) -> Vec<&str> {
        let product = logsource.product.as_deref().map(normalize);
        let category = logsource.category.as_deref().map(normalize);
        let service = logsource.service.as_deref().map(normalize);
        let (product, category, service) =
            (product.as_deref(), category.as_deref(), service.as_deref());

        let channel = self
            .channels
            .iter()
            .filter_map(|c| Some((c.sigma.as_ref()?.score(product, category, service)?, c)))
            .max_by_key(|(score, _)| *score);
        let mut best = 0;
        let mut hits = BTreeSet::new();
        for (pattern, event) in &self.sigma {
            match pattern.score(product, category, service) {
                Some(score) if score > best => {
                    best = score;
                    hits.clear();
                    hits.insert(*event);
                }
                Some(score) if score == best => {
                    hits.insert(*event);
                }
                _ => {}
            }
        }
        match channel {
            Some((score, channel)) if score >= best || hits.is_empty() => {
                self.finish(channel.resolve(event_ids))
            }
            _ => self.finish(hits),
        }
    }

    /// Events read by a Splunk detection with this `data_source` name.
    ///
    /// Names joined by ` AND ` (`Sysmon EventID 1 AND Sysmon EventID 3`) give the
    /// events of each part; `<channel> <id>[,<id>…]` names (`Windows Event Log
    /// Security 4625`, `NTLM Operational 8004,8005,8006`) resolve like a Sigma rule on
    /// that channel pinning those ids. Names compare case-insensitively.
    pub fn for_splunk(&self, data_source: &str) -> Vec<&str> {
        let mut hits = BTreeSet::new();
        for part in data_source.split(" AND ") {
            let name = normalize(part);
            if name.is_empty() {
                continue;
            }
            if let Some(events) = self.splunk_exact.get(&name) {
                hits.extend(events.iter().copied());
            } else if let Some((channel, ids)) = self.splunk_channel(&name) {
                hits.extend(channel.resolve(&ids));
            } else if let Some(len) = self
                .splunk_prefixes
                .iter()
                .filter(|(prefix, _)| name.starts_with(prefix.as_str()))
                .map(|(prefix, _)| prefix.len())
                .max()
            {
                hits.extend(
                    self.splunk_prefixes
                        .iter()
                        .filter(|(prefix, _)| {
                            prefix.len() == len && name.starts_with(prefix.as_str())
                        })
                        .map(|(_, event)| *event),
                );
            }
        }
        self.finish(hits)
    }

    /// The channel a Splunk name belongs to, with the ids it names.
    fn splunk_channel(&self, name: &str) -> Option<(&Channel, Vec<i64>)> {
        let mut best: Option<(usize, &Channel, Vec<i64>)> = None;
        for channel in &self.channels {
            for prefix in &channel.splunk_prefixes {
                let ids = if name == prefix {
                    Vec::new()
                } else if let Some(rest) = name
                    .strip_prefix(prefix.as_str())
                    .and_then(|r| r.strip_prefix(' '))
                {
                    match rest
                        .split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(str::parse)
                        .collect::<Result<Vec<i64>, _>>()
                    {
                        Ok(ids) => ids,
                        Err(_) => continue,
                    }
                } else {
                    continue;
                };
                if best.as_ref().is_none_or(|(len, _, _)| prefix.len() > *len) {
                    best = Some((prefix.len(), channel, ids));
                }
            }
        }
        best.map(|(_, channel, ids)| (channel, ids))
    }

    /// Events read by a Sentinel query on this table or ASIM parser, with the
    /// `EventID` values it pins (empty when it pins none).
    ///
    /// Tables compare case-insensitively, and a connector's `dataTypes` suffix in
    /// parentheses is ignored (`SecurityAlert (ASC)` is `SecurityAlert`). ASIM parser
    /// names (`imProcessCreate`, `_Im_Dns`, `ASimWebSession…`, `vimRegistryEvent…`)
    /// resolve through their schema. `EventID`s matter for the tables that carry a
    /// Windows channel (`SecurityEvent`, `WindowsEvent`: Security; `Event`: System).
    pub fn for_sentinel(&self, table: &str, event_ids: &[i64]) -> Vec<&str> {
        let table = normalize(table.split_once('(').map_or(table, |(name, _)| name));
        if let Some(channel) = self.channels.iter().find(|c| c.sentinel.contains(&table)) {
            return self.finish(channel.resolve(event_ids));
        }
        if let Some(events) = self.sentinel_tables.get(&table) {
            return self.finish(events.iter().copied());
        }
        let Some(schema) = asim_schema(&table) else {
            return Vec::new();
        };
        let Some(len) = self
            .asim
            .iter()
            .filter(|(name, _)| schema.starts_with(name.as_str()))
            .map(|(name, _)| name.len())
            .max()
        else {
            return Vec::new();
        };
        self.finish(
            self.asim
                .iter()
                .filter(|(name, _)| name.len() == len && schema.starts_with(name.as_str()))
                .map(|(_, event)| *event),
        )
    }

    /// Events read by a Panther rule with this LogType (case-insensitive).
    pub fn for_panther(&self, log_type: &str) -> Vec<&str> {
        self.panther
            .get(&normalize(log_type))
            .map_or_else(Vec::new, |events| self.finish(events.iter().copied()))
    }

    /// Events read by an Elastic rule over these index patterns whose query tests
    /// these `(field, value)` pairs.
    ///
    /// Hints the mapping uses (fields compare case-insensitively, values too):
    /// `event.category` (an EQL `process where …` counts as `event.category ==
    /// "process"`), `event.type`, `event.action`, `event.code` / `winlog.event_id`,
    /// `winlog.channel`, `event.dataset` / `data_stream.dataset`, the platform from
    /// `host.os.type` (also `host.os.family`, `host.os.platform`, `os.type`, or a
    /// `tags` hint `OS: Windows`), and any field for the events that list it (a
    /// query on `powershell.file.script_block_text` reads PowerShell script blocks).
    ///
    /// In order: event codes, actions and fields select their events; otherwise
    /// `event.category` selects the category's event on the rule's platform (an
    /// `event.type` such as `end` or `deletion` selects a narrower one); otherwise
    /// the indices and datasets decide, those holding one kind of event first.
    pub fn for_elastic<I, F, V>(&self, index_patterns: &[I], query_hints: &[(F, V)]) -> Vec<&str>
    where
        I: AsRef<str>,
        F: AsRef<str>,
        V: AsRef<str>,
    {
        let hints: Vec<(String, String)> = query_hints
            .iter()
            .map(|(f, v)| {
                (
                    normalize(f.as_ref()),
                    normalize(v.as_ref().trim_matches('"')),
                )
            })
            .collect();
        let values = |fields: &[&str]| -> Vec<&str> {
            hints
                .iter()
                .filter(|(f, _)| fields.contains(&f.as_str()))
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let patterns: Vec<String> = index_patterns
            .iter()
            .map(|p| normalize_index(p.as_ref()))
            .collect();
        let datasets = values(&["event.dataset", "data_stream.dataset"]);

        // Indices and datasets, and the platform they imply.
        let mut specific = BTreeSet::new();
        let mut broad = BTreeSet::new();
        let mut votes = BTreeSet::new();
        for pattern in &patterns {
            let matched = self.elastic_index_matches(pattern);
            let platforms: BTreeSet<&str> = matched
                .iter()
                .map(|&(event, _)| self.events[event].platform.as_str())
                .filter(|p| OS_PLATFORMS.contains(p))
                .chain(
                    self.elastic_platform_indices
                        .iter()
                        .filter(|(prefix, _)| pattern.starts_with(prefix.as_str()))
                        .map(|(_, platform)| platform.as_str()),
                )
                .collect();
            if platforms.len() == 1 {
                votes.extend(platforms);
            }
            for (event, is_broad) in matched {
                (if is_broad { &mut broad } else { &mut specific }).insert(event);
            }
        }
        for dataset in &datasets {
            for &(event, is_broad) in self.elastic_datasets.get(*dataset).into_iter().flatten() {
                (if is_broad { &mut broad } else { &mut specific }).insert(event);
            }
        }
        let mut platforms: BTreeSet<&str> = values(&[
            "host.os.type",
            "host.os.family",
            "host.os.platform",
            "os.type",
            "tags",
        ])
        .into_iter()
        .filter_map(platform_of)
        .collect();
        if platforms.is_empty() && votes.len() == 1 {
            platforms = votes;
        }
        let on_platform = |event: usize| {
            let platform = self.events[event].platform.as_str();
            !OS_PLATFORMS.contains(&platform)
                || platforms.is_empty()
                || platforms.contains(platform)
        };
        specific.retain(|&e| on_platform(e));
        broad.retain(|&e| on_platform(e));
        let is_os = |event: &usize| OS_PLATFORMS.contains(&self.events[*event].platform.as_str());
        let any_source = !(specific.is_empty() && broad.is_empty());
        let any_os_source = specific.iter().chain(&broad).any(is_os);
        if platforms.is_empty() && any_source && !any_os_source {
            return self.finish(if specific.is_empty() { broad } else { specific });
        }

        // Event codes, resolved through the channels the rule reads.
        let mut selected = BTreeSet::new();
        let codes: Vec<i64> = values(&["event.code", "winlog.event_id"])
            .into_iter()
            .filter_map(|v| v.parse().ok())
            .collect();
        if !codes.is_empty() {
            let winlog_channels = values(&["winlog.channel"]);
            let read: Vec<&Channel> = self
                .channels
                .iter()
                .filter(|c| {
                    patterns
                        .iter()
                        .any(|p| c.elastic_indices.iter().any(|i| p.starts_with(i.as_str())))
                        || datasets
                            .iter()
                            .any(|d| c.elastic_datasets.iter().any(|cd| cd == d))
                        || c.winlog_name
                            .as_deref()
                            .is_some_and(|w| winlog_channels.contains(&w))
                })
                .collect();
            // A code no channel the rule reads lists gives those channels' own events;
            // a rule that names no channel gets the events of every channel listing it.
            let candidates = if read.is_empty() {
                self.channels.iter().collect()
            } else {
                read.clone()
            };
            for code in &codes {
                let mut known = false;
                for channel in &candidates {
                    if let Some(targets) = channel.ids.get(code) {
                        selected.extend(targets.iter().copied());
                        known = true;
                    }
                }
                if !known {
                    selected.extend(read.iter().map(|c| c.event));
                }
            }
            selected.retain(|&e| on_platform(e));
        }

        // Actions and fields; then categories not already settled by them.
        let by_code = !selected.is_empty();
        let actions = values(&["event.action"]);
        let mut settled: BTreeSet<&str> = BTreeSet::new();
        for (index, event) in self.events.iter().enumerate() {
            if !is_os(&index) || !on_platform(index) {
                continue;
            }
            let elastic = &event.elastic;
            let by_action = elastic
                .actions
                .iter()
                .any(|a| actions.contains(&normalize(a).as_str()));
            let by_field = elastic
                .fields
                .iter()
                .any(|f| hints.iter().any(|(field, _)| *field == normalize(f)));
            if by_action || by_field {
                selected.insert(index);
                settled.extend(
                    elastic
                        .categories
                        .iter()
                        .chain(&elastic.settles)
                        .map(String::as_str),
                );
            }
        }
        if !by_code {
            let types = values(&["event.type"]);
            for category in values(&["event.category"]) {
                if settled.iter().any(|s| s.eq_ignore_ascii_case(category)) {
                    continue;
                }
                let candidates: Vec<usize> = (0..self.events.len())
                    .filter(|&i| is_os(&i) && on_platform(i))
                    .filter(|&i| {
                        self.events[i]
                            .elastic
                            .categories
                            .iter()
                            .any(|c| c.eq_ignore_ascii_case(category))
                    })
                    .collect();
                let narrow: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| {
                        self.events[i]
                            .elastic
                            .types
                            .iter()
                            .any(|t| types.iter().any(|h| t.eq_ignore_ascii_case(h)))
                    })
                    .collect();
                if narrow.is_empty() {
                    selected.extend(
                        candidates
                            .into_iter()
                            .filter(|&i| self.events[i].elastic.types.is_empty()),
                    );
                } else {
                    selected.extend(narrow);
                }
            }
        }
        if !selected.is_empty() {
            self.finish(selected)
        } else if !specific.is_empty() {
            self.finish(specific)
        } else {
            self.finish(broad)
        }
    }

    /// Events whose index prefixes best match one normalized index pattern: the
    /// longest prefix the pattern starts with wins.
    fn elastic_index_matches(&self, pattern: &str) -> Vec<(usize, bool)> {
        let Some(len) = self
            .elastic_indices
            .iter()
            .filter(|(prefix, _, _)| pattern.starts_with(prefix.as_str()))
            .map(|(prefix, _, _)| prefix.len())
            .max()
        else {
            return Vec::new();
        };
        self.elastic_indices
            .iter()
            .filter(|(prefix, _, _)| prefix.len() == len && pattern.starts_with(prefix.as_str()))
            .map(|&(_, event, broad)| (event, broad))
            .collect()
    }

    /// Adds the parents of the events, and returns the ids in catalog order.
    fn finish(&self, events: impl IntoIterator<Item = usize>) -> Vec<&str> {
        let mut all = BTreeSet::new();
        for mut event in events {
            // Parents form chains; the bound guards against a cycle in the data.
            for _ in 0..=self.events.len() {
                if !all.insert(event) {
                    break;
                }
                match self.parent.get(event).copied().flatten() {
                    Some(parent) => event = parent,
                    None => break,
                }
            }
        }
        all.into_iter()
            .map(|i| self.events[i].id.as_str())
            .collect()
    }
}

impl Channel {
    /// The events a rule on this channel reads when it pins these ids.
    fn resolve(&self, event_ids: &[i64]) -> BTreeSet<usize> {
        let mut events = BTreeSet::new();
        let mut unknown = event_ids.is_empty();
        for id in event_ids {
            match self.ids.get(id) {
                Some(targets) => events.extend(targets.iter().copied()),
                None => unknown = true,
            }
        }
        if unknown {
            events.insert(self.event);
        }
        events
    }
}

// ---------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------

/// Whether an id is 2 or 3 `/`-separated segments of lowercase ASCII, digits and `_`.
pub fn is_well_formed_id(id: &str) -> bool {
    let segments: Vec<&str> = id.split('/').collect();
    (2..=3).contains(&segments.len())
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Trimmed, lowercase, inner whitespace collapsed.
fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// An index pattern or prefix without its trailing `*` and `-`, lowercase.
fn normalize_index(s: &str) -> String {
    normalize(s)
        .trim_end_matches('*')
        .trim_end_matches('-')
        .to_owned()
}

fn push_unique(list: &mut Vec<usize>, value: usize) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The ASIM schema part of a parser name: `_Im_ProcessCreate` → `processcreate`,
/// `vimDnsMicrosoftSysmon` → `dnsmicrosoftsysmon`. `None` if it is not a parser name.
fn asim_schema(table: &str) -> Option<String> {
    let name = table.trim_start_matches('_');
    ["asim_", "asim", "im_", "vim", "im"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .filter(|rest| !rest.is_empty())
        .map(str::to_owned)
}

/// The platform a `host.os.type`-like value or an `OS: …` tag names.
fn platform_of(value: &str) -> Option<&'static str> {
    let value = value.strip_prefix("os:").map_or(value, str::trim);
    match value {
        "windows" => Some("windows"),
        "linux" => Some("linux"),
        "macos" | "darwin" | "mac" | "osx" | "mac os x" => Some("macos"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static CatalogEvents {
        CatalogEvents::global()
    }

    fn logsource(
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> LogSource {
        LogSource {
            product: product.map(str::to_owned),
            category: category.map(str::to_owned),
            service: service.map(str::to_owned),
            definition: None,
        }
    }

    #[test]
    fn embedded_catalog_loads() {
        assert!(catalog().all().len() > 100);
    }

    #[test]
    fn every_id_is_well_formed_and_unique() {
        let mut seen = BTreeSet::new();
        for event in catalog().all() {
            assert!(is_well_formed_id(&event.id), "malformed id {}", event.id);
            assert!(seen.insert(event.id.as_str()), "duplicate id {}", event.id);
            assert!(!event.title.is_empty(), "{} has no title", event.id);
            assert!(
                !event.description.is_empty(),
                "{} has no description",
                event.id
            );
            assert!(!event.platform.is_empty(), "{} has no platform", event.id);
        }
    }

    #[test]
    fn every_event_has_a_producer() {
        for event in catalog().all() {
            let e = &event.elastic;
            let has = !event.sigma.is_empty()
                || !event.splunk.is_empty()
                || !event.splunk_prefixes.is_empty()
                || !event.sentinel.is_empty()
                || !event.asim.is_empty()
                || !event.panther.is_empty()
                || !(e.indices.is_empty()
                    && e.broad_indices.is_empty()
                    && e.datasets.is_empty()
                    && e.broad_datasets.is_empty()
                    && e.categories.is_empty()
                    && e.actions.is_empty()
                    && e.fields.is_empty()
                    && e.settles.is_empty()
                    && e.codes.is_empty());
            assert!(has, "{} has no producer", event.id);
        }
    }

    #[test]
    fn well_formed_ids() {
        for (id, ok) in [
            ("windows/process_creation", true),
            ("windows/security/4625", true),
            ("aws/cloudtrail", true),
            ("windows", false),
            ("Windows/process_creation", false),
            ("windows/process-creation", false),
            ("a/b/c/d", false),
            ("a//b", false),
        ] {
            assert_eq!(is_well_formed_id(id), ok, "{id}");
        }
    }

    // Sysmon EventID 1 and Security 4688 are two producers of one event.
    #[test]
    fn sysmon_1_and_security_4688_are_process_creation() {
        let c = catalog();
        let sysmon = logsource(Some("windows"), None, Some("sysmon"));
        let security = logsource(Some("windows"), None, Some("security"));
        assert_eq!(c.for_sigma(&sysmon, &[1]), ["windows/process_creation"]);
        assert_eq!(
            c.for_sigma(&security, &[4688]),
            ["windows/process_creation"]
        );
        assert_eq!(
            c.for_splunk("Sysmon EventID 1"),
            ["windows/process_creation"]
        );
        assert_eq!(
            c.for_splunk("Windows Event Log Security 4688"),
            ["windows/process_creation"]
        );
        assert_eq!(
            c.for_sentinel("SecurityEvent", &[4688]),
            ["windows/process_creation"]
        );
        let producers = &c.get("windows/process_creation").unwrap().sigma;
        assert!(
            producers
                .iter()
                .any(|p| p.service.as_deref() == Some("sysmon") && p.event_ids == [1])
        );
        assert!(
            producers
                .iter()
                .any(|p| p.service.as_deref() == Some("security") && p.event_ids.contains(&4688))
        );
    }

    #[test]
    fn sigma_mapping() {
        let c = catalog();
        for (name, ls, ids, want) in [
            (
                "category",
                logsource(Some("windows"), Some("process_creation"), None),
                &[][..],
                &["windows/process_creation"][..],
            ),
            (
                "case folded",
                logsource(Some("Windows"), Some("Image_Load"), None),
                &[],
                &["windows/image_load"],
            ),
            (
                "linux category",
                logsource(Some("linux"), Some("process_creation"), None),
                &[],
                &["linux/process_creation"],
            ),
            (
                "security channel",
                logsource(Some("windows"), None, Some("security")),
                &[],
                &["windows/security"],
            ),
            (
                "security id with its own event",
                logsource(Some("windows"), None, Some("security")),
                &[4625],
                &["windows/security", "windows/security/4625"],
            ),
            (
                "legacy id",
                logsource(Some("windows"), None, Some("security")),
                &[529],
                &["windows/security", "windows/security/4625"],
            ),
            (
                "unknown security id",
                logsource(Some("windows"), None, Some("security")),
                &[9999],
                &["windows/security"],
            ),
            (
                "mixed ids",
                logsource(Some("windows"), None, Some("security")),
                &[4688, 4624],
                &[
                    "windows/process_creation",
                    "windows/security",
                    "windows/security/4624",
                ],
            ),
            (
                "system service install",
                logsource(Some("windows"), None, Some("system")),
                &[7045],
                &["windows/service_install"],
            ),
            (
                "security service install",
                logsource(Some("windows"), None, Some("security")),
                &[4697],
                &["windows/service_install"],
            ),
            (
                "sysmon 12 is add and delete",
                logsource(Some("windows"), None, Some("sysmon")),
                &[12],
                &["windows/registry_add", "windows/registry_delete"],
            ),
            (
                "sysmon config change",
                logsource(Some("windows"), None, Some("sysmon")),
                &[16],
                &["windows/sysmon_status"],
            ),
            (
                "powershell 4104",
                logsource(Some("windows"), None, Some("powershell")),
                &[4104],
                &["windows/powershell_script"],
            ),
            (
                "ps_script category",
                logsource(Some("windows"), Some("ps_script"), None),
                &[4104],
                &["windows/powershell_script"],
            ),
            (
                "defender",
                logsource(Some("windows"), None, Some("windefend")),
                &[1116],
                &["windows/windefend", "windows/windefend/1116"],
            ),
            (
                "minor channel",
                logsource(Some("windows"), None, Some("bits-client")),
                &[16403],
                &["windows/bits_client"],
            ),
            (
                "product only",
                logsource(Some("windows"), None, None),
                &[],
                &["windows/any"],
            ),
            (
                "productless category",
                logsource(None, Some("proxy"), None),
                &[],
                &["web/proxy"],
            ),
            (
                "wildcard product",
                logsource(Some("zscaler"), Some("proxy"), None),
                &[],
                &["web/proxy"],
            ),
            (
                "kubernetes with category",
                logsource(Some("kubernetes"), Some("application"), Some("audit")),
                &[],
                &["kubernetes/audit"],
            ),
            (
                "cloud service",
                logsource(Some("aws"), None, Some("cloudtrail")),
                &[],
                &["aws/cloudtrail"],
            ),
            (
                "okta",
                logsource(Some("okta"), None, Some("okta")),
                &[],
                &["okta/system"],
            ),
            (
                "workspace admin implies activity",
                logsource(Some("gcp"), None, Some("google_workspace.admin")),
                &[],
                &["google_workspace/activity", "google_workspace/admin"],
            ),
            (
                "zeek",
                logsource(Some("zeek"), None, Some("dce_rpc")),
                &[],
                &["network/zeek_dce_rpc"],
            ),
            (
                "bgp from any router vendor",
                logsource(Some("juniper"), None, Some("bgp")),
                &[],
                &["network/bgp"],
            ),
        ] {
            assert_eq!(c.for_sigma(&ls, ids), want, "{name}");
        }
    }

    #[test]
    fn sigma_unknown_gives_nothing() {
        let c = catalog();
        for ls in [
            logsource(Some("windows"), Some("no_such_category"), None),
            logsource(Some("nosuchproduct"), None, Some("x")),
            logsource(None, None, None),
            logsource(Some("linux"), Some("no_such_category"), None),
        ] {
            assert!(c.for_sigma(&ls, &[]).is_empty(), "{ls}");
        }
    }

    #[test]
    fn splunk_mapping() {
        let c = catalog();
        for (name, want) in [
            ("Sysmon EventID 13", &["windows/registry_set"][..]),
            (
                "Sysmon EventID 1 AND Sysmon EventID 3",
                &["windows/process_creation", "windows/network_connection"],
            ),
            ("Sysmon for Linux EventID 1", &["linux/process_creation"]),
            ("CrowdStrike ProcessRollup2", &["windows/process_creation"]),
            (
                "Windows Event Log Security 4625",
                &["windows/security", "windows/security/4625"],
            ),
            (
                "Windows Security 5136",
                &["windows/security", "windows/security/5136"],
            ),
            (
                "Windows Event Log System 7045",
                &["windows/service_install"],
            ),
            (
                "Windows Event Log Security 4624 ",
                &["windows/security", "windows/security/4624"],
            ),
            (
                "Powershell Script Block Logging 4104",
                &["windows/powershell_script"],
            ),
            ("NTLM Operational 8004,8005,8006", &["windows/ntlm"]),
            ("Windows IIS", &["windows/iis_configuration"]),
            ("AWS CloudTrail", &["aws/cloudtrail"]),
            ("AWS CloudTrail StopLogging", &["aws/cloudtrail"]),
            (
                "Azure Active Directory Sign-in activity",
                &["azure/signinlogs"],
            ),
            (
                "Azure Active Directory Add member to role",
                &["azure/auditlogs"],
            ),
            (
                "Azure Active Directory",
                &["azure/signinlogs", "azure/auditlogs"],
            ),
            ("O365 UserLoginFailed", &["m365/audit"]),
            ("Linux Auditd Execve", &["linux/auditd"]),
            (
                "Google Workspace login_failure",
                &["google_workspace/activity", "google_workspace/login"],
            ),
            ("okta", &["okta/system"]),
            ("No Such Data Source", &[]),
            ("Sysmon EventID x", &[]),
        ] {
            assert_eq!(c.for_splunk(name), want, "{name}");
        }
    }

    #[test]
    fn sentinel_mapping() {
        let c = catalog();
        for (table, ids, want) in [
            (
                "DeviceProcessEvents",
                &[][..],
                &["windows/process_creation"][..],
            ),
            ("deviceprocessevents", &[], &["windows/process_creation"]),
            ("SecurityEvent", &[], &["windows/security"]),
            (
                "SecurityEvent",
                &[4625],
                &["windows/security", "windows/security/4625"],
            ),
            ("WindowsEvent", &[4688], &["windows/process_creation"]),
            ("Event", &[7045], &["windows/service_install"]),
            (
                "DeviceLogonEvents",
                &[],
                &[
                    "windows/security",
                    "windows/security/4624",
                    "windows/security/4625",
                ],
            ),
            ("SigninLogs", &[], &["azure/signinlogs"]),
            (
                "AADNonInteractiveUserSignInLogs",
                &[],
                &["azure/signinlogs"],
            ),
            ("AuditLogs", &[], &["azure/auditlogs"]),
            ("AzureActivity", &[], &["azure/activitylogs"]),
            ("OfficeActivity (Teams)", &[], &["m365/audit"]),
            ("SecurityAlert (ASC)", &[], &["security/alert"]),
            ("Syslog", &[], &["linux/syslog"]),
            ("CommonSecurityLog", &[], &["network/firewall"]),
            ("AWSCloudTrail", &[], &["aws/cloudtrail"]),
            ("imProcessCreate", &[], &["windows/process_creation"]),
            ("_Im_NetworkSession", &[], &["network/firewall"]),
            ("imFileEvent", &[], &["windows/file_event"]),
            ("imRegistry", &[], &["windows/registry_event"]),
            ("imAuthentication", &[], &["any/authentication"]),
            ("_Im_Dns", &[], &["network/dns"]),
            ("_Im_WebSession", &[], &["web/proxy"]),
            (
                "ASimProcessTerminateMicrosoftSysmon",
                &[],
                &["windows/process_termination"],
            ),
            (
                "vimRegistryEventMicrosoft365D",
                &[],
                &["windows/registry_event"],
            ),
            ("ImpossibleTable_CL", &[], &[]),
            ("NoSuchTable", &[], &[]),
        ] {
            assert_eq!(c.for_sentinel(table, ids), want, "{table} {ids:?}");
        }
    }

    #[test]
    fn panther_mapping() {
        let c = catalog();
        for (log_type, want) in [
            ("AWS.CloudTrail", &["aws/cloudtrail"][..]),
            ("aws.cloudtrail", &["aws/cloudtrail"]),
            ("Okta.SystemLog", &["okta/system"]),
            ("GitHub.Audit", &["github/audit"]),
            ("GSuite.Reports", &["google_workspace/activity"]),
            ("Crowdstrike.ProcessRollup2", &["windows/process_creation"]),
            ("Amazon.EKS.Audit", &["kubernetes/audit"]),
            ("Azure.Audit", &["azure/signinlogs", "azure/auditlogs"]),
            ("Unknown.LogType", &[]),
        ] {
            assert_eq!(c.for_panther(log_type), want, "{log_type}");
        }
    }

    #[test]
    fn elastic_mapping() {
        let c = catalog();
        let endpoint = [
            "logs-endpoint.events.process-*",
            "winlogbeat-*",
            "logs-windows.sysmon_operational-*",
        ];
        type Hints = Vec<(&'static str, &'static str)>;
        let cases: Vec<(&str, Vec<&str>, Hints, Vec<&str>)> = vec![
            (
                "process on windows",
                endpoint.to_vec(),
                vec![
                    ("event.category", "process"),
                    ("event.type", "start"),
                    ("host.os.type", "windows"),
                ],
                vec!["windows/process_creation"],
            ),
            (
                "platform from tag",
                vec!["logs-endpoint.events.process-*"],
                vec![("event.category", "process"), ("tags", "OS: Linux")],
                vec!["linux/process_creation"],
            ),
            (
                "platform from indices",
                vec![
                    "logs-endpoint.events.process*",
                    "logs-system.security*",
                    "winlogbeat-*",
                ],
                vec![("event.category", "process")],
                vec!["windows/process_creation"],
            ),
            (
                "index alone",
                vec!["logs-endpoint.events.process-*"],
                vec![("host.os.type", "macos")],
                vec!["macos/process_creation"],
            ),
            (
                "unknown platform gives every platform",
                vec!["logs-endpoint.events.process-*"],
                vec![("event.category", "process")],
                vec![
                    "windows/process_creation",
                    "linux/process_creation",
                    "macos/process_creation",
                ],
            ),
            (
                "process end",
                endpoint.to_vec(),
                vec![
                    ("event.category", "process"),
                    ("event.type", "end"),
                    ("host.os.type", "windows"),
                ],
                vec!["windows/process_termination"],
            ),
            (
                "registry value set",
                vec!["logs-endpoint.events.registry-*"],
                vec![
                    ("event.category", "registry"),
                    ("event.type", "change"),
                    ("host.os.type", "windows"),
                ],
                vec!["windows/registry_set"],
            ),
            (
                "registry any",
                vec!["logs-endpoint.events.registry-*"],
                vec![("event.category", "registry"), ("host.os.type", "windows")],
                vec!["windows/registry_event"],
            ),
            (
                "dns by field settles network",
                vec!["logs-endpoint.events.network-*"],
                vec![
                    ("event.category", "network"),
                    ("dns.question.name", "*.onion"),
                    ("host.os.type", "windows"),
                ],
                vec!["windows/dns_query"],
            ),
            (
                "sequence of process and network",
                vec!["logs-endpoint.events.*"],
                vec![
                    ("event.category", "process"),
                    ("event.category", "network"),
                    ("host.os.type", "windows"),
                ],
                vec!["windows/process_creation", "windows/network_connection"],
            ),
            (
                "security code",
                vec!["winlogbeat-*", "logs-system.security*"],
                vec![("event.code", "4625"), ("host.os.type", "windows")],
                vec!["windows/security", "windows/security/4625"],
            ),
            (
                "security action",
                vec!["winlogbeat-*", "logs-system.security*"],
                vec![
                    ("event.category", "authentication"),
                    ("event.action", "logon-failed"),
                ],
                vec!["windows/security", "windows/security/4625"],
            ),
            (
                "sysmon code in process category",
                vec!["winlogbeat-*", "logs-windows.sysmon_operational-*"],
                vec![("event.category", "process"), ("event.code", "10")],
                vec!["windows/process_access"],
            ),
            (
                "powershell script block",
                vec!["winlogbeat-*", "logs-windows.powershell*"],
                vec![
                    ("event.category", "process"),
                    ("powershell.file.script_block_text", "*Mimikatz*"),
                ],
                vec!["windows/powershell_script"],
            ),
            (
                "security channel only",
                vec!["winlogbeat-*", "logs-system.security*"],
                vec![("user.name", "admin")],
                vec!["windows/security"],
            ),
            (
                "cloudtrail",
                vec!["filebeat-*", "logs-aws.cloudtrail-*"],
                vec![
                    ("event.dataset", "aws.cloudtrail"),
                    ("event.action", "StopLogging"),
                    ("event.category", "iam"),
                ],
                vec!["aws/cloudtrail"],
            ),
            (
                "dataset alone",
                vec!["filebeat-*"],
                vec![("event.dataset", "okta.system")],
                vec!["okta/system"],
            ),
            (
                "okta short index",
                vec!["logs-okta*"],
                vec![],
                vec!["okta/system"],
            ),
            (
                "linux auth",
                vec!["logs-system.auth-*"],
                vec![
                    ("event.category", "authentication"),
                    ("host.os.type", "linux"),
                ],
                vec!["linux/auth"],
            ),
            (
                "nothing known",
                vec!["logs-*"],
                vec![("user.name", "x")],
                vec![],
            ),
        ];
        for (name, indices, hints, want) in cases {
            assert_eq!(c.for_elastic(&indices, &hints), want, "{name}");
        }
    }

    #[test]
    fn on_platform_moves_between_platforms() {
        let c = catalog();
        assert_eq!(
            c.on_platform("windows/process_creation", "linux"),
            Some("linux/process_creation")
        );
        assert_eq!(
            c.on_platform("windows/process_creation", "macOS"),
            Some("macos/process_creation")
        );
        assert_eq!(c.on_platform("windows/registry_set", "linux"), None);
    }

    #[test]
    fn loader_rejects_bad_data() {
        const EVENT: &str =
            "[[event]]\nid = \"a/b\"\ntitle = \"t\"\nplatform = \"p\"\ndescription = \"d\"\n";
        let check = |name: &str, text: &str, expected: fn(&EventsError) -> bool| {
            let err = CatalogEvents::from_toml(text).expect_err(name);
            assert!(expected(&err), "{name}: unexpected error {err}");
        };
        check(
            "malformed id",
            &EVENT.replace("a/b", "Bad"),
            |e| matches!(e, EventsError::MalformedId { id } if id == "Bad"),
        );
        check(
            "duplicate id",
            &format!("{EVENT}{EVENT}"),
            |e| matches!(e, EventsError::DuplicateId { id } if id == "a/b"),
        );
        check(
            "unknown parent",
            &format!("{EVENT}parent = \"x/y\"\n"),
            |e| matches!(e, EventsError::UnknownEvent { to, .. } if to == "x/y"),
        );
        check("unknown key", &format!("{EVENT}splunkk = []\n"), |e| {
            matches!(e, EventsError::Toml(_))
        });
        check(
            "event ids outside a channel",
            &format!("{EVENT}sigma = [{{ product = \"windows\", event_ids = [1] }}]\n"),
            |e| matches!(e, EventsError::Toml(_)),
        );
        check(
            "id with title and events",
            &format!(
                "{EVENT}[[channel]]\nname = \"c\"\nevent = \"a/b\"\nids = [{{ id = 1, title = \"x\", events = [\"a/b\"] }}]\n"
            ),
            |e| matches!(e, EventsError::InvalidChannelId { event_id: 1, .. }),
        );
        check(
            "legacy id repeats an id",
            &format!(
                "{EVENT}[[channel]]\nname = \"c\"\nevent = \"a/b\"\nids = [{{ id = 1, title = \"x\" }}, {{ id = 2, title = \"y\", legacy = [1] }}]\n"
            ),
            |e| matches!(e, EventsError::DuplicateChannelId { event_id: 1, .. }),
        );
        check(
            "channel of an unknown event",
            &format!("{EVENT}[[channel]]\nname = \"c\"\nevent = \"x/y\"\nids = []\n"),
            |e| matches!(e, EventsError::UnknownEvent { to, .. } if to == "x/y"),
        );
        check(
            "generated id clashes",
            &format!(
                "{EVENT}[[event]]\nid = \"a/b/1\"\ntitle = \"t\"\nplatform = \"p\"\ndescription = \"d\"\n\
                 [[channel]]\nname = \"c\"\nevent = \"a/b\"\nids = [{{ id = 1, title = \"x\" }}]\n"
            ),
            |e| matches!(e, EventsError::DuplicateId { id } if id == "a/b/1"),
        );
    }
}
