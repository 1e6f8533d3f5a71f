//! `ruledex search`: full text over the catalog.

use std::process::ExitCode;

use anyhow::Result;

use crate::catalog::{CatalogArg, cut};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Words to find in titles, descriptions, field names and values (all must match).
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    /// Results to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalog: CatalogArg,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = args.catalog.open_existing()?;
    let hits = catalog.search(&args.query.join(" "), args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
    } else {
        for h in &hits {
            println!(
                "{:<8} {:<13} {}  {}",
                h.vendor,
                h.severity.as_deref().unwrap_or("-"),
                cut(&h.title, 80),
                h.uid
            );
            println!("         {}", cut(&h.snippet, 110));
        }
        if hits.is_empty() {
            eprintln!("no rule matches");
        }
    }
    Ok(if hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
