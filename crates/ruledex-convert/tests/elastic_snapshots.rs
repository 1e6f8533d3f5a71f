//! Spot-checked conversions to the four Elastic targets, one insta snapshot
//! each (fidelity, reasons and query). Each snapshot was read against the
//! rule by hand; a change in one is a change in what users get.
//!
//! The rules come from the pinned corpora in `../shared`; without them (and
//! outside CI) the tests say so and pass.

use std::fmt::Write as _;
use std::path::Path;

use ruledex_convert::{Fidelity, Target, convert};
use ruledex_model::{Rule, Vendor};

fn sigma_rule(rel: &str) -> Option<Rule> {
    let dir = ruledex_testkit::shared("corpora/sigma/rules")?;
    one_rule(Vendor::Sigma, &dir, rel)
}

fn elastic_rule(rel: &str) -> Option<Rule> {
    let dir = ruledex_testkit::shared("corpora/elastic")?;
    one_rule(Vendor::Elastic, &dir, rel)
}

/// Read the corpus directory holding `rel` and pick that rule.
fn one_rule(vendor: Vendor, root: &Path, rel: &str) -> Option<Rule> {
    let path = root.join(rel);
    let dir = path.parent().expect("a file in a directory");
    let report = ruledex_ingest::ingest_dir(vendor, dir);
    let name = path.file_name()?.to_str()?.to_owned();
    let rule = report
        .rules
        .into_iter()
        .find(|r| r.source.path.ends_with(&name))
        .unwrap_or_else(|| panic!("no rule at {rel}"));
    Some(rule)
}

/// Fidelity, reasons and query, as a snapshot shows them.
fn shown(rule: &Rule, target: Target) -> String {
    let c = convert(rule, target);
    let mut out = format!("{} → {target}: {}\n", rule.source.path, c.fidelity.as_str());
    match &c.fidelity {
        Fidelity::Approximate { reasons } => {
            for r in reasons {
                let _ = writeln!(out, "  - {r}");
            }
        }
        Fidelity::Unsupported { reason } => {
            let _ = writeln!(out, "  - {reason}");
        }
        Fidelity::Exact => {}
    }
    if let Some(q) = &c.query {
        let _ = write!(out, "\n{q}\n");
    }
    out
}

macro_rules! snapshot {
    ($name:ident, $loader:ident($path:expr), $target:expr) => {
        #[test]
        fn $name() {
            let Some(rule) = $loader($path) else { return };
            insta::assert_snapshot!(shown(&rule, $target));
        }
    };
}

// Sigma, Windows process creation: `.caseless` for the image (lowercased,
// exact), phrases and escaped wildcards for the rest, case approximate.
snapshot!(
    sigma_7zip_to_lucene,
    sigma_rule("windows/process_creation/proc_creation_win_7zip_password_compression.yml"),
    Target::Lucene
);

// Sigma with a case-sensitive regex next to case-insensitive tests: `:`,
// `like~` and a Lucene-syntax `regex`.
snapshot!(
    sigma_curl_ntlm_to_eql,
    sigma_rule("windows/process_creation/proc_creation_win_curl_ntlm_hash_leak_attempt.yml"),
    Target::Eql
);

// Sigma values holding backslashes: `LIKE` escapes them, the string doubles
// them again; `TO_LOWER` for case.
snapshot!(
    sigma_type_unc_to_esql,
    sigma_rule("windows/process_creation/proc_creation_win_cmd_type_arbitrary_file_download.yml"),
    Target::Esql
);

// The seed rule (Linux network utilities) to Kibana KQL.
snapshot!(
    sigma_linux_network_utilities_to_kql,
    sigma_rule("linux/process_creation/proc_creation_lnx_susp_network_utilities_execution.yml"),
    Target::Kql
);

// A Sigma keyword search: Lucene free text, approximate.
snapshot!(
    sigma_keywords_to_lucene,
    sigma_rule("linux/builtin/clamav/lnx_clamav_relevant_message.yml"),
    Target::Lucene
);

// An Elastic EQL rule to ES|QL: its event category comes back as a test.
snapshot!(
    elastic_eql_timestomp_to_esql,
    elastic_rule("rules/windows/defense_evasion_timestomp_sysmon.toml"),
    Target::Esql
);

// An Elastic KQL threshold rule to Lucene: the query, and where the threshold goes.
snapshot!(
    elastic_kql_threshold_to_lucene,
    elastic_rule("rules/windows/credential_access_suspicious_lsass_access_via_snapshot.toml"),
    Target::Lucene
);

// The same threshold rule to ES|QL: `STATS … BY … | WHERE`.
snapshot!(
    elastic_kql_threshold_to_esql,
    elastic_rule("rules/windows/credential_access_suspicious_lsass_access_via_snapshot.toml"),
    Target::Esql
);

// An Elastic EQL sequence back to EQL.
snapshot!(
    elastic_eql_sequence_to_eql,
    elastic_rule("rules/linux/privilege_escalation_gdb_sys_ptrace_netcon.toml"),
    Target::Eql
);

// The sequence to Lucene: unsupported, with the reason.
snapshot!(
    elastic_eql_sequence_to_lucene,
    elastic_rule("rules/linux/privilege_escalation_gdb_sys_ptrace_netcon.toml"),
    Target::Lucene
);
