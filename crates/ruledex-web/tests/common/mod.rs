//! A fixture catalog of rules written for these tests, and request helpers.
#![allow(dead_code, unreachable_pub)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use ruledex_attack::Attack;
use ruledex_model::Rule;
use ruledex_web::Backend;
use ruledex_web::atomics::{AtomicTest, Atomics};
use tower::ServiceExt;

pub const NETCAT: &str = r"title: Fixture Linux Scanner Execution
id: 11111111-1111-4111-8111-111111111111
status: test
description: Fixture rule for scanner tools on Linux.
references:
    - https://example.org/scanners
author: ruledex tests
date: 2024-01-02
modified: 2025-02-03
tags:
    - attack.discovery
    - attack.t1046
logsource:
    category: process_creation
    product: linux
detection:
    selection_netcat:
        Image|endswith:
            - '/nc'
            - '/ncat'
    selection_scanners:
        Image|endswith:
            - '/nmap'
            - '/masscan'
    filter_listen:
        CommandLine|contains: ' -l '
    condition: (selection_netcat and not filter_listen) or selection_scanners
falsepositives:
    - Administrators checking their own services
level: low
";

pub const NMAP_WIN: &str = r"title: Fixture Windows Nmap Execution
id: 22222222-2222-4222-8222-222222222222
status: stable
description: Fixture rule for nmap on Windows.
author: ruledex tests
date: 2023-05-06
tags:
    - attack.discovery
    - attack.t1046
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\nmap.exe'
    filter_admin:
        User|contains: 'svc_scan'
    filter_inventory:
        ParentImage|endswith: '\inventory.exe'
    condition: selection and not filter_admin and not filter_inventory
falsepositives:
    - Asset inventory
level: high
";

pub const NMAP_WIN2: &str = r"title: Fixture Windows Masscan Execution
id: 33333333-3333-4333-8333-333333333333
status: experimental
description: Another fixture rule for scanners on Windows.
date: 2022-01-01
tags:
    - attack.t1046
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith:
            - '\masscan.exe'
            - '\nmap.exe'
    filter_admin:
        User|contains: 'svc_scan'
    filter_inventory:
        ParentImage|endswith: '\inventory.exe'
    condition: selection and not filter_admin and not filter_inventory
level: medium
";

/// Script payloads in every text field a page shows.
pub const XSS_SIGMA: &str = r#"title: <script>alert('title')</script> "><img src=x onerror=alert(1)>
id: 44444444-4444-4444-8444-444444444444
status: test
description: '"><img src=x onerror=alert(2)> <script>alert("desc")</script> [link](javascript:alert(3))'
references:
    - javascript:alert('ref')
    - https://example.org/ok
author: <script>alert('author')</script>
date: 2021-01-01
tags:
    - attack.execution
    - attack.t1059
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        CommandLine|contains:
            - '<script>alert("value")</script>'
            - '"><img src=x onerror=alert(4)>'
    condition: selection
falsepositives:
    - <script>alert('fp')</script>
level: critical
"#;

pub const ELASTIC: &str = r###"[metadata]
creation_date = "2023/09/04"
maturity = "production"
updated_date = "2025/06/01"

[rule]
author = ["ruledex tests"]
description = "Fixture Elastic rule: scanner utilities on Linux. <script>alert('edesc')</script>"
from = "now-9m"
index = ["logs-endpoint.events.process*"]
language = "kuery"
license = "Apache-2.0"
name = "Fixture Elastic Network Scan <img src=x onerror=alert(5)>"
note = """## Triage and analysis

### Investigating the fixture

- Review **process.name**.
- A <script>alert('note')</script> raw tag and <img src=x onerror=alert(6)>.
- [click me](javascript:alert(7)) and [data](data:text/html;base64,PHNjcmlwdD4=) and [fine](https://example.org/guide)
"""
risk_score = 47
rule_id = "55555555-5555-4555-8555-555555555555"
setup = """## Setup

Requires Elastic Defend. [setup](JaVaScRiPt:alert(8))
"""
severity = "medium"
tags = ["Domain: Endpoint", "OS: Linux", "Tactic: Discovery"]
timestamp_override = "event.ingested"
type = "query"

query = '''
event.category:process and host.os.type:linux and event.type:start and process.name:(nmap or nc or "<script>x</script>")
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1046"
name = "Network Service Discovery"
reference = "https://attack.mitre.org/techniques/T1046/"

[rule.threat.tactic]
id = "TA0007"
name = "Discovery"
reference = "https://attack.mitre.org/tactics/TA0007/"
"###;

pub const NETCAT_UID: &str = "sigma:11111111-1111-4111-8111-111111111111";
pub const NMAP_UID: &str = "sigma:22222222-2222-4222-8222-222222222222";
pub const XSS_UID: &str = "sigma:44444444-4444-4444-8444-444444444444";
pub const ELASTIC_UID: &str = "elastic:55555555-5555-4555-8555-555555555555";

pub fn sigma(path: &str, text: &str) -> Rule {
    let parsed = ruledex_sigma::parse_sigma(path, text);
    assert!(parsed.errors.is_empty(), "{path}: {:?}", parsed.errors);
    let mut rule = parsed.rules.into_iter().next().expect("one rule");
    ruledex_taxonomy::enrich::enrich(&mut rule);
    rule
}

fn elastic(path: &str, text: &str) -> Rule {
    let parsed = ruledex_elastic::parse_elastic(path, text);
    assert!(parsed.errors.is_empty(), "{path}: {:?}", parsed.errors);
    let mut rule = parsed.rules.into_iter().next().expect("one rule");
    ruledex_taxonomy::enrich::enrich(&mut rule);
    rule
}

pub fn rules() -> Vec<Rule> {
    let mut netcat = sigma("rules/linux/process_creation/fixture_netcat.yml", NETCAT);
    netcat.source.retrieved_at = Some("2026-03-25T02:50:08Z".into());
    vec![
        netcat,
        sigma("rules/windows/process_creation/fixture_nmap.yml", NMAP_WIN),
        sigma(
            "rules/windows/process_creation/fixture_masscan.yml",
            NMAP_WIN2,
        ),
        sigma("rules/windows/process_creation/fixture_xss.yml", XSS_SIGMA),
        elastic("rules/linux/fixture_scan.toml", ELASTIC),
    ]
}

pub fn backend() -> Backend {
    let mut atomics = Atomics::none();
    atomics.insert(
        "T1046",
        vec![AtomicTest {
            name: "Port Scan Nmap".into(),
            description: "Scan ports with nmap.".into(),
            platforms: vec!["linux".into()],
            executor: "bash".into(),
            command: Some("nmap -sS 127.0.0.1".into()),
            guid: None,
        }],
    );
    Backend::build(rules(), Attack::fixture(), atomics, "test fixtures")
}

pub fn app() -> Router {
    ruledex_web::app(backend())
}

pub struct Got {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

pub async fn get(app: &Router, uri: &str) -> Got {
    let req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let resp: Response<Body> = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
        .await
        .expect("body");
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn json(got: &Got) -> serde_json::Value {
    serde_json::from_str(&got.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", got.body))
}
