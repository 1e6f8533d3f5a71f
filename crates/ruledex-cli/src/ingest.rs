//! `ruledex ingest`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use ruledex_ingest::{Report, Source};
use serde_json::json;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Also write the rules into this catalog file (one transaction; see
    /// `ruledex sync`), and print what was added, changed and removed.
    #[arg(long, value_name = "FILE")]
    catalog: Option<std::path::PathBuf>,
    #[command(flatten)]
    attack: crate::catalog::AttackArg,
    /// Print one JSON object per vendor (one per line) instead of a table.
    #[arg(long)]
    json: bool,
    /// How many failures to list per vendor in the text report (all are in --json).
    #[arg(long, default_value_t = 20)]
    max_failures: usize,
    /// Rule directories (vendor detected) or VENDOR=DIR. None: the embedded sample corpus.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

/// Parse the source arguments (none means the embedded samples).
pub(crate) fn sources(args: &[String]) -> Result<Vec<Source>> {
    if args.is_empty() {
        return Ok(vec![Source::Samples]);
    }
    args.iter()
        .map(|a| Source::parse(a).map_err(Into::into))
        .collect()
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let sources = sources(&args.sources)?;
    if let Some(path) = &args.catalog {
        return into_catalog(args, path, &sources);
    }
    let mut any_failure = false;
    for source in &sources {
        let report = ruledex_ingest::ingest(source);
        any_failure |= !report.failures.is_empty();
        if args.json {
            println!("{}", serde_json::to_string(&to_json(&report))?);
        } else {
            print_text(&report, args.max_failures);
        }
    }
    Ok(if any_failure {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `ingest --catalog FILE`: read, then write in one transaction.
fn into_catalog(args: &Args, path: &std::path::Path, sources: &[Source]) -> Result<ExitCode> {
    let attack = args.attack.load()?;
    let batches: Vec<ruledex_catalog::SourceBatch> = sources
        .iter()
        .map(|s| ruledex_catalog::SourceBatch::local(ruledex_ingest::ingest(s)))
        .collect();
    let any_failure = batches.iter().any(|b| !b.report.failures.is_empty());
    let mut catalog = ruledex_catalog::Catalog::open(path)
        .with_context(|| format!("opening catalog {}", path.display()))?;
    let report = catalog.ingest(&batches, &attack).with_context(|| {
        format!(
            "ingest failed; the catalog is unchanged ({})",
            path.display()
        )
    })?;
    crate::sync::print_report(&report, &path.display().to_string(), args.json)?;
    Ok(if any_failure {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn to_json(r: &Report) -> serde_json::Value {
    json!({
        "vendor": r.vendor,
        "root": r.root,
        "supported": !r.unsupported,
        "files": r.files,
        "rules": r.rules.len(),
        "with_logic": r.with_logic(),
        "fully_parsed": r.fully_parsed(),
        "failed": r.failed_files,
        "opaque_reasons": r
            .opaque_reasons()
            .into_iter()
            .map(|(reason, rules)| json!({"reason": reason, "rules": rules}))
            .collect::<Vec<_>>(),
        "failures": r.failures,
        "warnings": r.warnings,
    })
}

fn print_text(r: &Report, max: usize) {
    println!("{} ({})", r.vendor, r.root);
    if r.unsupported {
        println!("  files          {:>6}", r.files);
        println!(
            "  no front-end for {} yet: files found but not read",
            r.vendor
        );
        return;
    }
    println!("  files          {:>6}", r.files);
    println!("  rules          {:>6}", r.rules.len());
    println!("  with logic     {:>6}", r.with_logic());
    println!("  fully parsed   {:>6}", r.fully_parsed());
    println!("  failed files   {:>6}", r.failed_files);
    println!("  warnings       {:>6}", r.warnings.len());
    let reasons = r.opaque_reasons();
    if !reasons.is_empty() {
        println!("  not fully parsed, by reason (rules):");
        for (reason, n) in reasons.iter().take(max) {
            println!("    {n:>5}  {reason}");
        }
        if reasons.len() > max {
            println!(
                "    … and {} more reasons (use --json for all)",
                reasons.len() - max
            );
        }
    }
    if !r.failures.is_empty() {
        println!("  failures:");
        for f in r.failures.iter().take(max) {
            println!(
                "    {}:{}:{}: [{}] {}",
                f.path, f.line, f.column, f.code, f.reason
            );
        }
        if r.failures.len() > max {
            println!(
                "    … and {} more (use --json for all)",
                r.failures.len() - max
            );
        }
    }
}
