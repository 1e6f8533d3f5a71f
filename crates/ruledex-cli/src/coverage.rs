//! `ruledex coverage`: rules per ATT&CK tactic and technique, and a Navigator layer.

use std::process::ExitCode;

use anyhow::{Context, Result};
use ruledex_catalog::CoverageQuery;
use ruledex_model::Vendor;

use crate::catalog::{CatalogArg, cut};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Only this vendor's rules.
    #[arg(long)]
    vendor: Option<Vendor>,
    /// Only rules for this platform.
    #[arg(long)]
    platform: Option<String>,
    /// Only rules that read this catalog event (e.g. `windows/process_creation`).
    #[arg(long, value_name = "EVENT")]
    event: Option<String>,
    /// Print the coverage as JSON.
    #[arg(long)]
    json: bool,
    /// Also write an ATT&CK Navigator layer (format 4.5) to FILE.
    #[arg(long, value_name = "FILE")]
    navigator: Option<std::path::PathBuf>,
    /// Techniques listed per tactic in the text output (0: all).
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[command(flatten)]
    catalog: CatalogArg,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = args.catalog.open_existing()?;
    let cov = catalog.coverage(&CoverageQuery {
        vendor: args.vendor,
        platform: args.platform.clone(),
        event: args.event.clone(),
    })?;
    if let Some(path) = &args.navigator {
        let name = match args.vendor {
            Some(v) => format!("ruledex coverage ({v})"),
            None => "ruledex coverage".to_owned(),
        };
        let layer = cov.navigator_layer(&name);
        std::fs::write(path, serde_json::to_string_pretty(&layer)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote Navigator layer {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cov)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} rules cover {} techniques (ATT&CK {})",
        cov.rules,
        cov.techniques_covered,
        cov.attack_version.as_deref().unwrap_or("?")
    );
    for t in &cov.tactics {
        let vendors: Vec<String> = t.vendors.iter().map(|(v, n)| format!("{v} {n}")).collect();
        println!(
            "\n{} ({}): {}/{} techniques, {} rules [{}]",
            t.name,
            t.id,
            t.techniques_covered,
            t.techniques_total,
            t.rules,
            vendors.join(", ")
        );
        let n = if args.limit == 0 {
            t.techniques.len()
        } else {
            args.limit
        };
        for tc in t.techniques.iter().take(n) {
            let vendors: Vec<String> = tc.vendors.iter().map(|(v, n)| format!("{v} {n}")).collect();
            println!(
                "  {:<10} {:<44} {:>5}  {}",
                tc.id,
                cut(tc.name.as_deref().unwrap_or(""), 44),
                tc.rules,
                vendors.join(", ")
            );
        }
        if t.techniques.len() > n {
            println!("  … and {} more (use --limit 0)", t.techniques.len() - n);
        }
    }
    if !cov.unknown.is_empty() {
        let ids: Vec<&str> = cov.unknown.iter().map(|t| t.id.as_str()).collect();
        println!(
            "\nNot in the ATT&CK data ({}): {}",
            ids.len(),
            cut(&ids.join(", "), 200)
        );
    }
    Ok(ExitCode::SUCCESS)
}
