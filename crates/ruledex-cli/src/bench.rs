//! `ruledex bench`: parse throughput, single-threaded, files already in memory.
//!
//! Times each vendor's front-end alone (reading the file into a `Rule`, query
//! parsers included), not the taxonomy enrichment that ingest adds.

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
    /// Corpus directories or VENDOR=DIR; default: the embedded samples.
    #[arg(value_name = "SOURCE")]
    sources: Vec<String>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
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
        Vendor::Sentinel | Vendor::Panther => None,
    }
}
