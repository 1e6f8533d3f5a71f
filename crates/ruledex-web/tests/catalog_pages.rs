//! The rule, technique × platform, coverage and events pages show what the
//! catalog's queries return: the site and `ruledex` read one source of truth.

mod common;

use common::{ELASTIC_UID, NETCAT_UID, NMAP_UID, get, json};
use ruledex_catalog::{CoverageQuery, Polarity};
use ruledex_model::Vendor;

#[tokio::test]
async fn rule_page_is_the_stored_rule_its_rows_and_similar() {
    let backend = common::backend();
    let (stored, similar, reach) = {
        let c = backend.catalog();
        let stored = c.rule(NETCAT_UID).unwrap().expect("stored fixture");
        let mut similar = c.similar_any_vendor(NETCAT_UID, 0).unwrap();
        // Other vendors first (a stable sort keeps the catalog's order within each).
        similar.sort_by_key(|s| s.vendor == "sigma");
        similar.truncate(8);
        let reach: Vec<usize> = stored
            .predicates
            .iter()
            .filter(|p| p.polarity == Polarity::Pos)
            .map(|p| c.reach(&p.field, &p.op, &p.value).unwrap())
            .collect();
        (stored, similar, reach)
    };
    let app = ruledex_web::app(backend);
    let v = json(&get(&app, &format!("/api/v1/rules/{NETCAT_UID}")).await);
    assert_eq!(v["title"], stored.rule.title.as_str());
    assert_eq!(v["text"], stored.rule.text.as_str(), "the stored original");
    assert_eq!(v["source"]["retrieved_at"], stored.retrieved_at.as_str());
    // Indicators: the catalog's positive rows, in order, with the catalog's reach.
    let got: Vec<(String, usize)> = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                format!("{} {} {}", i["field"], i["op"], i["value"]).replace('"', ""),
                i["reach"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    let want: Vec<(String, usize)> = stored
        .predicates
        .iter()
        .filter(|p| p.polarity == Polarity::Pos)
        .map(|p| format!("{} {} {}", p.field, p.op, p.value))
        .zip(reach)
        .collect();
    assert_eq!(got, want);
    // Similar rules: Catalog::similar's, in its order, with its score.
    let got: Vec<(&str, u64)> = v["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["rule"]["uid"].as_str().unwrap(),
                s["percent"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, u64)> = similar
        .iter()
        .map(|s| (s.uid.as_str(), (s.score * 100.0).floor() as u64))
        .collect();
    assert!(!want.is_empty(), "the netcat rule shares nmap with others");
    assert_eq!(got, want);
    // Other vendors' rules, then Sigma's.
    let own = similar.iter().position(|s| s.vendor == "sigma");
    assert!(
        own.is_none_or(|i| similar[i..].iter().all(|s| s.vendor == "sigma")),
        "{similar:#?}"
    );
    // The Elastic Linux scanner rule looks for nc and nmap too.
    assert_eq!(got[0].0, ELASTIC_UID);
    // The Windows nmap rule has no match among other vendors, but the Sigma
    // masscan rule looks for nmap.exe too: the own vendor's rules fill in.
    let v = json(&get(&app, &format!("/api/v1/rules/{NMAP_UID}")).await);
    assert_eq!(
        v["similar"][0]["rule"]["uid"],
        "sigma:33333333-3333-4333-8333-333333333333"
    );
}

#[tokio::test]
async fn coverage_cells_and_layer_are_the_catalogs_counts() {
    let backend = common::backend();
    let queries = [
        ("", CoverageQuery::default()),
        (
            "?vendor=sigma",
            CoverageQuery {
                vendor: Some(Vendor::Sigma),
                ..CoverageQuery::default()
            },
        ),
        (
            "?event=linux/process_creation",
            CoverageQuery {
                event: Some("linux/process_creation".into()),
                ..CoverageQuery::default()
            },
        ),
    ];
    let expected: Vec<_> = queries
        .iter()
        .map(|(_, q)| backend.catalog().technique_counts(q).unwrap())
        .collect();
    let app = ruledex_web::app(backend);
    for ((query, _), want) in queries.iter().zip(&expected) {
        let v = json(&get(&app, &format!("/api/v1/coverage{query}")).await);
        assert_eq!(v["rules"], want.rules, "{query}");
        for cell in v["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["techniques"].as_array().unwrap())
        {
            let id = cell["id"].as_str().unwrap();
            let n = want.techniques.get(id).copied().unwrap_or(0);
            assert_eq!(cell["rules"], n, "{id} {query}");
        }
        let layer = json(&get(&app, &format!("/api/v1/coverage/layer{query}")).await);
        let got: Vec<(&str, u64)> = layer["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["techniqueID"].as_str().unwrap(),
                    t["score"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(&str, u64)> = want
            .techniques
            .iter()
            .map(|(id, n)| (id.as_str(), *n as u64))
            .collect();
        assert_eq!(got, want, "{query}");
    }
    // The Linux event filter keeps the two fixture rules that read it.
    assert_eq!(expected[2].rules, 2);
    let got = get(&app, "/coverage?event=linux/process_creation").await;
    assert!(got.body.contains("linux/process_creation"));
}

#[tokio::test]
async fn platform_page_is_built_from_the_techniques_stored_rules() {
    let backend = common::backend();
    let (rules, exclusions) = {
        let c = backend.catalog();
        (
            c.technique_rules("T1046").unwrap(),
            c.technique_exclusions("T1046", 8).unwrap(),
        )
    };
    let app = ruledex_web::app(backend);
    let v = json(&get(&app, "/api/v1/techniques/T1046/elastic").await);
    assert_eq!(v["rule_count"], rules.len());
    let tuning: Vec<&str> = v["tuning"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tuning.len(), exclusions.len());
    for (text, (ind, n)) in tuning.iter().zip(&exclusions) {
        assert!(text.contains(&ind.value), "{text} vs {ind:?}");
        assert!(text.contains(&format!("{n} rule(s)")), "{text}");
    }
    // Each synthesized query reads the first event of some of those rules,
    // and counts exactly those rules.
    for q in v["queries"].as_array().unwrap() {
        let event = q["event"]["id"].as_str().unwrap();
        let members = rules
            .iter()
            .filter(|r| r.events.first().map(String::as_str) == Some(event))
            .count();
        assert_eq!(q["rules"], members, "{event}");
    }
}

#[tokio::test]
async fn events_pages_are_the_catalogs_events() {
    let backend = common::backend();
    let (all, detail) = {
        let c = backend.catalog();
        (
            c.events().unwrap(),
            c.event("windows/process_creation").unwrap().unwrap(),
        )
    };
    let app = ruledex_web::app(backend);
    let v = json(&get(&app, "/api/v1/events").await);
    let got: Vec<(&str, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["rules"].as_u64().unwrap()))
        .collect();
    let want: Vec<(&str, u64)> = all
        .iter()
        .map(|e| (e.id.as_str(), e.rules as u64))
        .collect();
    assert_eq!(got, want);
    let v = json(&get(&app, "/api/v1/events/windows/process_creation").await);
    assert_eq!(v["rule_count"], detail.rules.len());
    let uids: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uid"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = detail.rules.iter().map(|r| r.uid.as_str()).collect();
    assert_eq!(uids, want);
    assert!(uids.contains(&NMAP_UID));
    assert_eq!(
        v["techniques"],
        serde_json::to_value(&detail.techniques).unwrap()
    );
}
