//! plat's service registry engine. The rules (layering, health thresholds,
//! protection, schedules) are pure functions in `plat_domain::registry`;
//! the tables are `plat_store`'s. This crate runs them: the [`hub::Hub`]
//! every replica serves discovery from, and the [`prober::Prober`] that the
//! replica holding the prober lease runs.

mod beats;
pub mod hub;
pub mod prober;

pub use hub::{Hub, Lookup, ServiceKey, SharedJson, Snapshot};
pub use prober::{Prober, ProberConfig, ProberStats};
