//! The field table against the vendors' own schemas in `../shared/corpora`
//! (outside the repository; skipped with a note when absent, a failure under
//! `CI=true`):
//!
//! - every canonical field is an ECS 9.5 field of the same type, or lives in a
//!   declared non-ECS namespace (and no namespace is declared for nothing);
//! - every ASIM alias is a column of the ASIM schemas (`ASimTester.csv`).
//!
//! The ECS schema ships gzip-compressed; the workspace has no gzip crate, so the
//! test reads it through the system `gzip -dc`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use ruledex_taxonomy::fields::{Fields, Schema};

fn shared(relative: &str) -> Option<PathBuf> {
    ruledex_testkit::shared(relative)
}

/// ECS field name → type, from `ecs_flat.json.gz`.
fn ecs_types() -> Option<BTreeMap<String, String>> {
    let path = shared("corpora/elastic/schemas/ecs/9.5.0/ecs_flat.json.gz")?;
    let out = match Command::new("gzip").arg("-dc").arg(&path).output() {
        Ok(out) if out.status.success() => out.stdout,
        other => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "cannot run gzip -dc: {other:?}"
            );
            eprintln!("skipping: cannot run gzip -dc on {}", path.display());
            return None;
        }
    };
    let flat: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out).expect("ECS flat JSON");
    Some(
        flat.into_iter()
            .map(|(name, def)| (name, def["type"].as_str().unwrap_or_default().to_owned()))
            .collect(),
    )
}

#[test]
fn canonical_fields_are_ecs_or_in_a_declared_namespace() {
    let Some(ecs) = ecs_types() else { return };
    assert!(ecs.len() > 2000, "ECS has {} fields", ecs.len());
    let fields = Fields::global();
    let mut problems = Vec::new();
    let mut used_namespaces = BTreeSet::new();
    for field in fields.iter() {
        let name = field.name();
        match ecs.get(name) {
            Some(ty) if ty == field.field_type().as_str() => {}
            Some(ty) => problems.push(format!(
                "{name}: type {} here, {ty} in ECS",
                field.field_type()
            )),
            None => match fields.namespace_of(name) {
                Some(ns) => {
                    used_namespaces.insert(ns.prefix().to_owned());
                }
                None => problems.push(format!(
                    "{name}: neither an ECS field nor in a declared namespace"
                )),
            },
        }
    }
    for ns in fields.namespaces() {
        if !used_namespaces.contains(ns.prefix()) {
            problems.push(format!("namespace {} is declared but unused", ns.prefix()));
        }
        if ecs.keys().any(|k| k.starts_with(ns.prefix())) {
            problems.push(format!("namespace {} overlaps ECS", ns.prefix()));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn asim_aliases_are_asim_columns() {
    let Some(path) = shared("corpora/sentinel/asim/ASIM/dev/ASimTester/ASimTester.csv") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("ASimTester.csv");
    let columns: BTreeSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert!(columns.contains("TargetProcessName"));
    let fields = Fields::global();
    let unknown: Vec<String> = fields
        .iter()
        .flat_map(|f| {
            fields
                .aliases(f.name(), Schema::Asim)
                .iter()
                .map(move |a| (f.name(), a.name()))
        })
        .filter(|(_, alias)| !columns.contains(alias))
        .map(|(field, alias)| format!("{alias} (for {field})"))
        .collect();
    assert!(
        unknown.is_empty(),
        "ASIM aliases that no ASIM schema has: {unknown:#?}"
    );
}
