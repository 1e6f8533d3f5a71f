//! A hand-written fuzz of every route: thousands of random and hostile paths
//! and query strings, none of which may produce a server error (5xx).

mod common;

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

/// xorshift64*: deterministic, so a failure reproduces with its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PREFIXES: &[&str] = &["", "/api/v1"];
const ROUTES: &[&str] = &[
    "/",
    "/rules/",
    "/techniques/",
    "/coverage",
    "/coverage/layer",
    "/coverage/layer.json",
    "/events",
    "/events/",
    "/search",
    "/static/",
    "/openapi.json",
    "/feed",
    "/",
];
const SEGMENTS: &[&str] = &[
    "T1046",
    "t1059.001",
    "T9999",
    "T1046.000",
    "TA0007",
    "elastic",
    "splunk",
    "sigma",
    "qradar",
    "sigma:11111111-1111-4111-8111-111111111111",
    "elastic:55555555-5555-4555-8555-555555555555",
    "windows",
    "process_creation",
    "..",
    ".",
    "%2e%2e",
    "%00",
    "%ff%fe",
    "%",
    "%zz",
    "<script>",
    "%3Cscript%3E",
    "\u{e9}",
    "a%2Fb",
    "",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "T1046/elastic/extra",
    "style.css",
];
const KEYS: &[&str] = &[
    "vendor",
    "severity",
    "technique",
    "platform",
    "page",
    "per_page",
    "q",
    "limit",
    "domain",
    "event",
    "bogus",
    "",
    "%00",
    "vendor%5B%5D",
];
const VALUES: &[&str] = &[
    "sigma",
    "elastic",
    "high",
    "T1046",
    "t1059.001",
    "windows",
    "1",
    "0",
    "-1",
    "99999999999999999999",
    "2",
    "100",
    "101",
    "abc",
    "%",
    "%zz",
    "%ff",
    "+",
    "%3Cscript%3E",
    "",
    "linux/process_creation",
    "nmap",
    "a%20b",
    "%E2%80%AE",
    "'",
    "\"",
    "..%2F..%2Fetc%2Fpasswd",
];

fn random_bytes(rng: &mut Rng) -> String {
    let n = rng.below(24);
    (0..n)
        .map(|_| {
            let b = (rng.next() & 0xff) as u8;
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn random_uri(rng: &mut Rng) -> String {
    let mut uri = String::from(rng.pick(PREFIXES));
    uri.push_str(rng.pick(ROUTES));
    for _ in 0..rng.below(3) {
        if !uri.ends_with('/') {
            uri.push('/');
        }
        if rng.below(4) == 0 {
            uri.push_str(&random_bytes(rng));
        } else {
            uri.push_str(rng.pick(SEGMENTS));
        }
    }
    if rng.below(3) > 0 {
        uri.push('?');
        for i in 0..rng.below(4) {
            if i > 0 {
                uri.push('&');
            }
            uri.push_str(rng.pick(KEYS));
            if rng.below(6) > 0 {
                uri.push('=');
                if rng.below(5) == 0 {
                    uri.push_str(&random_bytes(rng));
                } else {
                    uri.push_str(rng.pick(VALUES));
                }
            }
        }
    }
    uri
}

#[tokio::test]
async fn no_random_request_gets_a_server_error() {
    let app = common::app();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sent = 0;
    let mut by_class = [0usize; 6];
    for _ in 0..4000 {
        let uri = random_uri(&mut rng);
        // Some random strings are not even valid request targets; the HTTP layer refuses those.
        let Ok(req) = Request::builder().uri(uri.as_str()).body(Body::empty()) else {
            continue;
        };
        let resp = app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status().as_u16();
        by_class[(status / 100) as usize] += 1;
        sent += 1;
        assert!(status < 500, "{uri} → {status}");
        let _ = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
    }
    eprintln!(
        "fuzz: {sent} requests: 2xx {} 3xx {} 4xx {}",
        by_class[2], by_class[3], by_class[4]
    );
    assert!(sent > 3000, "only {sent} valid request targets");
    assert!(
        by_class[2] > 100 && by_class[4] > 100,
        "fuzz should hit both success and client errors: {by_class:?}"
    );
}
