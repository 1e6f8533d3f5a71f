//! Generated enrichment: confidence, hunt hypothesis and false-positive
//! guidance, computed deterministically from the rule, its ATT&CK technique
//! and catalog statistics. No outside service is called; the pages label all
//! of it as generated.

use std::fmt::Write as _;

use ruledex_attack::Attack;
use ruledex_catalog::predicates::KEYWORD_FIELD;
use ruledex_catalog::{Catalog, Indicator, StoredRule};
use ruledex_convert::{Conversion, Fidelity};
use ruledex_model::Rule;
use serde::Serialize;

/// A rule and what the catalog knows about it: the facts the rule page and
/// the generated text are built from.
#[derive(Clone, Debug)]
pub struct RuleFacts {
    /// The rule, with its original text and where the catalog got it.
    pub rule: Rule,
    /// Indicators it looks for, as the catalog stores them, each with its
    /// corpus reach (rules catalog-wide looking for it).
    pub positive: Vec<(Indicator, usize)>,
    /// Indicators it excludes (rule-wide or in one branch).
    pub excluded: Vec<Indicator>,
    /// Exclusions the other rules of its techniques make, with how many of
    /// them make each, most first ([`Catalog::neighbour_exclusions`]).
    pub neighbour_exclusions: Vec<(Indicator, usize)>,
}

impl RuleFacts {
    /// The facts of rule `uid`, from catalog queries; `None` for an unknown uid.
    pub fn load(catalog: &Catalog, uid: &str) -> Result<Option<RuleFacts>, ruledex_catalog::Error> {
        match catalog.rule(uid)? {
            Some(stored) => RuleFacts::of(catalog, stored).map(Some),
            None => Ok(None),
        }
    }

    /// The facts of a stored rule.
    pub fn of(catalog: &Catalog, stored: StoredRule) -> Result<RuleFacts, ruledex_catalog::Error> {
        let positive = catalog.rule_reach(&stored.uid)?;
        let mut excluded: Vec<Indicator> = Vec::new();
        for p in stored
            .predicates
            .iter()
            .filter(|p| p.polarity.is_exclusion())
        {
            let ind = Indicator {
                field: p.field.clone(),
                op: p.op.clone(),
                value: p.value.clone(),
            };
            if !excluded.contains(&ind) {
                excluded.push(ind);
            }
        }
        let neighbour_exclusions = catalog.neighbour_exclusions(&stored.uid)?;
        let mut rule = stored.rule;
        // Where the catalog got it beats what the rule says of itself; with
        // neither (a local directory), the page links the vendor's repository.
        rule.source.repo = stored.repo.or(rule.source.repo);
        rule.source.commit = stored.commit.or(rule.source.commit);
        rule.source.url = stored.url.or(rule.source.url);
        rule.source.retrieved_at = Some(stored.retrieved_at);
        Ok(RuleFacts {
            rule,
            positive,
            excluded,
            neighbour_exclusions,
        })
    }
}

/// `field op value`, as the pages write an indicator (`keyword "value"` for
/// a keyword, which has no field).
pub fn indicator_text(i: &Indicator) -> String {
    if i.field == KEYWORD_FIELD {
        format!("keyword \"{}\"", i.value)
    } else {
        format!("{} {} {}", i.field, i.op, i.value)
    }
}

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
pub const NOISY_REACH: usize = 10;

/// The rule's confidence from its status, parse completeness, conversions,
/// tests and how specific its indicators are.
pub fn confidence(facts: &RuleFacts, conversions: &[Conversion]) -> Confidence {
    let rule = &facts.rule;
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
    if facts.positive.is_empty() {
        score -= 10;
        reasons.push("−10 no field indicator to look for".to_owned());
    } else {
        let noisy = facts
            .positive
            .iter()
            .filter(|(_, reach)| *reach >= NOISY_REACH)
            .count();
        let share = noisy * 100 / facts.positive.len();
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
    if !facts.excluded.is_empty() {
        score += 5;
        reasons.push(format!(
            "+5 excludes {} known false-positive value(s)",
            facts.excluded.len()
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
pub fn hypothesis(attack: &Attack, facts: &RuleFacts) -> String {
    let rule = &facts.rule;
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
    let mut keywords = false;
    for (i, _) in &facts.positive {
        if i.field == KEYWORD_FIELD {
            keywords = true;
        } else if !fields.contains(&i.field) {
            fields.push(i.field.clone());
        }
    }
    let specific: Vec<String> = facts
        .positive
        .iter()
        .filter(|(i, reach)| !i.value.is_empty() && *reach < NOISY_REACH)
        .map(|(i, _)| indicator_text(i))
        .collect();
    let events = if rule.events.is_empty() {
        "the rule's log source".to_owned()
    } else {
        rule.events.join(", ")
    };
    let mut out = format!(
        "An adversary on {platforms} is using {behaviour}{tactic}. If so, {events} will show events where {} ",
        if fields.is_empty() && keywords {
            "the raw event text contains the keywords this rule looks for".to_owned()
        } else if fields.is_empty() {
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
    if !facts.excluded.is_empty() {
        let _ = write!(
            out,
            " Leave out the {} value(s) the authors already exclude as benign.",
            facts.excluded.len()
        );
    }
    out
}

/// False-positive guidance: the authors' notes, their exclusions, noisy
/// indicators, and exclusions other rules of the technique use that this one lacks.
pub fn false_positives(facts: &RuleFacts) -> Vec<String> {
    let rule = &facts.rule;
    let mut out = Vec::new();
    for fp in &rule.false_positives {
        let fp = fp.trim();
        if !fp.is_empty() && !fp.eq_ignore_ascii_case("unknown") {
            out.push(format!("The authors list: {fp}."));
        }
    }
    if !facts.excluded.is_empty() {
        let shown: Vec<String> = facts.excluded.iter().take(5).map(indicator_text).collect();
        out.push(format!(
            "Already excluded by the rule: {}{}. Keep these filters when converting or tuning.",
            shown.join("; "),
            if facts.excluded.len() > 5 {
                "; …"
            } else {
                ""
            }
        ));
    }
    let mut noisy: Vec<(usize, String)> = facts
        .positive
        .iter()
        .filter(|(i, reach)| !i.value.is_empty() && *reach >= NOISY_REACH)
        .map(|(i, reach)| (*reach, indicator_text(i)))
        .collect();
    noisy.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (n, text) in noisy.into_iter().take(3) {
        out.push(format!(
            "`{text}` is checked by {n} rules across the catalog: on its own it matches routine activity; alert on it only together with the rule's other conditions."
        ));
    }
    // Exclusions that other rules of the same techniques make and this one lacks.
    let mut missing: Vec<(usize, String)> = facts
        .neighbour_exclusions
        .iter()
        .filter(|(ind, n)| *n >= 2 && !facts.excluded.contains(ind))
        .filter(|(ind, _)| facts.positive.iter().any(|(p, _)| p.field == ind.field))
        .map(|(ind, n)| (*n, indicator_text(ind)))
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
