//! Keys of flattened objects in the Elastic targets (found by the pySigma
//! differential, issue #6): a Sigma field that names one key of an object the
//! Elastic integrations index as a `flattened` field is written as that key
//! (`<field>.<key>`, which is how Elasticsearch queries one key of a flattened
//! field), not as the whole object. Expected queries written by hand from the
//! Okta and AWS CloudTrail integrations' field lists.

use ruledex_convert::{Conversion, Fidelity, Target, convert};
mod fixture;

use fixture::{query, sigma};

const OKTA: &str = "    product: okta\n    service: okta\n";
const CLOUDTRAIL: &str = "    product: aws\n    service: cloudtrail\n";

fn reasons(c: &Conversion) -> Vec<String> {
    match &c.fidelity {
        Fidelity::Approximate { reasons } => reasons.clone(),
        _ => Vec::new(),
    }
}

/// `okta_new_behaviours_admin_console`: two different keys of Okta's debug
/// data, which used to collapse into one test on the whole flattened field.
const OKTA_KEYS: &str = "sel:
    target.displayName: 'Okta Admin Console'
sel_positive:
    - debugContext.debugData.behaviors|contains: 'POSITIVE'
    - debugContext.debugData.logOnlySecurityData|contains: 'POSITIVE'
condition: sel and sel_positive";

#[test]
fn okta_debug_data_keys_are_written_as_keys_in_eql() {
    let c = convert(&sigma(OKTA, OKTA_KEYS), Target::Eql);
    assert_eq!(c.fidelity, Fidelity::Exact, "{c:?}");
    assert_eq!(
        query(&c),
        "any where okta.target.displayName : \"Okta Admin Console\" and \
         (okta.debug_context.debug_data.flattened.behaviors : \"*POSITIVE*\" or \
         okta.debug_context.debug_data.flattened.logOnlySecurityData : \"*POSITIVE*\")"
    );
}

#[test]
fn okta_debug_data_keys_are_written_as_keys_in_lucene_and_esql() {
    let rule = sigma(OKTA, OKTA_KEYS);
    let lucene = convert(&rule, Target::Lucene);
    assert_eq!(
        query(&lucene),
        "okta.target.displayName:\"Okta Admin Console\" AND \
         (okta.debug_context.debug_data.flattened.behaviors:*POSITIVE* OR \
         okta.debug_context.debug_data.flattened.logOnlySecurityData:*POSITIVE*)"
    );
    // Only the case reason (keyword fields in Lucene), not "every key".
    assert!(
        reasons(&lucene)
            .iter()
            .all(|r| !r.contains("flattened field")),
        "{lucene:?}"
    );
    let esql = convert(&rule, Target::Esql);
    assert!(
        query(&esql).ends_with(
            "| where TO_LOWER(okta.target.displayName) == \"okta admin console\" and \
             (TO_LOWER(okta.debug_context.debug_data.flattened.behaviors) LIKE \"*positive*\" or \
             TO_LOWER(okta.debug_context.debug_data.flattened.logOnlySecurityData) LIKE \"*positive*\")"
        ),
        "{esql:?}"
    );
}

#[test]
fn the_whole_flattened_object_stays_approximate() {
    let rule = sigma(
        OKTA,
        "sel:\n    debugContext.debugData|contains: 'POSITIVE'\ncondition: sel",
    );
    let c = convert(&rule, Target::Eql);
    assert_eq!(
        query(&c),
        "any where okta.debug_context.debug_data.flattened : \"*POSITIVE*\""
    );
    assert!(
        reasons(&c)
            .iter()
            .any(|r| r.contains("one key of the flattened field")),
        "{c:?}"
    );
}

#[test]
fn cloudtrail_request_parameter_keys_use_the_flattened_copy() {
    // `aws_update_login_profile`: a field reference between the caller's ARN
    // and one request parameter.
    let rule = sigma(
        CLOUDTRAIL,
        "sel:\n    eventName: UpdateLoginProfile\nfilter:\n    userIdentity.arn|fieldref: requestParameters.userName\ncondition: sel and not filter",
    );
    let c = convert(&rule, Target::Eql);
    assert_eq!(
        query(&c),
        "any where event.action : \"UpdateLoginProfile\" and not \
         aws.cloudtrail.user_identity.arn : aws.cloudtrail.flattened.request_parameters.userName"
    );
    let c = convert(&rule, Target::Esql);
    assert!(
        query(&c).ends_with(
            "not TO_LOWER(aws.cloudtrail.user_identity.arn) == \
             TO_LOWER(aws.cloudtrail.flattened.request_parameters.userName)"
        ),
        "{c:?}"
    );
    let plain = sigma(
        CLOUDTRAIL,
        "sel:\n    requestParameters.userName: 'bob'\ncondition: sel",
    );
    let c = convert(&plain, Target::Eql);
    assert_eq!(
        query(&c),
        "any where aws.cloudtrail.flattened.request_parameters.userName : \"bob\""
    );
}
