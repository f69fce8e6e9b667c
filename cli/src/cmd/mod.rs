//! One module per command group. Each has its clap subcommand type and the
//! functions that run it against a [`crate::session::Session`].

pub mod check;
pub mod completion;
pub mod context;
pub mod health;
pub mod log;
pub mod org;
pub mod role;
pub mod service;
pub mod session;
pub mod sync;
pub mod tenant;
pub mod token;
pub mod top;
pub mod user;
