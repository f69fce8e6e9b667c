//! Daemon configuration: built-in defaults < file < `PLATD_*` environment <
//! command-line flags, with unknown keys refused by name.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A human duration in configuration (`15m`, `30d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        plat_domain::parse_duration("duration", &text)
            .map(HumanDuration)
            .map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Directory for local state: the key-encryption key, dev files.
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
    pub trace: TraceConfig,
    pub sync: SyncConfig,
    pub checks: ChecksConfig,
    pub registry: RegistryConfig,
    pub kubernetes: KubernetesConfig,
    pub leader: LeaderConfig,
}

/// Work that must run once across replicas (scheduled checks, retention)
/// runs on the holder of the `scheduler` lease (docs/operations.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderConfig {
    /// A leader that stops renewing is replaced within this; one that stops
    /// cleanly hands over at once.
    pub lease_ttl: HumanDuration,
}

/// The Kubernetes controller (docs/kubernetes.md): off unless enabled, and
/// only in a platd built with the `kubernetes` cargo feature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    pub enabled: bool,
    /// Watch one namespace; every namespace when empty.
    pub namespace: String,
    /// Where the leader Lease lives; empty: `POD_NAMESPACE`, else the
    /// namespace of the Pod's service account, else `default`.
    pub lease_namespace: String,
    pub lease_name: String,
    /// A leader that stops renewing is replaced within this (at once when
    /// it stops cleanly).
    pub lease_ttl: HumanDuration,
    /// This replica's name in the Lease; empty: `POD_NAME`, else the host name.
    pub identity: String,
    /// Every resource is reconciled at least this often.
    pub requeue: HumanDuration,
    /// The URL services reach plat at, written into credentials Secrets;
    /// empty: `http://` and `listen`.
    pub public_url: String,
    /// Resources reconciled at once.
    pub concurrency: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Whether this replica may run the health prober (one replica at a
    /// time does, the holder of the `registry-prober` lease).
    pub prober: bool,
    /// Layers from the lowest to the highest.
    pub layers: Vec<String>,
    /// `off`, `warn` or `enforce`.
    pub layering: String,
    /// Accepted violations (`namespace/from -> namespace/to`): reported, never refused.
    pub baseline: Vec<String>,
    /// Below this fraction of healthy instances, discovery keeps answering
    /// the last healthy set (0 turns protection off).
    pub protection_threshold: f64,
    /// Probes in flight at once.
    pub probe_concurrency: u32,
    /// How long the prober's lease lasts without renewal (handover time).
    pub lease_ttl: HumanDuration,
    /// Time-to-live of a heartbeat that names none.
    pub heartbeat_ttl: HumanDuration,
    /// Heart-beating instances silent this long past their TTL are removed.
    pub remove_after: HumanDuration,
    /// How often a replica looks for other replicas' changes.
    pub refresh_interval: HumanDuration,
    /// How often a replica writes the steady heartbeats it took (they are
    /// answered from memory); the sweep allows this much beyond each TTL.
    pub heartbeat_flush: HumanDuration,
}

impl RegistryConfig {
    pub fn layers(&self) -> anyhow::Result<plat_domain::registry::Layers> {
        plat_domain::registry::Layers::new("registry.layers", &self.layers)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
    }

    pub fn policy(&self) -> anyhow::Result<plat_domain::registry::LayeringPolicy> {
        plat_domain::registry::LayeringPolicy::parse("registry.layering", &self.layering)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
    }

    pub fn baseline(&self) -> anyhow::Result<std::collections::BTreeSet<plat_domain::registry::Edge>> {
        plat_domain::registry::parse_baseline("registry.baseline", &self.baseline)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Run `--all` (and the internal check) this often; `0s` is off. One
    /// replica at a time takes each turn.
    pub interval: HumanDuration,
    /// Whether scheduled checks repair what they find.
    pub repair: bool,
    /// Whether scheduled checks include the internal check.
    pub internal: bool,
    /// Records changed this recently (before the check started) are not findings.
    pub grace: HumanDuration,
    /// Timeout of one read-back request.
    pub timeout: HumanDuration,
    /// Records per read-back page.
    pub page_size: u32,
    /// Findings stored per target and check; more are counted (and repaired) only.
    pub max_findings: u32,
    /// Finished checks are deleted after this long.
    pub retention: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Run the dispatcher in this process (the API works either way).
    pub enabled: bool,
    /// How often an idle dispatcher looks for due retries and other replicas' work.
    pub poll_interval: HumanDuration,
    /// Defaults of new targets.
    pub timeout: HumanDuration,
    pub max_attempts: u32,
    pub concurrency: u32,
    /// Retry delays: full jitter below `min(backoff_cap, backoff_base * 2^(n-1))`.
    pub backoff_base: HumanDuration,
    pub backoff_cap: HumanDuration,
    /// Consecutive failures that open a target's circuit, and how long it stays open.
    pub circuit_failures: u32,
    pub circuit_cooldown: HumanDuration,
    /// Delivered and cancelled tasks are deleted after this long.
    pub retention: HumanDuration,
    /// Added to a target's timeout to make an in-flight task's lease; after
    /// the lease another replica may take the task over.
    pub lease_grace: HumanDuration,
}

impl SyncConfig {
    /// What the engine needs of this section.
    pub fn settings(&self) -> plat_sync::Settings {
        plat_sync::Settings {
            poll_interval: self.poll_interval.0,
            backoff_base: self.backoff_base.0,
            backoff_cap: self.backoff_cap.0,
            circuit_failures: self.circuit_failures,
            circuit_cooldown: self.circuit_cooldown.0,
            lease_grace: self.lease_grace.0,
        }
    }
}

impl Config {
    /// What the checks need of `[checks]` (and of `[sync]`: how long tasks are kept).
    pub fn checks_settings(&self) -> plat_checks::Settings {
        let c = &self.checks;
        plat_checks::Settings {
            interval: c.interval.0,
            repair: c.repair,
            internal: c.internal,
            grace: c.grace.0,
            timeout: c.timeout.0,
            page_size: c.page_size,
            max_findings: c.max_findings,
            history: self.sync.retention.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub max_connections: u32,
    pub acquire_timeout: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The issuer URL: `iss` of every token, byte for byte, and the base of
    /// the discovery document (`{issuer}/.well-known/openid-configuration`).
    /// Empty: `http://` and the listen address (loopback for an unspecified
    /// one), fit for one machine only (docs/oauth.md).
    pub issuer: String,
    /// Issuers of tokens minted before `issuer` changed, still accepted
    /// (remove them once `max_issued_ttl` has passed since the change).
    pub previous_issuers: Vec<String>,
    pub audience: String,
    pub access_ttl: HumanDuration,
    /// A session's idle lifetime: how long a refresh token lives unused
    /// (each refresh issues a new one). A tenant may set its own.
    pub refresh_ttl: HumanDuration,
    /// A session's absolute lifetime from its login, refreshed or not. A
    /// tenant may set its own (docs/sessions.md).
    pub session_lifetime: HumanDuration,
    pub service_token_ttl: HumanDuration,
    pub max_issued_ttl: HumanDuration,
    /// How long a rotated-out key keeps verifying (at least the longest token lifetime).
    pub key_retire_after: HumanDuration,
    /// How long token checks may use a cached copy of a user's or service
    /// account's state; changes made through another replica show after this.
    pub subject_cache_ttl: HumanDuration,
    /// File holding the 256-bit key that seals signing keys and keys secret hashes.
    /// Relative paths are under `data_dir`. Created (mode 0600) when missing.
    pub master_key_file: PathBuf,
    /// Password hashes and checks (argon2id, bcrypt) running at once; `0` is
    /// one per CPU. Every path that hashes shares this bound.
    pub max_concurrent_hashes: u32,
    /// How long a login or password change queues for a hashing slot before
    /// it gets 503 `SERVICE_UNAVAILABLE` with `Retry-After`.
    pub hash_queue_timeout: HumanDuration,
    pub argon2: Argon2Config,
    pub lockout: LockoutConfig,
    pub ip_limit: IpLimitConfig,
    pub passkeys: PasskeysConfig,
}

/// Passkeys (WebAuthn, docs/mfa.md): where browsers use them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeysConfig {
    /// The relying party id a passkey is bound to: a domain name, never
    /// changed once people register passkeys. Empty: the issuer's host
    /// (`localhost` for a loopback issuer); an issuer on an IP address
    /// other than loopback has no passkeys until this is set.
    pub rp_id: String,
    /// The web origins (`https://app.example.com`) whose pages may use the
    /// passkeys. Empty: the issuer's origin (for a loopback issuer, the
    /// same with `localhost`).
    pub origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2Config {
    /// Memory in KiB (OWASP: 19456).
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutConfig {
    pub max_failures: u32,
    pub window: HumanDuration,
    pub duration: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpLimitConfig {
    /// Failed logins/grants one IP may make per window before it gets 429.
    pub max_failures: u32,
    pub window: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub body_limit_bytes: usize,
    pub import_limit_bytes: usize,
    /// Most lines in one import (blank lines not counted).
    pub import_max_lines: u64,
    pub request_timeout: HumanDuration,
    pub shutdown_grace: HumanDuration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `tracing` filter, e.g. `info,platd=debug`.
    pub level: String,
    /// `auto` (pretty on a TTY, JSON otherwise), `pretty` or `json`.
    pub format: String,
}

/// Traces (docs/operations.md, "Traces"): exported with OTLP/HTTP when an
/// endpoint is set here or in `OTEL_EXPORTER_OTLP_ENDPOINT` /
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; nothing is exported otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceConfig {
    /// The collector's base URL (`http://otel-collector:4318`); spans go to
    /// its `/v1/traces`.
    pub otlp_endpoint: String,
    /// `service.name` of the exported spans.
    pub service_name: String,
    /// The share of new traces recorded (0 to 1); a caller's sampling
    /// decision (`traceparent` flags) is always followed.
    pub sample_ratio: f64,
}

/// The built-in defaults, as TOML so they document themselves.
pub const DEFAULTS: &str = r#"
listen = "127.0.0.1:8700"
database_url = "sqlite://plat.db?mode=rwc"
data_dir = "."

[database]
max_connections = 8
acquire_timeout = "5s"

[auth]
issuer = ""
previous_issuers = ["plat"]
audience = "plat"
access_ttl = "15m"
refresh_ttl = "30d"
session_lifetime = "90d"
service_token_ttl = "1h"
max_issued_ttl = "30d"
key_retire_after = "30d"
subject_cache_ttl = "1s"
master_key_file = "master.key"
max_concurrent_hashes = 0
hash_queue_timeout = "2s"

[auth.argon2]
memory_kib = 19456
iterations = 2
parallelism = 1

[auth.lockout]
max_failures = 5
window = "15m"
duration = "15m"

[auth.passkeys]
rp_id = ""
origins = []

[auth.ip_limit]
max_failures = 20
window = "1m"

[http]
body_limit_bytes = 1048576
import_limit_bytes = 268435456
import_max_lines = 1000000
request_timeout = "30s"
shutdown_grace = "10s"

[log]
level = "info"
format = "auto"

[trace]
otlp_endpoint = ""
service_name = "platd"
sample_ratio = 1.0

[sync]
enabled = true
poll_interval = "1s"
timeout = "5s"
max_attempts = 12
concurrency = 16
backoff_base = "1s"
backoff_cap = "10m"
circuit_failures = 5
circuit_cooldown = "30s"
retention = "7d"
lease_grace = "5s"

[checks]
interval = "0s"
repair = false
internal = true
grace = "30s"
timeout = "60s"
page_size = 5000
max_findings = 100000
retention = "30d"

[registry]
prober = true
layers = ["infrastructure", "core", "business", "application"]
layering = "warn"
baseline = []
protection_threshold = 0.5
probe_concurrency = 256
lease_ttl = "15s"
heartbeat_ttl = "15s"
remove_after = "5m"
refresh_interval = "100ms"
heartbeat_flush = "1s"

[kubernetes]
enabled = false
namespace = ""
lease_namespace = ""
lease_name = "plat-controller"
lease_ttl = "15s"
identity = ""
requeue = "60s"
public_url = ""
concurrency = 8

[leader]
lease_ttl = "15s"
"#;

/// Overrides from command-line flags, applied last.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Layer defaults, the file (explicit, else `/etc/plat/platd.toml` if
    /// present), `PLATD_*` variables and flags.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
        Self::load_with_env(file, overrides, std::env::vars())
    }

    pub fn load_with_env(
        file: Option<&Path>,
        overrides: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        use config::{File, FileFormat};
        let mut builder = config::Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        match file {
            Some(path) => {
                if !path.exists() {
                    anyhow::bail!("configuration file {} does not exist", path.display());
                }
                builder = builder.add_source(File::from(path).format(FileFormat::Toml));
            }
            None => {
                let default = Path::new("/etc/plat/platd.toml");
                if default.exists() {
                    builder = builder.add_source(File::from(default).format(FileFormat::Toml));
                }
            }
        }
        // `PLATD_AUTH__ACCESS_TTL=10m` → auth.access_ttl. Keys are matched in
        // lower case; values stay strings and are parsed by the typed struct.
        let env_map: std::collections::HashMap<String, String> =
            env.into_iter().filter_map(|(k, v)| k.strip_prefix("PLATD_").map(|rest| (rest.to_owned(), v))).collect();
        for (key, value) in env_map {
            let path = key.to_ascii_lowercase().replace("__", ".");
            builder = builder.set_override(path, value)?;
        }
        if let Some(listen) = &overrides.listen {
            builder = builder.set_override("listen", listen.clone())?;
        }
        if let Some(url) = &overrides.database_url {
            builder = builder.set_override("database_url", url.clone())?;
        }
        if let Some(dir) = &overrides.data_dir {
            builder = builder.set_override("data_dir", dir.display().to_string())?;
        }
        let raw = builder.build()?;
        let config: Config = raw.try_deserialize().map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !["auto", "pretty", "json"].contains(&self.log.format.as_str()) {
            anyhow::bail!("invalid configuration: log.format must be auto, pretty or json");
        }
        if self.auth.argon2.memory_kib < 8 * self.auth.argon2.parallelism.max(1) || self.auth.argon2.iterations == 0 {
            anyhow::bail!("invalid configuration: auth.argon2 parameters are out of range");
        }
        plat_store::Backend::from_url(&self.database_url).map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        self.registry.layers()?;
        self.registry.policy()?;
        self.registry.baseline()?;
        plat_domain::registry::validate_protection_threshold(
            "registry.protection_threshold",
            self.registry.protection_threshold,
        )
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        if !(Duration::from_millis(10)..=Duration::from_secs(10)).contains(&self.registry.heartbeat_flush.0) {
            anyhow::bail!("invalid configuration: registry.heartbeat_flush must be between 10ms and 10s");
        }
        if self.registry.probe_concurrency == 0 || self.registry.lease_ttl.0 < Duration::from_secs(3) {
            anyhow::bail!(
                "invalid configuration: registry.probe_concurrency must be at least 1 and lease_ttl at least 3s"
            );
        }
        let issuer = self.auth.issuer.as_str();
        if !issuer.is_empty()
            && (!(issuer.starts_with("http://") || issuer.starts_with("https://"))
                || issuer.ends_with('/')
                || issuer.contains(['?', '#'])
                || issuer.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            anyhow::bail!(
                "invalid configuration: auth.issuer must be an http:// or https:// URL without a trailing '/', query or fragment (e.g. https://plat.example.com)"
            );
        }
        if !(0.0..=1.0).contains(&self.trace.sample_ratio) {
            anyhow::bail!("invalid configuration: trace.sample_ratio must be between 0 and 1");
        }
        let endpoint = &self.trace.otlp_endpoint;
        if !endpoint.is_empty()
            && reqwest::Url::parse(endpoint).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            anyhow::bail!(
                "invalid configuration: trace.otlp_endpoint must be an http:// or https:// URL, got {endpoint:?}"
            );
        }
        if self.leader.lease_ttl.0 < Duration::from_secs(3) {
            anyhow::bail!("invalid configuration: leader.lease_ttl must be at least 3s");
        }
        let k8s = &self.kubernetes;
        if k8s.lease_ttl.0 < Duration::from_secs(3) || k8s.requeue.0 < Duration::from_secs(1) || k8s.concurrency == 0 {
            anyhow::bail!(
                "invalid configuration: kubernetes.lease_ttl must be at least 3s, requeue at least 1s and concurrency at least 1"
            );
        }
        let url = k8s.public_url.as_str();
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("invalid configuration: kubernetes.public_url must start with http:// or https://");
        }
        if k8s.enabled && !cfg!(feature = "kubernetes") {
            anyhow::bail!(
                "invalid configuration: kubernetes.enabled needs a platd built with the `kubernetes` feature \
                 (cargo build -p platd --features kubernetes; the container image has it)"
            );
        }
        Ok(())
    }

    /// The issuer URL: `auth.issuer`, or derived from the listen address.
    pub fn issuer(&self) -> String {
        if !self.auth.issuer.is_empty() {
            return self.auth.issuer.clone();
        }
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    pub fn master_key_path(&self) -> PathBuf {
        if self.auth.master_key_file.is_absolute() {
            self.auth.master_key_file.clone()
        } else {
            self.data_dir.join(&self.auth.master_key_file)
        }
    }

    pub fn argon2_params(&self) -> argon2::Params {
        let a = &self.auth.argon2;
        // The bounds were checked in validate(); fall back to the crate defaults otherwise.
        argon2::Params::new(a.memory_kib, a.iterations, a.parallelism, None).unwrap_or_default()
    }

    /// The bound on concurrent password hashes: `auth.max_concurrent_hashes`,
    /// or, when it is 0, one per CPU but one (a core stays free for the
    /// async runtime, so token checks keep their latency under a login
    /// flood); at least 1.
    pub fn hash_slots(&self) -> usize {
        match self.auth.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n as usize,
        }
    }

    pub fn lockout_policy(&self) -> plat_domain::LockoutPolicy {
        plat_domain::LockoutPolicy {
            max_failures: self.auth.lockout.max_failures,
            window: self.auth.lockout.window.0,
            lock_for: self.auth.lockout.duration.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_env_overrides_nest() {
        let env = vec![("PLATD_AUTH__ACCESS_TTL".to_owned(), "10m".to_owned()), ("HOME".to_owned(), "/x".to_owned())];
        let config = Config::load_with_env(None, &Overrides::default(), env).expect("load");
        assert_eq!(config.auth.access_ttl.0, Duration::from_secs(600));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8700");
    }

    #[test]
    fn the_example_file_documents_the_defaults() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("platd.example.toml");
        let from_file =
            Config::load_with_env(Some(&example), &Overrides::default(), Vec::new()).expect("example loads");
        let defaults = Config::load_with_env(None, &Overrides::default(), Vec::new()).expect("defaults");
        assert_eq!(format!("{from_file:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let env = vec![("PLATD_AUTH__ACCES_TTL".to_owned(), "10m".to_owned())];
        let err = Config::load_with_env(None, &Overrides::default(), env).expect_err("unknown key");
        assert!(err.to_string().contains("acces_ttl"), "{err}");
    }

    #[test]
    fn trace_settings_are_checked() {
        let load =
            |k: &str, v: &str| Config::load_with_env(None, &Overrides::default(), vec![(k.to_owned(), v.to_owned())]);
        let err = load("PLATD_TRACE__SAMPLE_RATIO", "1.5").expect_err("over 1");
        assert!(err.to_string().contains("trace.sample_ratio"), "{err}");
        let err = load("PLATD_TRACE__OTLP_ENDPOINT", "collector:4318").expect_err("no scheme");
        assert!(err.to_string().contains("trace.otlp_endpoint"), "{err}");
        let ok = load("PLATD_TRACE__OTLP_ENDPOINT", "http://127.0.0.1:4318").expect("a URL");
        assert_eq!(ok.trace.otlp_endpoint, "http://127.0.0.1:4318");
    }

    #[test]
    fn bad_durations_are_refused() {
        let env = vec![("PLATD_AUTH__ACCESS_TTL".to_owned(), "ten".to_owned())];
        assert!(Config::load_with_env(None, &Overrides::default(), env).is_err());
    }

    #[test]
    fn the_kubernetes_switch_needs_the_feature_and_sane_values() {
        let load = |pairs: &[(&str, &str)]| {
            let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
            Config::load_with_env(None, &Overrides::default(), env)
        };
        let enabled = load(&[("PLATD_KUBERNETES__ENABLED", "true")]);
        if cfg!(feature = "kubernetes") {
            assert!(enabled.expect("enabled").kubernetes.enabled);
        } else {
            let err = enabled.expect_err("a platd without the feature refuses it");
            assert!(err.to_string().contains("--features kubernetes"), "{err}");
        }
        assert!(load(&[("PLATD_KUBERNETES__LEASE_TTL", "1s")]).is_err());
        assert!(load(&[("PLATD_LEADER__LEASE_TTL", "2s")]).is_err());
        assert_eq!(load(&[("PLATD_LEADER__LEASE_TTL", "3s")]).expect("3s").leader.lease_ttl.0, Duration::from_secs(3));
        assert!(load(&[("PLATD_KUBERNETES__CONCURRENCY", "0")]).is_err());
        assert!(load(&[("PLATD_KUBERNETES__PUBLIC_URL", "platd.plat.svc:8700")]).is_err());
        let url = load(&[("PLATD_KUBERNETES__PUBLIC_URL", "https://plat.example.com")]).expect("an https URL");
        assert_eq!(url.kubernetes.public_url, "https://plat.example.com");
    }

    #[test]
    fn hash_slots_default_to_one_per_cpu_but_one() {
        let defaults = Config::load_with_env(None, &Overrides::default(), Vec::new()).expect("defaults");
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(defaults.hash_slots(), cpus.saturating_sub(1).max(1));
        assert_eq!(defaults.auth.hash_queue_timeout.0, Duration::from_secs(2));
        let env = vec![("PLATD_AUTH__MAX_CONCURRENT_HASHES".to_owned(), "3".to_owned())];
        assert_eq!(Config::load_with_env(None, &Overrides::default(), env).expect("load").hash_slots(), 3);
    }
}
