//! Hostile inputs: `parse_sigma` must return — rules or typed errors — and
//! never panic, hang or overflow the stack.
//!
//! Each input is parsed on a thread with a 2 MiB stack, the size of Rust's
//! spawned threads (test threads and rayon workers included), so that the
//! outcome does not depend on `RUST_MIN_STACK` or on the main thread's larger
//! stack. A panic fails the test with its message; a stack overflow aborts
//! the whole test binary, which fails the run.

use std::fmt::Write as _;
use std::thread;

use ruledex_sigma::{MAX_FILE_SIZE, Parsed, parse_sigma};

/// Stack of the thread the parser runs on.
const STACK: usize = 2 << 20;

/// Parse `text` on a fresh thread with a [`STACK`]-byte stack.
fn parse_on_small_stack(text: String) -> Parsed {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || parse_sigma("hostile.yml", &text))
        .expect("spawn parser thread")
        .join()
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("parse_sigma panicked: {msg}")
        })
}

fn codes(parsed: &Parsed) -> Vec<&'static str> {
    parsed.errors.iter().map(|e| e.kind.code()).collect()
}

/// The input gave at least one rule or one error.
fn answered(parsed: &Parsed) -> Result<(), String> {
    if parsed.rules.is_empty() && parsed.errors.is_empty() {
        Err("neither a rule nor an error".into())
    } else {
        Ok(())
    }
}

/// The input gave no rule and exactly the error codes `want`.
fn errors_are(parsed: &Parsed, want: &[&str]) -> Result<(), String> {
    if !parsed.rules.is_empty() {
        return Err(format!("{} rules read, expected none", parsed.rules.len()));
    }
    let got = codes(parsed);
    if got == want {
        Ok(())
    } else {
        Err(format!("errors {got:?}, expected {want:?}"))
    }
}

/// The input gave `n` rules and no error.
fn rules_are(parsed: &Parsed, n: usize) -> Result<(), String> {
    if parsed.rules.len() == n && parsed.errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} rules and errors {:?}, expected {n} rules and no error",
            parsed.rules.len(),
            codes(parsed)
        ))
    }
}

/// A complete rule around a `detection:` body (already indented by 4).
fn rule_with(detection: &str) -> String {
    format!(
        "title: Hostile input\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n{detection}\n"
    )
}

/// A rule whose condition repeats `a` `n` times joined by `op`.
fn chain(op: &str, n: usize) -> String {
    let condition = vec!["sel"; n].join(&format!(" {op} "));
    rule_with(&format!(
        "    sel:\n        Image|endswith: '\\x.exe'\n    condition: {condition}"
    ))
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Several garbage texts: raw bytes, bytes biased towards YAML punctuation,
/// and a valid rule with garbage appended.
fn garbage_texts() -> Vec<String> {
    const YAML_BYTES: &[u8] = b"-:{}[]|>&*!%@`'\"#?,\n\t  abc\\";
    let mut out = Vec::new();
    for seed in 1..=16_u64 {
        let len = 1 << (seed % 14 + 3);
        out.push(String::from_utf8_lossy(&garbage(seed, len)).into_owned());
        let yamlish: Vec<u8> = garbage(seed * 7919, len)
            .into_iter()
            .map(|b| YAML_BYTES[usize::from(b) % YAML_BYTES.len()])
            .collect();
        out.push(String::from_utf8_lossy(&yamlish).into_owned());
        let mut tail = rule_with("    sel:\n        Image: x\n    condition: sel");
        tail.push_str(&String::from_utf8_lossy(&garbage(seed * 31, 256)));
        out.push(tail);
    }
    out
}

macro_rules! survives {
    ($($(#[$attr:meta])* $name:ident: $input:expr => $check:expr;)*) => {$(
        #[test]
        $(#[$attr])*
        fn $name() {
            let text: String = $input;
            let len = text.len();
            let parsed = parse_on_small_stack(text);
            let check: fn(&Parsed) -> Result<(), String> = $check;
            if let Err(why) = check(&parsed) {
                panic!("{} ({len} bytes): {why}", stringify!($name));
            }
        }
    )*};
}

survives! {
    empty_string: String::new() => |p| rules_are(p, 0);
    only_document_marker: "---".to_owned() => |p| rules_are(p, 0);
    only_document_markers: "---\n".repeat(10_000) => |p| rules_are(p, 0);
    only_a_comment: "# nothing here\n".to_owned() => |p| rules_are(p, 0);
    a_bare_scalar: "just some words".to_owned() => |p| errors_are(p, &["not-a-mapping"]);
    nul_byte: rule_with("    sel:\n        Image: \"\0\"\n    condition: sel").replace("Hostile", "Hos\0tile")
        => |p| errors_are(p, &["yaml-syntax"]);
    flow_sequences_250_deep: format!("{}{}", "[".repeat(250), "]".repeat(250))
        => |p| errors_are(p, &["not-a-mapping"]);
    flow_sequences_300_deep: format!("{}{}", "[".repeat(300), "]".repeat(300)) => answered;
    flow_sequences_100_000_deep: format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)) => answered;
    flow_mappings_5000_deep: format!("{}x{}", "{a: ".repeat(5000), "}".repeat(5000)) => answered;
    flow_nesting_inside_a_selection: rule_with(&format!(
        "    sel:\n        Image: {}x{}\n    condition: sel",
        "[".repeat(200),
        "]".repeat(200)
    )) => |p| errors_are(p, &["wrong-type"]);
    block_mappings_200_deep: (0..200).fold(String::new(), |mut s, i| {
        let _ = writeln!(s, "{}k{i}:", " ".repeat(i));
        s
    }) => |p| errors_are(p, &["missing-key"]);
    block_mappings_1000_deep: (0..1000).fold(String::new(), |mut s, i| {
        let _ = writeln!(s, "{}k{i}:", " ".repeat(i));
        s
    }) => |p| errors_are(p, &["yaml-too-deep"]);
    compact_nested_sequences: format!("{}x\n", "- ".repeat(10_000)) => |p| errors_are(p, &["yaml-too-deep"]);
    file_too_large: "a".repeat(5 << 20) => |p| errors_are(p, &["file-too-large"]);
    file_at_the_limit: {
        let mut text = rule_with("    sel:\n        Image: x\n    condition: sel");
        text.push('#');
        text.push_str(&"x".repeat(MAX_FILE_SIZE - text.len()));
        text
    } => |p| rules_are(p, 1);
    key_with_1000_modifiers_as_a_plain_key: rule_with(&format!(
        "    sel:\n        Image{}: x\n    condition: sel",
        "|contains".repeat(1000)
    )) => |p| errors_are(p, &["yaml-syntax"]);
    key_with_1000_modifiers_as_an_explicit_key: rule_with(&format!(
        "    sel:\n        ? Image{}\n        : x\n    condition: sel",
        "|contains".repeat(1000)
    )) => |p| errors_are(p, &["conflicting-modifiers"]);
    key_with_1000_unknown_modifiers: rule_with(&format!(
        "    sel:\n        ? Image{}\n        : x\n    condition: sel",
        (0..1000).fold(String::new(), |mut s, i| {
            let _ = write!(s, "|m{i}");
            s
        })
    )) => |p| errors_are(p, &["unknown-modifier"]);
    condition_or_chain_of_300: chain("or", 300) => |p| rules_are(p, 1);
    condition_or_chain_of_10_000: chain("or", 10_000) => |p| rules_are(p, 1);
    condition_and_chain_of_10_000: chain("and", 10_000) => |p| rules_are(p, 1);
    condition_not_chain_of_10_000: rule_with(&format!(
        "    sel:\n        Image: x\n    condition: {}sel",
        "not ".repeat(10_000)
    )) => |p| errors_are(p, &["condition-too-deep"]);
    condition_parens_10_000_deep: rule_with(&format!(
        "    sel:\n        Image: x\n    condition: {}sel{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    )) => |p| errors_are(p, &["condition-too-deep"]);
    condition_of_10_000_unclosed_parens: rule_with(&format!(
        "    sel:\n        Image: x\n    condition: {}",
        "(".repeat(10_000)
    )) => |p| errors_are(p, &["condition-too-deep"]);
    regex_nested_500_deep: rule_with(&format!(
        "    sel:\n        CommandLine|re: '{}a{}'\n    condition: sel",
        "(".repeat(500),
        ")".repeat(500)
    )) => |p| errors_are(p, &["invalid-regex"]);
    two_thousand_selections_one_of_them: rule_with(&format!(
        "{}    condition: 1 of them",
        (0..2000).fold(String::new(), |mut s, i| {
            let _ = write!(s, "    sel{i}:\n        EventID: {i}\n");
            s
        })
    )) => |p| rules_are(p, 1);
    a_value_list_of_100_000: rule_with(&format!(
        "    sel:\n        Image:\n{}    condition: sel",
        "            - x\n".repeat(100_000)
    )) => |p| rules_are(p, 1);
    two_thousand_rules_in_one_file: vec![rule_with("    sel:\n        Image: x\n    condition: sel"); 2000]
        .join("---\n") => |p| rules_are(p, 2000);
    windash_with_four_flags_and_base64offset: rule_with(
        "    sel:\n        CommandLine|windash|base64offset|contains: '-a -b -c -d'\n    condition: sel"
    ) => |p| rules_are(p, 1);
    alias_bomb: "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n".to_owned()
        => |p| errors_are(p, &["yaml-syntax"]);
    unknown_alias: "title: *nowhere\n".to_owned() => |p| errors_are(p, &["yaml-syntax"]);
    tabs_for_indentation: "title: t\nlogsource:\n\tproduct: x\n".to_owned() => |p| errors_are(p, &["yaml-syntax"]);
}

#[test]
fn binary_garbage_never_panics() {
    for (i, text) in garbage_texts().into_iter().enumerate() {
        let preview: String = text.chars().take(40).collect();
        let parsed = parse_on_small_stack(text);
        // Garbage may happen to be a valid document only if it is a mapping
        // with a detection; everything else must be reported.
        assert!(
            !parsed.errors.is_empty() || !parsed.rules.is_empty() || preview.trim().is_empty(),
            "garbage #{i} ({preview:?}…) gave neither a rule nor an error"
        );
    }
}

/// Spans stay on character boundaries and point at the right place in text
/// with a byte-order mark, CRLF line ends and multi-byte characters.
#[test]
fn spans_survive_bom_crlf_and_multibyte_text() {
    let text = "\u{feff}title: Pr\u{fc}fung \u{2013} \u{1f600}\r\nlogsource:\r\n    product: windows\r\ndetection:\r\n    s\u{e9}l:\r\n        Image|b\u{f6}gus: \u{e9}\r\n    condition: s\u{e9}l\r\n";
    let parsed = parse_on_small_stack(text.to_owned());
    assert_eq!(codes(&parsed), ["unknown-modifier"]);
    let span = parsed.errors[0].span;
    assert_eq!(span.slice(text), Some("Image|b\u{f6}gus"));
    let at = ruledex_diag::line_col(text, span.start as usize);
    assert_eq!((at.line, at.column), (6, 9));
}
