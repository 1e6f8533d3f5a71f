//! `ruledex attack`: check every rule's ATT&CK references against the
//! ATT&CK data: current, remapped (ATT&CK v19 ids onto the data's version,
//! revoked ids onto their replacement), or reported as a problem.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ruledex_attack::{Attack, Status};
use ruledex_model::Vendor;
use serde_json::json;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// ATT&CK data (the compact enterprise-attack.json). Default: $RULEDEX_ATTACK.
    #[arg(long, value_name = "FILE", env = "RULEDEX_ATTACK")]
    attack: Option<PathBuf>,
    /// Print one JSON object per vendor.
    #[arg(long)]
    json: bool,
    /// Rule directories or VENDOR=DIR; default: the embedded samples.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let Some(path) = &args.attack else {
        bail!(
            "give the ATT&CK data with --attack FILE or RULEDEX_ATTACK (the compact enterprise-attack.json)"
        );
    };
    let attack = Attack::load(path)
        .with_context(|| format!("loading ATT&CK data from {}", path.display()))?;
    let mut problems_found = false;
    for source in crate::ingest::sources(&args.sources)? {
        let r = ruledex_ingest::ingest(&source);
        let (mut current, mut checked) = (0usize, 0usize);
        let mut remapped: BTreeMap<String, usize> = BTreeMap::new();
        let mut problems = Vec::new();
        for rule in &r.rules {
            let parsed = match rule.vendor {
                Vendor::Sigma => ruledex_attack::parse_sigma_tags(&rule.tags),
                _ => ruledex_attack::parse_splunk_ids(&rule.techniques),
            };
            for c in attack.check(&parsed) {
                checked += 1;
                match &c.status {
                    Status::Current(_) | Status::Unchecked(_) => current += 1,
                    Status::Remapped { from, to, .. } => {
                        *remapped.entry(format!("{from} -> {to}")).or_default() += 1;
                    }
                    other => problems.push(json!({
                        "rule": rule.uid,
                        "path": rule.source.path,
                        "reference": c.input,
                        "status": format!("{other:?}"),
                    })),
                }
            }
        }
        problems_found |= !problems.is_empty();
        if args.json {
            let v = json!({
                "vendor": r.vendor,
                "root": r.root,
                "attack_version": attack.version(),
                "rules": r.rules.len(),
                "references": checked,
                "current": current,
                "remapped": remapped,
                "problems": problems,
            });
            println!("{}", serde_json::to_string(&v)?);
            continue;
        }
        println!(
            "{} ({}) against ATT&CK {}",
            r.vendor,
            r.root,
            attack.version()
        );
        println!("  rules               {:>6}", r.rules.len());
        println!("  ATT&CK references  {checked:>6}");
        println!("  current            {current:>6}");
        println!(
            "  remapped           {:>6}",
            remapped.values().sum::<usize>()
        );
        for (m, n) in &remapped {
            println!("    {n:>5}  {m}");
        }
        println!("  problems           {:>6}", problems.len());
        for p in &problems {
            println!(
                "    {}  {}  {}",
                p["path"].as_str().unwrap_or(""),
                p["reference"].as_str().unwrap_or(""),
                p["status"].as_str().unwrap_or("")
            );
        }
    }
    Ok(if problems_found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
