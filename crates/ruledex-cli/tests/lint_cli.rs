//! `ruledex lint` and `ruledex similar` end to end, through the built binary,
//! against a catalog built from fixture rules of our own
//! (`tests/fixtures/lint/catalog`: four Sigma and two Elastic rules for
//! T1046, three of them excluding the same scanner agent).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ruledex");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// The fixture catalog, built once per test binary.
fn catalog() -> &'static Path {
    static CATALOG: OnceLock<PathBuf> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ruledex-lint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("catalog.db");
        let root = fixtures().join("catalog");
        let out = Command::new(BIN)
            .arg("ingest")
            .arg("--catalog")
            .arg(&db)
            .arg(format!("sigma={}", root.join("sigma").display()))
            .arg(format!("elastic={}", root.join("elastic").display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ingest failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        db
    })
}

/// Lint one draft as SARIF: (exit code, SARIF log).
fn lint_sarif(draft: &str) -> (i32, Value) {
    let out = Command::new(BIN)
        .arg("lint")
        .arg("--catalog")
        .arg(catalog())
        .args(["--format", "sarif", "--noisy-reach", "3"])
        .arg(fixtures().join(draft))
        .env_remove("RULEDEX_ATTACK")
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "lint {draft}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), sarif)
}

/// (ruleId, startLine) of every result.
fn found(sarif: &Value) -> BTreeSet<(String, u64)> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect()
}

fn expect(pairs: &[(&str, u64)]) -> BTreeSet<(String, u64)> {
    pairs.iter().map(|(r, l)| ((*r).to_owned(), *l)).collect()
}

/// Every result names a rule the driver lists, with its level, a message and
/// a location in the draft.
fn check_sarif_structure(sarif: &Value, draft: &str) {
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "ruledex");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"RDX001") && ids.contains(&"RDX011"),
        "{ids:?}"
    );
    for r in rules {
        assert!(r["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(r["shortDescription"]["text"].as_str().is_some());
        let level = r["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&level), "{level}");
    }
    for res in sarif["runs"][0]["results"].as_array().unwrap() {
        let id = res["ruleId"].as_str().unwrap();
        let rule = rules.iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(res["level"], rule["defaultConfiguration"]["level"]);
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let loc = &res["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with(draft)
        );
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn noisy_nmap_draft_is_noisy_and_lacks_the_common_exclusion() {
    let (code, sarif) = lint_sarif("noisy_nmap.yml");
    check_sarif_structure(&sarif, "noisy_nmap.yml");
    // Line 15: the lone `Image|endswith`; line 13: `detection:`.
    assert_eq!(found(&sarif), expect(&[("RDX004", 15), ("RDX005", 13)]));
    assert_eq!(code, 0, "no finding is an error");
    let msgs = sarif.to_string();
    assert!(msgs.contains("vulnscan_agent.exe"), "{msgs}");
}

#[test]
fn missing_exclusion_draft_gets_only_the_exclusion_note() {
    let (code, sarif) = lint_sarif("missing_exclusion.yml");
    check_sarif_structure(&sarif, "missing_exclusion.yml");
    assert_eq!(found(&sarif), expect(&[("RDX005", 13)]));
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "note");
    assert_eq!(code, 0);
}

#[test]
fn bad_tags_draft_reports_each_tag_the_log_source_and_the_field() {
    let (code, sarif) = lint_sarif("bad_tags.yml");
    check_sarif_structure(&sarif, "bad_tags.yml");
    assert_eq!(
        found(&sarif),
        expect(&[
            ("RDX008", 9),  // attack.t1086: revoked
            ("RDX009", 10), // attack.t1064: deprecated
            ("RDX007", 11), // attack.t9999: unknown
            ("RDX010", 12), // logsource acme_widget / widget_audit
            ("RDX002", 17), // WidgetColour
        ])
    );
    assert_eq!(code, 1, "an unknown technique is an error");
    assert!(
        sarif.to_string().contains("T1059.001"),
        "revoked names its replacement"
    );
}

#[test]
fn near_duplicate_names_the_catalog_rule() {
    let (code, sarif) = lint_sarif("near_duplicate.yml");
    assert_eq!(found(&sarif), expect(&[("RDX011", 12)]));
    let text = sarif["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("sigma:11111111-1111-4111-8111-111111111111"),
        "{text}"
    );
    assert_eq!(code, 0);
}

#[test]
fn parse_errors_are_findings_with_their_place() {
    let (code, sarif) = lint_sarif("broken.yml");
    assert_eq!(found(&sarif), expect(&[("RDX001", 9)]));
    assert_eq!(code, 1);
}

#[test]
fn text_and_json_formats_and_usage_errors() {
    let out = Command::new(BIN)
        .arg("lint")
        .arg("--catalog")
        .arg(catalog())
        .arg(fixtures().join("bad_tags.yml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bad_tags.yml:11:14: error RDX007 invalid-technique"),
        "{text}"
    );
    let out = Command::new(BIN)
        .args(["lint", "--format", "json", "--catalog"])
        .arg(catalog())
        .arg(fixtures().join("missing_exclusion.yml"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["rule_id"], "RDX005");
    assert_eq!(v[0]["rule"], "missing-exclusion");
    let out = Command::new(BIN)
        .args(["lint", "--format", "yaml"])
        .arg(fixtures().join("bad_tags.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn similar(rule: &str) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["similar", "--json", "--catalog"])
        .arg(catalog())
        .arg(rule)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn elastic_and_sigma_masscan_rules_rank_first_for_each_other() {
    let sigma = "sigma:44444444-4444-4444-8444-444444444444";
    let elastic = "elastic:55555555-5555-4555-8555-555555555555";
    let from_sigma = similar(sigma);
    assert_eq!(from_sigma[0]["uid"], elastic);
    assert!(
        from_sigma.iter().all(|s| s["vendor"] != "sigma"),
        "other vendors only"
    );
    let from_elastic = similar(elastic);
    assert_eq!(from_elastic[0]["uid"], sigma);
    assert!(from_elastic.iter().all(|s| s["vendor"] != "elastic"));
    // Shared: the process name (Sigma's path match yields it) and the
    // command-line fragment.
    let shared: BTreeSet<String> = from_elastic[0]["shared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {} {}",
                i["field"].as_str().unwrap(),
                i["op"].as_str().unwrap(),
                i["value"].as_str().unwrap()
            )
        })
        .collect();
    assert!(shared.contains("process.name eq masscan.exe"), "{shared:?}");
    assert!(
        shared.contains("process.command_line contains --rate"),
        "{shared:?}"
    );
    let score = from_elastic[0]["score"].as_f64().unwrap();
    assert!(score > 0.5 && score <= 1.0, "{score}");
    // A Sigma nmap rule's best Elastic match is the Elastic nmap rule.
    let nmap = similar("sigma:11111111-1111-4111-8111-111111111111");
    assert_eq!(
        nmap[0]["uid"],
        "elastic:66666666-6666-4666-8666-666666666666"
    );
    assert!(
        nmap.iter().all(|s| s["uid"] != elastic),
        "masscan shares nothing with nmap"
    );
}

#[test]
fn similar_reads_a_rule_file_too() {
    let found = similar(fixtures().join("noisy_nmap.yml").to_str().unwrap());
    assert_eq!(
        found[0]["uid"],
        "elastic:66666666-6666-4666-8666-666666666666"
    );
    let out = Command::new(BIN)
        .args(["similar", "--catalog"])
        .arg(catalog())
        .arg("sigma:no-such-rule")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule"));
}
