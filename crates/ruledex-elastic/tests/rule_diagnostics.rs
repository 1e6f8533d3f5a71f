//! Fixture-driven diagnostics tests of the TOML rule reader.
//!
//! Every file in `tests/fixtures/invalid/` is one malformed rule; every file
//! in `tests/fixtures/warnings/` is a rule that still reads but earns one
//! warning. The first line of each file (a TOML comment) states what is
//! expected:
//!
//! ```text
//! # expect: <code> at <line>:<column> [rules=<n>] [needs=<kql|lucene|eql|esql>]
//! ```
//!
//! `line:column` is where the diagnostic's span starts (1-based, column in
//! characters); `rules` is how many rules the file must still yield (default
//! 0 for invalid fixtures, 1 for warning fixtures). `needs` names the query
//! parser whose error the fixture expects: those fixtures are checked by an
//! ignored test until the parsers are merged.
//!
//! While the parsers are placeholders every query fails with
//! `query-unsupported`; that one code is tolerated beside the expected
//! diagnostic (it disappears once the parsers land).

use std::fmt::Write as _;

use ruledex_diag::{Severity, line_col};
use ruledex_elastic::rule::{Error, Parsed, parse_elastic};
use ruledex_testkit::Fixture;

/// Fewest malformed-rule fixtures the folder must hold.
const MIN_INVALID_FIXTURES: usize = 6;

fn render_all(fixture: &Fixture, list: &[Error], severity: Severity) -> String {
    let mut out = String::new();
    for e in list {
        let _ = writeln!(
            out,
            "{}",
            e.to_diagnostic(severity)
                .render(&fixture.name, &fixture.text)
        );
    }
    if out.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

/// Check the errors or warnings of `parsed` against the fixture's
/// expectation; `Err` holds a report for a person.
fn check(
    fixture: &Fixture,
    parsed: &Parsed,
    diagnostics: &[Error],
    severity: Severity,
    default_rules: usize,
) -> Result<(), String> {
    let expect = &fixture.expect;
    let mut problems = Vec::new();
    let relevant: Vec<&Error> = diagnostics.iter().collect();
    if let [d] = relevant.as_slice() {
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
    } else {
        problems.push(format!(
            "{} {severity}s, expected exactly one",
            relevant.len()
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
        "{}: {}\n--- errors:\n{}--- warnings:\n{}",
        fixture.name,
        problems.join("; "),
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

/// Check the invalid fixtures that need the parser `needs` (`None`: those
/// that need none).
fn run_invalid(needs: Option<&str>) {
    let fixtures: Vec<Fixture> = load("invalid")
        .into_iter()
        .filter(|f| f.expect.get("needs") == needs)
        .collect();
    assert!(!fixtures.is_empty(), "no fixture needs {needs:?}");
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|f| {
            let parsed = parse_elastic(&f.name, &f.text);
            check(f, &parsed, &parsed.errors, Severity::Error, 0).err()
        })
        .collect();
    assert_all(&failures, fixtures.len());
}

#[test]
fn invalid_fixtures_give_their_error() {
    run_invalid(None);
}

/// A stray `)` in a KQL query: the error points at it, inside the file.
#[test]
fn invalid_kql_query_gives_its_error() {
    run_invalid(Some("kql"));
}

/// A stray `)` in a Lucene query.
#[test]
fn invalid_lucene_query_gives_its_error() {
    run_invalid(Some("lucene"));
}

/// A stray `)` in an EQL query.
#[test]
fn invalid_eql_query_gives_its_error() {
    run_invalid(Some("eql"));
}

/// A stray `)` in an ES|QL query.
#[test]
fn invalid_esql_query_gives_its_error() {
    run_invalid(Some("esql"));
}

#[test]
fn invalid_fixtures_are_numerous_enough() {
    let n = load("invalid").len();
    assert!(
        n >= MIN_INVALID_FIXTURES,
        "only {n} invalid fixtures; at least {MIN_INVALID_FIXTURES} are required"
    );
}

#[test]
fn warning_fixtures_give_their_warning_and_a_rule() {
    let fixtures = load("warnings");
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|f| {
            let parsed = parse_elastic(&f.name, &f.text);
            if !parsed.errors.is_empty() {
                return Some(format!(
                    "{}: unexpected errors\n{}",
                    f.name,
                    render_all(f, &parsed.errors, Severity::Error)
                ));
            }
            check(f, &parsed, &parsed.warnings, Severity::Warning, 1).err()
        })
        .collect();
    assert_all(&failures, fixtures.len());
}

/// The caret line of a rendering starts at the error's column.
fn caret_column(rendered: &str) -> Option<usize> {
    let last = rendered.lines().last()?;
    let (_, after) = last.split_once(" | ")?;
    let carets = after.trim_start_matches(' ');
    (!carets.is_empty() && carets.chars().all(|c| c == '^')).then(|| after.len() - carets.len() + 1)
}

#[test]
fn diagnostics_render_with_a_caret() {
    let mut fixtures = load("invalid");
    fixtures.extend(load("warnings"));
    let mut failures = Vec::new();
    for f in &fixtures {
        let parsed = parse_elastic(&f.name, &f.text);
        for (e, severity) in parsed
            .errors
            .iter()
            .map(|e| (e, Severity::Error))
            .chain(parsed.warnings.iter().map(|w| (w, Severity::Warning)))
        {
            let rendered = e.to_diagnostic(severity).render(&f.name, &f.text);
            let at = line_col(&f.text, e.span.start as usize);
            let header = format!("{}:{at}: {severity}[{}]", f.name, e.kind.code());
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

/// Every `.toml` fixture of `tests/fixtures/<kind>`, sorted by file name.
fn load(kind: &str) -> Vec<Fixture> {
    ruledex_testkit::fixtures(
        env!("CARGO_MANIFEST_DIR"),
        kind,
        "toml",
        &["rules", "needs"],
    )
}
