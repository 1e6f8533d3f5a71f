//! Lowering semantics: each value modifier, value form and condition form of
//! Sigma, with the exact expression it must become.
//!
//! Expected values are derived from the Sigma specification (rules
//! specification 2.x and its "Sigma Modifiers" appendix, correlation and
//! filter specifications, and sigmac's `action:` collections for Sigma 1.x),
//! not from the parser's output. Base64 expectations were computed
//! independently with the reference `base64offset` construction (prefix 0–2
//! spaces, encode, cut the neighbour-dependent characters at both ends).
//!
//! Every case has its own test name; the detection snippets are written
//! without indentation and wrapped into a full rule by [`rule_text`].

use ruledex_model::{
    AggregationKind, Comparison, Expr, Field, Op, Rule, RuleKind, Severity, Value,
};
use ruledex_sigma::parse_sigma;

/// A full rule around a `detection:` body written flush left.
fn rule_text(detection: &str) -> String {
    let mut text = String::from(
        "title: Lowering case\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n",
    );
    for line in detection.trim_start_matches('\n').lines() {
        if !line.trim().is_empty() {
            text.push_str("    ");
            text.push_str(line);
        }
        text.push('\n');
    }
    text
}

/// Parse `text`, which must give exactly `n` rules and no error or warning.
fn parse_ok(text: &str, n: usize) -> Vec<Rule> {
    let parsed = parse_sigma("lowering.yml", text);
    let render = |list: &[ruledex_sigma::Error]| -> String {
        list.iter()
            .map(|e| {
                e.to_diagnostic(ruledex_diag::Severity::Error)
                    .render("lowering.yml", text)
            })
            .collect()
    };
    assert!(
        parsed.errors.is_empty() && parsed.warnings.is_empty(),
        "unexpected diagnostics:\n{}{}\nin:\n{text}",
        render(&parsed.errors),
        render(&parsed.warnings)
    );
    assert_eq!(parsed.rules.len(), n, "rules read from:\n{text}");
    parsed.rules
}

/// The one rule of a detection snippet.
fn rule_of(detection: &str) -> Rule {
    parse_ok(&rule_text(detection), 1).remove(0)
}

/// The compact form of the detection's expression.
fn lowered(detection: &str) -> String {
    rule_of(detection).logic.expr.to_string()
}

/// Remove `span` keys, which depend on positions, from a JSON value.
fn without_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(without_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_spans),
        _ => {}
    }
}

/// The JSON form of an expression, spans left out.
fn json_of(expr: &Expr) -> String {
    let mut value = serde_json::to_value(expr).expect("expressions serialize");
    without_spans(&mut value);
    value.to_string()
}

/// The JSON form of the detection's expression, spans left out.
fn lowered_json(detection: &str) -> String {
    json_of(&rule_of(detection).logic.expr)
}

/// Every value of every predicate, in order.
fn values(expr: &Expr) -> Vec<String> {
    expr.preds()
        .iter()
        .flat_map(|p| p.values.iter().map(ToString::to_string))
        .collect()
}

macro_rules! lowers {
    ($($(#[$attr:meta])* $name:ident: $detection:expr => $want:expr;)*) => {$(
        #[test]
        $(#[$attr])*
        fn $name() {
            assert_eq!(lowered($detection), $want);
        }
    )*};
}

macro_rules! lowers_json {
    ($($(#[$attr:meta])* $name:ident: $detection:expr => $want:expr;)*) => {$(
        #[test]
        $(#[$attr])*
        fn $name() {
            assert_eq!(lowered_json($detection), $want);
        }
    )*};
}

// String position modifiers and `all`.
lowers! {
    contains: r"
sel:
    CommandLine|contains: ' -enc '
condition: sel" => r#"CommandLine contains " -enc ""#;
    contains_list: r"
sel:
    CommandLine|contains:
        - ' -enc '
        - ' -ec '
condition: sel" => r#"CommandLine contains any[" -enc ", " -ec "]"#;
    startswith: r"
sel:
    Image|startswith: 'C:\Users\Public\'
condition: sel" => r#"Image starts_with "C:\\Users\\Public\\""#;
    endswith: r"
sel:
    Image|endswith: '\certutil.exe'
condition: sel" => r#"Image ends_with "\\certutil.exe""#;
    contains_all: r"
sel:
    CommandLine|contains|all:
        - ' -w hidden'
        - ' -nop'
condition: sel" => r#"CommandLine contains all[" -w hidden", " -nop"]"#;
    // `all` without a position modifier: each value keeps its own wildcard meaning.
    all_with_wildcards_of_different_shapes: r"
sel:
    CommandLine|all:
        - '*vssadmin*'
        - 'cmd*'
condition: sel" => r#"CommandLine contains "vssadmin" and CommandLine starts_with "cmd""#;
    cased: r"
sel:
    User|cased: 'SYSTEM'
condition: sel" => r#"User eq:cased "SYSTEM""#;
    cased_contains: r"
sel:
    CommandLine|cased|contains: 'PowerShell'
condition: sel" => r#"CommandLine contains:cased "PowerShell""#;
}

// `windash`: `-` and `/` starting a flag, plus en dash, em dash and horizontal bar.
lowers! {
    windash_contains: r"
sel:
    CommandLine|windash|contains: ' -urlcache '
condition: sel" => "CommandLine contains any[\" -urlcache \", \" /urlcache \", \" \u{2013}urlcache \", \" \u{2014}urlcache \", \" \u{2015}urlcache \"]";
    windash_plain_value: r"
sel:
    CommandLine|windash: '-s'
condition: sel" => "CommandLine in any[\"-s\", \"/s\", \"\u{2013}s\", \"\u{2014}s\", \"\u{2015}s\"]";
    windash_slash_flag: r"
sel:
    CommandLine|windash|contains: ' /quiet'
condition: sel" => "CommandLine contains any[\" -quiet\", \" /quiet\", \" \u{2013}quiet\", \" \u{2014}quiet\", \" \u{2015}quiet\"]";
    windash_leaves_inner_dashes: r"
sel:
    CommandLine|windash|contains: 'Set-MpPreference'
condition: sel" => r#"CommandLine contains "Set-MpPreference""#;
    // With `all`, each value must match, in any of its dash variants.
    windash_contains_all: r"
sel:
    CommandLine|windash|contains|all:
        - ' -a '
        - ' -b '
condition: sel" => "CommandLine contains any[\" -a \", \" /a \", \" \u{2013}a \", \" \u{2014}a \", \" \u{2015}a \"] and CommandLine contains any[\" -b \", \" /b \", \" \u{2013}b \", \" \u{2014}b \", \" \u{2015}b \"]";
}

#[test]
fn windash_two_flags_give_every_combination() {
    let rule = rule_of(
        r"
sel:
    CommandLine|windash|contains: ' -p -q'
condition: sel",
    );
    let got = values(&rule.logic.expr);
    let dashes = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let mut want: Vec<String> = Vec::new();
    for a in dashes {
        for b in dashes {
            want.push(format!(" {a}p {b}q"));
        }
    }
    let mut sorted = got.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want, "{got:?}");
    assert!(
        rule.logic.expr.preds().iter().all(|p| p.op == Op::Contains),
        "{}",
        rule.logic.expr
    );
}

// Regular expressions: case-sensitive unless `i`; values are not Sigma strings.
lowers! {
    re: r"
sel:
    CommandLine|re: '\s-e(nc)?\s'
condition: sel" => r#"CommandLine regex:cased "\\s-e(nc)?\\s""#;
    re_i: r"
sel:
    CommandLine|re|i: '\s-e(nc)?\s'
condition: sel" => r#"CommandLine regex "\\s-e(nc)?\\s""#;
    re_m: r"
sel:
    CommandLine|re|m: '^whoami$'
condition: sel" => r#"CommandLine regex:cased:m "^whoami$""#;
    re_s: r"
sel:
    CommandLine|re|s: 'begin.end'
condition: sel" => r#"CommandLine regex:cased:s "begin.end""#;
    re_i_m_s: r"
sel:
    CommandLine|re|i|m|s: 'a.b'
condition: sel" => r#"CommandLine regex:m:s "a.b""#;
    // `*`, `?` and `\\` keep their regex meaning: no Sigma unescaping.
    re_keeps_regex_syntax: r"
sel:
    Image|re: 'C:\\Windows\\.*\.exe?'
condition: sel" => r#"Image regex:cased "C:\\\\Windows\\\\.*\\.exe?""#;
}

lowers_json! {
    re_json_is_case_sensitive: r"
sel:
    CommandLine|re: 'a+'
condition: sel" => r#"{"pred":{"case_sensitive":true,"field":{"raw":"CommandLine"},"op":"regex","values":["a+"]}}"#;
    re_i_json_is_case_insensitive: r"
sel:
    CommandLine|re|i: 'a+'
condition: sel" => r#"{"pred":{"field":{"raw":"CommandLine"},"op":"regex","values":["a+"]}}"#;
    re_m_s_json_flags: r"
sel:
    CommandLine|re|m|s: 'a+'
condition: sel" => r#"{"pred":{"case_sensitive":true,"field":{"raw":"CommandLine"},"op":"regex","regex_flags":{"dotall":true,"multiline":true},"values":["a+"]}}"#;
}

// Networks.
lowers! {
    cidr_ipv4: r"
sel:
    DestinationIp|cidr: '10.0.0.0/8'
condition: sel" => r#"DestinationIp cidr "10.0.0.0/8""#;
    cidr_ipv4_list: r"
sel:
    DestinationIp|cidr:
        - '10.0.0.0/8'
        - '172.16.0.0/12'
        - '192.168.0.0/16'
condition: sel" => r#"DestinationIp cidr any["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]"#;
    cidr_ipv6: r"
sel:
    DestinationIp|cidr: 'fe80::/10'
condition: sel" => r#"DestinationIp cidr "fe80::/10""#;
    cidr_ipv6_loopback: r"
sel:
    DestinationIp|cidr: '::1/128'
condition: sel" => r#"DestinationIp cidr "::1/128""#;
}

// Encodings. Values computed independently (see the module docs).
lowers! {
    base64_plain: r"
sel:
    CommandLine|base64: 'whoami'
condition: sel" => r#"CommandLine eq "d2hvYW1p""#;
    base64_contains: r"
sel:
    CommandLine|base64|contains: 'whoami'
condition: sel" => r#"CommandLine contains "d2hvYW1p""#;
    base64offset_contains: r"
sel:
    CommandLine|base64offset|contains: '/bin/bash'
condition: sel" => r#"CommandLine contains any["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]"#;
    base64offset_contains_three_values: r"
sel:
    CommandLine|base64offset|contains:
        - '/bin/bash'
        - 'http'
        - 'IEX'
condition: sel" => r#"CommandLine contains any["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2", "aHR0c", "h0dH", "odHRw", "SUVY", "lFW", "JRV"]"#;
    utf16le_base64offset_contains: r"
sel:
    CommandLine|utf16le|base64offset|contains: 'Invoke'
condition: sel" => r#"CommandLine contains any["SQBuAHYAbwBrAGUA", "kAbgB2AG8AawBlA", "JAG4AdgBvAGsAZQ"]"#;
    utf16le_base64: r"
sel:
    CommandLine|utf16le|base64: 'cmd'
condition: sel" => r#"CommandLine eq "YwBtAGQA""#;
    utf16be_base64: r"
sel:
    CommandLine|utf16be|base64: 'cmd'
condition: sel" => r#"CommandLine eq "AGMAbQBk""#;
    utf16_base64_has_a_bom: r"
sel:
    CommandLine|utf16|base64: 'cmd'
condition: sel" => r#"CommandLine eq "//5jAG0AZAA=""#;
    wide_base64offset_contains: r"
sel:
    CommandLine|wide|base64offset|contains: 'ping'
condition: sel" => r#"CommandLine contains any["cABpAG4AZw", "AAaQBuAGcA", "wAGkAbgBnA"]"#;
}

// Existence, comparisons, field references, placeholders.
lowers! {
    exists_true: r"
sel:
    PasswordLastSet|exists: true
condition: sel" => "PasswordLastSet exists true";
    exists_false: r"
sel:
    PasswordLastSet|exists: false
condition: sel" => "PasswordLastSet exists false";
    gt_int: r"
sel:
    FileSize|gt: 1048576
condition: sel" => "FileSize gt 1048576";
    gte_float: r"
sel:
    Score|gte: 7.5
condition: sel" => "Score gte 7.5";
    lt_int: r"
sel:
    LogonCount|lt: 3
condition: sel" => "LogonCount lt 3";
    lte_float: r"
sel:
    Ratio|lte: 0.25
condition: sel" => "Ratio lte 0.25";
    lt_negative: r"
sel:
    Delta|lt: -5
condition: sel" => "Delta lt -5";
    fieldref: r"
sel:
    TargetUserName|fieldref: SubjectUserName
condition: sel" => r#"TargetUserName field_ref "SubjectUserName""#;
    fieldref_endswith: r"
sel:
    CommandLine|fieldref|endswith: Image
condition: sel" => r#"CommandLine field_ref(ends_with) "Image""#;
    expand: r"
sel:
    User|expand: '%Administrators%'
condition: sel" => r#"User lookup "%Administrators%""#;
    contains_expand: r"
sel:
    ComputerName|contains|expand: '%DomainControllers%'
condition: sel" => r#"ComputerName lookup(contains) "%DomainControllers%""#;
    // Without `expand`, a placeholder is a literal value.
    placeholder_without_expand_is_literal: r"
sel:
    User: '%Administrators%'
condition: sel" => r#"User eq "%Administrators%""#;
}

lowers_json! {
    gt_int_json_keeps_an_integer: r"
sel:
    FileSize|gt: 1048576
condition: sel" => r#"{"pred":{"field":{"raw":"FileSize"},"op":"gt","values":[1048576]}}"#;
    gt_quoted_number_json_is_a_number: r"
sel:
    FileSize|gt: '100'
condition: sel" => r#"{"pred":{"field":{"raw":"FileSize"},"op":"gt","values":[100]}}"#;
    gte_float_json_keeps_a_float: r"
sel:
    Score|gte: 7.5
condition: sel" => r#"{"pred":{"field":{"raw":"Score"},"op":"gte","values":[7.5]}}"#;
    fieldref_endswith_json: r"
sel:
    CommandLine|fieldref|endswith: Image
condition: sel" => r#"{"pred":{"field":{"raw":"CommandLine"},"op":"field_ref","values":["Image"],"within":"ends_with"}}"#;
}

// Wildcards and escapes (rules specification, "Escaping").
lowers! {
    wildcard_leading_star_is_ends_with: r"
sel:
    Image: '*\cmd.exe'
condition: sel" => r#"Image ends_with "\\cmd.exe""#;
    wildcard_trailing_star_is_starts_with: r"
sel:
    Image: 'C:\Temp\\*'
condition: sel" => r#"Image starts_with "C:\\Temp\\""#;
    wildcard_both_ends_is_contains: r"
sel:
    CommandLine: '*sekurlsa*'
condition: sel" => r#"CommandLine contains "sekurlsa""#;
    wildcard_inner_star_is_a_pattern: r"
sel:
    CommandLine: '*net*user*'
condition: sel" => r#"CommandLine wildcard "*net*user*""#;
    wildcard_question_mark_is_a_pattern: r"
sel:
    Image: '*\svch?st.exe'
condition: sel" => r#"Image wildcard "*\\\\svch?st.exe""#;
    // `\*` is an escaped star: `C:\Temp\*` is the literal text `C:\Temp*`.
    escaped_star_is_literal: r"
sel:
    Image: 'C:\Temp\*'
condition: sel" => r#"Image eq "C:\\Temp*""#;
    escaped_star_inside_contains: r"
sel:
    CommandLine|contains: 'SELECT \* FROM'
condition: sel" => r#"CommandLine contains "SELECT * FROM""#;
    escaped_question_mark: r"
sel:
    CommandLine|endswith: 'why\?'
condition: sel" => r#"CommandLine ends_with "why?""#;
    escaped_star_kept_escaped_in_a_pattern: r"
sel:
    CommandLine: '*a\*b?'
condition: sel" => r#"CommandLine wildcard "*a\\*b?""#;
    double_backslash_is_one_backslash: r"
sel:
    Image: 'C:\\Temp'
condition: sel" => r#"Image eq "C:\\Temp""#;
    single_backslash_before_a_letter_is_literal: r"
sel:
    Image: 'C:\Temp'
condition: sel" => r#"Image eq "C:\\Temp""#;
    three_backslashes_and_a_star_are_a_literal_backslash_star: r"
sel:
    CommandLine: 'a\\\*'
condition: sel" => r#"CommandLine eq "a\\*""#;
    four_backslashes_are_two: r"
sel:
    CommandLine: 'a\\\\b'
condition: sel" => r#"CommandLine eq "a\\\\b""#;
}

// Plain values: null, numbers, booleans, lists, maps.
lowers! {
    null_value: r"
sel:
    CommandLine: null
condition: sel" => "CommandLine is_null";
    null_tilde: r"
sel:
    CommandLine: ~
condition: sel" => "CommandLine is_null";
    empty_string_is_not_null: r"
sel:
    CommandLine: ''
condition: sel" => r#"CommandLine eq """#;
    number_stays_a_number: r"
sel:
    EventID: 4688
condition: sel" => "EventID eq 4688";
    number_list: r"
sel:
    EventID:
        - 4624
        - 4625
condition: sel" => "EventID in any[4624, 4625]";
    quoted_number_stays_a_string: r"
sel:
    EventID: '4688'
condition: sel" => r#"EventID eq "4688""#;
    number_with_contains_is_text: r"
sel:
    CommandLine|contains: 4444
condition: sel" => r#"CommandLine contains "4444""#;
    bool_true: r"
sel:
    Enabled: true
condition: sel" => "Enabled eq true";
    bool_false: r"
sel:
    Enabled: false
condition: sel" => "Enabled eq false";
    float_value: r"
sel:
    Version: 2.5
condition: sel" => "Version eq 2.5";
    list_of_values_is_in: r"
sel:
    User:
        - alice
        - bob
condition: sel" => r#"User in any["alice", "bob"]"#;
    list_of_values_with_modifier: r"
sel:
    Image|endswith:
        - '\rar.exe'
        - '\7z.exe'
condition: sel" => r#"Image ends_with any["\\rar.exe", "\\7z.exe"]"#;
    list_mixing_wildcard_shapes: r"
sel:
    Image:
        - '*\a.exe'
        - 'b.exe'
        - '*\c.exe'
condition: sel" => r#"Image ends_with any["\\a.exe", "\\c.exe"] or Image eq "b.exe""#;
    list_with_null: r"
sel:
    CommandLine:
        - null
        - ''
condition: sel" => r#"CommandLine is_null or CommandLine eq """#;
    list_of_maps_is_or_of_ands: r"
sel:
    - Image|endswith: '\a.exe'
      CommandLine|contains: ' /x'
    - OriginalFileName: 'b.exe'
condition: sel" => r#"(Image ends_with "\\a.exe" and CommandLine contains " /x") or OriginalFileName eq "b.exe""#;
    map_of_fields_is_and: r"
sel:
    Image|endswith: '\x.exe'
    User: bob
    EventID: 1
condition: sel" => r#"Image ends_with "\\x.exe" and User eq "bob" and EventID eq 1"#;
}

lowers_json! {
    number_json_is_an_integer: r"
sel:
    EventID: 4688
condition: sel" => r#"{"pred":{"field":{"raw":"EventID"},"op":"eq","values":[4688]}}"#;
    bool_json_is_a_boolean: r"
sel:
    Enabled: true
condition: sel" => r#"{"pred":{"field":{"raw":"Enabled"},"op":"eq","values":[true]}}"#;
    null_json_is_a_null_value: r"
sel:
    CommandLine: null
condition: sel" => r#"{"pred":{"field":{"raw":"CommandLine"},"op":"is_null","values":[null]}}"#;
    exists_json_is_case_insensitive: r"
sel:
    User|cased|exists: true
condition: sel" => r#"{"pred":{"field":{"raw":"User"},"op":"exists","values":[true]}}"#;
}

// Keywords: values searched anywhere in the event.
lowers! {
    keyword_list: r"
keywords:
    - 'Mimikatz'
    - 'sekurlsa::logonpasswords'
condition: keywords" => r#"keyword contains any["Mimikatz", "sekurlsa::logonpasswords"]"#;
    keyword_single_string: r"
keywords: 'Mimikatz'
condition: keywords" => r#"keyword contains "Mimikatz""#;
    keyword_with_inner_wildcard: r"
keywords:
    - 'lsa*dump'
condition: keywords" => r#"keyword wildcard "*lsa*dump*""#;
    keyword_all: r"
keywords:
    '|all':
        - 'OabVirtualDirectory'
        - ' -ExternalUrl '
condition: keywords" => r#"keyword contains all["OabVirtualDirectory", " -ExternalUrl "]"#;
}

/// Three simple selections (and helpers) for condition cases.
const SELECTIONS: &str = r"
sel_a:
    A: 'a'
sel_b:
    B: 'b'
other_c:
    C: 'c'
";

fn with_condition(condition: &str) -> String {
    format!("{SELECTIONS}condition: {condition}")
}

// Conditions.
lowers! {
    condition_and: &with_condition("sel_a and sel_b") => r#"A eq "a" and B eq "b""#;
    condition_or: &with_condition("sel_a or sel_b") => r#"A eq "a" or B eq "b""#;
    condition_not: &with_condition("not sel_a") => r#"not A eq "a""#;
    condition_parentheses: &with_condition("(sel_a or sel_b) and other_c")
        => r#"(A eq "a" or B eq "b") and C eq "c""#;
    condition_and_binds_tighter_than_or: &with_condition("sel_a or sel_b and other_c")
        => r#"A eq "a" or (B eq "b" and C eq "c")"#;
    condition_not_binds_tighter_than_and: &with_condition("not sel_a and sel_b")
        => r#"not A eq "a" and B eq "b""#;
    condition_not_of_a_group: &with_condition("not (sel_a or sel_b)")
        => r#"not (A eq "a" or B eq "b")"#;
    condition_one_of_pattern: &with_condition("1 of sel_*") => r#"A eq "a" or B eq "b""#;
    condition_all_of_pattern: &with_condition("all of sel_*") => r#"A eq "a" and B eq "b""#;
    condition_one_of_pattern_and_name: &with_condition("1 of sel_* and other_c")
        => r#"(A eq "a" or B eq "b") and C eq "c""#;
    condition_one_of_them: &with_condition("1 of them")
        => r#"A eq "a" or B eq "b" or C eq "c""#;
    condition_all_of_them: &with_condition("all of them")
        => r#"A eq "a" and B eq "b" and C eq "c""#;
    // `them` leaves out selections whose name starts with `_`.
    condition_one_of_them_leaves_out_underscore: r"
sel_a:
    A: 'a'
_helper:
    H: 'h'
sel_b:
    B: 'b'
condition: 1 of them" => r#"A eq "a" or B eq "b""#;
    condition_all_of_them_leaves_out_underscore: r"
sel_a:
    A: 'a'
_helper:
    H: 'h'
sel_b:
    B: 'b'
condition: all of them" => r#"A eq "a" and B eq "b""#;
    condition_underscore_selection_by_name: r"
sel_a:
    A: 'a'
_helper:
    H: 'h'
condition: 1 of them and not _helper" => r#"A eq "a" and not H eq "h""#;
    condition_list_is_or: r"
sel_a:
    A: 'a'
sel_b:
    B: 'b'
condition:
    - sel_a
    - sel_b" => r#"A eq "a" or B eq "b""#;
}

#[test]
fn not_one_of_filters_gives_one_exclusion_per_filter() {
    let rule = rule_of(
        r"
selection:
    Image|endswith: '\x.exe'
filter_admin:
    User: 'admin'
filter_parent:
    ParentImage|endswith: '\y.exe'
condition: selection and not 1 of filter_*",
    );
    assert_eq!(
        rule.logic.expr.to_string(),
        r#"Image ends_with "\\x.exe" and not (User eq "admin" or ParentImage ends_with "\\y.exe")"#
    );
    let exclusions = rule.logic.exclusions();
    assert_eq!(exclusions.len(), 2, "{exclusions:?}");
    assert!(exclusions.iter().all(|e| e.scope.is_rule()));
    assert_eq!(exclusions[0].expr.to_string(), r#"User eq "admin""#);
    assert_eq!(
        exclusions[1].expr.to_string(),
        r#"ParentImage ends_with "\\y.exe""#
    );
}

#[test]
fn not_of_a_two_field_filter_is_one_exclusion() {
    let rule = rule_of(
        r"
selection:
    Image|endswith: '\x.exe'
filter:
    User: 'admin'
    LogonId: '0x3e7'
condition: selection and not filter",
    );
    assert_eq!(rule.logic.exclusions().len(), 1);
}

#[test]
fn deprecated_count_aggregation() {
    let rule = rule_of(
        r"
selection:
    EventID: 4625
condition: selection | count() by IpAddress > 5",
    );
    assert_eq!(rule.logic.expr.to_string(), "EventID eq 4625");
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(agg.kind, AggregationKind::EventCount { rules: Vec::new() });
    assert_eq!(agg.group_by, vec![Field::raw("IpAddress")]);
    assert_eq!(
        agg.condition,
        vec![Comparison {
            op: Op::Gt,
            value: 5.0
        }]
    );
    assert_eq!(agg.window, None);
}

#[test]
fn deprecated_count_of_a_field_with_timeframe() {
    let rule = rule_of(
        r"
selection:
    EventID: 4625
timeframe: 15m
condition: selection | count(TargetUserName) by IpAddress, WorkstationName >= 10",
    );
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(
        agg.kind,
        AggregationKind::ValueCount {
            field: Field::raw("TargetUserName"),
            rules: Vec::new()
        }
    );
    assert_eq!(
        agg.group_by,
        vec![Field::raw("IpAddress"), Field::raw("WorkstationName")]
    );
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(900));
    assert_eq!(
        agg.condition,
        vec![Comparison {
            op: Op::Gte,
            value: 10.0
        }]
    );
}

/// Two base rules, named, for correlations in the same file.
const BASE_RULES: &str = "title: Failed logon
id: 0b7d3a52-6c8e-4f19-9a3d-5e2f7c1b0a01
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Successful logon
id: 0b7d3a52-6c8e-4f19-9a3d-5e2f7c1b0a02
name: successful_logon
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4624
    condition: selection
";

/// The correlation after [`BASE_RULES`] in one file.
fn correlation(body: &str) -> Rule {
    let text = format!("{BASE_RULES}---\ntitle: Correlation under test\n{body}");
    let mut rules = parse_ok(&text, 3);
    let rule = rules.remove(2);
    assert_eq!(rule.kind, RuleKind::Correlation);
    assert_eq!(rules[0].kind, RuleKind::Detection);
    rule
}

#[test]
fn correlation_event_count() {
    let rule = correlation(
        "correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 20
",
    );
    assert_eq!(rule.applies_to, vec!["failed_logon"]);
    assert_eq!(rule.logic.expr.to_string(), "EventID eq 4625");
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(
        agg.kind,
        AggregationKind::EventCount {
            rules: vec!["failed_logon".into()]
        }
    );
    assert_eq!(agg.group_by, vec![Field::raw("TargetUserName")]);
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(600));
    assert_eq!(
        agg.condition,
        vec![Comparison {
            op: Op::Gte,
            value: 20.0
        }]
    );
}

#[test]
fn correlation_event_count_by_id_with_a_range() {
    let rule = correlation(
        "correlation:
    type: event_count
    rules:
        - 0b7d3a52-6c8e-4f19-9a3d-5e2f7c1b0a01
    group-by:
        - IpAddress
    timespan: 1h
    condition:
        gt: 100
        lte: 200
",
    );
    assert_eq!(rule.logic.expr.to_string(), "EventID eq 4625");
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(3600));
    assert_eq!(
        agg.condition,
        vec![
            Comparison {
                op: Op::Gt,
                value: 100.0
            },
            Comparison {
                op: Op::Lte,
                value: 200.0
            }
        ]
    );
}

#[test]
fn correlation_value_count() {
    let rule = correlation(
        "correlation:
    type: value_count
    rules:
        - failed_logon
    group-by:
        - IpAddress
    timespan: 1d
    condition:
        field: TargetUserName
        gte: 50
",
    );
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(
        agg.kind,
        AggregationKind::ValueCount {
            field: Field::raw("TargetUserName"),
            rules: vec!["failed_logon".into()]
        }
    );
    assert_eq!(agg.group_by, vec![Field::raw("IpAddress")]);
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(86_400));
    assert_eq!(
        agg.condition,
        vec![Comparison {
            op: Op::Gte,
            value: 50.0
        }]
    );
}

#[test]
fn correlation_temporal() {
    let rule = correlation(
        "correlation:
    type: temporal
    rules:
        - failed_logon
        - successful_logon
    group-by:
        - TargetUserName
    timespan: 5m
",
    );
    assert_eq!(
        rule.logic.expr.to_string(),
        "EventID eq 4625 or EventID eq 4624"
    );
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(
        agg.kind,
        AggregationKind::Temporal {
            rules: vec!["failed_logon".into(), "successful_logon".into()]
        }
    );
    assert_eq!(agg.group_by, vec![Field::raw("TargetUserName")]);
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(300));
    assert!(agg.condition.is_empty());
}

#[test]
fn correlation_temporal_ordered() {
    let rule = correlation(
        "correlation:
    type: temporal_ordered
    rules:
        - failed_logon
        - successful_logon
    group-by:
        - TargetUserName
    timespan: 30s
",
    );
    assert_eq!(
        rule.applies_to,
        vec!["failed_logon".to_owned(), "successful_logon".to_owned()]
    );
    let agg = rule.logic.aggregation.expect("an aggregation");
    assert_eq!(
        agg.kind,
        AggregationKind::TemporalOrdered {
            rules: vec!["failed_logon".into(), "successful_logon".into()]
        }
    );
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(30));
}

/// The correlation specification's own example puts the correlation first and
/// the rules it names after it, and chains one correlation into another.
#[test]

fn correlation_may_name_rules_defined_after_it() {
    let text = "title: Failed logons followed by a success
correlation:
    type: temporal_ordered
    rules:
        - many_failed_logons
        - successful_logon
    group-by:
        - TargetUserName
    timespan: 10m
---
title: Many failed logons
name: many_failed_logons
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 10
---
"
    .to_owned()
        + BASE_RULES;
    let rules = parse_ok(&text, 4);
    assert_eq!(rules[1].logic.expr.to_string(), "EventID eq 4625");
    assert_eq!(
        rules[0].logic.expr.to_string(),
        "EventID eq 4625 or EventID eq 4624"
    );
}

#[test]
fn correlation_chained_after_its_rules() {
    let text = format!(
        "{BASE_RULES}---
title: Many failed logons
name: many_failed_logons
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 10
---
title: Failed logons followed by a success
correlation:
    type: temporal_ordered
    rules:
        - many_failed_logons
        - successful_logon
    group-by:
        - TargetUserName
    timespan: 10m
"
    );
    let rules = parse_ok(&text, 4);
    assert_eq!(rules[2].logic.expr.to_string(), "EventID eq 4625");
    assert_eq!(
        rules[3].logic.expr.to_string(),
        "EventID eq 4625 or EventID eq 4624"
    );
}

#[test]
fn filter_document() {
    let text = "title: Filter out admin accounts
description: Admin accounts start with adm_
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f0c4c5e-1d2b-4a7e-9c3f-8e1d2b3c4d5e
        - admin_tool_use
    selection:
        User|startswith: 'adm_'
    condition: selection
";
    let rule = parse_ok(text, 1).remove(0);
    assert_eq!(rule.kind, RuleKind::Filter);
    assert_eq!(
        rule.applies_to,
        vec![
            "6f0c4c5e-1d2b-4a7e-9c3f-8e1d2b3c4d5e".to_owned(),
            "admin_tool_use".to_owned()
        ]
    );
    assert_eq!(rule.logic.expr.to_string(), r#"User starts_with "adm_""#);
    assert_eq!(
        rule.logsource.and_then(|l| l.category).as_deref(),
        Some("process_creation")
    );
}

#[test]
fn global_action_is_inherited_by_each_rule() {
    let text = r"action: global
title: Backup tool misuse
status: test
logsource:
    product: windows
detection:
    filter:
        User: 'svc_backup'
    condition: selection and not filter
level: medium
---
logsource:
    category: process_creation
detection:
    selection:
        Image|endswith: '\bkp.exe'
---
logsource:
    category: file_event
detection:
    selection:
        TargetFilename|endswith: '.bkp'
";
    let rules = parse_ok(text, 2);
    for rule in &rules {
        assert_eq!(rule.title, "Backup tool misuse");
        assert_eq!(rule.status.as_deref(), Some("test"));
        assert_eq!(rule.severity.map(Severity::as_str), Some("medium"));
        let ls = rule.logsource.as_ref().expect("a log source");
        assert_eq!(ls.product.as_deref(), Some("windows"));
    }
    assert_eq!(
        rules[0]
            .logsource
            .as_ref()
            .and_then(|l| l.category.as_deref()),
        Some("process_creation")
    );
    assert_eq!(
        rules[1]
            .logsource
            .as_ref()
            .and_then(|l| l.category.as_deref()),
        Some("file_event")
    );
    assert_eq!(
        rules[0].logic.expr.to_string(),
        r#"Image ends_with "\\bkp.exe" and not User eq "svc_backup""#
    );
    assert_eq!(
        rules[1].logic.expr.to_string(),
        r#"TargetFilename ends_with ".bkp" and not User eq "svc_backup""#
    );
    assert_eq!(rules[0].logic.exclusions().len(), 1);
}

/// sigmac merges documents with `deep_update_dict`: a selection that both the
/// global document and a rule document define gets the fields of both.
#[test]

fn global_action_merges_selections_deeply() {
    let text = r"action: global
title: Encoded command
detection:
    selection:
        CommandLine|contains: ' -enc '
    condition: selection
---
logsource:
    category: process_creation
    product: windows
---
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4688
";
    let rules = parse_ok(text, 2);
    assert_eq!(
        rules[0].logic.expr.to_string(),
        r#"CommandLine contains " -enc ""#
    );
    let second = rules[1].logic.expr.to_string();
    assert!(
        second.contains(r#"CommandLine contains " -enc ""#) && second.contains("EventID eq 4688"),
        "{second}"
    );
}

#[test]
fn reset_action_drops_the_global_document() {
    let text = r"action: global
title: Global title
logsource:
    product: windows
---
detection:
    selection:
        Image|endswith: '\a.exe'
    condition: selection
---
action: reset
---
title: Standalone rule
logsource:
    product: linux
detection:
    selection:
        Image|endswith: '/b'
    condition: selection
";
    let rules = parse_ok(text, 2);
    assert_eq!(rules[0].title, "Global title");
    assert_eq!(rules[1].title, "Standalone rule");
    assert_eq!(
        rules[1]
            .logsource
            .as_ref()
            .and_then(|l| l.product.as_deref()),
        Some("linux")
    );
}

#[test]
fn repeat_action_reuses_the_previous_rule() {
    let text = r"title: Tool A
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\a.exe'
    condition: selection
level: high
---
action: repeat
title: Tool B
detection:
    selection:
        Image|endswith: '\b.exe'
";
    let rules = parse_ok(text, 2);
    assert_eq!(rules[1].title, "Tool B");
    assert_eq!(rules[1].severity.map(Severity::as_str), Some("high"));
    assert_eq!(
        rules[1]
            .logsource
            .as_ref()
            .and_then(|l| l.category.as_deref()),
        Some("process_creation")
    );
    assert_eq!(
        rules[1].logic.expr.to_string(),
        r#"Image ends_with "\\b.exe""#
    );
}

/// sigmac keeps the merged rule as the "previous rule", so repeats chain.
#[test]

fn repeat_action_chains() {
    let text = r"title: Tool A
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\a.exe'
    condition: selection
---
action: repeat
title: Tool B
detection:
    selection:
        Image|endswith: '\b.exe'
---
action: repeat
title: Tool C
detection:
    selection:
        Image|endswith: '\c.exe'
";
    let rules = parse_ok(text, 3);
    assert_eq!(rules[2].title, "Tool C");
    assert_eq!(
        rules[2]
            .logsource
            .as_ref()
            .and_then(|l| l.category.as_deref()),
        Some("process_creation")
    );
    assert_eq!(
        rules[2].logic.expr.to_string(),
        r#"Image ends_with "\\c.exe""#
    );
}

/// Sigma 2.1 (modifiers appendix v2.1.0) adds `neq`: the field differs from the value.
#[test]

fn neq_modifier() {
    let rule = rule_of(
        r"
sel:
    Image|endswith: '\svchost.exe'
    ParentImage|neq: 'C:\Windows\System32\services.exe'
condition: sel",
    );
    let s = rule.logic.expr.to_string();
    assert!(
        s.contains(r#"not ParentImage eq "C:\\Windows\\System32\\services.exe""#),
        "{s}"
    );
}

#[test]
fn values_keep_their_type_in_lists() {
    let rule = rule_of(
        r"
sel:
    EventID:
        - 4624
        - '4625'
condition: sel",
    );
    let preds = rule.logic.expr.preds();
    assert_eq!(preds.len(), 1);
    assert_eq!(
        preds[0].values,
        vec![Value::Int(4624), Value::Str("4625".into())]
    );
}

/// Modifiers on a field-less (keyword) item must transform the keyword, as
/// they do on a field: `'|base64|contains': whoami` searches for `d2hvYW1p`.
#[test]

fn keyword_base64_is_encoded() {
    assert_eq!(
        lowered(
            r"
keywords:
    '|base64|contains': whoami
condition: keywords"
        ),
        r#"keyword contains "d2hvYW1p""#
    );
}

#[test]

fn keyword_windash_is_expanded() {
    let rule = rule_of(
        r"
keywords:
    '|windash|contains': ' -enc '
condition: keywords",
    );
    let json = json_of(&rule.logic.expr);
    assert!(json.contains(" /enc "), "{json}");
}

#[test]

fn keyword_re_is_a_regex() {
    let rule = rule_of(
        r"
keywords:
    '|re': 'evil\d+'
condition: keywords",
    );
    let json = json_of(&rule.logic.expr);
    assert!(json.contains(r#""op":"regex""#), "{json}");
}

/// An integer too large for 64 bits must keep its digits, not become a
/// rounded float that no event value can equal.
#[test]

fn integer_beyond_64_bits_keeps_its_digits() {
    let s = lowered(
        r"
sel:
    ObjectId: 12345678901234567890
condition: sel",
    );
    assert!(s.contains("12345678901234567890"), "{s}");
}

/// Predicate spans index the rule's own text (its YAML document), also for
/// the second document of a file.
#[test]
fn spans_index_the_rules_own_document() {
    let text = "title: First\nlogsource: {product: windows}\ndetection:\n    sel:\n        Image: a.exe\n    condition: sel\n---\ntitle: Second\nlogsource: {product: windows}\ndetection:\n    sel:\n        CommandLine|contains: evil\n    condition: sel\n";
    let parsed = ruledex_sigma::parse_sigma("two.yml", text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    for rule in &parsed.rules {
        for p in rule.logic.expr.preds() {
            let covered = p.span.and_then(|s| s.slice(&rule.text)).unwrap_or_default();
            assert!(
                covered.starts_with(&p.field.raw),
                "{}: {covered:?}",
                rule.title
            );
        }
    }
}

// A number written with leading zeros is a string value: the digits as written.
lowers! {
    contains_keeps_leading_zeros: r"
sel:
    Details|contains: 00000429
condition: sel" => r#"Details contains "00000429""#;
    plain_value_keeps_leading_zeros: r"
sel:
    Details: 0429
condition: sel" => r#"Details eq "0429""#;
}

#[test]
fn plain_integer_without_leading_zero_stays_a_number() {
    let rule = rule_of("sel:\n    EventID: 4688\ncondition: sel\n");
    let preds = rule.logic.expr.preds();
    assert_eq!(preds.len(), 1);
    assert_eq!(preds[0].values, vec![Value::Int(4688)]);
}
