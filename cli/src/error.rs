//! How a command fails: the message on stderr, a hint where one helps, and
//! the exit code of the contract (1 error, 2 usage, 3 drift, 4 unhealthy,
//! 5 server unreachable).

use std::process::ExitCode;

use plat_client::ClientError;
use plat_proto::ErrorCode;

pub const EXIT_ERROR: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNHEALTHY: u8 = 4;
pub const EXIT_UNREACHABLE: u8 = 5;

#[derive(Debug)]
pub struct Failure {
    pub exit: u8,
    /// Printed as `error: {message}`; none for an answer that is itself the
    /// output (`can-i` saying no, an inactive token, an unhealthy component).
    pub message: Option<String>,
    pub hint: Option<String>,
    /// The server's error code, when the server said no.
    pub code: Option<ErrorCode>,
}

impl Failure {
    pub fn error(message: impl Into<String>) -> Failure {
        Failure { exit: EXIT_ERROR, message: Some(message.into()), hint: None, code: None }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { exit: EXIT_USAGE, message: Some(message.into()), hint: None, code: None }
    }

    /// Exit with `code` and no message: the output already said why.
    pub fn silent(code: u8) -> Failure {
        Failure { exit: code, message: None, hint: None, code: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }

    pub fn report(self) -> ExitCode {
        if let Some(message) = &self.message {
            eprintln!("error: {message}");
        }
        if let Some(hint) = &self.hint {
            eprintln!("hint: {hint}");
        }
        ExitCode::from(self.exit)
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        match &e {
            ClientError::Api { error, retry_after, request_id, .. } => {
                let hint = match error.code {
                    ErrorCode::TokenExpired | ErrorCode::InvalidToken | ErrorCode::Unauthorized => {
                        Some("run `platctl login` to start a new session".to_owned())
                    }
                    ErrorCode::PermissionDenied | ErrorCode::Forbidden => {
                        Some("`platctl whoami` lists the roles and permissions of your token".to_owned())
                    }
                    ErrorCode::TenantNotFound => Some("check --tenant, PLATCTL_TENANT and the context's tenant".into()),
                    ErrorCode::RateLimited => retry_after.map(|s| format!("retry in {s}s")),
                    ErrorCode::AccountLocked => Some("an admin can run `platctl user unlock USER`".to_owned()),
                    _ => None,
                };
                let field = error.field.as_ref().map(|f| format!(" (field: {f})")).unwrap_or_default();
                let message = format!("{}: {}{field} (request id: {request_id})", error.code, error.message);
                Failure { exit: EXIT_ERROR, message: Some(message), hint, code: Some(error.code) }
            }
            ClientError::Connect { .. } => Failure {
                exit: EXIT_UNREACHABLE,
                message: Some(e.to_string()),
                hint: Some("is platd running there? Set the server with --server, PLATCTL_SERVER or a context".into()),
                code: None,
            },
            ClientError::Protocol { .. } => Failure::error(e.to_string()),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::error(e.to_string())
    }
}
