//! Fixture-driven diagnostics tests.
//!
//! Every file in `tests/fixtures/invalid/` is one malformed rule; every file
//! in `tests/fixtures/warnings/` is a rule that still parses but earns one
//! warning. The first line of each file states what is expected:
//!
//! ```text
//! # expect: <code> at <line>:<column> [document=<n>] [rules=<n>]
//! ```
//!
//! `line:column` is where the diagnostic's span starts (1-based, column in
//! characters). `document` (default 0) is the YAML document the diagnostic
//! belongs to; `rules` is how many rules the file must still yield (default 0
//! for invalid fixtures, 1 for warning fixtures). On a mismatch the rendered
//! diagnostics are printed, caret line included.

use std::fmt::Write as _;

use ruledex_diag::{Severity, line_col};
use ruledex_sigma::{Error, Parsed, parse_sigma};
use ruledex_testkit::Fixture;

/// Fewest malformed-rule fixtures the folder must hold.
const MIN_INVALID_FIXTURES: usize = 24;

/// Every diagnostic of `list`, rendered with its source line and caret.
fn render_all(fixture: &Fixture, list: &[Error], severity: Severity) -> String {
    let mut out = String::new();
    for e in list {
        let _ = writeln!(
            out,
            "(document {})\n{}",
            e.document,
            e.to_diagnostic(severity)
                .render(&fixture.name, &fixture.text)
        );
    }
    if out.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

/// Check `diagnostics` (the errors or the warnings of `parsed`) against the
/// fixture's expectation; `Err` holds a report for a person.
fn check(
    fixture: &Fixture,
    parsed: &Parsed,
    diagnostics: &[Error],
    severity: Severity,
    default_rules: usize,
) -> Result<(), String> {
    let expect = &fixture.expect;
    let mut problems = Vec::new();
    if diagnostics.len() == 1 {
        let d = &diagnostics[0];
        let at = line_col(&fixture.text, d.span.start as usize);
        if d.kind.code() != expect.code {
            problems.push(format!(
                "code is `{}`, expected `{}`",
                d.kind.code(),
                expect.code
            ));
        }
        if (at.line, at.column) != (expect.line, expect.column) {
            problems.push(format!(
                "position is {at}, expected {}:{}",
                expect.line, expect.column
            ));
        }
        if d.document != expect.number("document").unwrap_or(0) {
            problems.push(format!(
                "document is {}, expected {}",
                d.document,
                expect.number("document").unwrap_or(0)
            ));
        }
    } else {
        problems.push(format!(
            "{} {severity}s, expected exactly one",
            diagnostics.len()
        ));
    }
    let want_rules = expect.number("rules").unwrap_or(default_rules);
    if parsed.rules.len() != want_rules {
        problems.push(format!(
            "{} rules read, expected {want_rules}",
            parsed.rules.len()
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{}: {}\n--- {severity}s:\n{}--- other diagnostics: {} errors, {} warnings\n{}{}",
        fixture.name,
        problems.join("; "),
        render_all(fixture, diagnostics, severity),
        parsed.errors.len(),
        parsed.warnings.len(),
        render_all(fixture, &parsed.errors, Severity::Error),
        render_all(fixture, &parsed.warnings, Severity::Warning),
    ))
}

fn assert_all(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_fixtures_give_their_error() {
    let fixtures = load("invalid");
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|f| {
            let parsed = parse_sigma(&f.name, &f.text);
            check(f, &parsed, &parsed.errors, Severity::Error, 0).err()
        })
        .collect();
    assert_all(&failures, fixtures.len());
}

#[test]
fn invalid_fixtures_are_numerous_enough() {
    let n = load("invalid").len();
    assert!(
        n >= MIN_INVALID_FIXTURES,
        "only {n} invalid fixtures; at least {MIN_INVALID_FIXTURES} are required"
    );
}

/// The caret line of a rendering starts at the error's column.
fn caret_column(rendered: &str) -> Option<usize> {
    let last = rendered.lines().last()?;
    let (_, after) = last.split_once(" | ")?;
    let carets = after.trim_start_matches(' ');
    (!carets.is_empty() && carets.chars().all(|c| c == '^')).then(|| after.len() - carets.len() + 1)
}

#[test]
fn invalid_fixtures_render_with_a_caret() {
    let fixtures = load("invalid");
    let mut failures = Vec::new();
    for f in &fixtures {
        let parsed = parse_sigma(&f.name, &f.text);
        for e in &parsed.errors {
            let rendered = e.to_diagnostic(Severity::Error).render(&f.name, &f.text);
            let at = line_col(&f.text, e.span.start as usize);
            let header = format!("{}:{at}: error[{}]", f.name, e.kind.code());
            if !rendered.starts_with(&header) {
                failures.push(format!("{}: header is not `{header}`:\n{rendered}", f.name));
            }
            if caret_column(&rendered) != Some(at.column as usize) {
                failures.push(format!(
                    "{}: no caret line under column {}:\n{rendered}",
                    f.name, at.column
                ));
            }
        }
    }
    assert_all(&failures, fixtures.len());
}

#[test]
fn warning_fixtures_still_parse_with_one_warning() {
    let fixtures = load("warnings");
    assert!(!fixtures.is_empty(), "no warning fixtures");
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|f| {
            let parsed = parse_sigma(&f.name, &f.text);
            let mut report = check(f, &parsed, &parsed.warnings, Severity::Warning, 1).err();
            if !parsed.errors.is_empty() && report.is_none() {
                report = Some(format!(
                    "{}: expected no errors\n{}",
                    f.name,
                    render_all(f, &parsed.errors, Severity::Error)
                ));
            }
            report
        })
        .collect();
    assert_all(&failures, fixtures.len());
}

/// Every `.yml` fixture of `tests/fixtures/<kind>`, sorted by file name.
fn load(kind: &str) -> Vec<Fixture> {
    ruledex_testkit::fixtures(
        env!("CARGO_MANIFEST_DIR"),
        kind,
        "yml",
        &["document", "rules"],
    )
}
