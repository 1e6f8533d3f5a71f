//! `ruledex`: the command-line tool. Argument parsing and printing only; the
//! work is done by the library crates.

mod attack;
mod bench;
mod catalog;
mod convert;
mod coverage;
mod events;
mod feed;
mod fields;
mod guide;
mod ingest;
mod lint;
mod search;
mod serve;
mod show;
mod similar;
mod sync;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ruledex reads the public detection content of Sigma, Elastic, Splunk,
/// Sentinel and Panther, normalizes it into one model, and answers, for any
/// ATT&CK technique, which events, fields, values and exclusions everyone
/// already uses.
///
/// With no SOURCE, commands work on a small sample corpus embedded in the
/// binary. A SOURCE is a directory of rules (the vendor is detected from its
/// name or layout) or VENDOR=DIR.
#[derive(Parser)]
#[command(name = "ruledex", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read rule corpora and report, per vendor, how many rules were read and
    /// which files could not be, with file, line, column and reason.
    ///
    /// Exit status: 0 when every file gave rules, 1 when some documents
    /// failed (the report lists them), 2 on usage errors.
    ///
    /// With --catalog FILE, also write the rules into that catalog in one
    /// transaction and print what was added, changed and removed.
    Ingest(ingest::Args),
    /// Bring a catalog up to date, in one transaction: from local directories,
    /// or (no SOURCE) from the public repositories fetched as tarballs over HTTPS.
    ///
    /// Exit status: 0 on success, 3 when a repository cannot be reached (the
    /// catalog is unchanged), 2 on other errors.
    Sync(sync::Args),
    /// The authoring guide of an ATT&CK technique: events, fields filtered
    /// most, top indicator values with corpus reach, exclusions, rules by vendor.
    Guide(guide::Args),
    /// Rules per ATT&CK tactic and technique, with vendors and events; an
    /// ATT&CK Navigator layer with --navigator FILE.
    Coverage(coverage::Args),
    /// Full-text search over titles, descriptions, fields and values.
    ///
    /// Exit status 1 when nothing matches.
    Search(search::Args),
    /// The feed: rules the syncs added, changed and removed, newest first.
    Feed(feed::Args),
    /// Show one rule normalized: metadata, logic tree and exclusions.
    Show(show::Args),
    /// Report how many field references resolve to a canonical (ECS-named)
    /// field, per vendor, and rank the names that do not.
    Fields(fields::Args),
    /// List the catalog events (the data rules need, one name across
    /// vendors) with what produces them; with SOURCE, count rules per event.
    Events(events::Args),
    /// Check every rule's ATT&CK references: current, remapped or a problem.
    ///
    /// Exit status 1 when some reference is unknown, revoked, deprecated or malformed.
    Attack(attack::Args),
    /// Measure how fast the front-ends parse a corpus (single thread); with
    /// --catalog FILE, the catalog build time and guide latency.
    Bench(bench::Args),
    /// Convert rules to other query languages (Kusto, SPL, Lucene, KQL, EQL,
    /// ES|QL, SQL, Sigma), each with its fidelity: exact, approximate (with
    /// the reasons) or unsupported (with the reason).
    ///
    /// Prints each query with its fidelity, then (on stderr) the fidelity
    /// counts per target. With --json, one JSON object per (rule, target) and a
    /// last `{"summary": …}` line. With --out DIR, one file per rule per target
    /// in DIR/<target>/.
    ///
    /// Exit status: 0 when every rule converted to every target, 1 when some
    /// conversion was unsupported (or some rule could not be read), 2 on usage
    /// errors.
    Convert(convert::Args),
    /// Serve the catalog as a website and a JSON API (feed, rules with
    /// conversions, technique guides, coverage, events, search).
    Serve(serve::Args),
    /// Check draft rules against the catalog: unknown or misspelled fields,
    /// noisy lone indicators, exclusions most rules of the technique have,
    /// technique tags, log source, near-duplicates of catalog rules.
    ///
    /// Exit status: 0 when no finding is an error, 1 otherwise, 2 on usage
    /// errors.
    Lint(lint::Args),
    /// Rules of other vendors whose normalized logic overlaps a rule's most
    /// (Jaccard index over positive indicators).
    Similar(similar::Args),
}

/// Exit quietly when stdout is closed early (`ruledex events | head`), as
/// command-line tools do, instead of reporting a panic.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_broken_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(a) => ingest::run(&a),
        Command::Sync(a) => sync::run(&a),
        Command::Guide(a) => guide::run(&a),
        Command::Coverage(a) => coverage::run(&a),
        Command::Search(a) => search::run(&a),
        Command::Feed(a) => feed::run(&a),
        Command::Show(a) => show::run(&a),
        Command::Fields(a) => fields::run(&a),
        Command::Events(a) => events::run(&a),
        Command::Attack(a) => attack::run(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Convert(a) => convert::run(&a),
        Command::Serve(a) => serve::run(&a),
        Command::Lint(a) => lint::run(&a),
        Command::Similar(a) => similar::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
