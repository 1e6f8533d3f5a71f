//! Hostile and random input to the rule reader: it returns rules or errors,
//! never panics or overflows the stack, and every span it gives is a valid
//! range of the text. Each case runs on a thread with a 2 MiB stack, the
//! default for spawned threads and less than a main thread has.

use proptest::prelude::*;
use ruledex_elastic::rule::{MAX_FILE_SIZE, Parsed, parse_elastic};

const STACK: usize = 2 << 20;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// Every span of the result slices `text` on character boundaries.
fn spans_are_valid(text: &str, parsed: &Parsed) -> Result<(), String> {
    let mut spans: Vec<ruledex_diag::Span> = parsed
        .errors
        .iter()
        .chain(&parsed.warnings)
        .map(|e| e.span)
        .collect();
    for rule in &parsed.rules {
        rule.logic.expr.visit(&mut |e| match e {
            ruledex_model::Expr::Pred(p) => spans.extend(p.span),
            ruledex_model::Expr::Keyword(k) => spans.extend(k.span),
            ruledex_model::Expr::Opaque(o) => spans.extend(o.span),
            _ => {}
        });
    }
    for s in spans {
        if s.slice(text).is_none() {
            return Err(format!(
                "span {s:?} is not a range of the {}-byte text",
                text.len()
            ));
        }
    }
    Ok(())
}

fn check(name: &'static str, text: String) -> Parsed {
    on_small_stack(move || {
        let parsed = parse_elastic("hostile.toml", &text);
        if let Err(e) = spans_are_valid(&text, &parsed) {
            panic!("{name}: {e}");
        }
        parsed
    })
}

const RULE: &str = "[metadata]\ncreation_date = \"2024/01/01\"\nmaturity = \"production\"\nupdated_date = \"2024/01/01\"\n\
[rule]\nrule_id = \"r\"\nname = \"n\"\ntype = \"query\"\nquery = '''\nprocess.name:nc\n'''\n";

macro_rules! hostile {
    ($($name:ident: $text:expr => $rules:expr;)*) => {$(
        #[test]
        fn $name() {
            let parsed = check(stringify!($name), $text);
            assert_eq!(parsed.rules.len(), $rules, "{:?}", parsed.errors);
        }
    )*};
}

hostile! {
    empty_file: String::new() => 0;
    only_comments: "# nothing\n# here\n".to_owned() => 0;
    deep_arrays: format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)) => 0;
    deep_inline_tables: format!("x = {}1{}\n", "{a = ".repeat(10_000), "}".repeat(10_000)) => 0;
    deep_dotted_key: format!("{} = 1\n", vec!["a"; 10_000].join(".")) => 0;
    deep_table_header: format!("[{}]\nx = 1\n", vec!["a"; 10_000].join(".")) => 0;
    deep_array_in_rule: format!("{RULE}tags = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)) => 0;
    unterminated_query: RULE.replace("\n'''\n", "\n") => 0;
    unterminated_basic_string: "[rule]\nrule_id = \"r\nname = \"n\"\n".to_owned() => 0;
    // TOML forbids control characters in strings.
    nul_bytes: RULE.replace("process", "pro\0cess") => 0;
    byte_order_mark: format!("\u{feff}{RULE}") => 1;
    crlf_everywhere: RULE.replace('\n', "\r\n") => 1;
    lone_carriage_returns: RULE.replace('\n', "\r") => 0;
    deep_query_parentheses: RULE.replace(
        "process.name:nc",
        &format!("{}process.name:nc{}", "(".repeat(10_000), ")".repeat(10_000)),
    ) => 1;
    deep_eql_query: RULE.replace("type = \"query\"", "type = \"eql\"").replace(
        "process.name:nc",
        &format!("process where {}true{}", "(".repeat(10_000), ")".repeat(10_000)),
    ) => 1;
    deep_esql_query: RULE.replace("type = \"query\"", "type = \"esql\"").replace(
        "process.name:nc",
        &format!("from logs-* | where {}a == 1{}", "(".repeat(10_000), ")".repeat(10_000)),
    ) => 1;
    deep_filter_bool: format!(
        "{RULE}[[rule.filters]]\nquery = {}{{exists = {{field = \"a\"}}}}{}\n",
        "{bool = {must = ".repeat(30),
        "}}".repeat(30)
    ) => 1;
    many_filters: format!("{RULE}{}", "[[rule.filters]]\nquery = {exists = {field = \"a\"}}\n".repeat(5_000)) => 1;
    many_threat_blocks: format!(
        "{RULE}{}",
        "[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = \"T1046\"\n".repeat(2_000)
    ) => 1;
    non_ascii_everywhere: RULE.replace("\"n\"", "\"ñämé 🦀\"").replace("process.name:nc", "prôcess.näme:ñc 🦀") => 1;
    datetime_as_rule_id: RULE.replace("\"r\"", "1979-05-27T07:32:00Z") => 0;
    huge_query: RULE.replace("process.name:nc", &"a:b or ".repeat(400_000)) => 1;
    too_large: "#".repeat(MAX_FILE_SIZE + 1) => 0;
    rule_is_an_array: "rule = [1, 2]\n".to_owned() => 0;
    threat_is_a_string: format!("{RULE}threat = \"T1046\"\n") => 1;
    threshold_is_an_array: RULE.replace("type = \"query\"", "type = \"threshold\"") + "threshold = [1]\n" => 1;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary text, TOML-flavoured.
    #[test]
    fn random_text_never_panics(text in "[\\[\\]{}=\"'\\\\a-z0-9_. ,\\n#-]{0,400}") {
        let parsed = parse_elastic("random.toml", &text);
        prop_assert!(spans_are_valid(&text, &parsed).is_ok());
    }

    /// A valid rule with one stretch deleted and random text inserted.
    #[test]
    fn mutated_rule_never_panics(
        at in 0usize..RULE.len(),
        cut in 0usize..40,
        insert in "[\\[\\]{}=\"'\\\\a-zé0-9_. \\n]{0,20}",
    ) {
        let mut text = RULE.to_owned();
        let end = (at + cut).min(text.len());
        text.replace_range(at..end, &insert);
        let parsed = parse_elastic("mutated.toml", &text);
        prop_assert!(spans_are_valid(&text, &parsed).is_ok(), "{:?}", spans_are_valid(&text, &parsed));
    }

    /// Any bytes, decoded lossily.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parsed = parse_elastic("bytes.toml", &text);
        prop_assert!(spans_are_valid(&text, &parsed).is_ok());
    }
}
