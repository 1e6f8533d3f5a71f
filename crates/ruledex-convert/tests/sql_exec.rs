//! Generated SQLite SQL runs in SQLite over event tables built from fixture
//! events, and selects exactly the events the rule means (expected matches
//! written by hand for each fixture).
//!
//! Tables follow the layout documented in `ruledex_convert`'s SQL module: one
//! table per catalog event, one column per canonical field. The fixture events
//! are written with Sigma's field names and placed in columns through the
//! taxonomy.

use std::collections::BTreeSet;

use ruledex_convert::{Fidelity, Target, convert};
use ruledex_model::{Aggregation, AggregationKind, Comparison, Field, Logic, Op, Rule};
use ruledex_taxonomy::fields::{Fields, Schema};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as SqlValue;
use serde_json::{Value as Json, json};

/// One Sigma rule read and enriched.
fn sigma(yaml: &str) -> Rule {
    let parsed = ruledex_sigma::parse_sigma("fixture.yml", yaml);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let mut rule = parsed.rules.into_iter().next().expect("one rule");
    ruledex_taxonomy::enrich::enrich(&mut rule);
    rule
}

/// The canonical column of a Sigma field name in `event`.
fn column(event: &str, name: &str) -> String {
    Fields::global()
        .resolve(Schema::Sigma, Some(event), name)
        .unwrap_or(name)
        .to_owned()
}

/// Run the rule's SQLite query over `events` (each with an `id`) and return
/// the ids it selects (or the first column of each row, for aggregations).
fn run(rule: &Rule, events: &[Json]) -> BTreeSet<String> {
    let c = convert(rule, Target::SqlSqlite);
    let Fidelity::Exact = c.fidelity else {
        panic!("{}: not exact: {:?}", rule.title, c.fidelity);
    };
    let query = c.query.unwrap();
    let event = rule
        .events
        .iter()
        .max_by_key(|e| e.matches('/').count())
        .unwrap()
        .clone();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let re: String = ctx.get(0)?;
            let text: Option<String> = ctx.get(1)?;
            let re = regex::Regex::new(&re)
                .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
            Ok(text.is_some_and(|t| re.is_match(&t)))
        },
    )
    .unwrap();
    // Columns: every field of the fixtures, plus every field the rule reads.
    let mut cols: BTreeSet<String> = BTreeSet::new();
    for e in events {
        for k in e.as_object().unwrap().keys() {
            if k != "id" {
                cols.insert(column(&event, k));
            }
        }
    }
    for p in rule.logic.expr.preds() {
        cols.insert(p.field.name().to_owned());
    }
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let defs: Vec<String> = std::iter::once("id".to_owned())
        .chain(cols.iter().map(|c| q(c)))
        .collect();
    conn.execute(
        &format!("CREATE TABLE {} ({})", q(&event), defs.join(", ")),
        [],
    )
    .unwrap();
    for e in events {
        let obj = e.as_object().unwrap();
        let mut names = vec!["id".to_owned()];
        let mut values: Vec<SqlValue> = vec![SqlValue::Text(obj["id"].as_str().unwrap().into())];
        for (k, v) in obj {
            if k == "id" {
                continue;
            }
            names.push(q(&column(&event, k)));
            values.push(match v {
                Json::String(s) => SqlValue::Text(s.clone()),
                Json::Number(n) => SqlValue::Integer(n.as_i64().unwrap()),
                Json::Bool(b) => SqlValue::Integer(i64::from(*b)),
                Json::Null => SqlValue::Null,
                other => panic!("unsupported fixture value {other}"),
            });
        }
        let marks: Vec<&str> = names.iter().map(|_| "?").collect();
        conn.execute(
            &format!(
                "INSERT INTO {} ({}) VALUES ({})",
                q(&event),
                names.join(", "),
                marks.join(", ")
            ),
            rusqlite::params_from_iter(values),
        )
        .unwrap();
    }
    let select = if rule.logic.aggregation.is_some() {
        query.clone()
    } else {
        format!("SELECT id FROM ({query})")
    };
    let mut stmt = conn
        .prepare(&select)
        .unwrap_or_else(|e| panic!("{e}\n{select}"));
    let rows = stmt
        .query_map([], |r| {
            let v: SqlValue = r.get(0)?;
            Ok(match v {
                SqlValue::Text(s) => s,
                SqlValue::Integer(i) => i.to_string(),
                other => format!("{other:?}"),
            })
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

const PROC: &str = "logsource:\n    category: process_creation\n    product: windows\n";

#[test]
fn suffixes_substrings_and_exclusions_fold_case() {
    let rule = sigma(&format!(
        "title: t\n{PROC}detection:\n    sel:\n        Image|endswith:\n            - '\\cmd.exe'\n            - '\\pwsh.exe'\n        CommandLine|contains: \"it's\"\n    filter:\n        ParentImage|startswith: 'C:\\Program Files\\'\n    condition: sel and not filter\n"
    ));
    let events = [
        json!({"id": "a", "Image": "C:\\Windows\\System32\\CMD.EXE", "CommandLine": "echo IT'S here", "ParentImage": "C:\\Windows\\explorer.exe"}),
        json!({"id": "b", "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "echo it's", "ParentImage": "c:\\program files\\x\\y.exe"}),
        json!({"id": "c", "Image": "C:\\tools\\xcmd.exe", "CommandLine": "it's", "ParentImage": "C:\\a.exe"}),
        json!({"id": "d", "Image": "C:\\x\\pwsh.exe", "CommandLine": "its", "ParentImage": "C:\\a.exe"}),
        json!({"id": "e", "Image": "C:\\x\\pwsh.exe", "CommandLine": "go it's", "ParentImage": null}),
    ];
    // a: suffix and substring match ignoring case; b: excluded by the parent
    // prefix (case folded); c: `xcmd.exe` does not end with `\cmd.exe`;
    // d: no apostrophe; e: a missing parent is not excluded.
    assert_eq!(run(&rule, &events), ids(&["a", "e"]));
}

#[test]
fn like_metacharacters_in_values_are_literal_and_wildcards_are_not() {
    let rule = sigma(&format!(
        "title: t\n{PROC}detection:\n    pct:\n        CommandLine|contains: '50%_off'\n    glob:\n        Image: 'C:\\Users\\\\*\\app?.exe'\n    condition: pct or glob\n"
    ));
    let events = [
        json!({"id": "a", "CommandLine": "get 50%_off now", "Image": "x"}),
        json!({"id": "b", "CommandLine": "get 50%Xoff now", "Image": "x"}),
        json!({"id": "c", "CommandLine": "get 500_off", "Image": "c:\\users\\bob\\APP1.exe"}),
        json!({"id": "d", "CommandLine": "z", "Image": "C:\\Users\\bob\\app12.exe"}),
        json!({"id": "e", "CommandLine": "z", "Image": "C:\\Users\\a\\b\\app_.exe"}),
    ];
    // (In Sigma `\*` is a literal star, so the path wildcard is written `\\*`.)
    // a: literal `%_`; b: `_` is not a wildcard; c: glob folds case and `?`
    // is one character; d: `?` is exactly one; e: `*` spans backslashes.
    assert_eq!(run(&rule, &events), ids(&["a", "c", "e"]));
}

#[test]
fn cased_modifiers_compare_case_sensitively() {
    let rule = sigma(&format!(
        "title: t\n{PROC}detection:\n    a:\n        CommandLine|contains|cased: 'Invoke-'\n    b:\n        Image|endswith|cased: '\\Tool.exe'\n    c:\n        OriginalFileName|cased: 'Exact.EXE'\n    d:\n        Image|cased: 'C:\\Glob*[x].exe'\n    condition: a or b or c or d\n"
    ));
    let events = [
        json!({"id": "a", "CommandLine": "x Invoke-Y", "Image": "q", "OriginalFileName": "q"}),
        json!({"id": "b", "CommandLine": "x invoke-Y", "Image": "C:\\tool.exe", "OriginalFileName": "exact.exe"}),
        json!({"id": "c", "CommandLine": "q", "Image": "D:\\Tool.exe", "OriginalFileName": "q"}),
        json!({"id": "d", "CommandLine": "q", "Image": "q", "OriginalFileName": "Exact.EXE"}),
        json!({"id": "e", "CommandLine": "q", "Image": "C:\\Globby[x].exe", "OriginalFileName": "q"}),
        json!({"id": "f", "CommandLine": "q", "Image": "C:\\globby[x].exe", "OriginalFileName": "q"}),
    ];
    assert_eq!(run(&rule, &events), ids(&["a", "c", "d", "e"]));
}

#[test]
fn regular_expressions_keep_their_case_flag() {
    let rule = sigma(&format!(
        "title: t\n{PROC}detection:\n    sens:\n        CommandLine|re: '-[Ee]nc [A-Za-z0-9+/=]{{8,}}'\n    insens:\n        Image|re|i: '\\\\(ps|pwsh)\\.exe$'\n    condition: sens or insens\n"
    ));
    let events = [
        json!({"id": "a", "CommandLine": "powershell -enc SQBFAFgA", "Image": "q"}),
        json!({"id": "b", "CommandLine": "powershell -ENC SQBFAFgA", "Image": "q"}),
        json!({"id": "c", "CommandLine": "q", "Image": "C:\\x\\PWSH.EXE"}),
        json!({"id": "d", "CommandLine": "q", "Image": "C:\\x\\pwsh.exe.bak"}),
    ];
    assert_eq!(run(&rule, &events), ids(&["a", "c"]));
}

#[test]
fn network_ranges_nulls_and_numbers() {
    let rule = sigma(
        "title: t\nlogsource:\n    category: network_connection\n    product: windows\ndetection:\n    sel:\n        DestinationPort|gte: 1024\n    private:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - '172.16.0.0/12'\n    noimage:\n        Image: null\n    condition: sel and not private and not noimage\n",
    );
    let events = [
        json!({"id": "a", "DestinationPort": 4444, "DestinationIp": "8.8.8.8", "Image": "x"}),
        json!({"id": "b", "DestinationPort": 4444, "DestinationIp": "10.1.2.3", "Image": "x"}),
        json!({"id": "c", "DestinationPort": 4444, "DestinationIp": "172.31.0.9", "Image": "x"}),
        json!({"id": "d", "DestinationPort": 4444, "DestinationIp": "172.32.0.9", "Image": "x"}),
        json!({"id": "e", "DestinationPort": 80, "DestinationIp": "8.8.8.8", "Image": "x"}),
        json!({"id": "f", "DestinationPort": 4444, "DestinationIp": "8.8.4.4", "Image": null}),
        json!({"id": "g", "DestinationPort": 4444, "DestinationIp": "100.1.1.1", "Image": "x"}),
    ];
    // b, c: private ranges; e: port below 1024; f: no image. g: `100.` is not `10.`.
    assert_eq!(run(&rule, &events), ids(&["a", "d", "g"]));
}

#[test]
fn field_references_compare_two_columns() {
    let rule = sigma(&format!(
        "title: t\n{PROC}detection:\n    sel:\n        ParentImage|fieldref: Image\n    condition: sel\n"
    ));
    let events = [
        json!({"id": "a", "Image": "C:\\a.exe", "ParentImage": "c:\\A.EXE"}),
        json!({"id": "b", "Image": "C:\\a.exe", "ParentImage": "C:\\b.exe"}),
    ];
    assert_eq!(run(&rule, &events), ids(&["a"]));
}

#[test]
fn thresholds_group_and_count() {
    let mut rule = sigma(&format!(
        "title: t\n{PROC}detection:\n    sel:\n        Image|endswith: '\\net.exe'\n    condition: sel\n"
    ));
    let mut agg = Aggregation::new(AggregationKind::Threshold {
        cardinality: Vec::new(),
    });
    let mut user = Field::raw("User");
    user.canonical = Some(column("windows/process_creation", "User"));
    agg.group_by = vec![user];
    agg.condition = vec![Comparison {
        op: Op::Gte,
        value: 2.0,
    }];
    rule.logic = Logic {
        expr: rule.logic.expr.clone(),
        aggregation: Some(agg),
    };
    let events = [
        json!({"id": "1", "Image": "C:\\net.exe", "User": "alice"}),
        json!({"id": "2", "Image": "C:\\NET.exe", "User": "alice"}),
        json!({"id": "3", "Image": "C:\\net.exe", "User": "bob"}),
        json!({"id": "4", "Image": "C:\\cmd.exe", "User": "bob"}),
    ];
    // alice ran net.exe twice; bob once (his other process is cmd.exe).
    assert_eq!(run(&rule, &events), ids(&["alice"]));
}
