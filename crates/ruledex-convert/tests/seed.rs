//! Seed 000: SigmaHQ's "Linux Network Service Scanning Tools Execution" shown with
//! its Sentinel ASIM query; ours must be the same query, white space aside.

use ruledex_convert::{Fidelity, Target, convert};

/// The text between the seed page's "KQL (Azure Sentinel)" heading and the next heading.
fn seed_query(page: &str) -> String {
    let start = page
        .find("KQL (Azure Sentinel)")
        .expect("seed 000 has a KQL (Azure Sentinel) section");
    let rest = &page[start + "KQL (Azure Sentinel)".len()..];
    let end = rest
        .find("False Positive Guidance")
        .expect("seed 000 has a section after the query");
    rest[..end].trim().to_owned()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn seed_000_network_scanning_rule_converts_to_the_seed_asim_query() {
    let Some(seeds) = ruledex_testkit::shared("seeds") else {
        return;
    };
    let Some(corpus) = ruledex_testkit::shared("corpora/sigma") else {
        return;
    };
    let page = ruledex_testkit::files(&seeds, &["txt"])
        .into_iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("000_"))
        })
        .expect("seed 000 exists");
    let page = std::fs::read_to_string(page).unwrap();
    let rel = "rules/linux/process_creation/proc_creation_lnx_susp_network_utilities_execution.yml";
    let text = std::fs::read_to_string(corpus.join(rel)).unwrap();
    let rules = ruledex_sigma::parse_sigma(rel, &text).rules;
    assert_eq!(rules.len(), 1);
    let mut rule = rules.into_iter().next().unwrap();
    ruledex_taxonomy::enrich::enrich(&mut rule);
    let c = convert(&rule, Target::KustoAsim);
    assert_eq!(c.fidelity, Fidelity::Exact, "{c:?}");
    let query = c.query.unwrap();
    insta::assert_snapshot!(query);
    assert_eq!(squash(&query), squash(&seed_query(&page)));
}
