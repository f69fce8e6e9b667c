//! Stable error codes and the error object of the envelope. Codes are the
//! strings scripts and services branch on; never rename one.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:literal, $retryable:literal)),* $(,)?) => {
        /// Every error code of the contract, with its HTTP status and whether a retry may help.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum ErrorCode {
            $( #[serde(rename = $code)] $variant, )*
            /// A code this client does not know (a newer server).
            #[serde(other, rename = "UNKNOWN")]
            Unknown,
        }

        impl ErrorCode {
            /// All known codes, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* ErrorCode::Unknown => "UNKNOWN" }
            }

            /// HTTP status the code is sent with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* ErrorCode::Unknown => 500 }
            }

            pub fn retryable(self) -> bool {
                match self { $(ErrorCode::$variant => $retryable,)* ErrorCode::Unknown => false }
            }
        }
    };
}

error_codes! {
    InvalidRequest => ("INVALID_REQUEST", 400, false),
    ValidationError => ("VALIDATION_ERROR", 422, false),
    Unauthorized => ("UNAUTHORIZED", 401, false),
    InvalidToken => ("INVALID_TOKEN", 401, false),
    TokenExpired => ("TOKEN_EXPIRED", 401, false),
    InvalidCredentials => ("INVALID_CREDENTIALS", 401, false),
    AccountLocked => ("ACCOUNT_LOCKED", 403, false),
    MfaRequired => ("MFA_REQUIRED", 401, false),
    MfaEnrollmentRequired => ("MFA_ENROLLMENT_REQUIRED", 403, false),
    UserInactive => ("USER_INACTIVE", 403, false),
    TenantSuspended => ("TENANT_SUSPENDED", 403, false),
    Forbidden => ("FORBIDDEN", 403, false),
    PermissionDenied => ("PERMISSION_DENIED", 403, false),
    NotFound => ("NOT_FOUND", 404, false),
    UserNotFound => ("USER_NOT_FOUND", 404, false),
    TenantNotFound => ("TENANT_NOT_FOUND", 404, false),
    RoleNotFound => ("ROLE_NOT_FOUND", 404, false),
    ServiceNotFound => ("SERVICE_NOT_FOUND", 404, false),
    TargetNotFound => ("TARGET_NOT_FOUND", 404, false),
    TaskNotFound => ("TASK_NOT_FOUND", 404, false),
    CheckNotFound => ("CHECK_NOT_FOUND", 404, false),
    Conflict => ("CONFLICT", 409, false),
    UserAlreadyExists => ("USER_ALREADY_EXISTS", 409, false),
    TenantAlreadyExists => ("TENANT_ALREADY_EXISTS", 409, false),
    RoleAlreadyExists => ("ROLE_ALREADY_EXISTS", 409, false),
    TenantQuotaExceeded => ("TENANT_QUOTA_EXCEEDED", 409, false),
    LayerViolation => ("LAYER_VIOLATION", 422, false),
    PayloadTooLarge => ("PAYLOAD_TOO_LARGE", 413, false),
    RateLimited => ("RATE_LIMITED", 429, true),
    ServiceUnavailable => ("SERVICE_UNAVAILABLE", 503, true),
    Timeout => ("TIMEOUT", 504, true),
    InternalError => ("INTERNAL_ERROR", 500, true),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` object of a failed response.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default)]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// The request field the error is about, for validation errors.
    #[serde(default)]
    pub field: Option<String>,
    pub retryable: bool,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: serde_json::Map::new(),
            field: None,
            retryable: code.retryable(),
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_is_tolerated() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, *code);
        }
        let later: ErrorCode = serde_json::from_str("\"SOMETHING_NEW\"").expect("unknown");
        assert_eq!(later, ErrorCode::Unknown);
    }

    #[test]
    fn statuses_follow_the_contract() {
        assert_eq!(ErrorCode::TenantQuotaExceeded.status(), 409);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
        assert!(ErrorCode::RateLimited.retryable());
        assert!(!ErrorCode::UserNotFound.retryable());
        assert_eq!(ErrorCode::ValidationError.status(), 422);
    }
}
