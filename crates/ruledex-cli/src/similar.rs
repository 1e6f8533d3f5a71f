//! `ruledex similar`: rules of other vendors with overlapping logic.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ruledex_catalog::Similar;
use ruledex_catalog::lint::detect_vendor;

use crate::catalog::{CatalogArg, cut};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// How many rules to list (0: all).
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalog: CatalogArg,
    /// A catalog rule uid (`sigma:…`, `elastic:…`), or a rule file.
    #[arg(value_name = "RULE")]
    rule: String,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = args.catalog.open_existing()?;
    let path = Path::new(&args.rule);
    let found: Vec<Similar> = if path.is_file() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", args.rule))?;
        let Some(vendor) = detect_vendor(path, &text) else {
            bail!("cannot tell the dialect of {}", args.rule);
        };
        let report = ruledex_ingest::ingest_text(vendor, &args.rule, &text);
        let Some(rule) = report.rules.first() else {
            let why = report
                .failures
                .first()
                .map_or_else(|| "no rule in the file".to_owned(), |f| f.reason.clone());
            bail!("cannot read {}: {why}", args.rule);
        };
        catalog.similar(rule, args.limit)?
    } else {
        catalog.similar(args.rule.as_str(), args.limit)?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!(
            "no rule of another vendor shares an indicator with {}",
            args.rule
        );
    }
    for s in &found {
        println!(
            "{:.2}  {:<8} {}  {}",
            s.score,
            s.vendor,
            s.uid,
            cut(&s.title, 70)
        );
        let shared: Vec<String> = s
            .shared
            .iter()
            .map(|i| format!("{} {} {}", i.field, i.op, i.value))
            .collect();
        println!(
            "      shared {}/{}: {}",
            s.shared.len(),
            s.indicators,
            cut(&shared.join("; "), 110)
        );
    }
    Ok(ExitCode::SUCCESS)
}
