//! `ruledex bench`: parse throughput, single-threaded, files already in memory.
//!
//! Times each vendor's front-end alone (reading the file into a `Rule`, query
//! parsers included), not the taxonomy enrichment that ingest adds.
//!
//! With `--catalog FILE`, measures the catalog instead: the time to build a
//! fresh catalog from the sources (read, parse, enrich, write), the time of a
//! second identical sync, and the latency of `guide` for a set of techniques.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use ruledex_ingest::Source;
use ruledex_model::Vendor;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// How many times to parse the whole corpus; the best run is reported.
    #[arg(long, default_value_t = 5)]
    iterations: u32,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
    /// Measure the catalog instead: build FILE afresh from the sources (it
    /// is deleted first), sync again, and time `guide`.
    #[arg(long, value_name = "FILE")]
    catalog: Option<std::path::PathBuf>,
    #[command(flatten)]
    attack: crate::catalog::AttackArg,
    /// Corpus directories or VENDOR=DIR; default: the embedded samples.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

/// Techniques whose guide latency `bench --catalog` reports: small, large,
/// a sub-technique and the biggest pages of the public corpora.
const GUIDE_TECHNIQUES: [&str; 6] = ["T1046", "T1059", "T1059.001", "T1078", "T1547", "T1218"];

fn bench_catalog(args: &Args, path: &std::path::Path) -> Result<ExitCode> {
    use ruledex_catalog::{Catalog, GuideQuery, SourceBatch};
    let attack = args.attack.load()?;
    let sources = crate::ingest::sources(&args.sources)?;
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let start = Instant::now();
    let batches: Vec<SourceBatch> = sources
        .iter()
        .map(|s| SourceBatch::local(ruledex_ingest::ingest(s)))
        .collect();
    let read = start.elapsed().as_secs_f64();
    let mut catalog = Catalog::open(path)?;
    let report = catalog.ingest(&batches, &attack)?;
    let build = start.elapsed().as_secs_f64();
    let again = Instant::now();
    let batches: Vec<SourceBatch> = sources
        .iter()
        .map(|s| SourceBatch::local(ruledex_ingest::ingest(s)))
        .collect();
    let second = catalog.ingest(&batches, &attack)?;
    let resync = again.elapsed().as_secs_f64();
    let stats = catalog.stats()?;
    let mut guides = Vec::new();
    for t in GUIDE_TECHNIQUES {
        let mut times = Vec::new();
        let mut rules = 0;
        for _ in 0..args.iterations.max(1) {
            let s = Instant::now();
            rules = std::hint::black_box(catalog.guide(&GuideQuery::new(t))?).rules;
            times.push(s.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        guides.push(serde_json::json!({
            "technique": t, "rules": rules,
            "median_ms": times[times.len() / 2], "max_ms": times[times.len() - 1],
        }));
    }
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let figures = serde_json::json!({
        "catalog": path.display().to_string(),
        "rules": stats.rules, "predicates": stats.predicates,
        "techniques_covered": stats.techniques_covered, "bytes": size,
        "read_seconds": read, "build_seconds": build,
        "added": report.added,
        "resync_seconds": resync, "resync_added": second.added, "resync_changed": second.changed,
        "resync_removed": second.removed,
        "guide": guides,
    });
    if args.json {
        println!("{figures}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "catalog build: {} rules, {} predicate rows, {:.1} MB in {:.2} s (reading and parsing {:.2} s, writing {:.2} s)",
        stats.rules,
        stats.predicates,
        size as f64 / 1e6,
        build,
        read,
        build - read
    );
    println!(
        "second identical sync: {:.2} s, {} added, {} changed, {} removed",
        resync, second.added, second.changed, second.removed
    );
    for g in &guides {
        println!(
            "guide {:<10} {:>5} rules: median {:>7.2} ms, max {:>7.2} ms (of {})",
            g["technique"].as_str().unwrap_or(""),
            g["rules"],
            g["median_ms"].as_f64().unwrap_or(0.0),
            g["max_ms"].as_f64().unwrap_or(0.0),
            args.iterations.max(1)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    if let Some(path) = &args.catalog {
        return bench_catalog(args, path);
    }
    for source in crate::ingest::sources(&args.sources)? {
        let files: Vec<(String, String)> = match &source {
            Source::Samples => ruledex_samples::sigma()
                .iter()
                .map(|f| (f.path.to_owned(), f.text.to_owned()))
                .collect(),
            Source::Dir { vendor, path } => {
                if parser(*vendor, None).is_none() {
                    bail!("no front-end for {vendor} yet");
                }
                ruledex_ingest::rule_files(*vendor, path)
                    .into_iter()
                    .filter_map(|p| {
                        Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?))
                    })
                    .collect()
            }
        };
        let dir = match &source {
            Source::Dir { path, .. } => Some(path.as_path()),
            Source::Samples => None,
        };
        let parse = parser(source.vendor(), dir).expect("checked above");
        let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
        let mut best = f64::INFINITY;
        let mut rules = 0;
        for _ in 0..args.iterations.max(1) {
            let start = Instant::now();
            rules = 0;
            for (path, text) in &files {
                rules += std::hint::black_box(parse(path, text));
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        let per_sec = rules as f64 / best;
        if args.json {
            println!(
                "{}",
                serde_json::json!({"vendor": source.vendor(), "files": files.len(), "bytes": bytes, "rules": rules, "seconds": best, "rules_per_second": per_sec})
            );
        } else {
            println!(
                "{}: parsed {} rules from {} files ({:.1} MB) in {:.3} s on one thread: {:.0} rules/s (best of {})",
                source.vendor(),
                rules,
                files.len(),
                bytes as f64 / 1e6,
                best,
                per_sec,
                args.iterations.max(1)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

type Parser = Box<dyn Fn(&str, &str) -> usize>;

/// The front-end of a vendor, as "rules read from one file". Splunk's macros
/// and lookups are read once, before timing, from the corpus under `dir`.
fn parser(vendor: Vendor, dir: Option<&std::path::Path>) -> Option<Parser> {
    match vendor {
        Vendor::Sigma => Some(Box::new(|path, text| {
            ruledex_sigma::parse_sigma(path, text).rules.len()
        })),
        Vendor::Elastic => Some(Box::new(|path, text| {
            ruledex_elastic::rule::parse_elastic(path, text).rules.len()
        })),
        Vendor::Splunk => {
            let cx = dir.map_or_else(ruledex_splunk::Context::new, |d| {
                ruledex_splunk::Context::load(&ruledex_ingest::splunk_root(d))
            });
            Some(Box::new(move |path, text| {
                ruledex_splunk::parse_splunk_with(path, text, &cx)
                    .rules
                    .len()
            }))
        }
        Vendor::Sentinel => Some(Box::new(|path, text| {
            ruledex_sentinel::parse_sentinel(path, text).rules.len()
        })),
        Vendor::Panther => None,
    }
}
