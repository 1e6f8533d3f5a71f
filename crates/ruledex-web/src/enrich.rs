//! Generated enrichment: confidence, hunt hypothesis and false-positive
//! guidance, computed deterministically from the rule, its ATT&CK technique
//! and catalog statistics. No outside service is called; the pages label all
//! of it as generated.

use std::fmt::Write as _;

use ruledex_convert::{Conversion, Fidelity};
use serde::Serialize;

use crate::index::{Entry, Index};

/// How much to trust a rule before deploying it, with the reasons.
#[derive(Clone, Debug, Serialize)]
pub struct Confidence {
    /// `low`, `medium` or `high`.
    pub level: &'static str,
    /// The score behind the level (0–100).
    pub score: u32,
    /// Each contribution, in words.
    pub reasons: Vec<String>,
}

/// Indicators used by at least this many rules across the catalog are called noisy.
pub const NOISY_REACH: u32 = 10;

/// The rule's confidence from its status, parse completeness, conversions,
/// tests and how specific its indicators are.
pub fn confidence(index: &Index, entry: &Entry, conversions: &[Conversion]) -> Confidence {
    let rule = &entry.rule;
    let mut score: i32 = 40;
    let mut reasons = Vec::new();
    let status = rule.status.as_deref().unwrap_or("").to_ascii_lowercase();
    match status.as_str() {
        "stable" | "production" => {
            score += 20;
            reasons.push(format!("+20 status `{status}`"));
        }
        "test" | "testing" => {
            score += 10;
            reasons.push(format!("+10 status `{status}`"));
        }
        "experimental" | "development" => {
            score -= 5;
            reasons.push(format!("−5 status `{status}`"));
        }
        "" => reasons.push("±0 no status given".to_owned()),
        other => reasons.push(format!("±0 status `{other}`")),
    }
    if rule.deprecated {
        score -= 30;
        reasons.push("−30 deprecated by its vendor".to_owned());
    }
    if rule.logic.is_fully_parsed() {
        score += 10;
        reasons.push("+10 logic fully normalized".to_owned());
    } else {
        score -= 10;
        reasons.push("−10 part of the logic could not be normalized".to_owned());
    }
    let exact = conversions
        .iter()
        .filter(|c| matches!(c.fidelity, Fidelity::Exact))
        .count();
    if exact > 0 {
        let bonus = (exact as i32 * 2).min(10);
        score += bonus;
        reasons.push(format!("+{bonus} converts exactly to {exact} target(s)"));
    }
    let has_tests = rule.extra.contains_key("tests") || rule.extra.contains_key("Tests");
    if has_tests {
        score += 10;
        reasons.push("+10 ships with tests".to_owned());
    }
    if entry.positive.is_empty() {
        score -= 10;
        reasons.push("−10 no field indicator to look for".to_owned());
    } else {
        let noisy = entry
            .positive
            .iter()
            .filter(|i| index.reach(i) >= NOISY_REACH)
            .count();
        let share = noisy * 100 / entry.positive.len();
        if share >= 50 {
            score -= 10;
            reasons.push(format!(
                "−10 {share}% of its indicators are used by ≥{NOISY_REACH} rules catalog-wide"
            ));
        } else {
            score += 10;
            reasons.push(format!(
                "+10 most indicators are specific ({share}% used by ≥{NOISY_REACH} rules)"
            ));
        }
    }
    if !entry.excluded.is_empty() {
        score += 5;
        reasons.push(format!(
            "+5 excludes {} known false-positive value(s)",
            entry.excluded.len()
        ));
    }
    let score = score.clamp(0, 100) as u32;
    let level = match score {
        0..=44 => "low",
        45..=69 => "medium",
        _ => "high",
    };
    Confidence {
        level,
        score,
        reasons,
    }
}

fn list(items: &[String], max: usize) -> String {
    let mut shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    if items.len() > max {
        shown.push("…");
    }
    shown.join(", ")
}

/// A hunt hypothesis from the technique, the events and the rule's indicators.
pub fn hypothesis(index: &Index, entry: &Entry) -> String {
    let rule = &entry.rule;
    let attack = index.attack();
    let mut technique_phrases = Vec::new();
    let mut tactics: Vec<String> = Vec::new();
    for id in &rule.techniques {
        let parsed = id.parse().ok();
        match parsed.and_then(|p| attack.technique(p)) {
            Some(t) => {
                technique_phrases.push(format!("{} ({})", t.name, t.id));
                for tac in &t.tactics {
                    if !tactics.contains(tac) {
                        tactics.push(tac.clone());
                    }
                }
            }
            None => technique_phrases.push(id.clone()),
        }
    }
    let behaviour = if technique_phrases.is_empty() {
        format!(
            "the behaviour this rule describes (\u{201c}{}\u{201d})",
            rule.title
        )
    } else {
        technique_phrases.join(" and ")
    };
    let tactic = if tactics.is_empty() {
        String::new()
    } else {
        format!(" as part of {}", tactics.join(" / ").replace('-', " "))
    };
    let platforms = if rule.platforms.is_empty() {
        "the monitored hosts".to_owned()
    } else {
        format!("{} hosts", rule.platforms.join(", "))
    };
    let mut fields: Vec<String> = Vec::new();
    for i in &entry.positive {
        if !fields.contains(&i.field) {
            fields.push(i.field.clone());
        }
    }
    let specific: Vec<String> = entry
        .positive
        .iter()
        .filter(|i| !i.value.is_empty() && index.reach(i) < NOISY_REACH)
        .map(|i| format!("{} {} {}", i.field, i.op.as_str(), i.value))
        .collect();
    let events = if rule.events.is_empty() {
        "the rule's log source".to_owned()
    } else {
        rule.events.join(", ")
    };
    let mut out = format!(
        "An adversary on {platforms} is using {behaviour}{tactic}. If so, {events} will show events where {} ",
        if fields.is_empty() {
            "the rule's conditions hold".to_owned()
        } else {
            format!("{} match the values this rule looks for", list(&fields, 4))
        }
    );
    if specific.is_empty() {
        out.push_str(
            "— its values are common across the catalog, so hunt for them together with unusual parents, users or hosts rather than alone.",
        );
    } else {
        let _ = write!(
            out,
            "— start from the most specific indicators ({}), then pivot on the host, user and parent process of each hit.",
            list(&specific, 3)
        );
    }
    if !entry.excluded.is_empty() {
        let _ = write!(
            out,
            " Leave out the {} value(s) the authors already exclude as benign.",
            entry.excluded.len()
        );
    }
    out
}

/// False-positive guidance: the authors' notes, their exclusions, noisy
/// indicators, and exclusions other rules of the technique use that this one lacks.
pub fn false_positives(index: &Index, entry: &Entry) -> Vec<String> {
    let rule = &entry.rule;
    let mut out = Vec::new();
    for fp in &rule.false_positives {
        let fp = fp.trim();
        if !fp.is_empty() && !fp.eq_ignore_ascii_case("unknown") {
            out.push(format!("The authors list: {fp}."));
        }
    }
    if !entry.excluded.is_empty() {
        let shown: Vec<String> = entry
            .excluded
            .iter()
            .take(5)
            .map(|i| format!("{} {} {}", i.field, i.op.as_str(), i.value))
            .collect();
        out.push(format!(
            "Already excluded by the rule: {}{}. Keep these filters when converting or tuning.",
            shown.join("; "),
            if entry.excluded.len() > 5 {
                "; …"
            } else {
                ""
            }
        ));
    }
    let mut noisy: Vec<(u32, String)> = entry
        .positive
        .iter()
        .filter(|i| !i.value.is_empty())
        .map(|i| {
            (
                index.reach(i),
                format!("{} {} {}", i.field, i.op.as_str(), i.value),
            )
        })
        .filter(|(n, _)| *n >= NOISY_REACH)
        .collect();
    noisy.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (n, text) in noisy.into_iter().take(3) {
        out.push(format!(
            "`{text}` is checked by {n} rules across the catalog: on its own it matches routine activity; alert on it only together with the rule's other conditions."
        ));
    }
    // Exclusions that other rules of the same technique use and this one lacks.
    let mut counts: std::collections::HashMap<&ruledex_taxonomy::values::Indicator, usize> =
        std::collections::HashMap::new();
    for t in &entry.techniques {
        for other in index.technique_rules(t) {
            if other.rule.uid == rule.uid {
                continue;
            }
            for ex in &other.excluded {
                *counts.entry(ex).or_default() += 1;
            }
        }
    }
    let mut missing: Vec<(usize, String)> = counts
        .into_iter()
        .filter(|(ind, n)| *n >= 2 && !entry.excluded.contains(ind))
        .filter(|(ind, _)| entry.positive.iter().any(|p| p.field == ind.field))
        .map(|(ind, n)| {
            (
                n,
                format!("{} {} {}", ind.field, ind.op.as_str(), ind.value),
            )
        })
        .collect();
    missing.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (n, text) in missing.into_iter().take(3) {
        out.push(format!(
            "{n} other rules for the same technique exclude `{text}`; consider the same filter if it fires in your environment."
        ));
    }
    if out.is_empty() {
        out.push(
            "No false-positive notes, exclusions or noisy indicators are known for this rule: baseline it on a week of your own data before alerting.".to_owned(),
        );
    }
    out
}
