//! End-to-end tests: a real `platd` on a temp SQLite database, driven by the
//! real `platctl` binary exactly as an admin or a script would.

mod architecture;
mod generated;
mod harness;
mod otlp;
mod resources;
mod service;
mod session;
mod sink;
mod sync;
