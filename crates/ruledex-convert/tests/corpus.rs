//! Conversion over the real corpora: thresholds that only move up, and every
//! unsupported conversion carries a reason.

use std::collections::BTreeMap;

use ruledex_convert::{Fidelity, Target, convert};
use ruledex_model::{Language, Rule, Vendor};

/// The targets this suite checks (the Elastic-family backends have their own).
const TARGETS: [Target; 8] = [
    Target::KustoAsim,
    Target::KustoXdr,
    Target::KustoSecurityEvent,
    Target::Spl,
    Target::SplCim,
    Target::SqlSqlite,
    Target::SqlSpark,
    Target::Sigma,
];

/// Per target: exact, approximate, unsupported; and the unsupported reasons by count.
fn tally(rules: &[&Rule], label: &str) -> BTreeMap<Target, [usize; 3]> {
    let mut out = BTreeMap::new();
    for t in TARGETS {
        let mut counts = [0usize; 3];
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for rule in rules {
            let c = convert(rule, t);
            match &c.fidelity {
                Fidelity::Exact => counts[0] += 1,
                Fidelity::Approximate { reasons } => {
                    assert!(
                        !reasons.is_empty(),
                        "{}: approximate without a reason",
                        rule.uid
                    );
                    assert!(
                        c.query.is_some(),
                        "{}: approximate without a query",
                        rule.uid
                    );
                    counts[1] += 1;
                }
                Fidelity::Unsupported { reason } => {
                    assert!(
                        !reason.trim().is_empty(),
                        "{}: unsupported without a reason",
                        rule.uid
                    );
                    assert!(c.query.is_none(), "{}: unsupported with a query", rule.uid);
                    counts[2] += 1;
                    let key: String = reason.chars().take(100).collect();
                    *reasons.entry(key).or_default() += 1;
                }
            }
        }
        let mut top: Vec<_> = reasons.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        eprintln!(
            "{label} -> {t}: {} rules, exact {}, approximate {}, unsupported {}",
            rules.len(),
            counts[0],
            counts[1],
            counts[2]
        );
        for (r, n) in top.iter().take(5) {
            eprintln!("    {n:5} {r}");
        }
        out.insert(t, counts);
    }
    out
}

fn converted(c: [usize; 3]) -> usize {
    c[0] + c[1]
}

#[test]
fn sigmahq_rules_convert_to_kusto_asim_and_spl() {
    let Some(dir) = ruledex_testkit::shared("corpora/sigma/rules") else {
        return;
    };
    let report = ruledex_ingest::ingest_dir(Vendor::Sigma, &dir);
    let rules: Vec<&Rule> = report.rules.iter().collect();
    assert!(rules.len() >= 3141, "{} rules", rules.len());
    let t = tally(&rules, "sigma");
    let n = rules.len();
    // Issue #6: at least 99% each. kusto-asim: a Sigma field with no column
    // in the ASIM parser is not converted (measured 3,117 of 3,141, 99.2%,
    // once the parsers' own columns were listed in data/tables.toml).
    for (target, floor) in [(Target::KustoAsim, 99), (Target::Spl, 99)] {
        let ok = converted(t[&target]);
        assert!(
            ok * 100 >= n * floor,
            "{target}: {ok} of {n} converted (< {floor}%)"
        );
    }
    // Floors for the other targets (measured, with margin; raise as they improve).
    for (target, floor) in [
        (Target::SqlSqlite, 3000),
        (Target::SqlSpark, 3000),
        (Target::Sigma, 3141),
        (Target::KustoXdr, 2000),
        (Target::KustoSecurityEvent, 2100),
        (Target::SplCim, 1700),
    ] {
        let ok = converted(t[&target]);
        assert!(ok >= floor, "{target}: {ok} converted, floor {floor}");
    }
}

#[test]
fn elastic_eql_and_kql_rules_convert_to_kusto_asim_and_spl() {
    let Some(dir) = ruledex_testkit::shared("corpora/elastic") else {
        return;
    };
    let report = ruledex_ingest::ingest_dir(Vendor::Elastic, &dir);
    let rules: Vec<&Rule> = report
        .rules
        .iter()
        .filter(|r| matches!(r.language, Language::Eql | Language::Kql))
        .filter(|r| r.logic.is_fully_parsed())
        .collect();
    assert!(
        rules.len() >= 1500,
        "{} fully parsed EQL/KQL rules",
        rules.len()
    );
    let t = tally(&rules, "elastic eql/kql");
    // Every Sigma export is valid Sigma: it reads back without errors.
    let mut exported = 0;
    for rule in &rules {
        let Some(text) = convert(rule, Target::Sigma).query else {
            continue;
        };
        let back = ruledex_sigma::parse_sigma(&rule.source.path, &text);
        assert!(
            back.errors.is_empty() && !back.rules.is_empty(),
            "{}: the Sigma export does not read back: {:?}\n{text}",
            rule.uid,
            back.errors
        );
        exported += 1;
    }
    eprintln!("elastic eql/kql -> sigma: {exported} exports read back without errors");
    let n = rules.len();
    for target in [Target::KustoAsim, Target::Spl] {
        let ok = converted(t[&target]);
        assert!(
            ok * 100 >= n * 90,
            "{target}: {ok} of {n} converted (< 90%)"
        );
    }
}
