//! The Kusto parser over every query of the pinned Sentinel corpus
//! (`../shared/corpora/sentinel`, August 2022): every query parses, and
//! printing is a fixed point (`print(parse(print(parse(q)))) == print(parse(q))`).

use std::path::PathBuf;

use ruledex_sentinel::{kusto, parse_sentinel};

/// Queries that are not valid Kusto upstream (each checked by hand), with why.
const UPSTREAM_INVALID: [(&str, &str); 15] = [
    (
        "PotentiallyHarmfulFileTypes.yaml",
        "regex written @(…) without quotes",
    ),
    (
        "AWSBucketAPILogs-SuspiciousDataAccessToS3BucketsfromUnknownIP.yaml",
        "two columns with no operator",
    ),
    (
        "NonredeemedGuesUserInvites.yaml",
        "trailing comma in project",
    ),
    (
        "redmenshen-bpfdoor-backdoor.yaml",
        "has with a list (has_any meant)",
    ),
    (
        "detect-exfiltration-after-termination.yaml",
        "bin(5Minutebin=…) assignment inside a call",
    ),
    (
        "VMWare-LPE-2022-22960.yaml",
        "has with a list (has_any meant)",
    ),
    (
        "Dev-0322CommandLineActivityNovember2021.yaml",
        "trailing comma in extend",
    ),
    ("NetworkConnectiontoOMIPorts.yaml", "unbalanced `)`"),
    ("PersistViaIFEORegistryKey.yaml", "missing `)`"),
    (
        "PossibleCommandInjectionagainstAzureIR.yaml",
        "`=` for `==` in where",
    ),
    (
        "UnfamiliarsignincorrelationwithPortalSigninandAuditlogs.yaml",
        "YAML keys inside the query text",
    ),
    ("BoxAdminIpAddress.yaml", "`;` inside the pipeline"),
    (
        "CiscoDuoNewUsers.yaml",
        "a column and a string with no operator",
    ),
    (
        "SnowflakeHighCreditConsumingQueries.yaml",
        "query starts with `|`",
    ),
    (
        "SnowflakeTimeConsumingQueries.yaml",
        "query starts with `|`",
    ),
];

/// Queries in the corpus (analytic rules and hunting queries with a `query`).
const EXPECTED_QUERIES_AT_LEAST: usize = 2200;

fn rule_files() -> Option<Vec<PathBuf>> {
    let dir = ruledex_testkit::shared("corpora/sentinel")?;
    Some(
        ruledex_testkit::files(&dir, &["yaml", "yml"])
            .into_iter()
            .filter(|p| !p.strip_prefix(&dir).unwrap().starts_with("asim"))
            .collect(),
    )
}

/// The query text of every rule file that has one.
fn queries() -> Option<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for p in rule_files()? {
        let text = std::fs::read_to_string(&p).unwrap();
        let parsed = parse_sentinel(&p.display().to_string(), &text);
        for r in parsed.rules {
            if let Some(q) = r.extra.get("kusto_query").and_then(|q| q.as_str()) {
                out.push((p.clone(), q.to_owned()));
            }
        }
    }
    Some(out)
}

#[test]
fn every_query_parses_and_prints_back() {
    let Some(queries) = queries() else { return };
    let mut failures = Vec::new();
    let mut unstable = Vec::new();
    let mut invalid = 0;
    for (path, q) in &queries {
        match kusto::parse(q) {
            Err(_)
                if UPSTREAM_INVALID
                    .iter()
                    .any(|(f, _)| path.file_name().unwrap().to_str() == Some(f)) =>
            {
                invalid += 1;
            }
            Err(e) => failures.push(format!(
                "{}: {} at {:?}: `{}`",
                path.display(),
                e,
                e.span,
                e.span.slice(q).unwrap_or_default()
            )),
            Ok(ast) => {
                let printed = ast.to_string();
                match kusto::parse(&printed) {
                    Ok(again) if again.to_string() == printed => {}
                    Ok(again) => {
                        unstable.push(format!("{}:\n{printed}\n---\n{again}", path.display()));
                    }
                    Err(e) => unstable.push(format!(
                        "{}: printed query does not parse: {e}\n{printed}",
                        path.display()
                    )),
                }
            }
        }
    }
    println!(
        "kusto: queries {} upstream-invalid {invalid} other syntax errors {} unstable prints {}",
        queries.len(),
        failures.len(),
        unstable.len()
    );
    for f in failures.iter().take(40) {
        println!("  {f}");
    }
    for u in unstable.iter().take(5) {
        println!("  {u}");
    }
    assert!(
        queries.len() >= EXPECTED_QUERIES_AT_LEAST,
        "{}",
        queries.len()
    );
    assert!(
        failures.is_empty(),
        "{} queries do not parse",
        failures.len()
    );
    assert_eq!(
        invalid,
        UPSTREAM_INVALID.len(),
        "an upstream-invalid query now parses"
    );
    assert!(
        unstable.is_empty(),
        "{} queries do not print back",
        unstable.len()
    );
}
