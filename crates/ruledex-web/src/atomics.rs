//! A small reader of Atomic Red Team test files (`atomics/T1046/T1046.yaml`),
//! for the testing methodology of the technique × platform page.
//!
//! Only what the page shows is read: each test's name, description, platforms,
//! executor and, when the test has them, its command (shown, never run). Files
//! that cannot be read are counted in [`Atomics::failures`].

use std::collections::HashMap;
use std::path::Path;

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde::Serialize;

/// One Atomic Red Team test.
#[derive(Clone, Debug, Serialize)]
pub struct AtomicTest {
    /// The test's name.
    pub name: String,
    /// What it does (markdown-free text).
    pub description: String,
    /// Platforms it runs on (`windows`, `linux`, `macos`, …).
    pub platforms: Vec<String>,
    /// Executor name (`powershell`, `bash`, `command_prompt`, `manual`).
    pub executor: String,
    /// The command, when the executor has one.
    pub command: Option<String>,
    /// The test's guid.
    pub guid: Option<String>,
}

/// The tests of every technique found.
#[derive(Debug, Default)]
pub struct Atomics {
    by_technique: HashMap<String, Vec<AtomicTest>>,
    loaded: bool,
    /// Files that could not be read.
    pub failures: usize,
}

fn text(node: &Yaml<'_>) -> Option<String> {
    match node {
        Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
        Yaml::Value(Scalar::Integer(i)) => Some(i.to_string()),
        Yaml::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        Yaml::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn get<'a>(node: &'a Yaml<'a>, key: &str) -> Option<&'a Yaml<'a>> {
    match node {
        Yaml::Mapping(m) => m
            .iter()
            .find(|(k, _)| text(k).as_deref() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The tests of one file's text, or `None` when it is not an atomics file.
pub fn parse(yaml: &str) -> Option<(String, Vec<AtomicTest>)> {
    let docs = Yaml::load_from_str(yaml).ok()?;
    let doc = docs.first()?;
    let technique = text(get(doc, "attack_technique")?)?.to_uppercase();
    let Some(Yaml::Sequence(tests)) = get(doc, "atomic_tests") else {
        return None;
    };
    let mut out = Vec::new();
    for t in tests {
        let Some(name) = get(t, "name").and_then(text) else {
            continue;
        };
        let platforms = match get(t, "supported_platforms") {
            Some(Yaml::Sequence(p)) => p.iter().filter_map(text).collect(),
            _ => Vec::new(),
        };
        let executor = get(t, "executor");
        out.push(AtomicTest {
            name,
            description: get(t, "description")
                .and_then(text)
                .unwrap_or_default()
                .trim()
                .to_owned(),
            platforms,
            executor: executor
                .and_then(|e| get(e, "name"))
                .and_then(text)
                .unwrap_or_default(),
            command: executor
                .and_then(|e| get(e, "command").or_else(|| get(e, "steps")))
                .and_then(text)
                .map(|c| c.trim().to_owned()),
            guid: get(t, "auto_generated_guid").and_then(text),
        });
    }
    Some((technique, out))
}

impl Atomics {
    /// No tests (no corpus was given).
    pub fn none() -> Atomics {
        Atomics::default()
    }

    /// Reads `DIR/<technique>/<technique>.yaml` for every technique folder.
    pub fn load(dir: &Path) -> Atomics {
        let mut atomics = Atomics {
            loaded: true,
            ..Atomics::default()
        };
        let Ok(read) = std::fs::read_dir(dir) else {
            atomics.loaded = false;
            return atomics;
        };
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.starts_with('T') {
                continue;
            }
            let file = entry.path().join(format!("{name}.yaml"));
            let Ok(yaml) = std::fs::read_to_string(&file) else {
                continue;
            };
            match parse(&yaml) {
                Some((technique, tests)) => {
                    atomics
                        .by_technique
                        .entry(technique)
                        .or_default()
                        .extend(tests);
                }
                None => atomics.failures += 1,
            }
        }
        atomics
    }

    /// Adds tests read from text (tests and fixtures).
    pub fn insert(&mut self, technique: &str, tests: Vec<AtomicTest>) {
        self.loaded = true;
        self.by_technique
            .entry(technique.to_uppercase())
            .or_default()
            .extend(tests);
    }

    /// The tests of a technique (its own file only).
    pub fn tests(&self, technique: &str) -> &[AtomicTest] {
        self.by_technique.get(technique).map_or(&[], Vec::as_slice)
    }

    /// Whether a corpus was read.
    pub fn loaded(&self) -> bool {
        self.loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_platforms_and_command() {
        let yaml = "attack_technique: t9999\natomic_tests:\n- name: Scan\n  description: |\n    Scans.\n  supported_platforms: [linux, macos]\n  executor:\n    name: bash\n    command: nmap -sT 127.0.0.1\n- description: no name, skipped\n";
        let (t, tests) = parse(yaml).expect("an atomics file");
        assert_eq!(t, "T9999");
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].platforms, ["linux", "macos"]);
        assert_eq!(tests[0].executor, "bash");
        assert_eq!(tests[0].command.as_deref(), Some("nmap -sT 127.0.0.1"));
    }

    #[test]
    fn other_yaml_is_not_an_atomics_file() {
        assert!(parse("title: x\n").is_none());
        assert!(parse(": : :\n- [").is_none());
    }
}
