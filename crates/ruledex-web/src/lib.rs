//! The ruledex catalog as a website and a JSON API.
//!
//! [`app`] builds the axum [`Router`] over a read-only [`Backend`]: server-rendered
//! HTML pages (feed, rule, technique, technique × platform, coverage, events,
//! search) and, under `/api/v1`, the same data as JSON with an OpenAPI 3.1
//! document at `/api/v1/openapi.json`. Every page's data is built once by
//! [`views`] and either rendered by a template or returned as JSON, so the two
//! never disagree.
//!
//! Every page's rules come from `ruledex-catalog` queries (one source of
//! truth: the site shows what `ruledex guide`, `coverage` and `similar`
//! print), run off the async workers in `spawn_blocking`; rendered answers
//! are kept in a bounded response cache. What is computed here is what the
//! catalog does not store: conversions, syntax highlighting, the generated
//! enrichment and the ATT&CK text around the numbers.
//!
//! Rule text is untrusted: templates autoescape, markdown is rendered with raw
//! HTML escaped and script links removed ([`markdown`]), and every response
//! carries a strict Content-Security-Policy. Requests are bounded in body size
//! and time. The server is read-only.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let backend = ruledex_web::Backend::build(Vec::new(), ruledex_attack::Attack::fixture(),
//!     ruledex_web::atomics::Atomics::none(), "empty");
//! let router = ruledex_web::app(backend);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, router).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod atomics;
pub mod backend;
mod cache;
pub mod enrich;
pub mod error;
pub mod highlight;
pub mod load;
pub mod markdown;
mod openapi;
mod templates;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use backend::Backend;
pub use error::AppError;
use views::Params;

/// The Content-Security-Policy every response carries: no inline script or
/// style, nothing from other origins.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Largest request body accepted (the server only answers GET).
pub const BODY_LIMIT: usize = 16 * 1024;

/// Longest time a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

type AppState = Arc<Backend>;

const STYLE: &str = include_str!("../static/style.css");
const SCRIPT: &str = include_str!("../static/app.js");

/// Site-wide facts shown in the header and footer.
#[derive(Serialize)]
struct Site<'a> {
    rules: usize,
    origin: &'a str,
    attack_version: &'a str,
    version: &'static str,
}

fn page<S: Serialize>(
    backend: &Backend,
    template: &str,
    nav: &str,
    data: &S,
) -> Result<Response, AppError> {
    let site = Site {
        rules: backend.rule_count(),
        origin: &backend.origin,
        attack_version: backend.attack().version(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let ctx = minijinja::context! {
        d => minijinja::Value::from_serialize(data),
        site => minijinja::Value::from_serialize(&site),
        nav => nav,
    };
    let html = templates::render(template, &ctx)
        .map_err(|e| AppError::internal(format!("template {template}: {e}")))?;
    Ok(Html(html).into_response())
}

fn json<S: Serialize>(data: &S) -> Response {
    axum::Json(data).into_response()
}

/// The router: pages, JSON API, static assets, security headers and limits.
pub fn app(backend: Backend) -> Router {
    let state: AppState = Arc::new(backend);
    let api = Router::new()
        .route("/", get(api_root))
        .route("/openapi.json", get(openapi_doc))
        .route("/feed", get(api_feed))
        .route("/rules/{*uid}", get(api_rule))
        .route("/techniques/{id}", get(api_technique))
        .route("/techniques/{id}/{platform}", get(api_platform))
        .route("/coverage", get(api_coverage))
        .route("/coverage/layer", get(api_layer))
        .route("/events", get(api_events))
        .route("/events/{*id}", get(api_event))
        .route("/search", get(api_search))
        .fallback(api_not_found);
    Router::new()
        .route("/", get(feed_page))
        .route("/rules/{*uid}", get(rule_page))
        .route("/techniques/{id}", get(technique_page))
        .route("/techniques/{id}/{platform}", get(platform_page))
        .route("/coverage", get(coverage_page))
        .route("/coverage/layer.json", get(layer_download))
        .route("/events", get(events_page))
        .route("/events/{*id}", get(event_page))
        .route("/search", get(search_page))
        .route(
            "/static/style.css",
            get(|| async { static_asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/app.js",
            get(|| async { static_asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .nest("/api/v1", api)
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            cache::ResponseCache::default(),
            cache::layer,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

fn static_asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn not_found(uri: Uri) -> AppError {
    AppError::not_found(format!("no page at `{}`", uri.path()))
}

async fn api_not_found(uri: Uri) -> AppError {
    AppError::not_found(format!("no API endpoint at `{}`", uri.path())).as_json()
}

// ---------------------------------------------------------------- pages

async fn feed_page(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::FEED_PARAMS)?;
    let feed = blocking(&ix, move |ix| views::feed(ix, &p)).await?;
    page(&ix, "feed.html", "feed", &feed)
}

/// A view built from catalog queries, run off the async workers.
async fn blocking<T, F>(ix: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Backend) -> Result<T, AppError> + Send + 'static,
{
    let ix = Arc::clone(ix);
    tokio::task::spawn_blocking(move || f(&ix))
        .await
        .map_err(|e| AppError::internal(format!("catalog task: {e}")))?
}

async fn rule_page(
    State(ix): State<AppState>,
    Path(uid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[])?;
    let rule = blocking(&ix, move |ix| views::rule(ix, &uid)).await?;
    page(&ix, "rule.html", "feed", &rule)
}

async fn technique_page(
    State(ix): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::GUIDE_PARAMS)?;
    let guide = blocking_guide(&ix, id, p).await?;
    page(&ix, "technique.html", "coverage", &guide)
}

/// The guide, from a catalog query run off the async workers.
async fn blocking_guide(ix: &AppState, id: String, p: Params) -> Result<views::Guide, AppError> {
    let ix = Arc::clone(ix);
    tokio::task::spawn_blocking(move || views::guide(&ix, &id, &p))
        .await
        .map_err(|e| AppError::internal(format!("guide task: {e}")))?
}

async fn platform_page(
    State(ix): State<AppState>,
    Path((id, platform)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[])?;
    let data = blocking(&ix, move |ix| views::platform_page(ix, &id, &platform)).await?;
    page(&ix, "platform.html", "coverage", &data)
}

async fn coverage_page(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::COVERAGE_PARAMS)?;
    let data = blocking(&ix, move |ix| views::coverage(ix, &p)).await?;
    page(&ix, "coverage.html", "coverage", &data)
}

async fn layer_download(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::COVERAGE_PARAMS)?;
    let layer = blocking(&ix, move |ix| views::navigator_layer(ix, &p)).await?;
    let mut resp = json(&layer);
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"ruledex-layer.json\""),
    );
    Ok(resp)
}

async fn events_page(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[])?;
    let data = blocking(&ix, views::events).await?;
    page(&ix, "events.html", "events", &data)
}

async fn event_page(
    State(ix): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[])?;
    let data = blocking(&ix, move |ix| views::event(ix, &id)).await?;
    page(&ix, "event.html", "events", &data)
}

async fn search_page(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::SEARCH_PARAMS)?;
    let found = blocking(&ix, move |ix| views::search(ix, &p)).await?;
    page(&ix, "search.html", "search", &found)
}

// ---------------------------------------------------------------- API

async fn api_root() -> Response {
    json(&serde_json::json!({
        "openapi": "/api/v1/openapi.json",
        "endpoints": openapi::PATHS,
    }))
}

async fn openapi_doc() -> Response {
    json(&openapi::document())
}

async fn api_feed(State(ix): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::FEED_PARAMS).map_err(AppError::as_json)?;
    let feed = blocking(&ix, move |ix| views::feed(ix, &p))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&feed))
}

async fn api_rule(
    State(ix): State<AppState>,
    Path(uid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[]).map_err(AppError::as_json)?;
    let rule = blocking(&ix, move |ix| views::rule(ix, &uid))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&rule))
}

async fn api_technique(
    State(ix): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::GUIDE_PARAMS).map_err(AppError::as_json)?;
    Ok(json(
        &blocking_guide(&ix, id, p)
            .await
            .map_err(AppError::as_json)?,
    ))
}

async fn api_platform(
    State(ix): State<AppState>,
    Path((id, platform)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[]).map_err(AppError::as_json)?;
    let data = blocking(&ix, move |ix| views::platform_page(ix, &id, &platform))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&data))
}

async fn api_coverage(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::COVERAGE_PARAMS).map_err(AppError::as_json)?;
    let data = blocking(&ix, move |ix| views::coverage(ix, &p))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&data))
}

async fn api_layer(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::COVERAGE_PARAMS).map_err(AppError::as_json)?;
    let data = blocking(&ix, move |ix| views::navigator_layer(ix, &p))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&data))
}

async fn api_events(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[]).map_err(AppError::as_json)?;
    let data = blocking(&ix, views::events)
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&data))
}

async fn api_event(
    State(ix): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    Params::parse(q.as_deref(), &[]).map_err(AppError::as_json)?;
    let data = blocking(&ix, move |ix| views::event(ix, &id))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&data))
}

async fn api_search(
    State(ix): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(q.as_deref(), views::SEARCH_PARAMS).map_err(AppError::as_json)?;
    let found = blocking(&ix, move |ix| views::search(ix, &p))
        .await
        .map_err(AppError::as_json)?;
    Ok(json(&found))
}

/// Serves `router` on `addr` until Ctrl-C.
pub async fn serve(router: Router, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    templates::check()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("ruledex: serving on http://{}", listener.local_addr()?);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
