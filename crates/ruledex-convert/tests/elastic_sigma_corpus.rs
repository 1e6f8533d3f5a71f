//! The four Elastic backends (Lucene, KQL, EQL, ES|QL) over the SigmaHQ
//! corpus (`../shared/corpora/sigma/rules`, 3,141 rules): how many convert,
//! why the rest do not, and that every written query parses with ruledex's
//! own parser for that language. Thresholds only move up.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ruledex_convert::{Conversion, Fidelity, Target, convert};
use ruledex_model::{Rule, Vendor};

fn rules() -> Option<&'static [Rule]> {
    static RULES: OnceLock<Option<Vec<Rule>>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let dir = ruledex_testkit::shared("corpora/sigma/rules")?;
            Some(ruledex_ingest::ingest_dir(Vendor::Sigma, &dir).rules)
        })
        .as_deref()
}

/// A reason with its backticked specifics removed, so that reasons group.
fn reason_key(r: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in r.chars() {
        if c == '`' {
            inside = !inside;
            out.push_str(if inside { "`…" } else { "`" });
        } else if !inside {
            out.push(c);
        }
    }
    out.split(" (").next().unwrap_or(&out).to_owned()
}

/// Parse `query` with ruledex's parser for `target`; `Err` is the message.
fn reparse(target: Target, query: &str) -> Result<(), String> {
    use ruledex_elastic::{eql, esql, kql, lucene};
    match target {
        Target::Lucene => lucene::parse(query).map(|_| ()),
        Target::Kql => kql::parse(query).map(|_| ()),
        Target::Eql => eql::parse(query).map(|_| ()),
        Target::Esql => esql::parse(query).map(|_| ()),
        other => panic!("not an Elastic target: {other}"),
    }
    .map_err(|e| e.to_string())
}

struct Tally {
    exact: usize,
    approximate: usize,
    unsupported: usize,
    unsupported_reasons: BTreeMap<String, usize>,
    approximate_reasons: BTreeMap<String, usize>,
    parse_failures: Vec<(String, String, String)>,
}

fn tally(rules: &[Rule], target: Target) -> Tally {
    let mut t = Tally {
        exact: 0,
        approximate: 0,
        unsupported: 0,
        unsupported_reasons: BTreeMap::new(),
        approximate_reasons: BTreeMap::new(),
        parse_failures: Vec::new(),
    };
    for rule in rules {
        let c: Conversion = convert(rule, target);
        match &c.fidelity {
            Fidelity::Exact => t.exact += 1,
            Fidelity::Approximate { reasons } => {
                t.approximate += 1;
                assert!(
                    !reasons.is_empty(),
                    "{}: approximate without a reason",
                    rule.uid
                );
                for r in reasons {
                    *t.approximate_reasons.entry(reason_key(r)).or_default() += 1;
                }
            }
            Fidelity::Unsupported { reason } => {
                t.unsupported += 1;
                assert!(
                    !reason.trim().is_empty(),
                    "{}: unsupported without a reason",
                    rule.uid
                );
                assert!(c.query.is_none());
                *t.unsupported_reasons.entry(reason_key(reason)).or_default() += 1;
            }
        }
        if std::env::var("RULEDEX_SHOW")
            .is_ok_and(|s| !s.is_empty() && rule.source.path.contains(&s))
        {
            println!(
                "--- {} [{target}] {:?}\n{}",
                rule.source.path,
                c.fidelity,
                c.query.as_deref().unwrap_or("-")
            );
        }
        if let Some(q) = &c.query {
            if let Err(e) = reparse(target, q) {
                t.parse_failures
                    .push((rule.source.path.clone(), q.clone(), e));
            }
        }
    }
    let top = |m: &BTreeMap<String, usize>| {
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter()
            .take(8)
            .map(|(k, n)| format!("    {n:5}  {k}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    println!(
        "{target}: rules {} exact {} approximate {} unsupported {} parse_failures {}\n  top unsupported:\n{}\n  top approximate:\n{}",
        rules.len(),
        t.exact,
        t.approximate,
        t.unsupported,
        t.parse_failures.len(),
        top(&t.unsupported_reasons),
        top(&t.approximate_reasons),
    );
    for (path, q, e) in t.parse_failures.iter().take(5) {
        println!("  does not parse: {path}: {e}\n    {q}");
    }
    t
}

fn check(target: Target, min_converted: usize) {
    let Some(rules) = rules() else { return };
    assert_eq!(rules.len(), 3141, "the pinned SigmaHQ rules/ corpus");
    let t = tally(rules, target);
    assert!(
        t.parse_failures.is_empty(),
        "{target}: {} written queries do not parse with ruledex's own parser",
        t.parse_failures.len()
    );
    let converted = t.exact + t.approximate;
    assert!(
        converted >= min_converted,
        "{target}: {converted} converted, floor {min_converted}"
    );
}

#[test]
fn sigma_to_lucene() {
    check(Target::Lucene, 3132);
}

#[test]
fn sigma_to_kql() {
    check(Target::Kql, 3050);
}

#[test]
fn sigma_to_eql() {
    check(Target::Eql, 3135);
}

#[test]
fn sigma_to_esql() {
    check(Target::Esql, 3136);
}
