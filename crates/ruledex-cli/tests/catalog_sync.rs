//! The catalog commands end to end, through the built `ruledex` binary: a
//! sync killed mid-transaction leaves the previous catalog intact, an
//! unreachable repository leaves it unchanged, and a second identical
//! ingest reports nothing new.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ruledex_catalog::Catalog;

const BIN: &str = env!("CARGO_BIN_EXE_ruledex");

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ruledex-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Write `n` Sigma rules of our own into `dir/sigma`, each with a few
/// predicates and an exclusion, so that writing them takes a while.
fn sigma_corpus(dir: &Path, n: usize, offset: usize) -> PathBuf {
    let root = dir.join("sigma");
    std::fs::create_dir_all(&root).unwrap();
    for i in offset..offset + n {
        let text = format!(
            "title: Generated Tool {i} Execution\n\
             id: 00000000-0000-4000-8000-{i:012}\n\
             status: test\n\
             description: Generated rule {i} for the catalog tests.\n\
             date: 2024-01-{day:02}\n\
             tags:\n    - attack.discovery\n    - attack.t1046\n\
             logsource:\n    category: process_creation\n    product: windows\n\
             detection:\n\
             \x20   selection:\n\
             \x20       Image|endswith:\n\
             \x20           - '\\tool{i}.exe'\n\
             \x20           - '\\tool{i}_x64.exe'\n\
             \x20       CommandLine|contains:\n\
             \x20           - ' -scan{i} '\n\
             \x20           - ' --sweep '\n\
             \x20   filter:\n\
             \x20       ParentImage|endswith: '\\updater{i}.exe'\n\
             \x20   condition: selection and not filter\n\
             level: medium\n",
            day = i % 28 + 1
        );
        std::fs::write(root.join(format!("tool_{i}.yml")), text).unwrap();
    }
    root
}

fn ingest(catalog: &Path, source: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(["ingest", "--catalog"])
        .arg(catalog)
        .arg(source)
        .env_remove("RULEDEX_ATTACK")
        .output()
        .unwrap()
}

/// (rules, predicates, syncs) of a catalog, and that SQLite finds it sound.
fn snapshot(catalog: &Path) -> (usize, usize, usize) {
    let c = Catalog::open(catalog).unwrap();
    assert_eq!(c.integrity_check().unwrap(), vec!["ok".to_owned()]);
    let s = c.stats().unwrap();
    (s.rules, s.predicates, s.syncs)
}

#[test]
fn killed_sync_leaves_the_previous_catalog_intact() {
    let dir = scratch("kill");
    let small = sigma_corpus(&dir.join("small"), 5, 0);
    let big = sigma_corpus(&dir.join("big"), 6000, 100);
    let catalog = dir.join("catalog.db");
    let out = ingest(&catalog, &small);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = snapshot(&catalog);
    assert_eq!(before.0, 5);

    let journal = PathBuf::from(format!("{}-journal", catalog.display()));
    let mut child = Command::new(BIN)
        .args(["ingest", "--catalog"])
        .arg(&catalog)
        .arg(&big)
        .env_remove("RULEDEX_ATTACK")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The rollback journal exists only while the sync's write transaction is
    // open: kill the process as soon as it appears.
    let start = Instant::now();
    let mut killed_mid_transaction = false;
    while start.elapsed() < Duration::from_secs(300) {
        if journal.exists() {
            std::thread::sleep(Duration::from_millis(20));
            child.kill().unwrap(); // SIGKILL on Unix
            killed_mid_transaction = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let status = child.wait().unwrap();
    assert!(
        killed_mid_transaction,
        "the sync finished ({status}) before it could be killed inside its transaction"
    );
    assert!(!status.success(), "killed: {status}");
    let journaled = std::fs::metadata(&journal).map_or(0, |m| m.len());
    assert!(
        journaled > 0,
        "the kill left a journal of pages the sync had already changed"
    );

    // Opening rolls the journal back: the previous catalog, whole and readable.
    let after = snapshot(&catalog);
    assert_eq!(after, before);
    let c = Catalog::open(&catalog).unwrap();
    let g = c.guide(&ruledex_catalog::GuideQuery::new("T1046")).unwrap();
    assert_eq!(g.rules, 5);

    // The same sync, left alone, does change the catalog.
    let out = ingest(&catalog, &big);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(snapshot(&catalog).0, 6005, "both sources' rules");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn second_identical_ingest_reports_nothing_new() {
    let dir = scratch("twice");
    let src = sigma_corpus(&dir, 40, 0);
    let catalog = dir.join("c.db");
    let first = ingest(&catalog, &src);
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(first.status.success(), "{text}");
    assert!(text.contains("40 added, 0 changed, 0 removed"), "{text}");
    let second = ingest(&catalog, &src);
    let text = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(text.contains("0 added, 0 changed, 0 removed"), "{text}");
    assert!(text.contains("40 unchanged"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreachable_repository_leaves_the_catalog_unchanged() {
    let dir = scratch("offline");
    let src = sigma_corpus(&dir, 3, 0);
    let catalog = dir.join("c.db");
    assert!(ingest(&catalog, &src).status.success());
    let before = snapshot(&catalog);
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(BIN)
        .args(["sync", "--catalog"])
        .arg(&catalog)
        .env("RULEDEX_SYNC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env_remove("RULEDEX_ATTACK")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot reach http://127.0.0.1:{port}/SigmaHQ/sigma/"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("the catalog is unchanged"), "{stderr}");
    assert_eq!(snapshot(&catalog), before);
    assert!(
        !PathBuf::from(format!("{}.download", catalog.display())).exists(),
        "the download folder is cleaned up"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn guide_and_coverage_commands_print_json() {
    let dir = scratch("guide");
    let src = sigma_corpus(&dir, 4, 0);
    let catalog = dir.join("c.db");
    assert!(ingest(&catalog, &src).status.success());
    let out = Command::new(BIN)
        .args(["guide", "T1046", "--json", "--catalog"])
        .arg(&catalog)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "technique",
        "name",
        "rules",
        "rules_by_vendor",
        "events",
        "fields",
        "indicators",
        "exclusions",
    ] {
        assert!(g.get(key).is_some(), "guide JSON has {key}");
    }
    assert_eq!(g["rules"], 4);
    let row = g["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "process.name")
        .expect("process.name row");
    assert_eq!(row["rules"], 4);
    for key in ["field", "rules", "how", "samples", "by_vendor"] {
        assert!(row.get(key).is_some(), "field row has {key}");
    }
    let ind = &g["indicators"][0];
    for key in ["field", "op", "value", "rules", "corpus_reach"] {
        assert!(ind.get(key).is_some(), "indicator has {key}");
    }
    let layer = dir.join("layer.json");
    let out = Command::new(BIN)
        .args(["coverage", "--json", "--navigator"])
        .arg(&layer)
        .arg("--catalog")
        .arg(&catalog)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&layer).unwrap()).unwrap();
    assert_eq!(layer["techniques"][0]["techniqueID"], "T1046");
    assert_eq!(layer["techniques"][0]["score"], 4);
    // An event filter narrows the count to the rules reading that event.
    let coverage = |extra: &[&str]| -> serde_json::Value {
        let out = Command::new(BIN)
            .args(["coverage", "--json"])
            .args(extra)
            .arg("--catalog")
            .arg(&catalog)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // The generated rules all read Windows process creation, none Linux's.
    let all = coverage(&[]);
    let windows = coverage(&["--event", "windows/process_creation"]);
    let linux = coverage(&["--event", "linux/process_creation"]);
    assert_eq!(linux["event"], "linux/process_creation");
    assert_eq!(windows["rules"], all["rules"]);
    assert_eq!(linux["rules"], 0);
    // No catalog: a clear error, not an empty one created by accident.
    let missing = dir.join("missing.db");
    let out = Command::new(BIN)
        .args(["guide", "T1046", "--catalog"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no catalog at"));
    assert!(!missing.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
