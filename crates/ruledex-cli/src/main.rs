//! `ruledex`: the command-line tool. Argument parsing and printing only; the
//! work is done by the library crates.

mod bench;
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
    /// Measure how fast the front-ends parse a corpus (single thread).
    Bench(bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(a) => ingest::run(&a),
        Command::Show(a) => show::run(&a),
        Command::Bench(a) => bench::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
