//! plat's domain rules as plain functions over plain data: validation and
//! normalisation of names, permission matching and authorization decisions,
//! the lockout policy, human durations, delivery signatures, the retry policy. Nothing here does I/O, so everything
//! is tested without a database or a socket.

pub mod authz;
pub mod bounds;
pub mod cursor;
pub mod delivery;
pub mod duration;
pub mod expr;
pub mod import;
pub mod lockout;
pub mod org;
pub mod publish;
pub mod quota;
pub mod readback;
pub mod registry;
pub mod retry;
pub mod rules;
pub mod session;
pub mod trace;
pub mod validate;

pub use authz::*;
pub use bounds::Bounded;
pub use cursor::PageRequest;
pub use duration::*;
pub use import::apply_profile_patch;
pub use lockout::*;
pub use validate::*;

/// A rule broken by some input, naming the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid { field: field.into(), message: message.into() }
    }
}
