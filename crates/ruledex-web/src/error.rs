//! One error type for every handler: a status and a message, shown as an HTML
//! page or as JSON (`{"error": …, "status": …}`) depending on the route.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A failed request.
#[derive(Debug, Clone)]
pub struct AppError {
    /// The status.
    pub status: StatusCode,
    /// What went wrong, for the reader.
    pub message: String,
    /// Answer with JSON rather than HTML.
    pub json: bool,
}

impl AppError {
    /// 404.
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            json: false,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            json: false,
        }
    }

    /// 500 (a template failed; never expected).
    pub fn internal(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            json: false,
        }
    }

    /// The same error, answered as JSON.
    #[must_use]
    pub fn as_json(mut self) -> AppError {
        self.json = true;
        self
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({"error": self.message, "status": self.status.as_u16()});
            return (self.status, axum::Json(body)).into_response();
        }
        let title = self.status.canonical_reason().unwrap_or("Error").to_owned();
        let ctx = serde_json::json!({"status": self.status.as_u16(), "title": title, "message": self.message});
        match crate::templates::render("error.html", &ctx) {
            Ok(html) => (
                self.status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}
