//! `ruledex guide`: the authoring guide of a technique.

use std::process::ExitCode;

use anyhow::Result;
use ruledex_catalog::GuideQuery;
use ruledex_catalog::guide::Guide;
use ruledex_model::Vendor;

use crate::catalog::{CatalogArg, cut};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// ATT&CK technique id (T1046, T1059.001); a technique's page includes its sub-techniques.
    technique: String,
    /// Only rules for this platform (windows, linux, macos, aws, …).
    #[arg(long)]
    platform: Option<String>,
    /// Only rules of this domain (endpoint, cloud, network, …).
    #[arg(long)]
    domain: Option<String>,
    /// Only this vendor's rules.
    #[arg(long)]
    vendor: Option<Vendor>,
    /// Rows per section (0: all).
    #[arg(long, default_value_t = 15)]
    limit: usize,
    /// Print the guide as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalog: CatalogArg,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = args.catalog.open_existing()?;
    let mut q = GuideQuery::new(&args.technique);
    q.platform.clone_from(&args.platform);
    q.domain.clone_from(&args.domain);
    q.vendor = args.vendor;
    q.limit = args.limit;
    let guide = catalog.guide(&q)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&guide)?);
    } else {
        print_text(&guide);
    }
    Ok(ExitCode::SUCCESS)
}

/// ATT&CK descriptions carry `(Citation: …)` markers; a terminal does not need them.
fn strip_citations(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("(Citation:") {
        out.push_str(rest[..i].trim_end_matches(' '));
        match rest[i..].find(')') {
            Some(j) => rest = &rest[i + j + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn print_text(g: &Guide) {
    println!(
        "{} {}",
        g.name.as_deref().unwrap_or("(unknown technique)"),
        g.technique
    );
    if let Some(p) = &g.parent {
        println!("Sub-technique of {p}");
    }
    if !g.tactics.is_empty() {
        let names: Vec<String> = g
            .tactics
            .iter()
            .map(|t| format!("{} ({})", t.name, t.id))
            .collect();
        println!("Tactic: {}", names.join(", "));
    }
    if let Some(d) = &g.description {
        println!();
        let first = strip_citations(d.split("\n\n").next().unwrap_or(d));
        println!("{}", first.trim());
    }
    let mut filters = Vec::new();
    for (k, v) in [
        ("platform", &g.filters.platform),
        ("domain", &g.filters.domain),
        ("vendor", &g.filters.vendor),
    ] {
        if let Some(v) = v {
            filters.push(format!("{k} {v}"));
        }
    }
    if !filters.is_empty() {
        println!("\nFilters: {}", filters.join(", "));
    }

    println!("\nEvents covered\n");
    println!(
        "{} catalog events are tagged with this technique by at least one rule.",
        g.events.len()
    );
    for e in &g.events {
        println!(
            "  {:<40} {:<34} {:>4} rules",
            e.id,
            cut(e.title.as_deref().unwrap_or(""), 34),
            e.rules
        );
    }

    println!("\nAuthoring guide\n");
    println!(
        "Patterns shared across the {} rules under this technique{}: the fields they filter on, the values they\nlook for, and what they exclude. Field names are normalized across vendors (Sigma Image, Elastic\nprocess.name and Splunk process_name share a row); each rule counts at most once per row.",
        g.rules,
        if g.subtechnique_rules > 0 {
            format!(" ({} via sub-techniques)", g.subtechnique_rules)
        } else {
            String::new()
        }
    );

    println!("\nFields filtered most ({} distinct)\n", g.fields_total);
    println!(
        "  {:<28} {:>5}  {:<34} SAMPLE VALUES",
        "FIELD", "RULES", "HOW"
    );
    for f in &g.fields {
        let how: Vec<String> = f
            .how
            .iter()
            .map(|o| format!("{} {}", o.op, o.rules))
            .collect();
        let samples: Vec<String> = f.samples.iter().map(|v| cut(&v.value, 30)).collect();
        println!(
            "  {:<28} {:>5}  {:<34} {}",
            cut(&f.field, 28),
            f.rules,
            cut(&how.join(", "), 34),
            cut(&samples.join(", "), 70)
        );
        let vendors: Vec<String> = f
            .by_vendor
            .iter()
            .map(|v| {
                format!(
                    "{} {} ({})",
                    v.vendor,
                    v.rules,
                    cut(&v.fields.join(", "), 60)
                )
            })
            .collect();
        println!("  {:<28}        by vendor: {}", "", vendors.join("; "));
    }

    println!("\nTop indicator values ({} distinct)\n", g.indicators_total);
    println!(
        "  {:<28} {:<12} {:<50} {:>5} {:>8}",
        "FIELD", "KIND", "VALUE", "RULES", "CORPUS"
    );
    for i in &g.indicators {
        println!(
            "  {:<28} {:<12} {:<50} {:>5} {:>8}",
            cut(&i.field, 28),
            i.op,
            cut(&i.value, 50),
            i.rules,
            i.corpus_reach
        );
    }

    println!("\nExclusions ({} distinct)\n", g.exclusions_total);
    println!(
        "  {:<28} {:<12} {:<50} {:>9}",
        "FIELD", "KIND", "VALUE", "EXCLUDING"
    );
    for e in &g.exclusions {
        let scope = if e.rule_level == 0 {
            "  (branch-scoped)".to_owned()
        } else if e.branch_scoped > 0 {
            format!("  ({} branch-scoped)", e.branch_scoped)
        } else {
            String::new()
        };
        println!(
            "  {:<28} {:<12} {:<50} {:>9}{scope}",
            cut(&e.field, 28),
            e.op,
            cut(&e.value, 50),
            e.rules
        );
    }

    println!("\nRules under this technique\n");
    for v in &g.rules_by_vendor {
        println!("{} {} rules", v.vendor, v.count);
        for r in &v.rules {
            let sub = if r.subtechniques.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.subtechniques.join(", "))
            };
            println!(
                "  {:<13} {}{sub}  {}",
                r.severity.as_deref().unwrap_or("-"),
                cut(&r.title, 80),
                r.uid
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::strip_citations;

    #[test]
    fn citations_are_stripped() {
        assert_eq!(
            strip_citations("Scans run. (Citation: CISA AA20-259A) More (Citation: x)."),
            "Scans run. More."
        );
    }
}
