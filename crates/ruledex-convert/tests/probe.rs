use ruledex_convert::{convert, Target, Fidelity};
#[test]
fn probe() {
    let dir = ruledex_testkit::shared("corpora/sigma/rules").unwrap();
    let r = ruledex_ingest::ingest_dir(ruledex_model::Vendor::Sigma, &dir);
    let targets: Vec<Target> = std::env::var("T").unwrap_or("kusto-asim".into()).split(',').map(|t| t.parse().unwrap()).collect();
    for t in targets {
        let mut counts = [0usize; 3];
        let mut reasons = std::collections::BTreeMap::new();
        for rule in &r.rules {
            let c = convert(rule, t);
            match &c.fidelity {
                Fidelity::Exact => counts[0] += 1,
                Fidelity::Approximate { reasons: rs } => { counts[1] += 1; for x in rs { *reasons.entry(format!("A {}", x.chars().take(70).collect::<String>())).or_insert(0) += 1; } }
                Fidelity::Unsupported { reason } => { counts[2] += 1; *reasons.entry(format!("U {}", reason.chars().take(90).collect::<String>())).or_insert(0) += 1; }
            }
        }
        println!("{t}: exact {} approx {} unsupported {} of {}", counts[0], counts[1], counts[2], r.rules.len());
        let mut v: Vec<_> = reasons.into_iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.1));
        for (k, n) in v.iter().take(25) { println!("  {n:5} {k}"); }
    }
}

#[test]
fn dump() {
    let Ok(out) = std::env::var("DUMP") else { return };
    let dir = ruledex_testkit::shared("corpora/sigma/rules").unwrap();
    let r = ruledex_ingest::ingest_dir(ruledex_model::Vendor::Sigma, &dir);
    let mut s = String::new();
    for rule in &r.rules {
        for t in [Target::KustoAsim, Target::Spl] {
            let c = convert(rule, t);
            s.push_str(&serde_json::to_string(&serde_json::json!({"path": rule.source.path, "target": t, "query": c.query, "fidelity": c.fidelity.as_str()})).unwrap());
            s.push('\n');
        }
    }
    std::fs::write(out, s).unwrap();
}

#[test]
fn elastic() {
    let dir = ruledex_testkit::shared("corpora/elastic").unwrap();
    let r = ruledex_ingest::ingest_dir(ruledex_model::Vendor::Elastic, &dir);
    let rules: Vec<_> = r.rules.iter().filter(|x| matches!(x.language, ruledex_model::Language::Eql | ruledex_model::Language::Kql) && x.logic.is_fully_parsed()).collect();
    for t in [Target::KustoAsim, Target::Spl, Target::Sigma, Target::SqlSqlite, Target::KustoXdr, Target::SplCim] {
        let mut counts = [0usize; 3];
        let mut reasons = std::collections::BTreeMap::new();
        for rule in &rules {
            let c = convert(rule, t);
            match &c.fidelity {
                Fidelity::Exact => counts[0] += 1,
                Fidelity::Approximate { reasons: rs } => { counts[1] += 1; for x in rs { *reasons.entry(format!("A {}", x.chars().take(70).collect::<String>())).or_insert(0) += 1; } }
                Fidelity::Unsupported { reason } => { counts[2] += 1; *reasons.entry(format!("U {}", reason.chars().take(90).collect::<String>())).or_insert(0) += 1; }
            }
        }
        println!("{t}: exact {} approx {} unsupported {} of {}", counts[0], counts[1], counts[2], rules.len());
        let mut v: Vec<_> = reasons.into_iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.1));
        for (k, n) in v.iter().take(12) { println!("  {n:5} {k}"); }
    }
}
