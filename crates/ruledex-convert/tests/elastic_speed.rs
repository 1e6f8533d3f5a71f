//! How long converting the SigmaHQ corpus (3,141 rules under `rules/`)
//! takes: to the four Elastic targets, and to every target. A measurement,
//! run by hand in release:
//!
//! ```text
//! cargo test --release -p ruledex-convert --test elastic_speed -- --ignored --nocapture
//! ```
//!
//! In release it asserts the budget of the conversion issue (every target,
//! whole corpus, under 2 s).

use std::time::Instant;

use ruledex_convert::{Target, convert, convert_all};
use ruledex_model::Vendor;

#[test]
#[ignore = "a measurement: run in release with --ignored --nocapture"]
fn sigma_corpus_conversion_speed() {
    let Some(dir) = ruledex_testkit::shared("corpora/sigma/rules") else {
        return;
    };
    let t = Instant::now();
    let rules = ruledex_ingest::ingest_dir(Vendor::Sigma, &dir).rules;
    println!(
        "read {} rules in {:.3} s",
        rules.len(),
        t.elapsed().as_secs_f64()
    );

    let elastic = [Target::Lucene, Target::Kql, Target::Eql, Target::Esql];
    let t = Instant::now();
    let mut written = 0usize;
    for rule in &rules {
        for &target in &elastic {
            written += usize::from(convert(rule, target).query.is_some());
        }
    }
    let four = t.elapsed().as_secs_f64();
    println!(
        "lucene+kql+eql+esql: {} conversions ({written} written) in {four:.3} s",
        rules.len() * elastic.len()
    );

    let t = Instant::now();
    let all: usize = rules.iter().map(|r| convert_all(r).len()).sum();
    let every = t.elapsed().as_secs_f64();
    println!(
        "all {} targets: {all} conversions in {every:.3} s",
        Target::ALL.len()
    );
    assert!(written > 0);
    if !cfg!(debug_assertions) {
        assert!(every < 2.0, "every target took {every:.3} s, budget 2 s");
    }
}
