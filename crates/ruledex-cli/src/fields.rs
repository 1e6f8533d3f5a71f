//! `ruledex fields`: how many field references resolve to a canonical field.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object per vendor (one per line).
    #[arg(long)]
    json: bool,
    /// How many unresolved names to list per vendor in the text report (all are in --json).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Rule directories or VENDOR=DIR; default: the embedded samples.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    for source in crate::ingest::sources(&args.sources)? {
        let r = ruledex_ingest::ingest(&source);
        let occ = r.field_occurrences;
        let resolved = r.resolved_fields();
        let percent = if occ == 0 {
            0.0
        } else {
            100.0 * resolved as f64 / occ as f64
        };
        let ranked = r.unresolved_ranked();
        if args.json {
            let unresolved: Vec<_> = ranked
                .iter()
                .map(|(f, c)| json!({"field": f, "count": c}))
                .collect();
            let v = json!({
                "vendor": r.vendor,
                "root": r.root,
                "supported": !r.unsupported,
                "rules": r.rules.len(),
                "occurrences": occ,
                "resolved": resolved,
                "resolved_percent": (percent * 100.0).round() / 100.0,
                "unresolved": unresolved,
            });
            println!("{}", serde_json::to_string(&v)?);
            continue;
        }
        println!("{} ({})", r.vendor, r.root);
        if r.unsupported {
            println!("  no front-end for {} yet", r.vendor);
            continue;
        }
        println!("  field references  {occ:>7}");
        println!("  resolved          {resolved:>7}  ({percent:.2}%)");
        println!(
            "  unresolved        {:>7}  ({} distinct names)",
            occ - resolved,
            ranked.len()
        );
        for (name, count) in ranked.iter().take(args.top) {
            println!("    {count:>5}  {name}");
        }
        if ranked.len() > args.top {
            println!(
                "    … and {} more names (use --json for all)",
                ranked.len() - args.top
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
