//! `ruledex convert`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use ruledex_convert::{Conversion, Fidelity, Target};
use ruledex_ingest::{Failure, Source};
use ruledex_model::Rule;
use serde_json::json;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Targets: `all`, or a comma-separated list of kusto-asim, kusto-xdr,
    /// kusto-securityevent, spl, spl-cim, lucene, kql, eql, esql, sql-sqlite,
    /// sql-spark, sigma.
    #[arg(long, short, value_name = "TARGET", default_value = "all")]
    target: String,
    /// Print JSON Lines: one object per (rule, target), then one summary line.
    #[arg(long)]
    json: bool,
    /// Also write one file per rule per target under DIR/<target>/.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Rule files (.yml Sigma, .toml Elastic) or directories (vendor detected,
    /// or VENDOR=DIR). None: the embedded sample corpus.
    #[arg(value_name = "RULE")]
    rules: Vec<String>,
}

/// Parse `all` or a comma list of target names.
fn targets(spec: &str) -> Result<Vec<Target>> {
    if spec.trim().eq_ignore_ascii_case("all") {
        return Ok(Target::ALL.to_vec());
    }
    let mut out = Vec::new();
    for name in spec.split(',').filter(|s| !s.trim().is_empty()) {
        let t: Target = name.parse()?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        bail!("no target given (use --target all or a comma list)");
    }
    Ok(out)
}

/// A rule read, with the path it was read from as the user named it.
struct Read {
    path: String,
    rule: Rule,
}

/// Read one rule file, detecting its vendor from the extension.
fn read_file(path: &Path, shown: &str, failures: &mut Vec<Failure>) -> Result<Vec<Read>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{shown}`"))?;
    let fail = |reason: String| Failure {
        path: shown.to_owned(),
        line: 0,
        column: 0,
        code: "unreadable-rule".into(),
        reason,
    };
    let (rules, errors): (Vec<Rule>, Vec<String>) = match path.extension().and_then(|x| x.to_str())
    {
        Some("toml") => {
            let p = ruledex_elastic::parse_elastic(shown, &text);
            (p.rules, p.errors.iter().map(ToString::to_string).collect())
        }
        Some("yml" | "yaml") => {
            let p = ruledex_sigma::parse_sigma(shown, &text);
            (p.rules, p.errors.iter().map(ToString::to_string).collect())
        }
        _ => bail!("`{shown}`: not a rule file (expected .yml/.yaml Sigma or .toml Elastic)"),
    };
    failures.extend(errors.into_iter().map(fail));
    Ok(rules
        .into_iter()
        .map(|mut rule| {
            ruledex_taxonomy::enrich::enrich(&mut rule);
            Read {
                path: shown.to_owned(),
                rule,
            }
        })
        .collect())
}

fn read(args: &[String], failures: &mut Vec<Failure>) -> Result<Vec<Read>> {
    if args.is_empty() {
        let report = ruledex_ingest::ingest_samples();
        failures.extend(report.failures);
        return Ok(report
            .rules
            .into_iter()
            .map(|rule| Read {
                path: rule.source.path.clone(),
                rule,
            })
            .collect());
    }
    let mut out = Vec::new();
    for arg in args {
        let p = Path::new(arg);
        if p.is_file() {
            out.extend(read_file(p, arg, failures)?);
            continue;
        }
        let source = Source::parse(arg)?;
        let report = ruledex_ingest::ingest(&source);
        if report.unsupported {
            bail!(
                "`{arg}` holds {} rules, whose front-end is not written yet",
                report.vendor
            );
        }
        failures.extend(report.failures);
        let root = match &source {
            Source::Dir { path, .. } => path.display().to_string(),
            Source::Samples => String::new(),
        };
        out.extend(report.rules.into_iter().map(|rule| Read {
            path: format!("{}/{}", root.trim_end_matches('/'), rule.source.path),
            rule,
        }));
    }
    Ok(out)
}

/// File extension of a target's output.
fn extension(t: Target) -> &'static str {
    match t {
        Target::KustoAsim | Target::KustoXdr | Target::KustoSecurityEvent => "kusto",
        Target::Spl | Target::SplCim => "spl",
        Target::Lucene => "lucene",
        Target::Kql => "kql",
        Target::Eql => "eql",
        Target::Esql => "esql",
        Target::SqlSqlite | Target::SqlSpark => "sql",
        Target::Sigma => "yml",
    }
}

/// A file name from a rule uid: anything but letters, digits, `.`, `-` and `_` becomes `_`.
fn file_stem(uid: &str, document: usize) -> String {
    let mut s: String = uid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if document > 0 {
        let _ = write!(s, ".{document}");
    }
    s
}

fn json_line(r: &Read, c: &Conversion) -> serde_json::Value {
    let mut v = json!({
        "uid": r.rule.uid,
        "path": r.path,
        "document": r.rule.source.document,
        "title": r.rule.title,
        "target": c.target,
        "fidelity": c.fidelity.as_str(),
    });
    match &c.fidelity {
        Fidelity::Approximate { reasons } => v["reasons"] = json!(reasons),
        Fidelity::Unsupported { reason } => v["reason"] = json!(reason),
        Fidelity::Exact => {}
    }
    if let Some(q) = &c.query {
        v["query"] = json!(q);
    }
    v
}

fn print_human(r: &Read, conversions: &[Conversion]) {
    let doc = if r.rule.source.document > 0 {
        format!(" (document {})", r.rule.source.document)
    } else {
        String::new()
    };
    println!("== {}{doc}: {} [{}]", r.path, r.rule.title, r.rule.uid);
    for c in conversions {
        println!(
            "-- {} ({}): {}",
            c.target,
            c.target.title(),
            c.fidelity.as_str()
        );
        match &c.fidelity {
            Fidelity::Approximate { reasons } => {
                for reason in reasons {
                    println!("   ~ {reason}");
                }
            }
            Fidelity::Unsupported { reason } => println!("   ! {reason}"),
            Fidelity::Exact => {}
        }
        if let Some(q) = &c.query {
            for line in q.lines() {
                println!("   {line}");
            }
        }
    }
    println!();
}

pub(crate) fn run(args: &Args) -> Result<ExitCode> {
    let targets = targets(&args.target)?;
    let mut failures = Vec::new();
    let rules = read(&args.rules, &mut failures)?;
    let started = std::time::Instant::now();
    let converted: Vec<Vec<Conversion>> = rules
        .par_iter()
        .map(|r| {
            targets
                .iter()
                .map(|&t| ruledex_convert::convert(&r.rule, t))
                .collect()
        })
        .collect();

    let elapsed = started.elapsed();
    let mut summary: BTreeMap<Target, [usize; 3]> = targets.iter().map(|&t| (t, [0; 3])).collect();
    let mut stems: BTreeMap<String, usize> = BTreeMap::new();
    for (r, convs) in rules.iter().zip(&converted) {
        for c in convs {
            let slot = match c.fidelity {
                Fidelity::Exact => 0,
                Fidelity::Approximate { .. } => 1,
                Fidelity::Unsupported { .. } => 2,
            };
            summary.get_mut(&c.target).expect("target counted")[slot] += 1;
        }
        if args.json {
            for c in convs {
                println!("{}", serde_json::to_string(&json_line(r, c))?);
            }
        } else {
            print_human(r, convs);
        }
        if let Some(dir) = &args.out {
            let mut stem = file_stem(&r.rule.uid, r.rule.source.document);
            let n = stems.entry(stem.clone()).or_default();
            *n += 1;
            if *n > 1 {
                let _ = write!(stem, "-{n}");
            }
            for c in convs {
                let Some(q) = &c.query else { continue };
                let sub = dir.join(c.target.as_str());
                std::fs::create_dir_all(&sub)
                    .with_context(|| format!("cannot create `{}`", sub.display()))?;
                let file = sub.join(format!("{stem}.{}", extension(c.target)));
                let mut text = q.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                std::fs::write(&file, text)
                    .with_context(|| format!("cannot write `{}`", file.display()))?;
            }
        }
    }

    if args.json {
        let s: serde_json::Map<String, serde_json::Value> = summary
            .iter()
            .map(|(t, [e, a, u])| {
                (
                    t.as_str().to_owned(),
                    json!({"exact": e, "approximate": a, "unsupported": u}),
                )
            })
            .collect();
        println!("{}", serde_json::to_string(&json!({ "summary": s }))?);
    }
    for f in &failures {
        eprintln!(
            "could not read {}:{}:{}: {}",
            f.path, f.line, f.column, f.reason
        );
    }
    eprintln!(
        "{} rules converted to {} targets in {:.3} s",
        rules.len(),
        targets.len(),
        elapsed.as_secs_f64()
    );
    eprintln!(
        "{:<22} {:>8} {:>12} {:>12}",
        "target", "exact", "approximate", "unsupported"
    );
    for (t, [e, a, u]) in &summary {
        eprintln!("{:<22} {e:>8} {a:>12} {u:>12}", t.as_str());
    }
    let any_unsupported = summary.values().any(|c| c[2] > 0);
    Ok(if any_unsupported || !failures.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_lists_parse_and_reject_unknown_names() {
        assert_eq!(targets("all").unwrap().len(), 12);
        assert_eq!(
            targets("spl,kusto-asim,spl").unwrap(),
            vec![Target::Spl, Target::KustoAsim]
        );
        assert!(targets("splunk").is_err());
        assert!(targets(",").is_err());
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("sigma:3e10/x y", 0), "sigma_3e10_x_y");
        assert_eq!(file_stem("elastic:abc", 2), "elastic_abc.2");
    }
}
