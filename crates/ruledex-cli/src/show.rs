//! `ruledex show`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use ruledex_diag::Severity;
use ruledex_model::{ExclusionScope, Rule};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print the normalized rule as JSON (with its exclusions).
    #[arg(long)]
    json: bool,
    /// Where to look the id up (directories or VENDOR=DIR); default: the embedded samples.
    #[arg(long = "source", value_name = "SOURCE")]
    sources: Vec<String>,
    /// A rule file, or a rule id / uid (`sigma:<id>`) / path suffix to look up.
    #[arg(value_name = "PATH_OR_ID")]
    target: String,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let rules = find(args)?;
    if rules.is_empty() {
        bail!("no rule matches `{}`", args.target);
    }
    for rule in &rules {
        if args.json {
            let mut v = serde_json::to_value(rule)?;
            v["exclusions"] = serde_json::to_value(rule.logic.exclusions())?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            print_rule(rule);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn find(args: &Args) -> Result<Vec<Rule>> {
    let path = Path::new(&args.target);
    if path.is_file() {
        let text = std::fs::read_to_string(path)?;
        let (mut rules, errors, warnings) = if path.extension().is_some_and(|x| x == "toml") {
            let p = ruledex_elastic::parse_elastic(&args.target, &text);
            let d = |e: &ruledex_elastic::rule::Error, s| e.to_diagnostic(s);
            let errs: Vec<_> = p.errors.iter().map(|e| d(e, Severity::Error)).collect();
            let warns: Vec<_> = p.warnings.iter().map(|e| d(e, Severity::Warning)).collect();
            (p.rules, errs, warns)
        } else {
            let p = ruledex_sigma::parse_sigma(&args.target, &text);
            let errs: Vec<_> = p
                .errors
                .iter()
                .map(|e| e.to_diagnostic(Severity::Error))
                .collect();
            let warns: Vec<_> = p
                .warnings
                .iter()
                .map(|e| e.to_diagnostic(Severity::Warning))
                .collect();
            (p.rules, errs, warns)
        };
        for d in errors.iter().chain(&warnings) {
            eprint!("{}", d.render(&args.target, &text));
        }
        if rules.is_empty() {
            bail!("`{}` holds no readable rule", args.target);
        }
        for rule in &mut rules {
            ruledex_taxonomy::enrich::enrich(rule);
        }
        return Ok(rules);
    }
    let want = args.target.as_str();
    let mut found = Vec::new();
    for source in crate::ingest::sources(&args.sources)? {
        let report = ruledex_ingest::ingest(&source);
        found.extend(report.rules.into_iter().filter(|r| {
            r.uid == want
                || r.native_id == want
                || r.source.path == want
                || r.source.path.ends_with(&format!("/{want}"))
        }));
    }
    Ok(found)
}

fn print_rule(r: &Rule) {
    println!("{}", r.title);
    println!("{}", "=".repeat(r.title.chars().count().min(100)));
    let line = |k: &str, v: String| {
        if !v.is_empty() {
            println!("{k:<14} {v}");
        }
    };
    line("uid", r.uid.clone());
    line("kind", format!("{:?}", r.kind).to_lowercase());
    line(
        "severity",
        r.severity.map(|s| s.to_string()).unwrap_or_default(),
    );
    line("status", r.status.clone().unwrap_or_default());
    line("techniques", r.techniques.join(", "));
    line("tactics", r.tactics.join(", "));
    line(
        "logsource",
        r.logsource
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    line("platforms", r.platforms.join(", "));
    line("events", r.events.join(", "));
    line("authors", r.authors.join(", "));
    line("date", r.created.clone().unwrap_or_default());
    line("modified", r.modified.clone().unwrap_or_default());
    line("source", r.source.path.clone());
    if !r.description.is_empty() {
        println!("\n{}", r.description);
    }
    println!("\nLogic");
    print!("{}", indent(&r.logic.expr.outline()));
    if let Some(a) = &r.logic.aggregation {
        println!("\nAggregation\n  {a}");
    }
    let exclusions = r.logic.exclusions();
    println!("\nExclusions ({})", exclusions.len());
    for e in &exclusions {
        match &e.scope {
            ExclusionScope::Rule => println!("  - {}", e.expr),
            ExclusionScope::Branch { scoped_to, .. } => {
                let to = ruledex_model::Expr::and(scoped_to.clone());
                println!("  - {}\n      scoped to: {to}", e.expr);
            }
        }
    }
    if !r.false_positives.is_empty() {
        println!("\nFalse positives");
        for f in &r.false_positives {
            println!("  - {f}");
        }
    }
}

fn indent(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for l in s.lines() {
        out.push_str("  ");
        out.push_str(l);
        out.push('\n');
    }
    out
}
