//! `ruledex sync`: bring a catalog up to date from local directories or the
//! public repositories, in one transaction.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ruledex_catalog::fetch::{self, DEFAULT_REMOTES};
use ruledex_catalog::{SourceBatch, SyncReport};

use crate::catalog::{AttackArg, CatalogArg};

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    attack: AttackArg,
    /// Where to fetch the default repositories from (their branch tarballs).
    #[arg(long, value_name = "URL", env = "RULEDEX_SYNC_BASE_URL", default_value = fetch::DEFAULT_BASE_URL)]
    base_url: String,
    /// Print the sync report as JSON.
    #[arg(long)]
    json: bool,
    /// Rule directories (vendor detected) or VENDOR=DIR. None: fetch SigmaHQ/sigma,
    /// elastic/detection-rules, splunk/security_content, Azure/Azure-Sentinel and
    /// panther-labs/panther-analysis over HTTPS.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

/// Exit status when a repository cannot be fetched (the catalog is unchanged).
const UNREACHABLE: u8 = 3;

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let path = args.catalog.path();
    let attack = args.attack.load()?;
    let mut download_dir = None;
    let batches: Vec<SourceBatch> = if args.sources.is_empty() {
        let dir = PathBuf::from(format!("{}.download", path.display()));
        let mut batches = Vec::new();
        for remote in &DEFAULT_REMOTES {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(format!("fetching {}", remote.repo));
            let dest = dir.join(remote.repo.replace('/', "__"));
            let fetched = fetch::fetch(remote, &args.base_url, &dest, &mut |seen, total| {
                if let Some(t) = total
                    && bar.length().is_none()
                {
                    bar.set_length(t);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                }
                bar.set_position(seen);
            });
            bar.finish_and_clear();
            let fetched = match fetched {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {e}; the catalog is unchanged ({})", path.display());
                    let _ = std::fs::remove_dir_all(&dir);
                    return Ok(ExitCode::from(UNREACHABLE));
                }
            };
            eprintln!(
                "fetched {} ({} files{})",
                remote.repo,
                fetched.files,
                fetched
                    .meta
                    .commit
                    .as_deref()
                    .map(|c| format!(", commit {c}"))
                    .unwrap_or_default()
            );
            let report = ruledex_ingest::ingest_dir(remote.vendor, &fetched.dir);
            batches.push(SourceBatch {
                meta: fetched.meta,
                report,
            });
        }
        download_dir = Some(dir);
        batches
    } else {
        crate::ingest::sources(&args.sources)?
            .iter()
            .map(|s| SourceBatch::local(ruledex_ingest::ingest(s)))
            .collect()
    };
    let mut catalog = ruledex_catalog::Catalog::open(&path)
        .with_context(|| format!("opening catalog {}", path.display()))?;
    let report = catalog.ingest(&batches, &attack);
    if let Some(dir) = download_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    let report = report
        .with_context(|| format!("sync failed; the catalog is unchanged ({})", path.display()))?;
    print_report(&report, &path.display().to_string(), args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Print what a sync did.
pub(crate) fn print_report(report: &SyncReport, path: &str, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!(
        "catalog {path}: sync {} — {} added, {} changed, {} removed",
        report.sync_id, report.added, report.changed, report.removed
    );
    for s in &report.sources {
        if s.unsupported {
            println!(
                "  {:<8} {}: {} files, no front-end for {} yet (not read)",
                s.vendor, s.name, s.files, s.vendor
            );
            continue;
        }
        println!(
            "  {:<8} {}: {} rules read — {} added, {} changed, {} removed, {} unchanged{}{}",
            s.vendor,
            s.name,
            s.rules,
            s.added,
            s.changed,
            s.removed,
            s.unchanged,
            if s.failures > 0 {
                format!(", {} documents failed (see `ruledex ingest`)", s.failures)
            } else {
                String::new()
            },
            if s.duplicates > 0 {
                format!(", {} duplicate uids stored as uid@path", s.duplicates)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
