//! A cache of rendered responses.
//!
//! The index is read-only, so a page is a pure function of its path and query
//! string: the first successful answer is kept and served again. The cache is
//! bounded (entries and bytes); when full it is emptied and refills with what
//! is asked for next, so random query strings cannot grow it without limit.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Most entries kept.
const MAX_ENTRIES: usize = 2048;
/// Most bytes of bodies kept.
const MAX_BYTES: usize = 256 * 1024 * 1024;
/// Largest single body kept.
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Clone)]
struct Cached {
    headers: HeaderMap,
    body: Bytes,
}

/// The shared cache.
#[derive(Default, Clone)]
pub(crate) struct ResponseCache {
    inner: Arc<RwLock<(HashMap<String, Cached>, usize)>>,
}

impl ResponseCache {
    fn get(&self, key: &str) -> Option<Cached> {
        self.inner.read().ok()?.0.get(key).cloned()
    }

    fn put(&self, key: String, value: Cached) {
        let Ok(mut guard) = self.inner.write() else {
            return;
        };
        let (map, bytes) = &mut *guard;
        if map.len() >= MAX_ENTRIES || *bytes + value.body.len() > MAX_BYTES {
            map.clear();
            *bytes = 0;
        }
        *bytes += value.body.len();
        if let Some(old) = map.insert(key, value) {
            *bytes -= old.body.len();
        }
    }
}

fn respond(c: Cached) -> Response {
    (StatusCode::OK, c.headers, c.body).into_response()
}

/// Middleware: answer GETs from the cache, and keep successful answers.
pub(crate) async fn layer(
    State(cache): State<ResponseCache>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let key = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), ToString::to_string);
    if let Some(hit) = cache.get(&key) {
        return respond(hit);
    }
    let response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    // The handlers build their bodies in memory, so buffering copies nothing new.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response body failed").into_response();
    };
    if bytes.len() <= MAX_BODY {
        cache.put(
            key,
            Cached {
                headers: parts.headers.clone(),
                body: bytes.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}
