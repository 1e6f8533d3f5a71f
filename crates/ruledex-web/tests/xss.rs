//! Rule text is attacker-controlled: a fixture rule with script payloads in its
//! title, description, author, references, values, false positives and (for
//! the Elastic fixture) investigation guide and setup must render inert.

mod common;

use axum::http::StatusCode;
use common::{ELASTIC_UID, XSS_UID, app, get};

/// Asserts that no payload survives unescaped in an HTML page.
fn assert_inert(uri: &str, body: &str) {
    let lower = body.to_lowercase();
    // The only script element is the page's own, from /static.
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "{uri}: an injected <script> element"
    );
    assert!(
        lower.contains("<script src=\"/static/app.js\" defer></script>"),
        "{uri}"
    );
    assert!(!lower.contains("<img"), "{uri}: an injected <img> element");
    for bad in [
        "href=\"javascript",
        "href='javascript",
        "href=\"data:",
        "href=\"vbscript",
    ] {
        assert!(!lower.contains(bad), "{uri}: {bad}");
    }
    // An event-handler attribute is only dangerous inside a real tag: after the
    // last `<` and before the next `>`. Escaped text (`&lt;img … onerror=…`) is inert.
    let bytes = lower.as_bytes();
    for needle in ["onerror", "onload", "onclick", "src=x"] {
        for (pos, _) in lower.match_indices(needle) {
            let last_open = bytes[..pos].iter().rposition(|&b| b == b'<');
            let last_close = bytes[..pos].iter().rposition(|&b| b == b'>');
            let inside_tag = match (last_open, last_close) {
                (Some(o), Some(c)) => o > c,
                (Some(_), None) => true,
                _ => false,
            };
            assert!(
                !inside_tag,
                "{uri}: `{needle}` inside a real tag at byte {pos}"
            );
        }
    }
}

#[tokio::test]
async fn xss_rule_page_renders_payloads_as_text() {
    let app = app();
    let uri = format!("/rules/{XSS_UID}");
    let got = get(&app, &uri).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_inert(&uri, &got.body);
    // The payloads are shown, escaped: title, description, values, false positives, author.
    for shown in [
        "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "&lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt;",
        "&lt;script&gt;alert(&quot;value&quot;)&lt;/script&gt;",
        "&lt;script&gt;alert(&#39;fp&#39;)&lt;/script&gt;",
        "&lt;script&gt;alert(&#39;author&#39;)&lt;/script&gt;",
    ] {
        assert!(got.body.contains(shown), "missing escaped {shown}");
    }
    // A javascript: reference is listed as text, not as a link.
    assert!(
        got.body
            .contains("<li>javascript:alert(&#39;ref&#39;)</li>")
    );
    assert!(got.body.contains("href=\"https://example.org/ok\""));
    let csp = got.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn elastic_investigation_guide_and_setup_render_inert() {
    let app = app();
    let uri = format!("/rules/{ELASTIC_UID}");
    let got = get(&app, &uri).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_inert(&uri, &got.body);
    assert!(
        got.body
            .contains("&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;"),
        "raw HTML in the note is shown as text"
    );
    assert!(got.body.contains(">click me</a>"), "the link text is kept");
    assert!(got.body.contains("href=\"https://example.org/guide\""));
    assert!(
        !got.body.to_lowercase().contains("javascript:alert(8)\""),
        "setup link neutralized"
    );
}

#[tokio::test]
async fn every_page_showing_the_payload_is_inert() {
    let app = app();
    for uri in [
        "/",
        "/?vendor=sigma",
        "/search?q=script",
        "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/techniques/T1059",
        "/techniques/T1046",
        "/techniques/T1059/sentinel",
        "/techniques/T1046/elastic",
        "/events/windows/process_creation",
        "/coverage",
        "/rules/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/techniques/%3Cscript%3E",
        "/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
    ] {
        let got = get(&app, uri).await;
        assert!(got.status.as_u16() < 500, "{uri}: {}", got.status);
        assert_inert(uri, &got.body);
    }
}

#[tokio::test]
async fn json_api_is_never_served_as_html() {
    let app = app();
    let got = get(&app, &format!("/api/v1/rules/{XSS_UID}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers["content-type"], "application/json");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    let v: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert!(
        v["title"].as_str().unwrap().contains("<script>"),
        "JSON carries the data as is"
    );
    // The pre-rendered guide in JSON is the same sanitized HTML as on the page.
    let got = get(&app, &format!("/api/v1/rules/{ELASTIC_UID}")).await;
    let v: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    let guide = v["guide_html"].as_str().unwrap();
    assert!(!guide.contains("<script") && !guide.contains("javascript:alert(7)\""));
}
