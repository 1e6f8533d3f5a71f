//! `ruledex lint`: check draft rules against the catalog.

use std::process::ExitCode;

use anyhow::{Context, Result};
use ruledex_catalog::lint::{Finding, Level, LintOptions, sarif};

use crate::catalog::{AttackArg, CatalogArg};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One line per finding: `file:line:column: level RDX000 name: message`.
    Text,
    /// The findings as a JSON array.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// A lone indicator is noisy from this many catalog rules using it.
    #[arg(long, default_value_t = LintOptions::default().noisy_reach)]
    noisy_reach: usize,
    /// An exclusion is common when this share of the technique's rules has it.
    #[arg(long, default_value_t = LintOptions::default().exclusion_share)]
    exclusion_share: f64,
    /// …and the technique has at least this many rules.
    #[arg(long, default_value_t = LintOptions::default().exclusion_min_rules)]
    exclusion_min_rules: usize,
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    attack: AttackArg,
    /// Draft rule files (Sigma or Sentinel YAML, Elastic TOML).
    #[arg(required = true, value_name = "DRAFT")]
    drafts: Vec<String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let catalog = args.catalog.open_existing()?;
    let attack = args.attack.load()?;
    let options = LintOptions {
        noisy_reach: args.noisy_reach,
        exclusion_share: args.exclusion_share,
        exclusion_min_rules: args.exclusion_min_rules,
    };
    let mut findings: Vec<Finding> = Vec::new();
    for draft in &args.drafts {
        let text =
            std::fs::read_to_string(draft).with_context(|| format!("reading draft {draft}"))?;
        findings.extend(catalog.lint(None, draft, &text, &attack, &options)?);
    }
    match args.format {
        Format::Text => {
            for f in &findings {
                println!(
                    "{}:{}:{}: {} {} {}: {}",
                    f.path,
                    f.line,
                    f.column,
                    f.level.as_str(),
                    f.rule_id,
                    f.rule,
                    f.message
                );
            }
            let errors = findings.iter().filter(|f| f.level == Level::Error).count();
            eprintln!(
                "{} finding(s), {errors} error(s) in {} draft(s)",
                findings.len(),
                args.drafts.len()
            );
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(&findings)?),
        Format::Sarif => println!("{}", serde_json::to_string_pretty(&sarif(&findings))?),
    }
    Ok(if findings.iter().any(|f| f.level == Level::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
