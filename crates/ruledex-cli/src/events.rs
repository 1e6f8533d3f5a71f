//! `ruledex events`: the catalog events — the data rules need, one name across
//! vendors — with what produces them, and optionally how many rules need each.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, bail};
use ruledex_taxonomy::events::{CatalogEvent, CatalogEvents};
use serde_json::json;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Show one event in full.
    #[arg(long, value_name = "EVENT_ID")]
    event: Option<String>,
    /// Count the rules of these sources per event (directories or VENDOR=DIR);
    /// `samples` for the embedded corpus.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

fn producers(e: &CatalogEvent) -> Vec<String> {
    let mut out = Vec::new();
    for s in &e.sigma {
        let mut parts = Vec::new();
        for (k, v) in [
            ("product", &s.product),
            ("category", &s.category),
            ("service", &s.service),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        if !s.event_ids.is_empty() {
            let ids: Vec<String> = s.event_ids.iter().map(ToString::to_string).collect();
            parts.push(format!("EventID {}", ids.join("/")));
        }
        out.push(format!("sigma: {}", parts.join(" ")));
    }
    if !e.elastic.indices.is_empty() {
        out.push(format!("elastic: {}", e.elastic.indices.join(", ")));
    }
    if !e.splunk.is_empty() {
        out.push(format!("splunk: {}", e.splunk.join(", ")));
    }
    for s in &e.sentinel {
        if s.event_ids.is_empty() {
            out.push(format!("sentinel: {}", s.table));
        } else {
            let ids: Vec<String> = s.event_ids.iter().map(ToString::to_string).collect();
            out.push(format!("sentinel: {} (EventID {})", s.table, ids.join("/")));
        }
    }
    if !e.asim.is_empty() {
        out.push(format!("asim: {}", e.asim.join(", ")));
    }
    if !e.panther.is_empty() {
        out.push(format!("panther: {}", e.panther.join(", ")));
    }
    out
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = CatalogEvents::global();
    if let Some(id) = &args.event {
        let Some(e) = catalog.get(id) else {
            bail!("no catalog event `{id}` (list them with `ruledex events`)");
        };
        if args.json {
            println!("{}", serde_json::to_string_pretty(e)?);
        } else {
            println!(
                "{} — {}\n\n{}\n\nplatform: {}",
                e.id, e.title, e.description, e.platform
            );
            if let Some(p) = &e.parent {
                println!("parent:   {p}");
            }
            println!("\nProduced by");
            for p in producers(e) {
                println!("  {p}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Rule counts per event, per source.
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut coverage = Vec::new();
    let sources: Vec<String> = args
        .sources
        .iter()
        .filter(|s| *s != "samples")
        .cloned()
        .collect();
    if !args.sources.is_empty() {
        for source in crate::ingest::sources(&sources)? {
            let r = ruledex_ingest::ingest(&source);
            for rule in &r.rules {
                for e in &rule.events {
                    *counts.entry(e.clone()).or_default() += 1;
                }
            }
            coverage.push((r.vendor, r.rules.len(), r.with_events(), r.root.clone()));
        }
    }
    if args.json {
        let events: Vec<_> = catalog
            .all()
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                if !args.sources.is_empty() {
                    v["rules"] = json!(counts.get(&e.id).copied().unwrap_or(0));
                }
                v
            })
            .collect();
        let cov: Vec<_> = coverage
            .iter()
            .map(|(v, n, w, root)| json!({"vendor": v, "root": root, "rules": n, "with_events": w}))
            .collect();
        println!(
            "{}",
            serde_json::to_string(&json!({"events": events, "coverage": cov}))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    for e in catalog.all() {
        if args.sources.is_empty() {
            println!("{:<40} {}", e.id, e.title);
            for p in producers(e).iter().take(4) {
                println!("{:<40}   {p}", "");
            }
        } else {
            let n = counts.get(&e.id).copied().unwrap_or(0);
            if n > 0 {
                println!("{n:>6}  {:<40} {}", e.id, e.title);
            }
        }
    }
    for (vendor, n, with, root) in &coverage {
        let pct = if *n == 0 {
            0.0
        } else {
            100.0 * *with as f64 / *n as f64
        };
        println!(
            "\n{vendor} ({root}): {with} of {n} rules have at least one catalog event ({pct:.2}%)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
