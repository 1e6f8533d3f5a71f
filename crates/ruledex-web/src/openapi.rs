//! The OpenAPI 3.1 document of the JSON API (`/api/v1/openapi.json`).

use serde_json::{Value, json};

/// Every API path, relative to the server root.
pub(crate) const PATHS: &[&str] = &[
    "/api/v1/feed",
    "/api/v1/rules/{uid}",
    "/api/v1/techniques/{id}",
    "/api/v1/techniques/{id}/{platform}",
    "/api/v1/coverage",
    "/api/v1/coverage/layer",
    "/api/v1/events",
    "/api/v1/events/{id}",
    "/api/v1/search",
    "/api/v1/openapi.json",
];

fn query(name: &str, description: &str, schema: &Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn path(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn op(summary: &str, params: Vec<Value>, errors: &[u16]) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}),
    );
    for code in errors {
        let description = match code {
            400 => "Bad request: an invalid or unknown query parameter (the message says which)",
            404 => "Not found: no such rule, technique, platform or event",
            _ => "Error",
        };
        responses.insert(
            code.to_string(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    json!({"get": {"summary": summary, "parameters": params, "responses": responses}})
}

/// The document.
pub(crate) fn document() -> Value {
    let vendor =
        json!({"type": "string", "enum": ["sigma", "elastic", "splunk", "sentinel", "panther"]});
    let severity =
        json!({"type": "string", "enum": ["informational", "low", "medium", "high", "critical"]});
    let word = json!({"type": "string", "pattern": "^[A-Za-z0-9_./-]{1,80}$"});
    let technique = json!({"type": "string", "pattern": "^[Tt][0-9]{4}(\\.[0-9]{3})?$"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ruledex API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The ruledex catalog of normalized detection rules: feed, rules with conversions, per-technique authoring guides, technique × platform detections, ATT&CK coverage, catalog events and search. Read-only; every HTML page has its JSON twin here."
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/feed": op("What catalog syncs added, changed and removed, newest first, filtered and paged", vec![
                query("vendor", "Only this vendor", &vendor),
                query("severity", "This severity and above", &severity),
                query("kind", "Only this change kind", &json!({"type": "string", "enum": ["added", "changed", "removed"]})),
                query("technique", "Only rules tagged with this technique (sub-techniques roll up)", &technique),
                query("platform", "Only this platform (windows, linux, macos, aws, …)", &word),
                query("page", "1-based page", &json!({"type": "integer", "minimum": 1, "maximum": 100_000})),
                query("per_page", "Rules per page", &json!({"type": "integer", "minimum": 1, "maximum": 100})),
            ], &[400]),
            "/api/v1/rules/{uid}": op("One rule: metadata, normalized logic, exclusions, indicators, conversions to every target, generated enrichment, similar rules", vec![
                path("uid", "vendor:native_id"),
            ], &[400, 404]),
            "/api/v1/techniques/{id}": op("Authoring guide of a technique: events, fields, indicators with corpus reach, exclusions, rules by vendor", vec![
                path("id", "ATT&CK technique id (T1046, T1059.001)"),
                query("platform", "Only rules for this platform", &word),
                query("domain", "Only rules for this domain", &word),
                query("vendor", "Only this vendor's rules", &vendor),
            ], &[400, 404]),
            "/api/v1/techniques/{id}/{platform}": op("A detection for the technique on one SIEM, synthesized from the catalog, with data sources, tuning, references and Atomic Red Team tests", vec![
                path("id", "ATT&CK technique id"),
                path("platform", "elastic, splunk, sentinel, defender, spark or sigma"),
            ], &[400, 404]),
            "/api/v1/coverage": op("ATT&CK matrix: rules per technique by tactic", vec![
                query("vendor", "Only this vendor", &vendor),
                query("platform", "Only this platform", &word),
                query("event", "Only rules reading this catalog event", &word),
            ], &[400]),
            "/api/v1/coverage/layer": op("ATT&CK Navigator layer of the coverage", vec![
                query("vendor", "Only this vendor", &vendor),
                query("platform", "Only this platform", &word),
                query("event", "Only rules reading this catalog event", &word),
            ], &[400]),
            "/api/v1/events": op("Catalog events with rule counts", vec![], &[400]),
            "/api/v1/events/{id}": op("One catalog event: producers, techniques and rules", vec![
                path("id", "Catalog event id (windows/process_creation)"),
            ], &[400, 404]),
            "/api/v1/search": op("Full-text search over rules and technique names", vec![
                query("q", "Words, all of which must appear", &json!({"type": "string", "maxLength": 200})),
                query("limit", "Most results returned", &json!({"type": "integer", "minimum": 1, "maximum": 500})),
            ], &[400]),
            "/api/v1/openapi.json": op("This document", vec![], &[]),
        },
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["error", "status"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}
        }}}
    })
}
