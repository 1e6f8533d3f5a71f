//! Every page and API endpoint, over the fixture catalog, through the router
//! (no network): status and the content that must be there.

mod common;

use axum::http::StatusCode;
use common::{ELASTIC_UID, NETCAT_UID, NMAP_UID, app, get, json};

#[tokio::test]
async fn feed_lists_newest_first_with_filters_and_paging() {
    let app = app();
    let got = get(&app, "/").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(
        got.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(got.body.contains("Detection feed"));
    // The Elastic rule (updated 2025/06/01) is newer than the netcat rule (2025-02-03).
    let elastic = got
        .body
        .find("Fixture Elastic Network Scan")
        .expect("elastic rule listed");
    let netcat = got
        .body
        .find("Fixture Linux Scanner Execution")
        .expect("netcat rule listed");
    assert!(elastic < netcat, "newest first");
    let got = get(&app, "/?vendor=elastic").await;
    assert!(got.body.contains("Fixture Elastic Network Scan"));
    assert!(!got.body.contains("Fixture Linux Scanner Execution"));
    let got = get(&app, "/?severity=high&platform=windows&technique=t1046").await;
    assert!(
        got.body.contains("Fixture Windows Nmap Execution"),
        "{}",
        got.body
    );
    assert!(!got.body.contains("Fixture Windows Masscan Execution"));
    let got = get(&app, "/?per_page=2&page=2").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("Page 2 of 3"), "{}", got.body);
    assert!(got.body.contains("← Newer") && got.body.contains("Older →"));
}

#[tokio::test]
async fn api_feed_mirrors_the_page() {
    let app = app();
    let v = json(&get(&app, "/api/v1/feed?vendor=sigma&per_page=2").await);
    assert_eq!(v["total"], 4);
    assert_eq!(v["pages"], 2);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["items"][0]["vendor"], "sigma");
    assert_eq!(v["filters"]["vendor"], "sigma");
}

#[tokio::test]
async fn rule_page_has_everything_the_seed_has_and_more() {
    let app = app();
    let got = get(&app, &format!("/rules/{NETCAT_UID}")).await;
    assert_eq!(got.status, StatusCode::OK);
    let b = &got.body;
    for needle in [
        "Fixture Linux Scanner Execution",         // title
        "badge v-sigma",                           // vendor badge
        "sev-low",                                 // severity
        "href=\"/techniques/T1046\"",              // technique chip
        "href=\"/events/linux/process_creation\"", // catalog event chip
        "2026-03-25T02:50:08Z",                    // retrieved
        "id=\"confidence\"",                       // confidence
        "Hunt hypothesis",
        "Network Service Discovery", // ATT&CK context from the fixture
        "View original at SigmaHQ/sigma", // source link
        "https://github.com/SigmaHQ/sigma/blob/master/rules/linux/process_creation/fixture_netcat.yml",
        "<span class=\"k\">title</span>", // highlighted original
        "Conversions",
        "Kusto (Sentinel ASIM)", // every target
        "Sigma",
        "False-positive guidance",
        "Administrators checking their own services",
        "Normalized logic",
        "ol d",       // outline lines
        "excluded",   // exclusion highlighted
        "only where", // scoped exclusion shown with its branch
        "Catalog events and their producers",
        "Similar rules",
        "generated",
    ] {
        assert!(b.contains(needle), "rule page lacks {needle:?}");
    }
    // Every target has a conversion block.
    for t in ruledex_convert::Target::ALL {
        assert!(
            b.contains(t.title()),
            "no conversion block for {}",
            t.title()
        );
    }
}

#[tokio::test]
async fn similar_rules_come_from_other_vendors_first() {
    let app = app();
    let v = json(&get(&app, &format!("/api/v1/rules/{ELASTIC_UID}")).await);
    let similar = v["similar"].as_array().unwrap();
    assert!(
        !similar.is_empty(),
        "the Elastic rule shares process.name = nmap with Sigma rules"
    );
    assert_eq!(similar[0]["rule"]["vendor"], "sigma");
}

#[tokio::test]
async fn elastic_rule_shows_its_investigation_guide_and_setup() {
    let app = app();
    let got = get(&app, &format!("/rules/{ELASTIC_UID}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("id=\"investigation-guide\""));
    assert!(
        got.body.contains("<h3>Investigating the fixture</h3>"),
        "markdown rendered"
    );
    assert!(got.body.contains("<strong>process.name</strong>"));
    assert!(got.body.contains("href=\"https://example.org/guide\""));
    assert!(got.body.contains("id=\"setup\""));
    assert!(got.body.contains("Risk score"));
}

#[tokio::test]
async fn api_rule_mirrors_the_page() {
    let app = app();
    let v = json(&get(&app, &format!("/api/v1/rules/{NMAP_UID}")).await);
    assert_eq!(v["uid"], NMAP_UID);
    assert_eq!(v["vendor"], "sigma");
    let conversions = v["conversions"].as_array().unwrap();
    assert_eq!(conversions.len(), ruledex_convert::Target::ALL.len());
    // Each conversion carries its fidelity; a written query is never shown as unsupported.
    for c in conversions {
        let fidelity = c["fidelity"].as_str().unwrap();
        assert!(["exact", "approximate", "unsupported"].contains(&fidelity));
        assert_eq!(c["query"].is_string(), fidelity != "unsupported", "{c}");
        assert_eq!(
            c["reasons"].as_array().unwrap().is_empty(),
            fidelity == "exact",
            "{c}"
        );
    }
    assert!(["low", "medium", "high"].contains(&v["confidence"]["level"].as_str().unwrap()));
    assert_eq!(v["exclusions"].as_array().unwrap().len(), 2);
    assert!(
        v["hypothesis"]
            .as_str()
            .unwrap()
            .contains("Network Service Discovery")
    );
    assert!(
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["value"] == "nmap.exe")
    );
}

#[tokio::test]
async fn technique_page_is_an_authoring_guide() {
    let app = app();
    let got = get(&app, "/techniques/T1046").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let b = &got.body;
    for needle in [
        "Network Service Discovery",
        "Events covered",
        "Fields filtered most",
        "Top indicator values",
        "Corpus reach",
        "Exclusions (",
        "Rules under this technique",
        "<details><summary><code>nmap.exe</code></summary>", // click a value to expand its rules
        "href=\"/techniques/T1046/elastic\"",
        "name=\"platform\"",
        "name=\"domain\"",
    ] {
        assert!(b.contains(needle), "technique page lacks {needle:?}");
    }
    // Two Windows rules share both exclusions: a row with 2 rules excluding.
    let v = json(&get(&app, "/api/v1/techniques/T1046").await);
    assert_eq!(v["rule_count"], 4);
    let excl = v["exclusions"].as_array().unwrap();
    assert!(excl.iter().any(|x| x["rules"] == 2), "{excl:?}");
    let nmap = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["field"] == "process.name" && i["value"] == "nmap.exe")
        .expect("nmap.exe indicator");
    assert!(nmap["rules"].as_u64().unwrap() >= 2);
    assert!(nmap["reach"].as_u64().unwrap() >= nmap["rules"].as_u64().unwrap());
    let vendors: Vec<&str> = v["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["vendor"].as_str().unwrap())
        .collect();
    assert_eq!(vendors, ["sigma", "elastic"]);
}

#[tokio::test]
async fn technique_filters_narrow_the_guide() {
    let app = app();
    let v = json(&get(&app, "/api/v1/techniques/t1046?platform=windows").await);
    assert_eq!(v["rule_count"], 2);
    assert_eq!(v["filters"]["platform"], "windows");
    let v = json(&get(&app, "/api/v1/techniques/T1046?vendor=elastic").await);
    assert_eq!(v["rule_count"], 1);
}

#[tokio::test]
async fn technique_platform_page_synthesizes_a_detection() {
    let app = app();
    let got = get(&app, "/techniques/T1046/elastic").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    for needle in [
        "Detect Network Service Discovery in Elastic Security",
        "detection query",
        "Data sources",
        "Required tables",
        "False positives &amp; tuning",
        "Other platforms for T1046",
        "References (",
        "Testing methodology",
        "Port Scan Nmap",
        "Expected signal",
        "Elastic EQL",
    ] {
        assert!(got.body.contains(needle), "platform page lacks {needle:?}");
    }
    let v = json(&get(&app, "/api/v1/techniques/T1046/splunk").await);
    assert_eq!(v["platform"]["slug"], "splunk");
    let q = &v["queries"][0];
    assert!(q["branches"].as_u64().unwrap() >= 1);
    // Both Windows rules exclude the same two conditions: shared exclusions are kept.
    let all_shared: Vec<String> = v["queries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| {
            q["shared_exclusions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
        })
        .collect();
    assert!(
        all_shared.iter().any(|s| s.contains("svc_scan")),
        "{all_shared:?}"
    );
    assert_eq!(v["other_platforms"].as_array().unwrap().len(), 5);
    assert!(
        v["references"][0]
            .as_str()
            .unwrap()
            .starts_with("https://attack.mitre.org/techniques/T1046")
    );
}

#[tokio::test]
async fn coverage_is_a_matrix_with_a_layer() {
    let app = app();
    let got = get(&app, "/coverage").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("id=\"matrix\""));
    assert!(got.body.contains("Discovery"));
    assert!(got.body.contains("href=\"/techniques/T1046\""));
    assert!(got.body.contains("Download Navigator layer"));
    let v = json(&get(&app, "/api/v1/coverage?vendor=sigma").await);
    let cell = v["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["techniques"].as_array().unwrap())
        .find(|c| c["id"] == "T1046")
        .expect("T1046 in the matrix");
    assert_eq!(cell["rules"], 3);
    let layer = get(&app, "/coverage/layer.json?vendor=elastic").await;
    assert_eq!(layer.status, StatusCode::OK);
    assert!(
        layer.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let layer = json(&layer);
    assert_eq!(layer["domain"], "enterprise-attack");
    assert_eq!(layer["techniques"][0]["techniqueID"], "T1046");
    assert_eq!(layer["techniques"][0]["score"], 1);
    let api_layer = json(&get(&app, "/api/v1/coverage/layer").await);
    assert!(api_layer["techniques"].as_array().unwrap().len() >= 2);
}

#[tokio::test]
async fn events_list_and_detail() {
    let app = app();
    let got = get(&app, "/events").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("windows/process_creation"));
    let got = get(&app, "/events/windows/process_creation").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("Produced by"));
    assert!(got.body.contains("Fixture Windows Nmap Execution"));
    let v = json(&get(&app, "/api/v1/events").await);
    let row = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "windows/process_creation")
        .unwrap();
    assert_eq!(row["rules"], 3);
    let v = json(&get(&app, "/api/v1/events/linux/process_creation").await);
    assert_eq!(v["rule_count"], 2);
    assert!(v["techniques"][0][0] == "T1046");
}

#[tokio::test]
async fn search_finds_titles_values_and_techniques() {
    let app = app();
    let got = get(&app, "/search?q=masscan").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("Fixture Windows Masscan Execution"));
    let v = json(&get(&app, "/api/v1/search?q=nmap.exe").await);
    assert!(v["total"].as_u64().unwrap() >= 2);
    let v = json(&get(&app, "/api/v1/search?q=network+service").await);
    assert!(
        v["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "T1046")
    );
    let v = json(&get(&app, "/api/v1/search").await);
    assert_eq!(v["total"], 0);
}

#[tokio::test]
async fn openapi_document_lists_every_endpoint() {
    let app = app();
    let v = json(&get(&app, "/api/v1/openapi.json").await);
    assert_eq!(v["openapi"], "3.1.0");
    for p in [
        "/api/v1/feed",
        "/api/v1/rules/{uid}",
        "/api/v1/techniques/{id}",
        "/api/v1/techniques/{id}/{platform}",
        "/api/v1/coverage",
        "/api/v1/coverage/layer",
        "/api/v1/events",
        "/api/v1/events/{id}",
        "/api/v1/search",
    ] {
        assert!(v["paths"][p]["get"].is_object(), "{p} missing from OpenAPI");
    }
    let root = json(&get(&app, "/api/v1").await);
    assert_eq!(root["openapi"], "/api/v1/openapi.json");
}

#[tokio::test]
async fn static_assets_are_embedded() {
    let app = app();
    let css = get(&app, "/static/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.body.contains(".matrix"));
    let js = get(&app, "/static/app.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("clipboard"));
}

#[tokio::test]
async fn unknown_ids_are_404_pages() {
    let app = app();
    for uri in [
        "/rules/sigma:does-not-exist",
        "/techniques/T9999",
        "/techniques/T1046/qradar",
        "/events/no/such/event",
        "/no-such-page",
    ] {
        let got = get(&app, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(got.body.contains("404"), "{uri}: {}", got.body);
        assert!(
            got.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}"
        );
    }
    for uri in [
        "/api/v1/rules/sigma:nope",
        "/api/v1/techniques/T9999",
        "/api/v1/events/x/y",
        "/api/v1/nope",
    ] {
        let got = get(&app, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(json(&got)["status"], 404, "{uri}");
    }
}

#[tokio::test]
async fn bad_query_parameters_are_400_with_a_message() {
    let app = app();
    for (uri, message) in [
        ("/?vendor=qradar", "unknown vendor `qradar`"),
        ("/?severity=urgent", "unknown severity"),
        ("/?page=0", "query parameter `page`"),
        ("/?page=abc", "expected a whole number"),
        ("/?per_page=1000", "query parameter `per_page`"),
        ("/?technique=X1", "not an ATT&amp;CK technique id"),
        ("/?bogus=1", "unknown query parameter `bogus`"),
        ("/?vendor=sigma&vendor=elastic", "given more than once"),
        ("/?q=%ZZ", "percent-encoded"),
        ("/techniques/banana", "not an ATT&amp;CK technique id"),
        ("/coverage?platform=%3Cscript%3E", "is not a valid name"),
    ] {
        let got = get(&app, uri).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(got.body.contains(message), "{uri}: {}", got.body);
    }
    let got = get(&app, "/api/v1/feed?page=-1").await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert!(json(&got)["error"].as_str().unwrap().contains("page"));
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = app();
    for uri in [
        "/",
        "/api/v1/feed",
        "/nope",
        "/static/style.css",
        "/?page=0",
    ] {
        let got = get(&app, uri).await;
        let csp = got.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{uri}: {csp}"
        );
        assert_eq!(got.headers["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(got.headers["referrer-policy"], "no-referrer", "{uri}");
    }
}

#[tokio::test]
async fn request_bodies_over_the_limit_are_refused() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let app = app();
    let body = vec![b'x'; ruledex_web::BODY_LIMIT + 1];
    let req = Request::builder()
        .uri("/")
        .method("POST")
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}

#[tokio::test]
async fn a_cached_answer_is_the_same_answer() {
    let app = app();
    for uri in [
        "/techniques/T1046",
        "/coverage/layer.json?vendor=sigma",
        "/api/v1/feed",
        "/static/style.css",
    ] {
        let first = get(&app, uri).await;
        let second = get(&app, uri).await;
        assert_eq!(first.status, second.status, "{uri}");
        assert_eq!(first.body, second.body, "{uri}");
        for h in [
            "content-type",
            "content-security-policy",
            "x-content-type-options",
            "content-disposition",
            "cache-control",
        ] {
            assert_eq!(
                first.headers.get(h),
                second.headers.get(h),
                "{uri}: header {h}"
            );
        }
    }
    // Errors are not cached: they stay errors with their message.
    let a = get(&app, "/?page=0").await;
    let b = get(&app, "/?page=0").await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST)
    );
}

#[tokio::test]
async fn technique_numbers_are_the_catalogs_numbers() {
    let backend = common::backend();
    let mut q = ruledex_catalog::GuideQuery::new("T1046");
    q.platform = Some("windows".into());
    let expected = backend.catalog().guide(&q).expect("catalog guide");
    let app = ruledex_web::app(backend);
    let v = json(&get(&app, "/api/v1/techniques/T1046?platform=windows").await);
    assert_eq!(v["rule_count"], expected.rules);
    assert_eq!(v["fields_total"], expected.fields_total);
    assert_eq!(v["indicators_total"], expected.indicators_total);
    assert_eq!(v["exclusions_total"], expected.exclusions_total);
    let fields: Vec<(&str, u64)> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["rules"].as_u64().unwrap()))
        .collect();
    let want: Vec<(&str, u64)> = expected
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.rules as u64))
        .collect();
    assert_eq!(fields, want);
    for (got, want) in v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&expected.indicators)
    {
        assert_eq!(got["value"], want.value.as_str());
        assert_eq!(got["reach"], want.corpus_reach);
        // Clicking the value lists exactly the rules the count says.
        assert_eq!(got["rule_refs"].as_array().unwrap().len(), want.rules);
    }
    for (got, want) in v["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&expected.exclusions)
    {
        assert_eq!(got["rule_level"], want.rule_level);
        assert_eq!(got["branch_scoped"], want.branch_scoped);
    }
}

#[tokio::test]
async fn feed_is_the_catalogs_change_history() {
    let backend = common::backend();
    let expected = backend
        .catalog()
        .feed(&ruledex_catalog::FeedQuery::default())
        .expect("catalog feed");
    let app = ruledex_web::app(backend);
    let v = json(&get(&app, "/api/v1/feed?per_page=100").await);
    assert_eq!(v["total"], expected.total);
    let items = v["items"].as_array().unwrap();
    let uids: Vec<&str> = items.iter().map(|i| i["uid"].as_str().unwrap()).collect();
    let want: Vec<&str> = expected.items.iter().map(|i| i.uid.as_str()).collect();
    assert_eq!(uids, want);
    // One sync of fresh rules: every entry was added, with a retrieval time.
    assert!(items.iter().all(|i| i["kind"] == "added"));
    assert!(
        items
            .iter()
            .all(|i| !i["retrieved_at"].as_str().unwrap().is_empty())
    );
    let got = get(&app, "/?kind=removed").await;
    assert!(got.body.contains("No rule matches these filters."));
    assert_eq!(
        get(&app, "/api/v1/feed?kind=renamed").await.status,
        StatusCode::BAD_REQUEST
    );
}
