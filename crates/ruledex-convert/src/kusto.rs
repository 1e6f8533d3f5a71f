//! Kusto (KQL) for Microsoft Sentinel and Defender XDR: `kusto-asim` over the
//! ASIM parsers (`imProcessCreate`, `imNetworkSession`, `imFileEvent`,
//! `imRegistry`, `imAuthentication`, `imDns`, `imWebSession`), `kusto-xdr` over
//! the advanced-hunting tables (`DeviceProcessEvents`, …) and
//! `kusto-securityevent` over Sentinel's native tables (`SecurityEvent` with its
//! `EventID`, `SigninLogs`, …).
//!
//! Output conventions follow pySigma's Kusto backend, so that the two agree on
//! Sigma rules: `Table\n| where …`, every nested group in parentheses,
//! `not(…)`, `=~` for case-insensitive equality and `in~` for a list of plain
//! values, `contains` / `startswith` / `endswith` (their `_cs` forms when the
//! rule is case-sensitive), `matches regex` for regular expressions and for
//! wildcards inside a value. Differences a reader should know about are
//! reasons on the conversion:
//!
//! - a field with no name in the target schema is written as the rule wrote it;
//! - an event with no ASIM parser is read from its native Sentinel table, and an
//!   event with no known table from every table (`union *`);
//! - a field-less keyword becomes `* has "…"`, a whole-term match in any column.
//!
//! Reference: <https://learn.microsoft.com/azure/data-explorer/kusto/query/>.

use std::fmt::Write as _;

use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Keyword, Op, Pred, Rule, Transform,
    Value, Vendor,
};
use ruledex_taxonomy::fields::{Fields, Schema};

use crate::common::{self, Namer, Q};
use crate::tables;
use crate::{Conversion, Target};

pub(crate) fn convert(rule: &Rule, target: Target) -> Conversion {
    match build(rule, target) {
        Ok((query, reasons)) => Conversion::written(target, query, reasons),
        Err(reason) => Conversion::unsupported(target, reason),
    }
}

/// The table to read, the schemas its columns are named in, and an `EventID` filter.
struct Source {
    table: String,
    schemas: &'static [Schema],
    label: &'static str,
    event_ids: Vec<i64>,
}

fn source(
    target: Target,
    event: Option<&str>,
    reasons: &mut Vec<String>,
) -> Result<Source, String> {
    let Some(ev) = event else {
        return match target {
            Target::KustoAsim => {
                reasons.push("the rule names no catalog event: the query searches every table (`union *`); narrow it to the table holding these events".into());
                Ok(Source {
                    table: "union *".into(),
                    schemas: &[Schema::Asim],
                    label: "ASIM",
                    event_ids: Vec::new(),
                })
            }
            _ => Err(format!(
                "the rule names no catalog event, so no {} table can be chosen",
                target.title()
            )),
        };
    };
    let entry = tables::entry(ev);
    match target {
        Target::KustoAsim => {
            if let Some(t) = tables::asim(ev) {
                return Ok(Source {
                    table: t,
                    schemas: &[Schema::Asim],
                    label: "ASIM",
                    event_ids: Vec::new(),
                });
            }
            if let Some(t) = tables::sentinel_table(ev) {
                reasons.push(format!(
                    "no ASIM parser covers {ev}; the query reads the native table `{t}`"
                ));
                return Ok(Source {
                    table: t,
                    schemas: &[Schema::SecurityEvent, Schema::DefenderXdr, Schema::Asim],
                    label: "Sentinel",
                    event_ids: Vec::new(),
                });
            }
            reasons.push(format!(
                "no Sentinel table is known for {ev}: the query searches every table (`union *`); narrow it to the table holding these events"
            ));
            Ok(Source {
                table: "union *".into(),
                schemas: &[Schema::Asim, Schema::SecurityEvent],
                label: "ASIM",
                event_ids: Vec::new(),
            })
        }
        Target::KustoXdr => {
            let table = entry.and_then(|t| t.xdr.clone()).or_else(|| {
                tables::sentinel_table(ev).filter(|t| {
                    ["Device", "Identity", "Email", "Alert", "Cloud", "UrlClick"]
                        .iter()
                        .any(|p| t.starts_with(p))
                })
            });
            let table = table.ok_or_else(|| format!("no Defender XDR table holds {ev}"))?;
            Ok(Source {
                table,
                schemas: &[Schema::DefenderXdr],
                label: "Defender XDR",
                event_ids: Vec::new(),
            })
        }
        _ => {
            if let Some(t) = entry.and_then(|t| t.security_event.clone()) {
                return Ok(Source {
                    table: t,
                    schemas: &[Schema::SecurityEvent],
                    label: "SecurityEvent",
                    event_ids: entry.map(|e| e.event_ids.clone()).unwrap_or_default(),
                });
            }
            let t = tables::sentinel_table(ev)
                .filter(|t| !t.starts_with("Device"))
                .ok_or_else(|| format!("no Sentinel native table holds {ev}"))?;
            Ok(Source {
                table: t,
                schemas: &[Schema::SecurityEvent],
                label: "Sentinel",
                event_ids: Vec::new(),
            })
        }
    }
}

fn build(rule: &Rule, target: Target) -> Result<(String, Vec<String>), String> {
    if let Some(r) = common::correlation_reason(rule) {
        return Err(r);
    }
    if let Some(agg) = &rule.logic.aggregation
        && let Some(r) = common::aggregation_unsupported(&agg.kind, true)
    {
        return Err(r);
    }
    let event = common::event(rule);
    let mut reasons = Vec::new();
    let mut src = source(target, event, &mut reasons)?;
    // A rule over several kinds of event (an EQL sequence over process and
    // network events) reads every table they live in.
    let leaves: Vec<&str> = rule
        .events
        .iter()
        .filter(|e| {
            !rule.events.iter().any(|o| {
                o.len() > e.len() && o.starts_with(e.as_str()) && o[e.len()..].starts_with('/')
            })
        })
        .map(String::as_str)
        .collect();
    // Events some of which no ASIM parser reads (Windows Security 4656 beside
    // 4663) but that one native table holds all of: that table, named as it
    // names its columns. A union of a parser and the table would name each
    // field as only one of them does, and match nothing.
    if target == Target::KustoAsim
        && leaves.len() > 1
        && leaves.iter().any(|ev| tables::asim(ev).is_none())
        && let Some(native) = tables::sentinel_table(leaves[0])
        && leaves
            .iter()
            .all(|ev| tables::sentinel_table(ev).as_deref() == Some(native.as_str()))
    {
        let uncovered: Vec<&str> = leaves
            .iter()
            .copied()
            .filter(|ev| tables::asim(ev).is_none())
            .collect();
        reasons.retain(|r| !r.starts_with("no ASIM parser covers"));
        reasons.push(format!(
            "no ASIM parser covers {}; the query reads the native table `{native}`, which holds all of the rule's events",
            uncovered.join(", ")
        ));
        src = Source {
            table: native,
            schemas: &[Schema::SecurityEvent, Schema::DefenderXdr, Schema::Asim],
            label: "Sentinel",
            event_ids: Vec::new(),
        };
    } else if leaves.len() > 1 {
        let mut tables = vec![src.table.clone()];
        for ev in &leaves {
            if let Ok(other) = source(target, Some(ev), &mut Vec::new())
                && !tables.contains(&other.table)
                && other.table != "union *"
            {
                tables.push(other.table);
            }
        }
        if tables.len() > 1 && !tables.iter().any(|t| t == "union *") {
            reasons.push(format!(
                "the rule reads several kinds of event ({}): the query reads `union {}` and names fields as in {}",
                leaves.join(", "),
                tables.join(", "),
                event.unwrap_or("the first")
            ));
            src.table = format!("union {}", tables.join(", "));
        }
    }
    // One ASIM parser: a Sigma field it has no column for makes the query
    // fail, so the rule is not converted (a `union` keeps the raw name,
    // declared). Other vendors' rules still fall back to the raw name with a
    // reason (Elastic's `process.name` needs a basename test first).
    let parser = (target == Target::KustoAsim
        && rule.vendor == Vendor::Sigma
        && src.label == "ASIM"
        && !src.table.starts_with("union"))
    .then(|| src.table.clone());
    let mut cx = Cx {
        parser,
        missing: None,
        forced: None,
        extend: None,
        time: if target == Target::KustoXdr {
            "Timestamp"
        } else {
            "TimeGenerated"
        },
        namer: Namer {
            schemas: src.schemas,
            label: src.label,
            event,
            native: None,
            vendor: rule.vendor,
        },
        vendor: rule.vendor,
        event,
        reasons,
    };
    let expr = common::prune_routing(&rule.logic.expr, &cx.namer, &mut cx.reasons);
    let q = common::walk(&expr, &mut |e| cx.leaf(e))?;
    if let Some(r) = cx.missing.take() {
        return Err(r);
    }
    let mut out = src.table.clone();
    match src.event_ids.as_slice() {
        [] => {}
        [one] => {
            let _ = write!(out, "\n| where EventID == {one}");
        }
        many => {
            let _ = write!(
                out,
                "\n| where EventID in ({})",
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if let Some(x) = &cx.extend {
        let _ = write!(out, "\n| extend {x}");
    }
    let cond = common::print_kusto(&q);
    if !cond.is_empty() {
        out.push_str("\n| where ");
        out.push_str(&cond);
    }
    if let Some(agg) = &rule.logic.aggregation {
        out.push_str(&cx.aggregation(agg)?);
        if let Some(r) = cx.missing.take() {
            return Err(r);
        }
    }
    Ok((out, cx.reasons))
}

struct Cx<'a> {
    namer: Namer<'a>,
    /// The ASIM parser the query reads, when it reads exactly one.
    parser: Option<String>,
    /// Why the rule cannot be written: a field the parser has no column for.
    missing: Option<String>,
    /// A column the query computes first (`| extend …`).
    extend: Option<String>,
    /// The column the next predicate's subject is written as (an
    /// `[[asim_column]]` entry), instead of the field's alias.
    forced: Option<String>,
    /// The event-time column.
    time: &'static str,
    vendor: Vendor,
    event: Option<&'a str>,
    reasons: Vec<String>,
}

/// Columns that ASIM aliases name in some schema but that `parser`'s schema
/// lacks (ASIM schema reference, ASimTester column list): the network session
/// schema has no process columns, the file event schema no parent process.
fn asim_lacks(parser: &str, column: &str) -> bool {
    let lacks: &[&str] = match parser {
        "imNetworkSession" => &[
            "ActingProcessName",
            "SrcProcessName",
            "Process",
            "ParentProcessName",
            "TargetProcessName",
        ],
        "imFileEvent" => &["ParentProcessName", "TargetProcessName"],
        _ => &[],
    };
    lacks.iter().any(|c| c.eq_ignore_ascii_case(column))
}

/// A Kusto string literal.
pub(crate) fn kstr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A column name, bracketed when it is not a plain identifier.
pub(crate) fn column(name: &str) -> String {
    let plain = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn number(v: &Value) -> Option<String> {
    match v {
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(format!("{f}")),
        _ => None,
    }
}

/// The schema a vendor writes its raw field names in.
pub(crate) fn vendor_schema(v: Vendor) -> Schema {
    match v {
        Vendor::Sigma => Schema::Sigma,
        Vendor::Elastic => Schema::Ecs,
        Vendor::Splunk => Schema::SplunkCim,
        Vendor::Sentinel => Schema::Asim,
        Vendor::Panther => Schema::Panther,
    }
}

impl Cx<'_> {
    fn field(&mut self, f: &Field) -> String {
        if self.parser.as_deref() == Some("imRegistry")
            && f.canonical.as_deref() == Some("registry.path")
        {
            // Sysmon's path is the key and the value name; ASIM splits them.
            self.extend = Some(
                r#"RegistryPath = strcat(RegistryKey, iff(isempty(RegistryValue), "", strcat("\\", RegistryValue)))"#
                    .to_owned(),
            );
            return "RegistryPath".to_owned();
        }
        if let Some(expr) = self.basename_of_path(f) {
            return expr;
        }
        let name = self.namer.name(f, &mut self.reasons);
        if let Some(parser) = &self.parser
            && self.missing.is_none()
        {
            let absent = !self.namer.has_name(f) || asim_lacks(parser, &name);
            if absent {
                self.missing = Some(format!(
                    "`{}` has no column in {parser}{}",
                    f.raw,
                    f.canonical
                        .as_deref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                ));
            }
        }
        column(&name)
    }

    /// A file-name field the target has no column for (ECS `process.name`)
    /// whose path field it has (`TargetProcessName`): the path's last
    /// component, `tostring(parse_path(path).Filename)`.
    fn basename_of_path(&self, f: &Field) -> Option<String> {
        let c = f.canonical.as_deref()?;
        if self.namer.has_name(f) {
            return None;
        }
        let path = Fields::global()
            .iter()
            .find(|p| p.basename() == Some(c))?
            .name();
        let mut pf = Field::raw(path);
        pf.canonical = Some(path.to_owned());
        if !self.namer.has_name(&pf) {
            return None;
        }
        let col = self.namer.name(&pf, &mut Vec::new());
        if self.parser.as_deref().is_some_and(|p| asim_lacks(p, &col)) {
            return None;
        }
        Some(format!("tostring(parse_path({}).Filename)", column(&col)))
    }

    /// A field named by value (`fieldref`), resolved as the rule's vendor names it.
    fn other_field(&mut self, raw: &str) -> String {
        let mut f = Field::raw(raw);
        f.canonical = Fields::global()
            .resolve(vendor_schema(self.vendor), self.event, raw)
            .map(str::to_owned);
        self.field(&f)
    }

    /// Sysmon's `Hashes` (`MD5=…,SHA256=…,IMPHASH=…`) in imProcessCreate: `contains`
    /// one whole `ALGO=hash` item is equality on that algorithm's column
    /// (`TargetProcessSHA256`). `None` for anything else (the field then has
    /// no column and the rule is not converted).
    fn sysmon_hashes(&self, p: &Pred) -> Option<Q> {
        if self.parser.as_deref() != Some("imProcessCreate")
            || self.vendor != Vendor::Sigma
            || !p.field.raw.eq_ignore_ascii_case("Hashes")
            || !p.transforms.is_empty()
            || p.op != Op::Contains
        {
            return None;
        }
        let mut leaves = Vec::with_capacity(p.values.len());
        for v in &p.values {
            let (algo, hash) = v.as_str()?.trim().split_once('=')?;
            let (column, len) = match algo.to_ascii_uppercase().as_str() {
                "MD5" => ("TargetProcessMD5", 32),
                "SHA1" => ("TargetProcessSHA1", 40),
                "SHA256" => ("TargetProcessSHA256", 64),
                "IMPHASH" => ("TargetProcessIMPHASH", 32),
                _ => return None,
            };
            let whole = hash.len() == len && hash.bytes().all(|b| b.is_ascii_hexdigit());
            if !whole {
                return None;
            }
            leaves.push(Q::Leaf(format!("{column} =~ {}", kstr(hash))));
        }
        (!leaves.is_empty()).then(|| Q::any_all(leaves, p.all))
    }

    fn leaf(&mut self, e: &Expr) -> Result<Q, String> {
        match e {
            Expr::Pred(p) => self.pred(p),
            Expr::Keyword(k) => self.keyword(k),
            _ => Err("unexpected node".into()),
        }
    }

    fn keyword(&mut self, k: &Keyword) -> Result<Q, String> {
        let mut leaves = Vec::new();
        for v in &k.values {
            let text = match (k.op, v) {
                (Op::Contains | Op::Eq, Value::Str(s)) => s.clone(),
                (Op::Wildcard, Value::Str(s)) => {
                    let parts: Vec<String> = common::glob(s)
                        .into_iter()
                        .map(|g| match g {
                            common::Glob::Lit(c) => c.to_string(),
                            _ => " ".into(),
                        })
                        .collect();
                    parts.concat().trim().to_owned()
                }
                (op, v) => {
                    return Err(format!(
                        "a field-less `{op}` search for `{v}` has no Kusto form"
                    ));
                }
            };
            leaves.push(Q::Leaf(format!("* has {}", kstr(&text))));
        }
        self.reasons.push("a field-less keyword is written as `* has`, a whole-term match in any column; the rule looks for a substring anywhere in the event".into());
        Ok(Q::any_all(leaves, k.all))
    }

    fn subject(&mut self, p: &Pred) -> Result<String, String> {
        let mut s = match self.forced.take() {
            Some(c) => column(&c),
            None => self.field(&p.field),
        };
        for t in &p.transforms {
            s = match t {
                Transform::Lower => format!("tolower({s})"),
                Transform::Upper => format!("toupper({s})"),
                Transform::Trim => format!("trim(@\"\\s+\", {s})"),
                Transform::UrlDecode => format!("url_decode({s})"),
                Transform::Base64Decode => format!("base64_decode_tostring({s})"),
                Transform::Length => {
                    self.reasons.push(format!(
                        "length of `{}` is written as `strlen` (characters); use `array_length` if the field holds a list",
                        p.field.raw
                    ));
                    format!("strlen({s})")
                }
                Transform::Substring { start, len } if *start >= 0 => match len {
                    Some(n) => format!("substring({s}, {start}, {n})"),
                    None => format!("substring({s}, {start})"),
                },
                Transform::Substring { .. } => {
                    return Err(
                        "a substring counted from the end of the value has no direct Kusto form"
                            .into(),
                    );
                }
                Transform::Replace {
                    pattern,
                    replacement,
                } => {
                    if replacement.contains(['$', '\\']) {
                        return Err("a regex replacement with group references is not translated to Kusto's syntax".into());
                    }
                    format!(
                        "replace_regex({s}, {}, {})",
                        kstr(pattern),
                        kstr(replacement)
                    )
                }
                other => {
                    return Err(format!(
                        "the `{}` transform is not translated to Kusto yet",
                        other.name()
                    ));
                }
            };
        }
        Ok(s)
    }

    fn pred(&mut self, p: &Pred) -> Result<Q, String> {
        if let Some(q) = self.sysmon_hashes(p) {
            return Ok(q);
        }
        let registry;
        let p = match self.registry_values(p) {
            Some(q) => {
                registry = q;
                &registry
            }
            None => p,
        };
        // ASIM's NetworkDirection holds `Outbound`/`Inbound`, not Sysmon's booleans.
        let rewritten;
        let p = match self.parser {
            Some(_) => match crate::common::sysmon_initiated(
                self.vendor,
                p,
                ("Outbound", "Inbound"),
                "ASIM NetworkDirection",
            )? {
                Some(q) => {
                    rewritten = q;
                    &rewritten
                }
                None => p,
            },
            None => p,
        };
        if let Some(q) = self.asim_columns(p)? {
            return Ok(q);
        }
        if let Some(q) = self.argument_in_command_line(p)? {
            return Ok(q);
        }
        self.pred_on(p)
    }

    /// ECS `process.args` (one argument of a list) where the target has only
    /// the command line: a substring test on the command line, declared.
    fn argument_in_command_line(&mut self, p: &Pred) -> Result<Option<Q>, String> {
        let line = match p.field.canonical.as_deref() {
            Some("process.args") => "process.command_line",
            Some("process.parent.args") => "process.parent.command_line",
            _ => return Ok(None),
        };
        let plain = matches!(
            p.op,
            Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith
        ) && p.transforms.is_empty()
            && p.values
                .iter()
                .all(|v| matches!(v, Value::Str(s) if !s.is_empty()));
        if !plain || self.namer.has_name(&p.field) {
            return Ok(None);
        }
        let mut lf = Field::raw(line);
        lf.canonical = Some(line.to_owned());
        if !self.namer.has_name(&lf) {
            return Ok(None);
        }
        let col = self.namer.name(&lf, &mut Vec::new());
        let reason = format!(
            "`{}` (one argument) is tested as a substring of the command line `{col}`: it may also match inside a longer argument",
            p.field.raw
        );
        self.reasons.push(reason);
        let mut q = p.clone();
        q.op = Op::Contains;
        self.pred_on_column(&q, col).map(Some)
    }

    /// The predicate with its subject written as `column`.
    fn pred_on_column(&mut self, p: &Pred, column: String) -> Result<Q, String> {
        self.forced = Some(column);
        let q = self.pred_on(p);
        self.forced = None;
        q
    }

    /// A predicate on a field the parser fills under other columns
    /// (`[[asim_column]]` in data/tables.toml): the test on each column, or'ed.
    fn asim_columns(&mut self, p: &Pred) -> Result<Option<Q>, String> {
        let (Some(parser), Some(canonical)) =
            (self.parser.as_deref(), p.field.canonical.as_deref())
        else {
            return Ok(None);
        };
        let Some(entry) = crate::tables::asim_column(parser, canonical, p.op) else {
            return Ok(None);
        };
        // The columns are alternatives: one holds the value, the others are
        // empty. A test an empty value fails holds when it holds on one column;
        // a test an empty value passes (`is null`, `== ""`) must hold on all.
        let empty_passes = if entry.columns.len() > 1 {
            match common::matches_empty(p) {
                Some(b) => b,
                None => {
                    return Err(format!(
                        "`{}` is split over {} in {parser}, and this `{}` test cannot be written on both",
                        p.field.raw,
                        entry.columns.join(" and "),
                        p.op
                    ));
                }
            }
        } else {
            false
        };
        if let Some(note) = &entry.note {
            let reason = note.replace("{field}", &p.field.raw);
            self.reasons.push(reason);
        }
        let mut alternatives = Vec::with_capacity(entry.columns.len());
        for c in &entry.columns {
            alternatives.push(self.pred_on_column(p, c.clone())?);
        }
        Ok(Some(if empty_passes {
            Q::and(alternatives)
        } else {
            Q::or(alternatives)
        }))
    }

    /// Sysmon registry values as the ASIM registry parsers write them: hives
    /// spelled out in paths (`HKLM\` is `HKEY_LOCAL_MACHINE\`), event types
    /// as ASIM's (`SetValue` is `RegistryValueSet`). `None`: nothing to change.
    fn registry_values(&mut self, p: &Pred) -> Option<Pred> {
        const HIVES: [(&str, &str); 3] = [
            ("HKLM\\", "HKEY_LOCAL_MACHINE\\"),
            ("HKU\\", "HKEY_USERS\\"),
            ("HKCR\\", "HKEY_LOCAL_MACHINE\\Classes\\"),
        ];
        const TYPES: [(&str, &str); 5] = [
            ("CreateKey", "RegistryKeyCreated"),
            ("DeleteKey", "RegistryKeyDeleted"),
            ("RenameKey", "RegistryKeyRenamed"),
            ("SetValue", "RegistryValueSet"),
            ("DeleteValue", "RegistryValueDeleted"),
        ];
        if self.parser.as_deref() != Some("imRegistry") || !p.transforms.is_empty() {
            return None;
        }
        let path = p.field.canonical.as_deref() == Some("registry.path") && p.op != Op::Regex;
        let event_type =
            p.field.raw.eq_ignore_ascii_case("EventType") && matches!(p.op, Op::Eq | Op::In);
        if !path && !event_type {
            return None;
        }
        let mut out = p.clone();
        let mut changed = false;
        for v in &mut out.values {
            let Value::Str(s) = v else { continue };
            let new = if path {
                HIVES.iter().find_map(|(short, long)| {
                    s.get(..short.len())
                        .filter(|head| head.eq_ignore_ascii_case(short))
                        .map(|_| format!("{long}{}", &s[short.len()..]))
                })
            } else {
                TYPES
                    .iter()
                    .find(|(sysmon, _)| s.eq_ignore_ascii_case(sysmon))
                    .map(|(_, asim)| (*asim).to_owned())
            };
            if path {
                let upper = s.to_ascii_uppercase();
                if upper.starts_with("HKCU\\") || upper.starts_with("HKEY_CURRENT_USER\\") {
                    let reason = format!(
                        "`{}`: Sysmon names the current user's hive HKU\\<SID>, so a path starting with HKCU does not match",
                        p.field.raw
                    );
                    self.reasons.push(reason);
                }
            }
            if let Some(new) = new {
                *s = new;
                changed = true;
            }
        }
        changed.then_some(out)
    }

    /// A predicate, its subject written as the field's alias (or the forced column).
    fn pred_on(&mut self, p: &Pred) -> Result<Q, String> {
        let f = self.subject(p)?;
        let cs = p.case_sensitive;
        let each =
            |cx: &mut Self, g: &mut dyn FnMut(&mut Self, &Value) -> Result<String, String>| {
                let mut v = Vec::with_capacity(p.values.len());
                for x in &p.values {
                    v.push(Q::Leaf(g(cx, x)?));
                }
                Ok::<Q, String>(Q::any_all(v, p.all))
            };
        match p.op {
            Op::Eq | Op::In => {
                let strs: Vec<&str> = p.values.iter().filter_map(Value::as_str).collect();
                let ints = p.values.iter().all(|v| matches!(v, Value::Int(_)));
                if !p.all && p.values.len() > 1 && strs.len() == p.values.len() {
                    let list: Vec<String> = strs.iter().map(|s| kstr(s)).collect();
                    let op = if cs { "in" } else { "in~" };
                    return Ok(Q::List(format!("{f} {op} ({})", list.join(", "))));
                }
                if !p.all && p.values.len() > 1 && ints {
                    let list: Vec<String> = p.values.iter().filter_map(number).collect();
                    return Ok(Q::List(format!("{f} in ({})", list.join(", "))));
                }
                each(self, &mut |_, v| {
                    Ok(match v {
                        Value::Str(s) if cs => format!("{f} == {}", kstr(s)),
                        Value::Str(s) => format!("{f} =~ {}", kstr(s)),
                        Value::Int(_) | Value::Float(_) => {
                            format!("{f} == {}", number(v).unwrap_or_default())
                        }
                        Value::Bool(b) => format!("{f} == {b}"),
                        Value::Null => format!("isempty({f})"),
                    })
                })
            }
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let op = match p.op {
                    Op::Contains => "contains",
                    Op::StartsWith => "startswith",
                    _ => "endswith",
                };
                let op = if cs {
                    format!("{op}_cs")
                } else {
                    op.to_owned()
                };
                each(self, &mut |_, v| {
                    Ok(format!("{f} {op} {}", kstr(&v.to_string())))
                })
            }
            Op::Wildcard => each(self, &mut |_, v| {
                let flags = if cs { "" } else { "(?i)" };
                let re = common::glob_regex(&v.to_string());
                Ok(format!(
                    "{f} matches regex {}",
                    kstr(&format!("{flags}{re}"))
                ))
            }),
            Op::Regex => each(self, &mut |_, v| {
                let re = v.to_string();
                if !common::re2_compatible(&re) {
                    return Err(format!(
                        "regular expression `{}` uses syntax Kusto's RE2 engine lacks (look-around or back-references)",
                        common::shorten(&re)
                    ));
                }
                Ok(format!(
                    "{f} matches regex {}",
                    kstr(&format!("{}{re}", common::regex_flags(p)))
                ))
            }),
            Op::Cidr => each(self, &mut |_, v| {
                let net = v.to_string();
                let func = if net.contains(':') {
                    "ipv6_is_in_range"
                } else {
                    "ipv4_is_in_range"
                };
                Ok(format!("{func}({f}, {})", kstr(&net)))
            }),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let sym = p.op.ordering_symbol().unwrap_or("<=");
                each(self, &mut |_, v| {
                    Ok(match number(v) {
                        Some(n) => format!("{f} {sym} {n}"),
                        None => format!("{f} {sym} {}", kstr(&v.to_string())),
                    })
                })
            }
            Op::Exists => each(self, &mut |_, v| {
                Ok(if matches!(v, Value::Bool(false)) {
                    format!("isempty({f})")
                } else {
                    format!("isnotempty({f})")
                })
            }),
            Op::IsNull => Ok(Q::Leaf(format!("isempty({f})"))),
            Op::IsNotNull => Ok(Q::Leaf(format!("isnotempty({f})"))),
            Op::Lookup => Err(format!(
                "`{}` compares with a named list ({}) that the target must provide (a Sentinel watchlist); it is not written",
                p.field.raw,
                p.values
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Op::FieldRef => {
                let op = match (p.within, cs) {
                    (None | Some(Op::Eq), false) => "=~",
                    (None | Some(Op::Eq), true) => "==",
                    (Some(Op::Contains), false) => "contains",
                    (Some(Op::Contains), true) => "contains_cs",
                    (Some(Op::StartsWith), false) => "startswith",
                    (Some(Op::StartsWith), true) => "startswith_cs",
                    (Some(Op::EndsWith), false) => "endswith",
                    (Some(Op::EndsWith), true) => "endswith_cs",
                    (Some(Op::Gt), _) => ">",
                    (Some(Op::Gte), _) => ">=",
                    (Some(Op::Lt), _) => "<",
                    (Some(Op::Lte), _) => "<=",
                    (Some(other), _) => {
                        return Err(format!(
                            "comparing two fields with `{other}` is not written"
                        ));
                    }
                };
                each(self, &mut |cx, v| {
                    let other = cx.other_field(&v.to_string());
                    Ok(format!("{f} {op} {other}"))
                })
            }
        }
    }

    fn aggregation(&mut self, agg: &Aggregation) -> Result<String, String> {
        match &agg.kind {
            AggregationKind::NewTerms { fields, history } => {
                return Ok(self.new_terms(fields, history.as_ref(), agg));
            }
            AggregationKind::Sequence { steps, .. } => return self.sequence(steps, agg),
            _ => {}
        }
        if !agg.metrics.is_empty() || agg.having.is_some() {
            return Err("an aggregation with named metrics or a condition over them is not written by the Kusto backend".into());
        }
        let mut by: Vec<String> = agg.group_by.iter().map(|f| self.field(f)).collect();
        if let Some(w) = &agg.window {
            match w.seconds {
                Some(s) => {
                    by.insert(0, format!("bin({}, {s}s)", self.time));
                    self.reasons.push(format!(
                        "the rule's {} window is written as fixed time buckets (`bin`), which can split a burst across two buckets",
                        w.text
                    ));
                }
                None => self
                    .reasons
                    .push(format!("the time window `{}` is not written", w.text)),
            }
        }
        let (name, func) = match &agg.kind {
            AggregationKind::ValueCount { field, .. } => (
                "ValueCount",
                format!("count_distinct({})", self.field(field)),
            ),
            _ => ("Count", "count()".to_owned()),
        };
        let mut metrics = vec![format!("{name} = {func}")];
        let mut conds: Vec<String> = agg.condition.iter().map(|c| cmp(name, c)).collect();
        if let AggregationKind::Threshold { cardinality } = &agg.kind {
            for (i, (f, n)) in cardinality.iter().enumerate() {
                let m = format!("Distinct{}", i + 1);
                metrics.push(format!("{m} = count_distinct({})", self.field(f)));
                conds.push(format!("{m} >= {n}"));
            }
        }
        let mut out = format!("\n| summarize {}", metrics.join(", "));
        if !by.is_empty() {
            let _ = write!(out, " by {}", by.join(", "));
        }
        if !conds.is_empty() {
            let _ = write!(out, "\n| where {}", conds.join(" and "));
        }
        Ok(out)
    }
}

impl Cx<'_> {
    /// New terms: the first time each combination of the fields is seen over
    /// the history window is within the rule's recent window.
    fn new_terms(
        &mut self,
        fields: &[Field],
        history: Option<&ruledex_model::Window>,
        agg: &Aggregation,
    ) -> String {
        let t = self.time;
        let by: Vec<String> = fields.iter().map(|f| self.field(f)).collect();
        let hist = history.and_then(|h| h.seconds).unwrap_or(14 * 86_400);
        let recent = agg.window.as_ref().and_then(|w| w.seconds).unwrap_or(3600);
        self.reasons.push(format!(
            "new terms are found as combinations first seen in the last {recent}s of a {hist}s history; run the query on the rule's schedule"
        ));
        format!(
            "\n| where {t} > ago({hist}s)\n| summarize FirstSeen = min({t}) by {}\n| where FirstSeen > ago({recent}s)",
            by.join(", ")
        )
    }

    /// A sequence: per group, every step seen, each step's first event no
    /// later than the next step's, within the span.
    fn sequence(
        &mut self,
        steps: &[ruledex_model::SequenceStep],
        agg: &Aggregation,
    ) -> Result<String, String> {
        let t = self.time;
        let by_step = steps.first().map(|s| s.by.clone()).unwrap_or_default();
        let keyed = steps.iter().any(|s| s.by != by_step);
        if keyed && steps.iter().any(|s| s.by.len() != by_step.len()) {
            return Err(
                "sequence steps joined on different numbers of fields are not written".into(),
            );
        }
        let mut unique: Vec<&Expr> = Vec::new();
        let mut runs: Vec<usize> = Vec::new();
        let mut order: Vec<usize> = Vec::new();
        let pruned: Vec<Expr> = steps
            .iter()
            .map(|s| common::prune_routing(&s.expr, &self.namer, &mut Vec::new()))
            .collect();
        for s in &pruned {
            if let Some(i) = unique.iter().position(|e| *e == s) {
                runs[i] += 1;
                order.push(i);
            } else {
                unique.push(s);
                runs.push(1);
                order.push(unique.len() - 1);
            }
        }
        let mut cases = Vec::new();
        for (i, e) in unique.iter().enumerate() {
            let q = common::walk(e, &mut |x| self.leaf(x))?;
            cases.push(format!("{}, {}", common::print_kusto(&q), i + 1));
        }
        let mut by: Vec<String> = agg.group_by.iter().map(|f| self.field(f)).collect();
        let mut keys = String::new();
        if keyed {
            // Each step joins on its own fields: one key column per position.
            for j in 0..by_step.len() {
                let mut arms = Vec::new();
                for (i, e) in unique.iter().enumerate() {
                    let at = pruned.iter().position(|p| p == *e).expect("step");
                    let step = &steps[at];
                    let f = self.field(&step.by[j]);
                    arms.push(format!("Step == {}, tostring({f})", i + 1));
                }
                let _ = write!(
                    keys,
                    "\n| extend JoinKey{} = case({}, \"\")",
                    j + 1,
                    arms.join(", ")
                );
                by.push(format!("JoinKey{}", j + 1));
            }
        } else {
            for f in &by_step {
                by.push(self.field(f));
            }
        }
        let mut metrics = Vec::new();
        let mut conds = Vec::new();
        for (i, n) in runs.iter().enumerate() {
            metrics.push(format!("Step{0} = countif(Step == {0})", i + 1));
            metrics.push(format!("First{0} = minif({t}, Step == {0})", i + 1));
            conds.push(format!("Step{} >= {n}", i + 1));
        }
        let last = unique.len();
        metrics.push(format!("Last = maxif({t}, Step == {last})"));
        for w in order.windows(2) {
            if w[0] != w[1] {
                conds.push(format!("First{} <= First{}", w[0] + 1, w[1] + 1));
            }
        }
        if let Some(span) = agg.window.as_ref().and_then(|w| w.seconds) {
            conds.push(format!("Last - First{} <= {span}s", order[0] + 1));
        }
        self.reasons.push("the sequence is checked per group from each step's first time and the last step's last time: every step seen, in order, within the span — not event by event".into());
        let mut out = format!("\n| extend Step = case({}, 0)", cases.join(", "));
        out.push_str(&keys);
        let _ = write!(out, "\n| summarize {}", metrics.join(", "));
        if !by.is_empty() {
            let _ = write!(out, " by {}", by.join(", "));
        }
        let _ = write!(out, "\n| where {}", conds.join(" and "));
        Ok(out)
    }
}

/// `name op value` for an aggregate condition.
pub(crate) fn cmp(name: &str, c: &Comparison) -> String {
    let sym = c.op.ordering_symbol().unwrap_or("==");
    format!("{name} {sym} {}", fmt_num(c.value))
}

/// A bound without a trailing `.0` when it is whole.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(kstr(r#"C:\a"b"#), r#""C:\\a\"b""#);
        assert_eq!(kstr("a\nb\tc"), r#""a\nb\tc""#);
        assert_eq!(kstr("*?"), r#""*?""#);
    }

    #[test]
    fn odd_column_names_are_bracketed() {
        assert_eq!(column("TargetProcessName"), "TargetProcessName");
        assert_eq!(column("a.b"), "['a.b']");
        assert_eq!(column("it's"), r"['it\'s']");
        assert_eq!(column("1x"), "['1x']");
    }
}
