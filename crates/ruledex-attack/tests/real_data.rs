//! Conformance with the real ATT&CK v18.1 data and the Sigma corpus in
//! `../shared` (outside the repository). Skipped with a note when the files are
//! absent, except on CI (`CI=true`), where their absence is a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ruledex_attack::{Attack, Resolution, Status, TechniqueId, parse_sigma_tag};

/// A file or directory under `../shared`, or `None` (after a note) when it is
/// missing outside CI.
fn shared(relative: &str) -> Option<PathBuf> {
    ruledex_testkit::shared(relative)
}

fn load_attack() -> Option<Attack> {
    let path = shared("attack/enterprise-attack.json")?;
    Some(Attack::load(&path).unwrap_or_else(|e| panic!("loading {}: {e}", path.display())))
}

fn id(text: &str) -> TechniqueId {
    text.parse().unwrap()
}

#[test]
fn enterprise_attack_v18_1_loads_with_expected_counts() {
    let Some(attack) = load_attack() else { return };
    assert_eq!(attack.version(), "18.1");
    assert_eq!(attack.tactics().len(), 14);
    let subs = attack
        .techniques()
        .iter()
        .filter(|t| t.is_subtechnique)
        .count();
    assert_eq!(attack.techniques().len(), 691);
    assert_eq!(attack.techniques().len() - subs, 216);
    assert_eq!(subs, 475);
    assert_eq!(attack.retired().len(), 144);
    assert_eq!(attack.data_components().len(), 109);

    let Resolution::Current(t1046) = attack.resolve(id("T1046")) else {
        panic!("T1046 is not current");
    };
    assert_eq!(t1046.name, "Network Service Discovery");
    assert_eq!(t1046.tactics, ["discovery"]);
    let tactic = attack.tactics_of(t1046).next().unwrap();
    assert_eq!(
        (tactic.id.to_string().as_str(), tactic.name.as_str()),
        ("TA0007", "Discovery")
    );
}

#[test]
fn every_reference_in_the_data_is_consistent() {
    let Some(attack) = load_attack() else { return };
    for t in attack.techniques() {
        for dc in &t.data_components {
            assert!(
                attack.data_component(dc).is_some(),
                "{}: unknown {dc}",
                t.id
            );
        }
        assert_eq!(attack.tactics_of(t).count(), t.tactics.len(), "{}", t.id);
    }
    // Every revoked id leads to an active technique.
    for r in attack.retired().iter().filter(|r| r.revoked) {
        let resolution = attack.resolve(r.id);
        assert!(
            matches!(
                resolution,
                Resolution::Revoked {
                    current: Some(_),
                    ..
                }
            ),
            "{}: {resolution:?}",
            r.id
        );
    }
}

#[test]
fn v19_remap_targets_are_active_v18_1_techniques() {
    let Some(attack) = load_attack() else { return };
    for remap in attack.technique_remaps() {
        assert!(
            attack.technique(remap.from).is_none(),
            "{} is known to v18.1; its remap is dead",
            remap.from
        );
        for target in std::iter::once(&remap.to).chain(&remap.also) {
            assert!(
                matches!(attack.resolve(*target), Resolution::Current(_)),
                "{} -> {target}: target not active in v18.1",
                remap.from
            );
        }
        assert!(
            matches!(attack.resolve(remap.from), Resolution::Remapped { to, .. } if to.id == remap.to),
            "{}",
            remap.from
        );
    }
    for remap in attack.tactic_remaps() {
        assert!(attack.tactic_by_name(&remap.to).is_some(), "{}", remap.to);
    }
}

/// Every `.yml` file under `dir`, recursively, in a stable order.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "yml") {
            out.push(path);
        }
    }
}

/// Every match of `attack\.t[0-9]{4}(\.[0-9]{3})?` in `text`, like
/// `grep -oE` (leftmost, longest).
fn technique_tags(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let digits_at = |at: usize, n: usize| {
        bytes.len() >= at + n && bytes[at..at + n].iter().all(u8::is_ascii_digit)
    };
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("attack.t") {
        let start = from + offset;
        let number = start + "attack.t".len();
        from = number;
        if !digits_at(number, 4) {
            continue;
        }
        let mut end = number + 4;
        if bytes.get(end) == Some(&b'.') && digits_at(end + 1, 3) {
            end += 4;
        }
        found.push(&text[start..end]);
        from = end;
    }
    found
}

#[test]
fn technique_tag_scanner_matches_grep() {
    let text = "- attack.t1059.001\n- attack.t1046 attack.t10 xattack.t1003.0011 attack.t1110.";
    assert_eq!(
        technique_tags(text),
        [
            "attack.t1059.001",
            "attack.t1046",
            "attack.t1003.001",
            "attack.t1110"
        ]
    );
}

/// Unknown technique ids in the Sigma corpus, measured on the pinned commit
/// (8eaafff, 2026-08-05). Asserted exactly, so that a change is noticed; it
/// may only go down.
const SIGMA_UNKNOWN_TECHNIQUES: usize = 0;
/// Distinct v19 technique ids in the Sigma corpus that resolve through the
/// remapping table (T1685*, T1686*, T1689, T1690).
const SIGMA_REMAPPED_TECHNIQUES: usize = 12;

#[test]
fn every_sigma_technique_tag_resolves() {
    let Some(attack) = load_attack() else { return };
    let Some(sigma) = shared("corpora/sigma") else {
        return;
    };
    let mut files = Vec::new();
    yaml_files(&sigma, &mut files);
    // Id → occurrences.
    let mut ids: BTreeMap<TechniqueId, usize> = BTreeMap::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for tag in technique_tags(&text) {
            let parsed = parse_sigma_tag(tag).unwrap();
            let id = match parsed.result {
                Ok(ruledex_attack::AttackRef::Technique(id)) => id,
                other => panic!("{}: {tag} read as {other:?}", file.display()),
            };
            *ids.entry(id).or_default() += 1;
        }
    }
    let mut current = 0;
    let mut remapped = Vec::new();
    let mut unknown = Vec::new();
    for (&id, &count) in &ids {
        match attack.resolve(id) {
            Resolution::Current(_) => current += 1,
            Resolution::Remapped { to, .. } => {
                remapped.push(format!("{id} -> {} ({count}x)", to.id));
            }
            other => unknown.push(format!("{id} ({count}x): {other:?}")),
        }
    }
    eprintln!(
        "sigma: {} files, {} distinct technique ids ({} tags): {current} current, {} remapped, {} unknown",
        files.len(),
        ids.len(),
        ids.values().sum::<usize>(),
        remapped.len(),
        unknown.len()
    );
    for line in &remapped {
        eprintln!("  remapped {line}");
    }
    for line in &unknown {
        eprintln!("  UNKNOWN {line}");
    }
    assert_eq!(
        unknown.len(),
        SIGMA_UNKNOWN_TECHNIQUES,
        "unknown technique ids in the Sigma corpus changed (lower the constant if they went down): {unknown:#?}"
    );
    assert_eq!(remapped.len(), SIGMA_REMAPPED_TECHNIQUES, "{remapped:#?}");
}

#[test]
fn every_sigma_attack_tag_checks_cleanly() {
    let Some(attack) = load_attack() else { return };
    let Some(sigma) = shared("corpora/sigma") else {
        return;
    };
    let mut files = Vec::new();
    yaml_files(&sigma, &mut files);
    // Status kind → distinct tags with it.
    let mut by_status: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for line in text.lines() {
            let Some(item) = line.trim().strip_prefix("- ") else {
                continue;
            };
            // A YAML comment after the tag is not part of it.
            let tag = item.split(" #").next().unwrap_or_default().trim();
            let Some(parsed) = parse_sigma_tag(tag) else {
                continue;
            };
            let checked = attack.check(std::slice::from_ref(&parsed));
            let kind = match &checked[0].status {
                Status::Current(_) => "current",
                Status::Remapped { .. } => "remapped",
                Status::Unchecked(_) => "unchecked",
                Status::Unknown(_) => "unknown",
                Status::Malformed(_) => "malformed",
                _ => "retired",
            };
            *by_status
                .entry(kind)
                .or_default()
                .entry(parsed.input)
                .or_default() += 1;
        }
    }
    for (kind, tags) in &by_status {
        eprintln!(
            "sigma attack tags {kind}: {} distinct, {} uses",
            tags.len(),
            tags.values().sum::<usize>()
        );
    }
    let problems: Vec<_> = ["unknown", "malformed", "retired"]
        .iter()
        .filter_map(|kind| by_status.get(kind).map(|tags| (kind, tags)))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}
