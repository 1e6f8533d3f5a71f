//! Spot-checked conversions across vendors and targets, as snapshots: each
//! snapshot holds the fidelity, its reasons and the query.

use std::fmt::Write as _;

use ruledex_convert::{Conversion, Fidelity, Target, convert};
use ruledex_model::Rule;

fn sigma_rule(rel: &str) -> Option<Rule> {
    let dir = ruledex_testkit::shared("corpora/sigma")?;
    let text = std::fs::read_to_string(dir.join(rel)).unwrap();
    let mut rule = ruledex_sigma::parse_sigma(rel, &text)
        .rules
        .into_iter()
        .next()?;
    ruledex_taxonomy::enrich::enrich(&mut rule);
    Some(rule)
}

fn elastic_rule(rel: &str) -> Option<Rule> {
    let dir = ruledex_testkit::shared("corpora/elastic")?;
    let text = std::fs::read_to_string(dir.join(rel)).unwrap();
    let mut rule = ruledex_elastic::parse_elastic(rel, &text)
        .rules
        .into_iter()
        .next()?;
    ruledex_taxonomy::enrich::enrich(&mut rule);
    assert!(rule.logic.is_fully_parsed(), "{rel}");
    Some(rule)
}

/// The conversion as text: fidelity, reasons, query.
fn show(c: &Conversion) -> String {
    let mut out = format!("{}: {}\n", c.target, c.fidelity.as_str());
    match &c.fidelity {
        Fidelity::Approximate { reasons } => {
            for r in reasons {
                let _ = writeln!(out, "~ {r}");
            }
        }
        Fidelity::Unsupported { reason } => {
            let _ = writeln!(out, "! {reason}");
        }
        Fidelity::Exact => {}
    }
    if let Some(q) = &c.query {
        out.push_str("---\n");
        out.push_str(q);
        out.push('\n');
    }
    out
}

const SEED: &str =
    "rules/linux/process_creation/proc_creation_lnx_susp_network_utilities_execution.yml";

#[test]
fn sigma_to_spl() {
    let Some(rule) = sigma_rule(SEED) else { return };
    insta::assert_snapshot!(show(&convert(&rule, Target::Spl)));
}

#[test]
fn sigma_to_sqlite() {
    let Some(rule) = sigma_rule(SEED) else { return };
    insta::assert_snapshot!(show(&convert(&rule, Target::SqlSqlite)));
}

#[test]
fn sigma_to_spark_sql() {
    let Some(rule) =
        sigma_rule("rules/windows/process_creation/proc_creation_win_7zip_exfil_dmp_files.yml")
    else {
        return;
    };
    insta::assert_snapshot!(show(&convert(&rule, Target::SqlSpark)));
}

#[test]
fn sigma_windows_service_to_spl_with_source_and_regex() {
    let Some(rule) = sigma_rule(
        "rules/windows/process_creation/proc_creation_win_certoc_download_direct_ip.yml",
    ) else {
        return;
    };
    insta::assert_snapshot!(show(&convert(&rule, Target::Spl)));
}

#[test]
fn sigma_to_kusto_xdr_and_securityevent() {
    let Some(rule) =
        sigma_rule("rules/windows/process_creation/proc_creation_win_7zip_exfil_dmp_files.yml")
    else {
        return;
    };
    let both = format!(
        "{}\n{}",
        show(&convert(&rule, Target::KustoXdr)),
        show(&convert(&rule, Target::KustoSecurityEvent))
    );
    insta::assert_snapshot!(both);
}

#[test]
fn sigma_to_spl_cim_tstats() {
    let Some(rule) = sigma_rule(SEED) else { return };
    insta::assert_snapshot!(show(&convert(&rule, Target::SplCim)));
}

#[test]
fn elastic_eql_to_kusto_asim() {
    let Some(rule) = elastic_rule("rules/windows/discovery_whoami_command_activity.toml") else {
        return;
    };
    insta::assert_snapshot!(show(&convert(&rule, Target::KustoAsim)));
}

#[test]
fn elastic_kql_to_spl() {
    let Some(rule) = elastic_rule("rules/windows/collection_mailbox_export_winlog.toml") else {
        return;
    };
    insta::assert_snapshot!(show(&convert(&rule, Target::Spl)));
}

#[test]
fn elastic_eql_to_sigma() {
    let Some(rule) = elastic_rule("rules/windows/discovery_whoami_command_activity.toml") else {
        return;
    };
    let c = convert(&rule, Target::Sigma);
    // The export is valid Sigma: it reads back with the same number of tests.
    let text = c.query.clone().expect("written");
    let back = ruledex_sigma::parse_sigma("export.yml", &text);
    assert!(back.errors.is_empty(), "{:?}", back.errors);
    assert_eq!(back.rules.len(), 1);
    insta::assert_snapshot!(show(&c));
}

#[test]
fn elastic_sequence_to_kusto_asim() {
    let Some(rule) = elastic_rule("rules/windows/command_and_control_iexplore_via_com.toml") else {
        return;
    };
    insta::assert_snapshot!(show(&convert(&rule, Target::KustoAsim)));
}

#[test]
fn elastic_sequence_with_runs_to_spl() {
    let Some(rule) = elastic_rule("rules/windows/command_and_control_dns_tunneling_nslookup.toml")
    else {
        return;
    };
    insta::assert_snapshot!(show(&convert(&rule, Target::Spl)));
}

#[test]
fn elastic_new_terms_to_kusto_and_spl() {
    let Some(rule) = elastic_rule("rules/linux/collection_linux_clipboard_activity.toml") else {
        return;
    };
    let both = format!(
        "{}\n{}",
        show(&convert(&rule, Target::KustoAsim)),
        show(&convert(&rule, Target::Spl))
    );
    insta::assert_snapshot!(both);
}

#[test]
fn threshold_and_value_count_aggregations() {
    use ruledex_model::{Aggregation, AggregationKind, Comparison, Field, Op, Window};
    let Some(mut rule) = sigma_rule(SEED) else {
        return;
    };
    let field = |raw: &str, canonical: &str| Field {
        raw: raw.into(),
        canonical: Some(canonical.into()),
    };
    let mut threshold = Aggregation::new(AggregationKind::Threshold {
        cardinality: Vec::new(),
    });
    threshold.group_by = vec![field("User", "user.name")];
    threshold.condition = vec![Comparison {
        op: Op::Gte,
        value: 5.0,
    }];
    threshold.window = Some(Window::parse("10m"));
    let mut distinct = Aggregation::new(AggregationKind::ValueCount {
        field: field("CommandLine", "process.command_line"),
        rules: Vec::new(),
    });
    distinct.group_by = vec![field("User", "user.name")];
    distinct.condition = vec![Comparison {
        op: Op::Gt,
        value: 3.0,
    }];
    let mut out = String::new();
    for agg in [threshold, distinct] {
        rule.logic.aggregation = Some(agg);
        for t in [Target::KustoAsim, Target::Spl, Target::SqlSqlite] {
            let c = convert(&rule, t);
            assert!(c.fidelity.is_converted(), "{c:?}");
            out.push_str(&show(&c));
            out.push('\n');
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn elastic_sequence_to_sigma_correlation() {
    let Some(rule) = elastic_rule("rules/windows/command_and_control_iexplore_via_com.toml") else {
        return;
    };
    let c = convert(&rule, Target::Sigma);
    let text = c.query.clone().expect("written");
    let back = ruledex_sigma::parse_sigma("export.yml", &text);
    assert!(back.errors.is_empty(), "{:?}", back.errors);
    // Three step rules and the correlation over them.
    assert_eq!(back.rules.len(), 4);
    insta::assert_snapshot!(show(&c));
}
