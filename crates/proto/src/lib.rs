//! Wire types of plat: the authoritative layout of every request, response,
//! error code and event that crosses the HTTP API. Shared by `platd`,
//! `plat-client`, `platctl` and the tests, so the two sides cannot drift.

/// `as_str` and `parse` of an enum, with the same names serde uses.
macro_rules! names {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }

            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];
        }
    };
}

pub mod auth;
pub mod catalog;
pub mod check;
pub mod envelope;
pub mod error;
pub mod event;
pub mod health;
pub mod limits;
pub mod mfa;
pub mod oauth;
pub mod org;
pub mod registry;
pub mod role;
pub mod sync;
pub mod tenant;
pub mod user;

pub use auth::*;
pub use check::*;
pub use envelope::*;
pub use error::*;
pub use event::*;
pub use health::*;
pub use mfa::*;
pub use org::*;
pub use registry::*;
pub use role::*;
pub use sync::*;
pub use tenant::*;
pub use user::*;

/// API version string carried in every envelope's `meta.version`.
pub const API_VERSION: &str = "v1";
/// Base path of the versioned API.
pub const API_BASE: &str = "/api/v1";
/// The tenant that `bootstrap` creates and that platform admins belong to.
pub const SYSTEM_TENANT: &str = "system";
