//! `ruledex convert`: the JSON Lines contract, files written with --out, and exit codes.

use std::process::Command;

fn ruledex(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ruledex"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const RULE: &str = "title: Net use\nid: 0b5a2c5e-0000-4000-8000-000000000001\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    sel:\n        Image|endswith: '\\net.exe'\n        CommandLine|contains: ' use '\n    condition: sel\nlevel: low\n";

fn fixture(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("net_use.yml");
    std::fs::write(&p, RULE).unwrap();
    p
}

#[test]
fn json_lines_follow_the_contract() {
    let dir = std::env::temp_dir().join(format!("ruledex-convert-json-{}", std::process::id()));
    let rule = fixture(&dir);
    let path = rule.to_str().unwrap();
    let (code, out, _) = ruledex(&[
        "convert",
        "--json",
        "--target",
        "kusto-asim,spl,lucene",
        path,
    ]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    let first = &lines[0];
    assert_eq!(first["uid"], "sigma:0b5a2c5e-0000-4000-8000-000000000001");
    assert_eq!(first["path"], path);
    assert_eq!(first["document"], 0);
    assert_eq!(first["title"], "Net use");
    assert_eq!(first["target"], "kusto-asim");
    assert_eq!(first["fidelity"], "exact");
    assert!(first.get("reasons").is_none() && first.get("reason").is_none());
    assert!(
        first["query"]
            .as_str()
            .unwrap()
            .starts_with("imProcessCreate\n| where ")
    );
    assert_eq!(lines[1]["target"], "spl");
    let summary = &lines[3]["summary"];
    assert_eq!(summary["kusto-asim"]["exact"], 1);
    assert_eq!(summary["spl"]["exact"], 1);
    // Lucene is another backend; whatever it says, the line holds a verdict.
    let lucene = &lines[2];
    match lucene["fidelity"].as_str().unwrap() {
        "unsupported" => {
            assert!(lucene["reason"].is_string());
            assert!(lucene.get("query").is_none());
            assert_eq!(code, 1);
        }
        "approximate" => assert!(lucene["reasons"].is_array()),
        _ => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn out_dir_gets_one_file_per_rule_and_target_and_exit_is_zero_when_all_convert() {
    let dir = std::env::temp_dir().join(format!("ruledex-convert-out-{}", std::process::id()));
    let rule = fixture(&dir.join("in"));
    let out = dir.join("out");
    let (code, stdout, stderr) = ruledex(&[
        "convert",
        "-t",
        "kusto-asim,sql-sqlite",
        "--out",
        out.to_str().unwrap(),
        rule.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("kusto-asim"), "{stdout}");
    assert!(stderr.contains("sql-sqlite"), "summary on stderr: {stderr}");
    let kusto = std::fs::read_to_string(
        out.join("kusto-asim/sigma_0b5a2c5e-0000-4000-8000-000000000001.kusto"),
    )
    .unwrap();
    assert!(
        kusto.contains("TargetProcessName endswith \"\\\\net.exe\""),
        "{kusto}"
    );
    assert!(
        out.join("sql-sqlite/sigma_0b5a2c5e-0000-4000-8000-000000000001.sql")
            .is_file()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_target_is_a_usage_error() {
    let (code, _, stderr) = ruledex(&["convert", "--target", "splunk"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown target"), "{stderr}");
}

#[test]
fn samples_convert_by_default_and_some_are_unsupported() {
    let (code, out, _) = ruledex(&["convert", "--json", "-t", "sql-sqlite"]);
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let s = &last["summary"]["sql-sqlite"];
    let total = s["exact"].as_u64().unwrap()
        + s["approximate"].as_u64().unwrap()
        + s["unsupported"].as_u64().unwrap();
    assert!(total >= 25, "{last}");
    assert_eq!(code, i32::from(s["unsupported"].as_u64().unwrap() > 0));
}
