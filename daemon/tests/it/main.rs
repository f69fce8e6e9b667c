//! platd's integration tests: a real server on a loopback port, driven through
//! `plat-client`, against SQLite and (when `PLAT_TEST_DATABASE_URL` is set)
//! PostgreSQL. Each test gets its own database.

mod abuse;
mod api;
mod checks;
mod harness;
mod internals;
mod matrix;
mod mfa;
mod oauth;
mod orgs;
mod passkeys;
mod quotas;
mod registry;
mod security;
mod sessions;
mod sync;
