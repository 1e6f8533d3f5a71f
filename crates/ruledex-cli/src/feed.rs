//! `ruledex feed`: what the syncs added, changed and removed, newest first.

use std::process::ExitCode;

use anyhow::Result;
use ruledex_catalog::{ChangeKind, FeedQuery};
use ruledex_model::{Severity, Vendor};

use crate::catalog::{CatalogArg, cut};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Only this vendor.
    #[arg(long)]
    vendor: Option<Vendor>,
    /// Only rules of at least this severity.
    #[arg(long)]
    severity: Option<Severity>,
    /// Only rules tagged with this technique (sub-techniques included).
    #[arg(long)]
    technique: Option<String>,
    /// Only rules for this platform.
    #[arg(long)]
    platform: Option<String>,
    /// Only removed rules.
    #[arg(long)]
    removed: bool,
    /// Entries per page.
    #[arg(long, default_value_t = 30)]
    limit: usize,
    /// Entries to skip.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print the page as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalog: CatalogArg,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = args.catalog.open_existing()?;
    let page = catalog.feed(&FeedQuery {
        vendor: args.vendor,
        min_severity: args.severity,
        technique: args.technique.clone(),
        platform: args.platform.clone(),
        kind: args.removed.then_some(ChangeKind::Removed),
        sync: None,
        offset: args.offset,
        limit: args.limit,
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&page)?);
        return Ok(ExitCode::SUCCESS);
    }
    for i in &page.items {
        println!(
            "{}  {:<7} {:<8} {:<13} {:<10} {}  {}",
            i.retrieved_at,
            i.kind.as_str(),
            i.vendor,
            i.severity.as_deref().unwrap_or("-"),
            i.rule_date.as_deref().unwrap_or("-"),
            cut(&i.title, 70),
            i.uid
        );
    }
    println!(
        "({}–{} of {})",
        (page.offset + 1).min(page.total),
        page.offset + page.items.len(),
        page.total
    );
    Ok(ExitCode::SUCCESS)
}
