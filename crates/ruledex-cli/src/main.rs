//! `ruledex`: the command-line tool. Argument parsing and printing only; the
//! work is done by the library crates.

mod attack;
mod bench;
mod convert;
mod events;
mod fields;
mod ingest;
mod show;

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
    Ingest(ingest::Args),
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
    /// Measure how fast the front-ends parse a corpus (single thread).
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
        Command::Show(a) => show::run(&a),
        Command::Fields(a) => fields::run(&a),
        Command::Events(a) => events::run(&a),
        Command::Attack(a) => attack::run(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Convert(a) => convert::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
