//! `ruledex serve`: the catalog as a website and a JSON API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use ruledex_attack::Attack;
use ruledex_web::Backend;
use ruledex_web::atomics::Atomics;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// A catalog file written by `ruledex sync` or `ruledex ingest`; its
    /// queries answer every page (opened read-only).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Rule directories to serve (a directory or VENDOR=DIR; repeatable);
    /// default: the sample corpus embedded in the binary.
    #[arg(long = "source", value_name = "SOURCE")]
    sources: Vec<String>,
    /// ATT&CK compact JSON; default: ../shared/attack/enterprise-attack.json
    /// when present, else the small ATT&CK subset embedded in the binary.
    #[arg(long, value_name = "FILE")]
    attack: Option<PathBuf>,
    /// Atomic Red Team `atomics/` directory; default: ../shared/corpora/atomics
    /// when present.
    #[arg(long, value_name = "DIR")]
    atomics: Option<PathBuf>,
}

fn attack(path: Option<&Path>) -> Result<(Attack, String)> {
    let default = Path::new("../shared/attack/enterprise-attack.json");
    match path {
        Some(p) => Ok((
            Attack::load(p).with_context(|| format!("reading ATT&CK from {}", p.display()))?,
            p.display().to_string(),
        )),
        None if default.is_file() => Ok((Attack::load(default)?, default.display().to_string())),
        None => Ok((Attack::fixture(), "embedded ATT&CK subset".to_owned())),
    }
}

fn atomics(path: Option<&Path>) -> Atomics {
    let default = Path::new("../shared/corpora/atomics");
    match path {
        Some(p) => Atomics::load(p),
        None if default.is_dir() => Atomics::load(default),
        None => Atomics::none(),
    }
}

/// Opens the catalog (or builds one in memory from the sources) and serves
/// until Ctrl-C.
pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let mut rules = Vec::new();
    let mut failures = 0;
    // The catalog every page is answered from: the file itself, or the
    // sample catalog, when nothing else is served; otherwise one built in
    // memory from the catalog's rules and the sources.
    let mut catalog_db = None;
    let mut origin = Vec::new();
    if let Some(catalog) = &args.catalog {
        origin.push(catalog.display().to_string());
        if args.sources.is_empty() {
            if !catalog.is_file() {
                anyhow::bail!("no catalog file at {}", catalog.display());
            }
            let db = ruledex_catalog::Catalog::open_read_only(catalog)
                .with_context(|| format!("opening catalog {}", catalog.display()))?;
            eprintln!(
                "ruledex: catalog {}: {} rules",
                catalog.display(),
                db.rule_count()?
            );
            catalog_db = Some(db);
        } else {
            let loaded = ruledex_web::load::from_catalog(catalog)?;
            eprintln!(
                "ruledex: catalog {}: {} rules, {} stored rule(s) not readable",
                catalog.display(),
                loaded.rules.len(),
                loaded.failures.len()
            );
            for (uid, reason) in loaded.failures.iter().take(20) {
                eprintln!("  {uid}: {reason}");
            }
            failures += loaded.failures.len();
            rules.extend(loaded.rules);
        }
    }
    if args.catalog.is_none() && args.sources.is_empty() {
        // No catalog given: build one in memory from the embedded samples.
        let catalog = ruledex_catalog::Catalog::from_samples()?;
        eprintln!(
            "ruledex: in-memory catalog of the embedded samples: {} rules",
            catalog.rule_count()?
        );
        origin.push("the embedded samples".to_owned());
        catalog_db = Some(catalog);
    }
    if !args.sources.is_empty() {
        for source in &crate::ingest::sources(&args.sources)? {
            let report = ruledex_ingest::ingest(source);
            eprintln!(
                "ruledex: {} {}: {} rules, {} document(s) not read",
                report.vendor,
                report.root,
                report.rules.len(),
                report.failures.len()
            );
            failures += report.failures.len();
            origin.push(report.root.clone());
            rules.extend(report.rules);
        }
    }
    let (attack, attack_from) = attack(args.attack.as_deref())?;
    let atomics = atomics(args.atomics.as_deref());
    eprintln!(
        "ruledex: ATT&CK {} from {attack_from}; {} atomics file(s) unreadable",
        attack.version(),
        atomics.failures
    );
    let mut backend = match catalog_db {
        Some(db) => Backend::build_on(db, attack, atomics, origin.join(", ")),
        None => Backend::build(rules, attack, atomics, origin.join(", ")),
    };
    if let Some(e) = &backend.catalog_error {
        eprintln!("ruledex: {e}");
    }
    backend.failures = failures;
    let router = ruledex_web::app(backend);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(ruledex_web::serve(router, args.addr))?;
    Ok(ExitCode::SUCCESS)
}
