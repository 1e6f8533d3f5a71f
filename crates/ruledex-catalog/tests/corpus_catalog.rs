//! A catalog of the real Sigma and Elastic corpora (../shared/corpora): every
//! rule read is stored, a second identical sync changes nothing, and the T1046
//! guide merges vendors in its process-name row.

use ruledex_attack::Attack;
use ruledex_catalog::{Catalog, GuideQuery, SourceBatch};
use ruledex_model::Vendor;

#[test]
fn sigma_and_elastic_corpora_build_a_catalog() {
    let (Some(sigma), Some(elastic), Some(attack)) = (
        ruledex_testkit::shared("corpora/sigma"),
        ruledex_testkit::shared("corpora/elastic"),
        ruledex_testkit::shared("attack/enterprise-attack.json"),
    ) else {
        return;
    };
    let attack = Attack::load(attack).expect("ATT&CK data loads");
    let read = || {
        vec![
            SourceBatch::local(ruledex_ingest::ingest_dir(Vendor::Sigma, &sigma)),
            SourceBatch::local(ruledex_ingest::ingest_dir(Vendor::Elastic, &elastic)),
        ]
    };
    let batches = read();
    let read_rules: usize = batches.iter().map(|b| b.report.rules.len()).sum();
    let mut c = Catalog::open_in_memory().unwrap();
    let first = c.ingest(&batches, &attack).unwrap();
    let stats = c.stats().unwrap();
    eprintln!(
        "catalog: {} rules ({:?}), {} predicate rows, {} techniques, {} events",
        stats.rules,
        stats.by_vendor,
        stats.predicates,
        stats.techniques_covered,
        stats.events_covered
    );
    // Nothing lost: every rule read is in the catalog (duplicate uids under uid@path).
    assert_eq!(first.added, read_rules);
    assert_eq!(stats.rules, read_rules);
    assert!(stats.rules >= 5_900, "{} rules", stats.rules);
    assert!(
        stats.techniques_covered >= 400,
        "{}",
        stats.techniques_covered
    );

    let g = c.guide(&GuideQuery::new("T1046")).unwrap();
    assert_eq!(g.name.as_deref(), Some("Network Service Discovery"));
    let row = g
        .fields
        .iter()
        .find(|f| f.field == "process.name")
        .expect("process.name row");
    let vendors: Vec<&str> = row.by_vendor.iter().map(|v| v.vendor.as_str()).collect();
    assert!(
        vendors.contains(&"sigma") && vendors.contains(&"elastic"),
        "{vendors:?}"
    );
    assert!(row.rules <= g.rules);
    assert!(g.indicators.iter().all(|i| i.corpus_reach >= i.rules));

    let second = c.ingest(&read(), &attack).unwrap();
    assert_eq!(
        (second.added, second.changed, second.removed),
        (0, 0, 0),
        "a second identical sync changes nothing"
    );
}
