//! The taxonomy's reason to exist, end to end: the same "nmap.exe" indicator,
//! written by five vendors in five dialects, lands in one row.
//!
//! Each predicate is built by hand as its front-end would build it, its field is
//! resolved in the vendor's schema, and its values are normalized.

use ruledex_model::{Field, Op, Pred, Value};
use ruledex_taxonomy::fields::{Fields, Schema};
use ruledex_taxonomy::values::{Indicator, indicators};

/// Resolve the field of `pred` and return its indicators.
fn normalize(
    schema: Schema,
    event: Option<&str>,
    mut pred: Pred,
    case_insensitive: bool,
) -> Vec<Indicator> {
    let resolved = Fields::global().resolve_field(schema, event, &mut pred.field);
    assert!(resolved, "{schema}: `{}` did not resolve", pred.field.raw);
    indicators(&pred, case_insensitive)
}

fn pred(field: &str, op: Op, value: &str) -> Pred {
    Pred::new(Field::raw(field), op, vec![Value::from(value)])
}

#[test]
fn nmap_exe_is_one_indicator_across_vendors() {
    let want = Indicator::new("process.name", Op::Eq, "nmap.exe");
    let process_creation = Some("windows/process_creation");
    let cases = [
        // Sigma: Image|endswith: '\nmap.exe'
        (
            "sigma",
            normalize(
                Schema::Sigma,
                process_creation,
                pred("Image", Op::EndsWith, "\\nmap.exe"),
                true,
            ),
        ),
        // Sigma, as a wildcard: Image: '*\nmap.exe'
        (
            "sigma wildcard",
            normalize(
                Schema::Sigma,
                process_creation,
                pred("Image", Op::Wildcard, "*\\nmap.exe"),
                true,
            ),
        ),
        // Elastic KQL: process.name : "nmap.exe" (event unknown to the front-end)
        (
            "elastic",
            normalize(
                Schema::Ecs,
                None,
                pred("process.name", Op::Eq, "nmap.exe"),
                true,
            ),
        ),
        // Splunk: | tstats … where Processes.process_name="nmap.exe"
        (
            "splunk",
            normalize(
                Schema::SplunkCim,
                None,
                pred("Processes.process_name", Op::Eq, "nmap.exe"),
                true,
            ),
        ),
        // ASIM: imProcessCreate | where TargetProcessName endswith "\\nmap.exe"
        (
            "asim",
            normalize(
                Schema::Asim,
                process_creation,
                pred("TargetProcessName", Op::EndsWith, "\\nmap.exe"),
                true,
            ),
        ),
        // Defender XDR: DeviceProcessEvents | where FileName =~ "nmap.exe"
        (
            "xdr",
            normalize(
                Schema::DefenderXdr,
                process_creation,
                pred("FileName", Op::Eq, "NMAP.EXE"),
                true,
            ),
        ),
        // … the same, knowing only the table.
        (
            "xdr table",
            normalize(
                Schema::DefenderXdr,
                None,
                pred("DeviceProcessEvents.FileName", Op::Eq, "nmap.exe"),
                true,
            ),
        ),
    ];
    for (vendor, found) in cases {
        assert!(found.contains(&want), "{vendor}: {found:?} lacks {want:?}");
    }
}

#[test]
fn the_executable_path_is_one_row_too() {
    // Sigma `Image`, Elastic `process.executable`, Splunk `process_path`, ASIM
    // `TargetProcessName`, XDR `FolderPath`, SecurityEvent `NewProcessName`.
    let f = Fields::global();
    let ev = Some("windows/process_creation");
    let names = [
        (Schema::Sigma, "Image"),
        (Schema::Ecs, "process.executable"),
        (Schema::SplunkCim, "Processes.process_path"),
        (Schema::Asim, "TargetProcessName"),
        (Schema::DefenderXdr, "FolderPath"),
        (Schema::SecurityEvent, "NewProcessName"),
        (Schema::Panther, "Image"),
        (Schema::Ocsf, "process.file.path"),
    ];
    for (schema, raw) in names {
        assert_eq!(
            f.resolve(schema, ev, raw),
            Some("process.executable"),
            "{schema} {raw}"
        );
    }
    // Elastic's and Splunk's process *name* fields are the basename row.
    assert_eq!(
        f.resolve(Schema::SplunkCim, None, "process_name"),
        Some("process.name")
    );
    assert_eq!(
        f.canonical("process.executable").and_then(|c| c.basename()),
        Some("process.name")
    );
}

#[test]
fn the_acting_process_of_other_events_is_not_the_parent() {
    // XDR's InitiatingProcess* is the parent in a process creation and the acting
    // process elsewhere; the same holds for ASIM's ActingProcess*.
    let f = Fields::global();
    let x = Schema::DefenderXdr;
    assert_eq!(
        f.resolve(
            x,
            Some("windows/process_creation"),
            "InitiatingProcessFileName"
        ),
        Some("process.parent.name")
    );
    assert_eq!(
        f.resolve(
            x,
            Some("windows/network_connection"),
            "InitiatingProcessFileName"
        ),
        Some("process.name")
    );
    assert_eq!(
        f.resolve(x, None, "DeviceNetworkEvents.InitiatingProcessFileName"),
        Some("process.name")
    );
    let a = Schema::Asim;
    assert_eq!(
        f.resolve(a, Some("windows/process_creation"), "ActingProcessName"),
        Some("process.parent.executable")
    );
    assert_eq!(
        f.resolve(a, Some("windows/registry_set"), "ActingProcessName"),
        Some("process.executable")
    );
}

#[test]
fn converters_find_the_target_name() {
    let f = Fields::global();
    let ev = Some("windows/process_creation");
    assert_eq!(
        f.alias_for("process.executable", Schema::Sigma, ev),
        Some("Image")
    );
    assert_eq!(
        f.alias_for("process.name", Schema::DefenderXdr, ev),
        Some("FileName")
    );
    assert_eq!(
        f.alias_for(
            "process.name",
            Schema::DefenderXdr,
            Some("windows/network_connection")
        ),
        Some("InitiatingProcessFileName")
    );
    assert_eq!(
        f.alias_for("process.name", Schema::SplunkCim, ev),
        Some("process_name")
    );
    assert_eq!(
        f.alias_for("process.command_line", Schema::Asim, ev),
        Some("TargetProcessCommandLine")
    );
    assert_eq!(
        f.alias_for(
            "destination.port",
            Schema::DefenderXdr,
            Some("windows/network_connection")
        ),
        Some("RemotePort")
    );
}
