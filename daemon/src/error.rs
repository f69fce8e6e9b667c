//! The one API error type: maps to the contract's codes and envelope, never
//! shows internals on a 500, and is logged by the middleware, not here.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use plat_proto::{ApiError, ErrorCode};
use plat_store::StoreError;

use crate::context;

#[derive(Debug)]
pub struct ApiErr {
    pub error: ApiError,
    pub retry_after: Option<u64>,
    /// The real cause of an internal error: logged, never sent.
    pub internal: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiErr>;

impl ApiErr {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiErr { error: ApiError::new(code, message), retry_after: None, internal: None }
    }

    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> Self {
        ApiErr { error: ApiError::new(code, message).with_field(field), retry_after: None, internal: None }
    }

    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::field(ErrorCode::ValidationError, field, format!("{field}: {message}"))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiErr {
            error: ApiError::new(ErrorCode::InternalError, "internal error; the request id identifies it in the logs"),
            retry_after: None,
            internal: Some(cause.to_string()),
        }
    }

    /// The error of one item of a batch: its field (or the item itself) and
    /// message name the item (`checks[3].permission`).
    pub fn within(mut self, item: &str) -> Self {
        let field = match self.error.field.take() {
            Some(field) => format!("{item}.{field}"),
            None => item.to_owned(),
        };
        self.error.message = format!("{item}: {}", self.error.message);
        self.error.field = Some(field);
        self
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, reason)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, format!("too many failed attempts; retry in {retry_after} s"));
        e.retry_after = Some(retry_after);
        e
    }
}

impl From<plat_domain::Invalid> for ApiErr {
    fn from(e: plat_domain::Invalid) -> Self {
        ApiErr::validation(&e.field, e.message)
    }
}

impl From<plat_checks::CheckError> for ApiErr {
    fn from(e: plat_checks::CheckError) -> Self {
        match e {
            plat_checks::CheckError::Invalid { field, message } => ApiErr::validation(field, message),
            plat_checks::CheckError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiErr {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, name } => {
                let code = match kind {
                    "user" => ErrorCode::UserNotFound,
                    "tenant" => ErrorCode::TenantNotFound,
                    "role" => ErrorCode::RoleNotFound,
                    "sync target" => ErrorCode::TargetNotFound,
                    "sync task" => ErrorCode::TaskNotFound,
                    "check" => ErrorCode::CheckNotFound,
                    "service" => ErrorCode::ServiceNotFound,
                    _ => ErrorCode::NotFound,
                };
                ApiErr::new(code, format!("{kind} {name:?} not found"))
            }
            StoreError::AlreadyExists { kind, name, field } => {
                let code = match kind {
                    "user" => ErrorCode::UserAlreadyExists,
                    "tenant" => ErrorCode::TenantAlreadyExists,
                    "role" => ErrorCode::RoleAlreadyExists,
                    _ => ErrorCode::Conflict,
                };
                ApiErr::field(code, field, format!("{kind} with {field} {name:?} already exists"))
            }
            StoreError::Conflict(message) => ApiErr::new(ErrorCode::Conflict, message),
            StoreError::Forbidden(reason) => ApiErr::forbidden(reason),
            e @ StoreError::QuotaExceeded { .. } => ApiErr::new(ErrorCode::TenantQuotaExceeded, e.to_string()),
            StoreError::Invalid { field, message } => ApiErr::validation(&field, message),
            StoreError::AlreadyBootstrapped => ApiErr::new(ErrorCode::Conflict, "already bootstrapped"),
            e if e.is_busy() => {
                let mut e = ApiErr::new(ErrorCode::ServiceUnavailable, "the database is busy; retry shortly");
                e.retry_after = Some(1);
                e
            }
            other => ApiErr::internal(other),
        }
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = context::envelope_error(&self.error);
        let mut response =
            (status, [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
                .into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        // The middleware logs the cause with the request id.
        response.extensions_mut().insert(ErrorNote { code: self.error.code, internal: self.internal });
        response
    }
}

/// What the logging middleware learns about a failed request.
#[derive(Debug, Clone)]
pub struct ErrorNote {
    pub code: ErrorCode,
    pub internal: Option<String>,
}
