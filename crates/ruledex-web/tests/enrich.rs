//! The generated enrichment is deterministic and follows the rule's facts.

mod common;

use ruledex_web::enrich;

#[test]
fn confidence_follows_status_and_is_deterministic() {
    let index = common::index();
    let stable = index.rule(common::NMAP_UID).expect("stable fixture rule");
    let experimental = index
        .rule("sigma:33333333-3333-4333-8333-333333333333")
        .expect("experimental fixture rule");
    let a = enrich::confidence(&index, stable, &[]);
    let b = enrich::confidence(&index, experimental, &[]);
    assert!(
        a.score > b.score,
        "stable {} vs experimental {}",
        a.score,
        b.score
    );
    assert!(a.reasons.iter().any(|r| r.contains("status `stable`")));
    assert!(
        b.reasons
            .iter()
            .any(|r| r.contains("status `experimental`"))
    );
    let again = enrich::confidence(&index, stable, &[]);
    assert_eq!(a.score, again.score);
    assert_eq!(a.reasons, again.reasons);
}

#[test]
fn hypothesis_names_the_technique_events_and_indicators() {
    let index = common::index();
    let entry = index.rule(common::NETCAT_UID).unwrap();
    let text = enrich::hypothesis(&index, entry);
    assert!(text.contains("Network Service Discovery (T1046)"), "{text}");
    assert!(text.contains("linux/process_creation"), "{text}");
    assert!(text.contains("process.name"), "{text}");
    assert!(
        text.contains("already exclude"),
        "the netcat rule excludes ` -l `: {text}"
    );
}

#[test]
fn false_positive_guidance_lists_notes_and_missing_shared_exclusions() {
    let index = common::index();
    let nmap = index.rule(common::NMAP_UID).unwrap();
    let guidance = enrich::false_positives(&index, nmap);
    assert!(
        guidance.iter().any(|g| g.contains("Asset inventory")),
        "{guidance:?}"
    );
    assert!(
        guidance.iter().any(|g| g.contains("Already excluded")),
        "{guidance:?}"
    );
    // The Elastic rule has no exclusion; nothing to suggest from one other rule, but never empty.
    let elastic = index.rule(common::ELASTIC_UID).unwrap();
    assert!(!enrich::false_positives(&index, elastic).is_empty());
}
