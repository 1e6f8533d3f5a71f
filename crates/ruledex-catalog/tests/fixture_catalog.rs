//! The catalog's queries on a small catalog of fixture rules written for
//! these tests: a Sigma `Image|endswith` rule, an Elastic `process.name`
//! rule, and a hand-built Splunk rule on `Processes.process_name`, all under
//! T1046, plus rules under T1595, T1059 and T1059.001.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ruledex_attack::Attack;
use ruledex_catalog::{
    Catalog, ChangeKind, CoverageQuery, FeedQuery, GuideQuery, Polarity, SourceBatch, SourceMeta,
};
use ruledex_ingest::Report;
use ruledex_model::{Expr, Field, Language, Logic, Op, Pred, Rule, Severity, Vendor};

fn fixture(version: &str, vendor: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(version)
        .join(vendor)
}

/// A Splunk rule as a Splunk front-end would give it, enriched by the taxonomy.
fn splunk_rule() -> Rule {
    let pred = Pred::new(
        Field::raw("Processes.process_name"),
        Op::Eq,
        vec!["nmap.exe".into()],
    );
    let mut r = Rule::new(
        Vendor::Splunk,
        "5f0a3e7c-0d1b-4a55-9b43-7a1c2e000201",
        "Port Scanner In Endpoint Data",
        Language::Spl,
        Logic::new(Expr::Pred(pred)),
    );
    r.techniques = vec!["T1046".into()];
    r.severity = Some(Severity::Medium);
    r.created = Some("2024-03-03".into());
    r.text =
        "| tstats count from datamodel=Endpoint.Processes where Processes.process_name=nmap.exe"
            .into();
    r.source.path = "detections/endpoint/port_scanner.yml".into();
    let e = ruledex_taxonomy::enrich::enrich(&mut r);
    assert!(e.unresolved.is_empty(), "{:?}", e.unresolved);
    assert_eq!(
        r.logic.expr.preds()[0].field.canonical.as_deref(),
        Some("process.name"),
        "the taxonomy resolves Splunk's Processes.process_name"
    );
    r
}

fn batch(version: &str, vendor: Vendor) -> SourceBatch {
    let mut b = SourceBatch::local(ruledex_ingest::ingest_dir(
        vendor,
        &fixture(version, vendor.as_str()),
    ));
    assert!(
        b.report.failures.is_empty(),
        "fixture rules read cleanly: {:?}",
        b.report.failures
    );
    // One identity per vendor, so that v2 updates v1's source.
    b.meta.location = format!("fixture:{vendor}");
    b
}

fn splunk_batch() -> SourceBatch {
    let report = Report {
        vendor: Vendor::Splunk,
        root: "fixture:splunk".into(),
        files: 1,
        unsupported: false,
        rules: vec![splunk_rule()],
        failed_files: 0,
        failures: Vec::new(),
        warnings: Vec::new(),
        field_occurrences: 1,
        unresolved_fields: BTreeMap::new(),
    };
    SourceBatch {
        meta: SourceMeta::local(&report),
        report,
    }
}

fn batches(version: &str) -> Vec<SourceBatch> {
    vec![
        batch(version, Vendor::Sigma),
        batch(version, Vendor::Elastic),
        splunk_batch(),
    ]
}

fn catalog() -> Catalog {
    let mut c = Catalog::open_in_memory().unwrap();
    let report = c.ingest(&batches("v1"), &Attack::fixture()).unwrap();
    assert_eq!(report.added, 7, "{report:#?}");
    c
}

const SIGMA_PATH: &str = "sigma:5f0a3e7c-0d1b-4a55-9b43-7a1c2e000001";
const SIGMA_NETCAT: &str = "sigma:5f0a3e7c-0d1b-4a55-9b43-7a1c2e000002";
const SIGMA_T1595: &str = "sigma:5f0a3e7c-0d1b-4a55-9b43-7a1c2e000003";
const ELASTIC: &str = "elastic:5f0a3e7c-0d1b-4a55-9b43-7a1c2e000101";
const SPLUNK: &str = "splunk:5f0a3e7c-0d1b-4a55-9b43-7a1c2e000201";

#[test]
fn process_name_row_merges_vendors_and_counts_each_rule_once() {
    let c = catalog();
    let g = c.guide(&GuideQuery::new("t1046")).unwrap();
    assert_eq!(g.technique, "T1046");
    assert_eq!(g.name.as_deref(), Some("Network Service Discovery"));
    assert_eq!(g.tactics[0].shortname, "discovery");
    assert_eq!(g.rules, 4, "two Sigma, one Elastic, one Splunk rule");

    let row = g
        .fields
        .iter()
        .find(|f| f.field == "process.name")
        .expect("a process.name row");
    // Sigma's path rule has three predicates in the row (two ends_with, one
    // contains) plus their basenames: it still counts once.
    assert_eq!(row.rules, 4, "{row:#?}");
    assert_eq!(
        row.members,
        vec!["process.executable".to_owned(), "process.name".to_owned()]
    );
    let by_vendor: BTreeMap<&str, (usize, Vec<&str>)> = row
        .by_vendor
        .iter()
        .map(|v| {
            (
                v.vendor.as_str(),
                (v.rules, v.fields.iter().map(String::as_str).collect()),
            )
        })
        .collect();
    assert_eq!(by_vendor["sigma"], (2, vec!["Image"]));
    assert_eq!(by_vendor["elastic"], (1, vec!["process.name"]));
    assert_eq!(by_vendor["splunk"], (1, vec!["Processes.process_name"]));
    assert_eq!(
        row.by_vendor.iter().map(|v| v.rules).sum::<usize>(),
        row.rules,
        "vendors partition the row's rules"
    );
    // How counts rules per operator as written: ends_with by both Sigma
    // rules, eq by Elastic and Splunk, contains by one Sigma rule.
    let how: BTreeMap<&str, usize> = row.how.iter().map(|o| (o.op.as_str(), o.rules)).collect();
    assert_eq!(
        how,
        BTreeMap::from([("contains", 1), ("ends_with", 2), ("eq", 2)])
    );
    // nmap.exe: Sigma (from the path), Elastic, Splunk.
    assert_eq!(row.samples[0].value, "nmap.exe");
    assert_eq!(row.samples[0].rules, 3);
    // No row counts a rule twice.
    for f in &g.fields {
        assert!(f.rules <= g.rules, "{f:#?}");
    }
}

#[test]
fn indicators_have_corpus_reach_beyond_the_technique() {
    let c = catalog();
    let g = c.guide(&GuideQuery::new("T1046")).unwrap();
    let nmap = g
        .indicators
        .iter()
        .find(|i| i.field == "process.name" && i.op == "eq" && i.value == "nmap.exe")
        .expect("nmap.exe indicator");
    assert_eq!(nmap.rules, 3);
    assert_eq!(nmap.corpus_reach, 4, "the T1595 rule looks for it too");
    assert_eq!(g.indicators[0].value, "nmap.exe", "most rules first");
    let uids: Vec<String> = c
        .rules_for_value("T1046", "process.name", "eq", "nmap.exe")
        .unwrap()
        .into_iter()
        .map(|r| r.uid)
        .collect();
    assert_eq!(uids.len(), 3);
    for u in [SIGMA_PATH, ELASTIC, SPLUNK] {
        assert!(uids.iter().any(|x| x == u), "{u} in {uids:?}");
    }
}

#[test]
fn exclusions_tell_rule_level_from_branch_scoped() {
    let c = catalog();
    let g = c.guide(&GuideQuery::new("T1046")).unwrap();
    let find = |v: &str| {
        g.exclusions
            .iter()
            .find(|e| e.value == v)
            .unwrap_or_else(|| panic!("{v} in {:#?}", g.exclusions))
    };
    let help = find(" --help");
    assert_eq!(
        (help.field.as_str(), help.op.as_str()),
        ("process.command_line", "contains")
    );
    assert_eq!((help.rules, help.rule_level, help.branch_scoped), (1, 1, 0));
    let listen = find(" -l ");
    assert_eq!(
        (listen.rules, listen.rule_level, listen.branch_scoped),
        (1, 0, 1)
    );
    assert_eq!(g.exclusions_total, 2);
    // Excluded values are not indicators.
    assert!(!g.indicators.iter().any(|i| i.value == " --help"));
    let excluding = c
        .rules_for_value("T1046", "process.command_line", "contains", " --help")
        .unwrap();
    assert_eq!(excluding.len(), 1);
    assert!(excluding[0].excluded);
}

#[test]
fn rules_by_vendor_events_and_filters() {
    let c = catalog();
    let g = c.guide(&GuideQuery::new("T1046")).unwrap();
    let counts: Vec<(&str, usize)> = g
        .rules_by_vendor
        .iter()
        .map(|v| (v.vendor.as_str(), v.count))
        .collect();
    assert_eq!(counts, vec![("sigma", 2), ("elastic", 1), ("splunk", 1)]);
    assert!(g.events.iter().any(|e| e.id == "windows/process_creation"));
    assert!(g.events.iter().any(|e| e.id == "linux/process_creation"));
    assert!(
        !g.rules_by_vendor
            .iter()
            .flat_map(|v| &v.rules)
            .any(|r| r.uid == SIGMA_T1595)
    );

    let mut q = GuideQuery::new("T1046");
    q.platform = Some("linux".into());
    let linux = c.guide(&q).unwrap();
    assert_eq!(linux.rules, 1);
    assert_eq!(linux.rules_by_vendor[0].rules[0].uid, SIGMA_NETCAT);

    let mut q = GuideQuery::new("T1046");
    q.vendor = Some(Vendor::Elastic);
    let elastic = c.guide(&q).unwrap();
    assert_eq!(elastic.rules, 1);
    let row = elastic
        .fields
        .iter()
        .find(|f| f.field == "process.name")
        .unwrap();
    assert_eq!(row.by_vendor.len(), 1);
    assert!(c.guide(&GuideQuery::new("not-a-technique")).is_err());
}

#[test]
fn subtechniques_roll_up_into_the_parent_and_are_marked() {
    let c = catalog();
    let parent = c.guide(&GuideQuery::new("T1059")).unwrap();
    assert_eq!(parent.rules, 2);
    assert_eq!(parent.subtechnique_rules, 1);
    let rules: Vec<_> = parent
        .rules_by_vendor
        .iter()
        .flat_map(|v| &v.rules)
        .collect();
    let encoded = rules
        .iter()
        .find(|r| r.title.starts_with("PowerShell"))
        .unwrap();
    assert_eq!(encoded.subtechniques, vec!["T1059.001".to_owned()]);
    let office = rules
        .iter()
        .find(|r| r.title.starts_with("Script"))
        .unwrap();
    assert!(office.subtechniques.is_empty());
    let sub = c.guide(&GuideQuery::new("T1059.001")).unwrap();
    assert_eq!(sub.rules, 1);
    assert_eq!(sub.parent.as_deref(), Some("T1059"));
}

#[test]
fn second_identical_ingest_changes_nothing() {
    let mut c = catalog();
    let before = c.stats().unwrap();
    let report = c.ingest(&batches("v1"), &Attack::fixture()).unwrap();
    assert_eq!(
        (report.added, report.changed, report.removed),
        (0, 0, 0),
        "{report:#?}"
    );
    let after = c.stats().unwrap();
    assert_eq!(before.rules, after.rules);
    assert_eq!(before.predicates, after.predicates);
    assert_eq!(after.syncs, 2);
}

#[test]
fn feed_records_additions_changes_and_removals_newest_first() {
    let mut c = catalog();
    let first = c.feed(&FeedQuery::default()).unwrap();
    assert_eq!(first.total, 7);
    // Within a sync, newest rule date first.
    let dates: Vec<Option<String>> = first.items.iter().map(|i| i.rule_date.clone()).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    assert_eq!(
        first.items[0].rule_date.as_deref(),
        Some("2024-06-07"),
        "Elastic updated_date"
    );

    let report = c.ingest(&batches("v2"), &Attack::fixture()).unwrap();
    assert_eq!(
        (report.added, report.changed, report.removed),
        (1, 1, 1),
        "{report:#?}"
    );
    let page = c.feed(&FeedQuery::default()).unwrap();
    assert_eq!(page.total, 10);
    assert!(page.items[..3].iter().all(|i| i.sync_id == report.sync_id));
    let kinds: Vec<ChangeKind> = page.items[..3].iter().map(|i| i.kind).collect();
    for k in [ChangeKind::Added, ChangeKind::Changed, ChangeKind::Removed] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let removed = c
        .feed(&FeedQuery {
            kind: Some(ChangeKind::Removed),
            ..FeedQuery::default()
        })
        .unwrap();
    assert_eq!(removed.total, 1);
    assert_eq!(removed.items[0].uid, SIGMA_T1595);
    assert!(!removed.items[0].present);
    assert_eq!(removed.items[0].techniques, vec!["T1595".to_owned()]);
    assert!(c.rule(SIGMA_T1595).unwrap().is_none());

    let changed = c.rule(SIGMA_PATH).unwrap().expect("still there");
    assert_eq!(changed.rule.severity, Some(Severity::High));
    assert_eq!(changed.history.len(), 2);
    assert_eq!(changed.history[0].kind, ChangeKind::Changed);

    // Filters and paging.
    let q = |f: FeedQuery| c.feed(&f).unwrap();
    assert_eq!(
        q(FeedQuery {
            vendor: Some(Vendor::Elastic),
            ..FeedQuery::default()
        })
        .total,
        1
    );
    let t1059 = q(FeedQuery {
        technique: Some("T1059".into()),
        ..FeedQuery::default()
    });
    assert_eq!(t1059.total, 2, "a parent matches its sub-techniques");
    let high = q(FeedQuery {
        min_severity: Some(Severity::High),
        ..FeedQuery::default()
    });
    assert!(
        high.items
            .iter()
            .all(|i| i.severity.as_deref() == Some("high"))
    );
    assert_eq!(
        high.total, 3,
        "two added in the first sync, one changed to high in the second"
    );
    let linux = q(FeedQuery {
        platform: Some("linux".into()),
        ..FeedQuery::default()
    });
    assert_eq!(linux.total, 2);
    let p1 = q(FeedQuery {
        limit: 4,
        ..FeedQuery::default()
    });
    let p3 = q(FeedQuery {
        limit: 4,
        offset: 8,
        ..FeedQuery::default()
    });
    assert_eq!((p1.items.len(), p3.items.len(), p3.total), (4, 2, 10));
    assert!(
        p1.items
            .iter()
            .all(|a| p3.items.iter().all(|b| a.id != b.id))
    );
}

#[test]
fn search_ranks_and_never_fails_on_syntax() {
    let c = catalog();
    let hits = c.search("masscan", 10).unwrap();
    let uids: Vec<&str> = hits.iter().map(|h| h.uid.as_str()).collect();
    assert!(
        uids.contains(&SIGMA_PATH) && uids.contains(&ELASTIC),
        "{uids:?}"
    );
    // Title matches weigh most.
    let hits = c.search("arp-scan netcat", 10).unwrap();
    assert!(hits.is_empty());
    let hits = c.search("netcat", 10).unwrap();
    assert_eq!(hits[0].uid, SIGMA_NETCAT);
    // Field names are searchable too.
    assert!(!c.search("Processes.process_name", 5).unwrap().is_empty());
    for q in ["\"", "nmap* OR (", "NEAR(a b", "-x", ":", "title:nmap AND"] {
        c.search(q, 5).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn coverage_counts_by_tactic_and_the_navigator_layer_is_valid() {
    let c = catalog();
    let cov = c.coverage(&CoverageQuery::default()).unwrap();
    let discovery = cov
        .tactics
        .iter()
        .find(|t| t.shortname == "discovery")
        .unwrap();
    let t1046 = discovery
        .techniques
        .iter()
        .find(|t| t.id == "T1046")
        .unwrap();
    assert_eq!(t1046.rules, 4);
    assert_eq!(
        t1046.vendors,
        BTreeMap::from([
            ("elastic".into(), 1),
            ("sigma".into(), 2),
            ("splunk".into(), 1)
        ])
    );
    assert!(
        t1046
            .events
            .contains(&"windows/process_creation".to_owned())
    );
    let sigma_only = c
        .coverage(&CoverageQuery {
            vendor: Some(Vendor::Sigma),
            platform: None,
            event: None,
        })
        .unwrap();
    assert_eq!(sigma_only.rules, 5);

    let layer = cov.navigator_layer("fixture");
    for key in [
        "name",
        "versions",
        "domain",
        "techniques",
        "gradient",
        "legendItems",
    ] {
        assert!(layer.get(key).is_some(), "layer has {key}");
    }
    assert_eq!(layer["domain"], "enterprise-attack");
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert!(
        layer["versions"]["navigator"]
            .as_str()
            .unwrap()
            .starts_with('5')
    );
    assert!(layer["versions"]["attack"].is_string());
    let attack = Attack::fixture();
    let techniques = layer["techniques"].as_array().unwrap();
    assert!(!techniques.is_empty());
    for t in techniques {
        let id = t["techniqueID"].as_str().unwrap();
        let parsed: ruledex_attack::TechniqueId = id.parse().expect("a technique id");
        let known = attack.technique(parsed).expect("an id of the ATT&CK data");
        let tactic = t["tactic"].as_str().unwrap();
        assert!(
            known.tactics.iter().any(|x| x == tactic),
            "{id} in {tactic}"
        );
        assert!(t["score"].as_u64().unwrap() >= 1);
        assert!(t["comment"].as_str().unwrap().contains("rules"));
    }
    let t = techniques
        .iter()
        .find(|t| t["techniqueID"] == "T1046")
        .unwrap();
    assert_eq!(t["score"], 4);
    assert!(t["comment"].as_str().unwrap().contains("splunk 1"));
}

#[test]
fn stored_rule_round_trips_and_events_list_rules() {
    let c = catalog();
    let r = c.rule(SIGMA_PATH).unwrap().unwrap();
    assert_eq!(r.rule.uid, SIGMA_PATH);
    assert!(r.rule.text.contains("Image|endswith"));
    assert!(r.fully_parsed);
    assert!(
        r.predicates
            .iter()
            .any(|p| p.derived && p.value == "masscan.exe")
    );
    let ev = c.event("windows/process_creation").unwrap().unwrap();
    assert!(ev.rules.iter().any(|x| x.uid == SIGMA_PATH));
    assert!(ev.techniques.iter().any(|t| t.0 == "T1046"));
    let all = c.events().unwrap();
    assert!(
        all.iter()
            .any(|e| e.id == "linux/process_creation" && e.rules == 1)
    );
    let stats = c.stats().unwrap();
    assert_eq!(stats.rules, 7);
    assert_eq!(
        stats.schema_version,
        ruledex_catalog::schema::current_version()
    );
    assert_eq!(c.integrity_check().unwrap(), vec!["ok".to_owned()]);
}

#[test]
fn samples_catalog_builds() {
    let c = Catalog::from_samples().unwrap();
    let s = c.stats().unwrap();
    assert!(s.rules >= 25, "{s:#?}");
    assert_eq!(s.by_vendor[0].0, "sigma");
}

#[test]
fn read_only_catalog_answers_and_refuses_writes() {
    let dir = std::env::temp_dir().join(format!("ruledex-ro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("c.db");
    {
        let mut c = Catalog::open(&path).unwrap();
        c.ingest(&batches("v1"), &Attack::fixture()).unwrap();
    }
    let ro = Catalog::open_read_only(&path).unwrap();
    assert_eq!(ro.guide(&GuideQuery::new("T1046")).unwrap().rules, 4);
    assert!(ro.connection().execute("DELETE FROM rules", []).is_err());
    assert!(Catalog::open_read_only(dir.join("missing.db")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn catalog_moves_between_threads() {
    // A server keeps one catalog per worker thread, or one behind a mutex.
    fn send<T: Send>() {}
    send::<Catalog>();
    let c = catalog();
    let rules = std::thread::spawn(move || c.stats().unwrap().rules)
        .join()
        .unwrap();
    assert_eq!(rules, 7);
}

#[test]
fn technique_counts_roll_sub_techniques_up_and_take_every_filter() {
    let c = catalog();
    let all = c.technique_counts(&CoverageQuery::default()).unwrap();
    assert_eq!(all.rules, 7);
    let n = |counts: &ruledex_catalog::TechniqueCounts, id: &str| {
        counts.techniques.get(id).copied().unwrap_or(0)
    };
    assert_eq!(n(&all, "T1046"), 4);
    // The interpreter rule (T1059) and the encoded PowerShell rule (T1059.001 only).
    assert_eq!(n(&all, "T1059"), 2);
    assert_eq!(n(&all, "T1059.001"), 1);
    let sigma = c
        .technique_counts(&CoverageQuery {
            vendor: Some(Vendor::Sigma),
            ..CoverageQuery::default()
        })
        .unwrap();
    assert_eq!(n(&sigma, "T1046"), 2);
    assert_eq!(sigma.rules, 5);
    let linux = CoverageQuery {
        event: Some("linux/process_creation".into()),
        ..CoverageQuery::default()
    };
    let by_event = c.technique_counts(&linux).unwrap();
    assert_eq!(
        by_event.rules, 1,
        "only the netcat rule reads Linux processes"
    );
    assert_eq!(by_event.techniques.len(), 1);
    assert_eq!(n(&by_event, "T1046"), 1);
    // The coverage query takes the same event filter.
    let cov = c.coverage(&linux).unwrap();
    assert_eq!(cov.rules, 1);
    assert_eq!(cov.event.as_deref(), Some("linux/process_creation"));
}

#[test]
fn technique_rules_are_whole_rules_newest_first() {
    let c = catalog();
    let uids: Vec<String> = c
        .technique_rules("t1046")
        .unwrap()
        .into_iter()
        .map(|r| {
            assert!(!r.text.is_empty(), "{} keeps its original text", r.uid);
            r.uid
        })
        .collect();
    // Dates in the fixtures: 2024-06-07, 2024-05-06, 2024-03-03, 2023-03-04.
    assert_eq!(uids, vec![ELASTIC, SIGMA_PATH, SPLUNK, SIGMA_NETCAT]);
    let t1059 = c.technique_rules("T1059").unwrap();
    assert_eq!(t1059.len(), 2, "the sub-technique's rule rolls up");
    assert_eq!(c.technique_rules("T1059.001").unwrap().len(), 1);
    assert!(c.technique_rules("T9999").unwrap().is_empty());
    assert!(c.technique_rules("not-a-technique").is_err());
    assert!(c.has_technique("T1046").unwrap());
    assert!(c.has_technique("T1059").unwrap());
    assert!(c.has_technique("T1059.001").unwrap());
    assert!(!c.has_technique("T1003").unwrap());
}

#[test]
fn rule_heads_reach_and_facets() {
    let c = catalog();
    assert_eq!(c.rule_count().unwrap(), 7);
    let heads = c
        .rule_heads(&[SIGMA_PATH, "sigma:unknown", SIGMA_PATH])
        .unwrap();
    assert_eq!(heads.len(), 1, "unknown uids are left out, repeats once");
    let h = &heads[SIGMA_PATH];
    assert_eq!(h.title, "Network Scanner Started From Its Path");
    assert_eq!(
        h.date.as_deref(),
        Some("2024-05-06"),
        "modified beats created"
    );
    assert_eq!(h.severity.as_deref(), Some("medium"));
    assert_eq!(h.techniques, vec!["T1046".to_owned()]);
    assert!(
        h.platforms
            .iter()
            .any(|p| p.eq_ignore_ascii_case("windows"))
    );
    assert_eq!(c.reach("process.name", "eq", "nmap.exe").unwrap(), 4);
    assert_eq!(c.reach("process.name", "eq", "never.exe").unwrap(), 0);
    // A rule's indicators with their reach: its positive rows, once each.
    let stored = c.rule(SIGMA_PATH).unwrap().unwrap();
    let rows = c.rule_reach(SIGMA_PATH).unwrap();
    let mut want: Vec<(String, String, String)> = Vec::new();
    for p in stored
        .predicates
        .iter()
        .filter(|p| p.polarity == Polarity::Pos)
    {
        let key = (p.field.clone(), p.op.clone(), p.value.clone());
        if !want.contains(&key) {
            want.push(key);
        }
    }
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|(i, _)| (i.field.clone(), i.op.clone(), i.value.clone()))
        .collect();
    assert_eq!(got, want);
    for (i, n) in &rows {
        assert_eq!(*n, c.reach(&i.field, &i.op, &i.value).unwrap(), "{i:?}");
    }
    assert!(rows.iter().any(|(i, n)| i.value == "nmap.exe" && *n == 4));
    assert!(c.rule_reach("sigma:unknown").unwrap().is_empty());
    let f = c.facets().unwrap();
    assert!(f.platforms.contains(&"linux".to_owned()), "{f:?}");
    assert!(f.platforms.contains(&"windows".to_owned()), "{f:?}");
    assert!(f.events.contains(&"linux/process_creation".to_owned()));
    assert!(f.events.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
}

#[test]
fn exclusions_of_a_technique_and_near_a_rule() {
    let c = catalog();
    let values = |rows: Vec<(ruledex_catalog::Indicator, usize)>| -> Vec<(String, usize)> {
        rows.into_iter().map(|(i, n)| (i.value, n)).collect()
    };
    let mut t1046 = values(c.technique_exclusions("T1046", 0).unwrap());
    t1046.sort();
    assert_eq!(t1046, vec![(" --help".into(), 1), (" -l ".into(), 1)]);
    assert_eq!(c.technique_exclusions("T1046", 1).unwrap().len(), 1);
    // The Elastic rule excludes nothing; both Sigma rules near it do.
    let mut near_elastic = values(c.neighbour_exclusions(ELASTIC).unwrap());
    near_elastic.sort();
    assert_eq!(
        near_elastic,
        vec![(" --help".into(), 1), (" -l ".into(), 1)]
    );
    // A rule's own exclusions are not its neighbours'.
    assert_eq!(
        values(c.neighbour_exclusions(SIGMA_PATH).unwrap()),
        vec![(" -l ".to_owned(), 1)]
    );
    assert!(c.neighbour_exclusions("sigma:unknown").unwrap().is_empty());
}

#[test]
fn similar_any_vendor_adds_the_own_vendors_rules_never_the_rule_itself() {
    let c = catalog();
    let cross = c.similar(SIGMA_PATH, 0).unwrap();
    let any = c.similar_any_vendor(SIGMA_PATH, 0).unwrap();
    assert!(
        !cross.is_empty(),
        "Elastic and Splunk look for nmap.exe too"
    );
    assert!(cross.iter().all(|s| s.vendor != "sigma"));
    // Every cross-vendor match is still there, with the same score.
    for s in &cross {
        let same = any.iter().find(|a| a.uid == s.uid).expect("kept");
        assert!((same.score - s.score).abs() < f64::EPSILON, "{}", s.uid);
    }
    // The T1595 Sigma rule looks for nmap.exe as well.
    assert!(any.iter().any(|s| s.uid == SIGMA_T1595), "{any:#?}");
    assert!(any.iter().all(|s| s.uid != SIGMA_PATH), "never itself");
    assert!(
        any.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    assert_eq!(c.similar_any_vendor(SIGMA_PATH, 1).unwrap().len(), 1);
}
