//! The four Elastic backends (Lucene, KQL, EQL, ES|QL) over the SigmaHQ
//! corpus (`../shared/corpora/sigma/rules`, 3,141 rules): how many convert,
//! why the rest do not, and that every written query parses with ruledex's
//! own parser for that language. Thresholds only move up.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ruledex_convert::{Conversion, Fidelity, Target, convert};
use ruledex_model::{Expr, Field, Op, Rule, Value, Vendor};

fn rules() -> Option<&'static [Rule]> {
    static RULES: OnceLock<Option<Vec<Rule>>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let dir = ruledex_testkit::shared("corpora/sigma/rules")?;
            Some(ruledex_ingest::ingest_dir(Vendor::Sigma, &dir).rules)
        })
        .as_deref()
}

/// A reason with its backticked specifics removed, so that reasons group.
fn reason_key(r: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in r.chars() {
        if c == '`' {
            inside = !inside;
            out.push_str(if inside { "`…" } else { "`" });
        } else if !inside {
            out.push(c);
        }
    }
    out.split(" (").next().unwrap_or(&out).to_owned()
}

/// Parse `query` with ruledex's parser for `target`; `Err` is the message.
fn reparse(target: Target, query: &str) -> Result<(), String> {
    use ruledex_elastic::{eql, esql, kql, lucene};
    match target {
        Target::Lucene => lucene::parse(query).map(|_| ()),
        Target::Kql => kql::parse(query).map(|_| ()),
        Target::Eql => eql::parse(query).map(|_| ()),
        Target::Esql => esql::parse(query).map(|_| ()),
        other => panic!("not an Elastic target: {other}"),
    }
    .map_err(|e| e.to_string())
}

struct Tally {
    exact: usize,
    approximate: usize,
    unsupported: usize,
    unsupported_reasons: BTreeMap<String, usize>,
    approximate_reasons: BTreeMap<String, usize>,
    parse_failures: Vec<(String, String, String)>,
}

fn tally(rules: &[Rule], target: Target) -> Tally {
    let mut t = Tally {
        exact: 0,
        approximate: 0,
        unsupported: 0,
        unsupported_reasons: BTreeMap::new(),
        approximate_reasons: BTreeMap::new(),
        parse_failures: Vec::new(),
    };
    for rule in rules {
        let c: Conversion = convert(rule, target);
        match &c.fidelity {
            Fidelity::Exact => t.exact += 1,
            Fidelity::Approximate { reasons } => {
                t.approximate += 1;
                assert!(
                    !reasons.is_empty(),
                    "{}: approximate without a reason",
                    rule.uid
                );
                for r in reasons {
                    *t.approximate_reasons.entry(reason_key(r)).or_default() += 1;
                }
            }
            Fidelity::Unsupported { reason } => {
                t.unsupported += 1;
                assert!(
                    !reason.trim().is_empty(),
                    "{}: unsupported without a reason",
                    rule.uid
                );
                assert!(c.query.is_none());
                *t.unsupported_reasons.entry(reason_key(reason)).or_default() += 1;
            }
        }
        if std::env::var("RULEDEX_SHOW")
            .is_ok_and(|s| !s.is_empty() && rule.source.path.contains(&s))
        {
            println!(
                "--- {} [{target}] {:?}\n{}",
                rule.source.path,
                c.fidelity,
                c.query.as_deref().unwrap_or("-")
            );
        }
        if let Some(q) = &c.query {
            if let Err(e) = reparse(target, q) {
                t.parse_failures
                    .push((rule.source.path.clone(), q.clone(), e));
            }
        }
    }
    let top = |m: &BTreeMap<String, usize>| {
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter()
            .take(8)
            .map(|(k, n)| format!("    {n:5}  {k}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    println!(
        "{target}: rules {} exact {} approximate {} unsupported {} parse_failures {}\n  top unsupported:\n{}\n  top approximate:\n{}",
        rules.len(),
        t.exact,
        t.approximate,
        t.unsupported,
        t.parse_failures.len(),
        top(&t.unsupported_reasons),
        top(&t.approximate_reasons),
    );
    for (path, q, e) in t.parse_failures.iter().take(5) {
        println!("  does not parse: {path}: {e}\n    {q}");
    }
    t
}

fn check(target: Target, min_converted: usize) {
    let Some(rules) = rules() else { return };
    assert_eq!(rules.len(), 3141, "the pinned SigmaHQ rules/ corpus");
    let t = tally(rules, target);
    assert!(
        t.parse_failures.is_empty(),
        "{target}: {} written queries do not parse with ruledex's own parser",
        t.parse_failures.len()
    );
    let converted = t.exact + t.approximate;
    assert!(
        converted >= min_converted,
        "{target}: {converted} converted, floor {min_converted}"
    );
}

#[test]
fn sigma_to_lucene() {
    check(Target::Lucene, 3134);
}

#[test]
fn sigma_to_kql() {
    check(Target::Kql, 3050);
}

#[test]
fn sigma_to_eql() {
    check(Target::Eql, 3137);
}

#[test]
fn sigma_to_esql() {
    check(Target::Esql, 3138);
}

// ---------------------------------------------------------------------------
// Meaning: an exact conversion, read back with ruledex's own parser, tests the
// same things as the rule, as far as the field mapping allows.

/// A predicate-level outline of an expression, insensitive to order, to how
/// values are pooled (`in` vs `or` of `eq`), to the case of values compared
/// case-insensitively, to number quoting, and to regex spelling. Fields are
/// named by `name`; `winlog.channel` tests (added for Windows services) and
/// the `.caseless` suffix are dropped.
fn outline(e: &Expr, name: &dyn Fn(&Field) -> String) -> String {
    match e {
        Expr::And(c) | Expr::Or(c) => {
            let mut parts: Vec<String> = c
                .iter()
                .map(|x| outline(x, name))
                .filter(|s| !s.is_empty())
                .collect();
            parts.sort();
            parts.dedup();
            if parts.len() <= 1 {
                return parts.pop().unwrap_or_default();
            }
            let k = if matches!(e, Expr::And(_)) {
                "and"
            } else {
                "or"
            };
            format!("{k}({})", parts.join(", "))
        }
        Expr::Not(c) => {
            let inner = outline(c, name);
            match inner.strip_prefix("not(").and_then(|x| x.strip_suffix(')')) {
                Some(twice) => twice.to_owned(),
                None => format!("not({inner})"),
            }
        }
        Expr::Pred(p) => {
            let field = name(&p.field);
            let field = field.strip_suffix(".caseless").unwrap_or(&field).to_owned();
            if field == "winlog.channel" {
                return String::new();
            }
            let value = |v: &Value| {
                let s = v.to_string();
                if p.case_sensitive {
                    s
                } else {
                    s.to_lowercase()
                }
            };
            // Presence tests in any spelling; a Lucene CIDR term reads back as `eq`.
            let present = match p.op {
                Op::Exists => Some(!matches!(p.values.first(), Some(Value::Bool(false)))),
                Op::IsNotNull => Some(true),
                Op::IsNull => Some(false),
                _ => None,
            };
            if let Some(present) = present {
                return if present {
                    format!("{field} exists")
                } else {
                    format!("not({field} exists)")
                };
            }
            let op = match p.op {
                Op::In | Op::Cidr => Op::Eq,
                other => other,
            };
            if op == Op::Regex {
                return format!("{field} regex");
            }
            let mut vals: Vec<String> = p
                .values
                .iter()
                .map(|v| format!("{field} {op} {}", value(v)))
                .collect();
            vals.sort();
            vals.dedup();
            match vals.len() {
                0 => format!("{field} {op}"),
                1 => vals.pop().unwrap_or_default(),
                _ if p.all => format!("and({})", vals.join(", ")),
                _ => format!("or({})", vals.join(", ")),
            }
        }
        other => other.to_string(),
    }
}

/// `e` without presence tests that stand beside a test on the same field
/// that is false when the field is missing (ES|QL's guard under `not`,
/// `f IS NOT NULL and f == x`): in the rule's two-valued logic they add nothing.
fn unguard(e: &Expr) -> Expr {
    fn on_field(e: &Expr, raw: &str) -> bool {
        match e {
            Expr::Pred(p) => {
                p.field.raw == raw && !matches!(p.op, Op::Exists | Op::IsNull | Op::IsNotNull)
            }
            Expr::And(c) | Expr::Or(c) => c.iter().all(|x| on_field(x, raw)),
            _ => false,
        }
    }
    match e {
        Expr::And(c) => Expr::and(
            c.iter()
                .filter(|x| {
                    !matches!(x, Expr::Pred(g) if g.op == Op::IsNotNull
                        && c.iter().any(|s| on_field(s, &g.field.raw)))
                })
                .map(unguard)
                .collect(),
        ),
        Expr::Or(c) => Expr::or(c.iter().map(unguard).collect()),
        Expr::Not(c) => Expr::not(unguard(c)),
        other => other.clone(),
    }
}

fn same_meaning(target: Target, floor_percent: usize) {
    use ruledex_taxonomy::fields::{Fields, Schema};
    let Some(rules) = rules() else { return };
    let (mut exact, mut same) = (0usize, 0usize);
    let mut shown = 0;
    for rule in rules {
        let c = convert(rule, target);
        if c.fidelity != Fidelity::Exact {
            continue;
        }
        let q = c.query.expect("an exact conversion has a query");
        let lowered = match target {
            Target::Eql => ruledex_elastic::eql::parse_and_lower(&q),
            Target::Esql => ruledex_elastic::esql::parse_and_lower(&q),
            Target::Lucene => ruledex_elastic::lucene::parse_and_lower(&q),
            _ => ruledex_elastic::kql::parse_and_lower(&q),
        }
        .unwrap_or_else(|e| panic!("{}: {e}", rule.uid));
        exact += 1;
        let event = rule.events.first().map(String::as_str);
        let ecs = |f: &Field| match &f.canonical {
            Some(c) => Fields::global()
                .alias_for(c, Schema::Ecs, event)
                .unwrap_or(c)
                .to_owned(),
            None => format!("winlog.event_data.{}", f.raw),
        };
        let want = outline(&expand(&rule.logic.expr), &ecs);
        let got = outline(&expand(&unguard(&lowered.expr)), &|f: &Field| f.raw.clone());
        if want == got {
            same += 1;
        } else if shown < 5 {
            shown += 1;
            println!(
                "  {target} differs: {}\n    want {}\n    got  {}",
                rule.source.path,
                want.chars().take(300).collect::<String>(),
                got.chars().take(300).collect::<String>()
            );
        }
    }
    println!("{target}: exact conversions {exact}, same predicates when read back {same}");
    assert!(exact > 0);
    assert!(
        same * 100 >= exact * floor_percent,
        "{target}: {same} of {exact} exact conversions read back the same"
    );
}

/// One predicate per value, so that pooled and split forms compare.
fn expand(e: &Expr) -> Expr {
    match e {
        Expr::And(c) => Expr::and(c.iter().map(expand).collect()),
        Expr::Or(c) => Expr::or(c.iter().map(expand).collect()),
        Expr::Not(c) => Expr::not(expand(c)),
        Expr::Pred(p) if p.values.len() > 1 && p.op != Op::Cidr => {
            let parts: Vec<Expr> = p
                .values
                .iter()
                .map(|v| {
                    let mut one = p.clone();
                    one.values = vec![v.clone()];
                    one.all = false;
                    Expr::Pred(one)
                })
                .collect();
            if p.all {
                Expr::and(parts)
            } else {
                Expr::or(parts)
            }
        }
        other => other.clone(),
    }
}

#[test]
fn exact_eql_reads_back_the_same() {
    same_meaning(Target::Eql, 95);
}

#[test]
fn exact_esql_reads_back_the_same() {
    same_meaning(Target::Esql, 95);
}

#[test]
fn exact_lucene_reads_back_the_same() {
    same_meaning(Target::Lucene, 95);
}
