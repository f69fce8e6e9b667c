//! Reconcile scenarios: a real platd (in-process, SQLite) on one side, the
//! mock Kubernetes API server (`plat_controller::fake`, kube-rs's
//! tower-test pattern) on the other. Each test drives `reconcile` the way
//! the `Controller` does: with the object as the API server holds it.

use std::sync::Arc;
use std::time::Duration;

use plat_client::Client;
use plat_controller::fake::FakeApi;
use plat_controller::{Context, Metrics, error_policy, reconcile};
use plat_k8s_types::{FIELD_MANAGER, FINALIZER, ServiceRegistration, condition};
use platd::config::{Config, Overrides};
use platd::{AppState, Server};
use serde_json::{Value, json};

const PASSWORD: &str = "controller-test-password";
const NS: &str = "shop";

struct Setup {
    _dir: tempfile::TempDir,
    _server: Server,
    admin: Client,
    base: String,
    ctx: Arc<Context>,
    fake: FakeApi,
}

async fn setup(env: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("plat.db").display());
    let mut vars: Vec<(String, String)> = vec![
        ("PLATD_AUTH__ARGON2__MEMORY_KIB".into(), "64".into()),
        ("PLATD_AUTH__ARGON2__ITERATIONS".into(), "1".into()),
        ("PLATD_REGISTRY__PROBER".into(), "false".into()),
    ];
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        database_url: Some(url),
        data_dir: Some(dir.path().to_path_buf()),
    };
    let config = Config::load_with_env(None, &overrides, vars).expect("config");
    let store = platd::open_store(&config).await.expect("store");
    let state = AppState::new(config, store).await.expect("state");
    platd::bootstrap(&state, "admin", PASSWORD).await.expect("bootstrap");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = Server::start(state, listener).await.expect("start");
    let base = format!("http://{}", server.addr);
    let anonymous = Client::new(&base).expect("client");
    let pair = anonymous.login("system", "admin", PASSWORD).await.expect("login");
    let admin = anonymous.with_token(pair.access_token);
    let (_tx, plat) = tokio::sync::watch::channel(admin.clone());
    std::mem::forget(_tx);
    let (kube, fake) = FakeApi::start();
    let ctx = Context::new(kube, plat, "http://platd.plat.svc:8700", Duration::from_secs(60), Metrics::default());
    Setup { _dir: dir, _server: server, admin, base, ctx, fake }
}

fn path(name: &str) -> String {
    format!("/apis/plat.dev/v1alpha1/namespaces/{NS}/serviceregistrations/{name}")
}

fn secret_path(name: &str) -> String {
    format!("/api/v1/namespaces/{NS}/secrets/{name}")
}

fn resource(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "plat.dev/v1alpha1",
        "kind": "ServiceRegistration",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    })
}

/// One reconcile of the object as the fake holds it.
async fn reconcile_now(s: &Setup, name: &str) -> Result<kube::runtime::controller::Action, plat_controller::Error> {
    let object = s.fake.get(&path(name)).expect("the resource exists");
    let obj: ServiceRegistration = serde_json::from_value(object).expect("a ServiceRegistration");
    reconcile(Arc::new(obj), s.ctx.clone()).await
}

/// Reconcile until the finalizer is on and the status is written.
async fn settle(s: &Setup, name: &str) -> ServiceRegistration {
    for _ in 0..3 {
        reconcile_now(s, name).await.expect("reconcile");
    }
    serde_json::from_value(s.fake.get(&path(name)).expect("the resource")).expect("a ServiceRegistration")
}

fn condition_of<'a>(obj: &'a ServiceRegistration, type_: &str) -> (&'a str, &'a str, &'a str) {
    let c = obj.condition(type_).unwrap_or_else(|| panic!("no {type_} condition"));
    (c.status.as_str(), c.reason.as_str(), c.message.as_str())
}

fn secret_data(secret: &Value, key: &str) -> String {
    use base64::Engine;
    let encoded = secret["data"][key].as_str().unwrap_or_else(|| panic!("no {key} in the Secret"));
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64")).expect("utf-8")
}

#[tokio::test]
async fn create_registers_and_applies_the_status_then_a_spec_change_follows() {
    let s = setup(&[]).await;
    s.fake.put(resource(
        "orders",
        json!({"version": "1.0.0", "endpoints": [{"url": "http://orders.shop.svc:8001"}], "layer": "business",
               "tags": {"team": "shop"}}),
    ));

    // The first reconcile only adds the finalizer (a JSON patch with a test).
    reconcile_now(&s, "orders").await.expect("reconcile");
    let stored = s.fake.get(&path("orders")).expect("resource");
    assert_eq!(stored["metadata"]["finalizers"], json!([FINALIZER]));
    assert!(s.admin.get_service(NS, "orders").await.is_err(), "nothing registered before the finalizer is on");

    let obj = settle(&s, "orders").await;
    let registered = s.admin.get_service(NS, "orders").await.expect("registered in plat");
    assert_eq!(registered.version.as_deref(), Some("1.0.0"));
    assert_eq!(registered.source, plat_proto::RegistrationSource::Kubernetes);
    assert_eq!(registered.endpoints[0].url, "http://orders.shop.svc:8001");
    assert_eq!(registered.tags["team"], "shop");
    let status = obj.status.clone().expect("status written");
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(status.total_endpoints, 1);
    assert_eq!(condition_of(&obj, condition::REGISTERED).0, "True");
    assert_eq!(condition_of(&obj, condition::LAYERING_VALID).0, "True");
    assert_eq!(condition_of(&obj, condition::HEALTHY).1, "NoHealthyEndpoints", "not probed yet");
    for c in &status.conditions {
        assert_eq!(c.observed_generation, Some(1), "{}", c.type_);
    }
    // Status is written by server-side apply under one field manager.
    let applies: Vec<_> = s.fake.calls().into_iter().filter(|c| c.path.ends_with("/status")).collect();
    assert!(!applies.is_empty());
    for call in &applies {
        assert!(call.content_type.starts_with("application/apply-patch"), "{}", call.content_type);
        assert!(call.query.contains(&format!("fieldManager={FIELD_MANAGER}")), "{}", call.query);
        assert!(call.query.contains("force=true"), "{}", call.query);
    }

    // Level-triggered and idempotent: another reconcile changes nothing.
    s.fake.clear_calls();
    reconcile_now(&s, "orders").await.expect("reconcile");
    assert!(s.fake.calls().iter().all(|c| c.method == http::Method::GET), "an unchanged resource writes nothing");
    assert_eq!(s.admin.get_service(NS, "orders").await.expect("service").revision, registered.revision);

    // A spec change reaches plat; observedGeneration follows.
    let mut changed = s.fake.get(&path("orders")).expect("resource");
    changed["spec"]["version"] = json!("1.1.0");
    changed["spec"]["dependsOn"] = json!(["payments"]);
    s.fake.put(changed);
    let obj = settle(&s, "orders").await;
    let updated = s.admin.get_service(NS, "orders").await.expect("service");
    assert_eq!(updated.version.as_deref(), Some("1.1.0"));
    assert_eq!(updated.depends_on, ["payments"]);
    assert!(updated.revision > registered.revision);
    assert_eq!(obj.status.as_ref().and_then(|s| s.observed_generation), Some(2));
    assert_eq!(obj.status.as_ref().and_then(|s| s.revision), Some(updated.revision as i64));
    // payments is not registered: the default warn mode registers and says so.
    let (status, reason, message) = condition_of(&obj, condition::LAYERING_VALID);
    assert_eq!((status, reason), ("False", "LayeringViolation"));
    assert!(message.contains("payments"), "{message}");
}

#[tokio::test]
async fn delete_deregisters_revokes_the_account_and_removes_the_finalizer_and_the_secret() {
    let s = setup(&[]).await;
    s.fake.put(resource(
        "billing",
        json!({"endpoints": [{"url": "http://billing.shop.svc"}], "credentials": {"enabled": true}}),
    ));
    let obj = settle(&s, "billing").await;
    assert_eq!(condition_of(&obj, "CredentialsReady").0, "True");
    let secret = s.fake.get(&secret_path("billing-plat-credentials")).expect("the Secret");
    let (id, secret_value) = (secret_data(&secret, "client_id"), secret_data(&secret, "client_secret"));
    let anonymous = Client::new(&s.base).expect("client");
    anonymous.client_credentials(&id, &secret_value, None).await.expect("the credentials work");

    s.fake.delete(&path("billing"));
    assert!(s.fake.get(&path("billing")).is_some(), "the finalizer holds the resource");
    reconcile_now(&s, "billing").await.expect("cleanup");
    assert!(s.fake.get(&path("billing")).is_none(), "the finalizer is removed after cleanup");
    assert!(s.fake.get(&secret_path("billing-plat-credentials")).is_none(), "the owned Secret goes with it");
    let gone = s.admin.get_service(NS, "billing").await.expect_err("deregistered");
    assert_eq!(gone.code(), Some(plat_proto::ErrorCode::ServiceNotFound));
    let refused = anonymous.client_credentials(&id, &secret_value, None).await.expect_err("the account is gone");
    assert_eq!(refused.code(), Some(plat_proto::ErrorCode::InvalidCredentials));
    // The finalizer was removed by a patch of the resource itself.
    let calls = s.fake.calls();
    let removal = calls.iter().rposition(|c| c.method == http::Method::PATCH && c.path == path("billing"));
    assert!(removal.is_some());
}

#[tokio::test]
async fn credentials_are_a_secret_owned_by_the_resource_written_once_and_rotated_on_the_annotation() {
    let s = setup(&[]).await;
    s.fake.put(resource(
        "search",
        json!({"endpoints": [{"url": "http://search.shop.svc"}],
               "credentials": {"enabled": true, "secretName": "search-plat"}}),
    ));
    let obj = settle(&s, "search").await;
    let secret = s.fake.get(&secret_path("search-plat")).expect("the Secret");
    let owner = &secret["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "ServiceRegistration");
    assert_eq!(owner["uid"], json!(obj.metadata.uid));
    assert_eq!(owner["controller"], true);
    assert_eq!(secret["metadata"]["labels"]["app.kubernetes.io/managed-by"], "plat-controller");
    assert_eq!(secret_data(&secret, "token_url"), "http://platd.plat.svc:8700/api/v1/auth/token");
    assert_eq!(secret_data(&secret, "jwks_url"), "http://platd.plat.svc:8700/.well-known/jwks.json");
    let first = secret_data(&secret, "client_secret");
    let id = secret_data(&secret, "client_id");
    assert_eq!(s.admin.get_service(NS, "search").await.expect("service").service_account.as_deref(), Some(&*id));

    // Created once: more reconciles leave it alone.
    for _ in 0..3 {
        reconcile_now(&s, "search").await.expect("reconcile");
    }
    assert_eq!(secret_data(&s.fake.get(&secret_path("search-plat")).expect("Secret"), "client_secret"), first);

    // The annotation rotates it: a new secret that works, the old one not.
    let mut annotated = s.fake.get(&path("search")).expect("resource");
    annotated["metadata"]["annotations"] = json!({"plat.dev/rotate-credentials": "2026-12-02T13:00:00Z"});
    s.fake.put(annotated);
    reconcile_now(&s, "search").await.expect("reconcile");
    let rotated = s.fake.get(&secret_path("search-plat")).expect("Secret");
    let second = secret_data(&rotated, "client_secret");
    assert_ne!(second, first);
    assert_eq!(secret_data(&rotated, "client_id"), id, "same account, new secret");
    assert_eq!(rotated["metadata"]["annotations"]["plat.dev/rotated-for"], "2026-12-02T13:00:00Z");
    let anonymous = Client::new(&s.base).expect("client");
    anonymous.client_credentials(&id, &second, None).await.expect("the new secret works");
    assert!(anonymous.client_credentials(&id, &first, None).await.is_err(), "the old secret is dead");
    reconcile_now(&s, "search").await.expect("reconcile");
    assert_eq!(secret_data(&s.fake.get(&secret_path("search-plat")).expect("Secret"), "client_secret"), second);

    // A Secret of that name that is not ours is left alone, and said so.
    s.fake.put(json!({"apiVersion": "v1", "kind": "Secret",
                      "metadata": {"name": "taken", "namespace": NS}, "data": {"x": "eA=="}}));
    s.fake.put(resource(
        "other",
        json!({"endpoints": [{"url": "http://other.shop.svc"}],
               "credentials": {"enabled": true, "secretName": "taken"}}),
    ));
    let other = settle(&s, "other").await;
    assert_eq!(condition_of(&other, "CredentialsReady").1, "SecretConflict");
    assert_eq!(s.fake.get(&secret_path("taken")).expect("Secret")["data"], json!({"x": "eA=="}));

    // Turning credentials off deletes the Secret and kills its secret.
    let mut off = s.fake.get(&path("search")).expect("resource");
    off["spec"]["credentials"]["enabled"] = json!(false);
    s.fake.put(off);
    let obj = settle(&s, "search").await;
    assert!(s.fake.get(&secret_path("search-plat")).is_none());
    assert!(obj.condition("CredentialsReady").is_none());
    assert!(anonymous.client_credentials(&id, &second, None).await.is_err(), "the disabled secret is dead");
}

#[tokio::test]
async fn a_layering_violation_in_enforce_mode_is_registered_false_with_the_reason() {
    let s = setup(&[("PLATD_REGISTRY__LAYERING", "enforce")]).await;
    s.fake.put(resource("users", json!({"endpoints": [{"url": "http://users.shop.svc"}], "layer": "business"})));
    settle(&s, "users").await;
    s.fake.put(resource(
        "ledger",
        json!({"endpoints": [{"url": "http://ledger.shop.svc"}], "layer": "core", "dependsOn": ["users"]}),
    ));
    let obj = settle(&s, "ledger").await;
    let (status, reason, message) = condition_of(&obj, condition::REGISTERED);
    assert_eq!((status, reason), ("False", "LayerViolation"));
    assert!(message.contains("users"), "{message}");
    assert_eq!(condition_of(&obj, condition::LAYERING_VALID).0, "False");
    assert!(s.admin.get_service(NS, "ledger").await.is_err(), "not stored");
    // Fixing the spec registers it.
    let mut fixed = s.fake.get(&path("ledger")).expect("resource");
    fixed["spec"]["layer"] = json!("application");
    s.fake.put(fixed);
    let obj = settle(&s, "ledger").await;
    assert_eq!(condition_of(&obj, condition::REGISTERED).0, "True");
    assert_eq!(condition_of(&obj, condition::LAYERING_VALID).0, "True");
}

#[tokio::test]
async fn api_errors_back_off_and_count_then_a_success_resets() {
    let s = setup(&[]).await;
    s.fake.put(resource("cart", json!({"endpoints": [{"url": "http://cart.shop.svc"}]})));
    let obj: ServiceRegistration = serde_json::from_value(s.fake.get(&path("cart")).expect("r")).expect("sr");
    let obj = Arc::new(obj);
    let mut delays = Vec::new();
    for _ in 0..3 {
        s.fake.fail_next(1);
        let error = reconcile(obj.clone(), s.ctx.clone()).await.expect_err("the API server fails");
        assert_eq!(error.reason(), "kubernetes");
        delays.push(error_policy(obj.clone(), &error, s.ctx.clone()));
    }
    let expected: Vec<_> =
        [1, 2, 4].iter().map(|n| kube::runtime::controller::Action::requeue(Duration::from_secs(*n))).collect();
    assert_eq!(delays, expected);
    assert_eq!(s.ctx.metrics.errors("kubernetes"), 3);
    assert_eq!(s.ctx.metrics.counts().1, 3);
    settle(&s, "cart").await;
    // A spec change makes the next reconcile write its status: fail that.
    let mut changed = s.fake.get(&path("cart")).expect("resource");
    changed["spec"]["version"] = json!("2");
    s.fake.put(changed);
    let error = {
        s.fake.fail_next(1);
        reconcile_now(&s, "cart").await.expect_err("fails again")
    };
    assert_eq!(
        error_policy(obj, &error, s.ctx.clone()),
        kube::runtime::controller::Action::requeue(Duration::from_secs(1)),
        "a success reset the backoff"
    );

    // plat refusing the controller (a bad token) is an error too, not a status.
    let (_tx, bad) = tokio::sync::watch::channel(Client::new(&s.base).expect("client").with_token("not-a-token"));
    let (kube, fake) = FakeApi::start();
    let ctx = Context::new(kube, bad, "http://x", Duration::from_secs(60), Metrics::default());
    fake.put(resource("cart", json!({"endpoints": [{"url": "http://cart.shop.svc"}]})));
    for _ in 0..2 {
        let obj: ServiceRegistration = serde_json::from_value(fake.get(&path("cart")).expect("r")).expect("sr");
        let _ = reconcile(Arc::new(obj), ctx.clone()).await;
    }
    assert_eq!(ctx.metrics.errors("plat"), 1);
}

#[tokio::test]
async fn endpoint_slice_changes_update_the_instances() {
    let s = setup(&[]).await;
    let slice = |name: &str, ips: &[(&str, bool)]| {
        json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": NS, "labels": {"kubernetes.io/service-name": "api"}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": ips.iter().map(|(ip, ready)| json!({"addresses": [ip], "conditions": {"ready": ready}}))
                .collect::<Vec<_>>(),
        })
    };
    // Another Service's slice in the namespace is not ours.
    s.fake.put(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "web-1", "namespace": NS, "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4", "ports": [{"name": "http", "port": 8080}],
        "endpoints": [{"addresses": ["10.9.9.9"]}],
    }));
    s.fake.put(slice("api-1", &[("10.0.0.1", true), ("10.0.0.2", false)]));
    s.fake.put(resource("api", json!({"serviceRef": {"name": "api", "port": "http"}})));
    let obj = settle(&s, "api").await;
    let urls = |r: &plat_proto::ServiceRegistration| r.endpoints.iter().map(|e| e.url.clone()).collect::<Vec<_>>();
    let registered = s.admin.get_service(NS, "api").await.expect("service");
    assert_eq!(urls(&registered), ["http://10.0.0.1:8080"]);
    assert_eq!(obj.status.as_ref().map(|s| s.endpoints.clone()), Some(vec!["http://10.0.0.1:8080".to_owned()]));

    // A Pod gets ready, another slice appears: the next reconcile (which a
    // slice change triggers) registers them.
    s.fake.put(slice("api-1", &[("10.0.0.1", true), ("10.0.0.2", true)]));
    s.fake.put(slice("api-2", &[("10.0.0.3", true)]));
    settle(&s, "api").await;
    let instances = s.admin.service_instances(NS, "api").await.expect("instances");
    let mut seen: Vec<String> = instances.iter().map(|i| i.url.clone()).collect();
    seen.sort();
    assert_eq!(seen, ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"]);

    // All gone: registered with no endpoints, Healthy=False NoEndpoints.
    s.fake.put(slice("api-1", &[]));
    s.fake.put(slice("api-2", &[]));
    let obj = settle(&s, "api").await;
    assert!(s.admin.get_service(NS, "api").await.expect("service").endpoints.is_empty());
    assert_eq!(condition_of(&obj, condition::HEALTHY).1, "NoEndpoints");
}

/// The whole path against a real cluster: the manifests applied, an example
/// resource, its conditions. Needs KUBECONFIG (no cluster runs in CI).
#[tokio::test]
#[ignore = "needs a Kubernetes cluster: KUBECONFIG=... cargo test -p plat-controller -- --ignored"]
async fn real_cluster_registers_the_example() {
    assert!(std::env::var_os("KUBECONFIG").is_some(), "set KUBECONFIG to a cluster with the manifests applied");
    let client = kube::Client::try_default().await.expect("a cluster");
    let api: kube::Api<ServiceRegistration> = kube::Api::namespaced(client, "shop");
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../manifests/examples/service-registration.yaml"
    ))
    .expect("example");
    let example: ServiceRegistration = serde_saphyr::from_str(&example).expect("example");
    let name = example.metadata.name.clone().expect("name");
    api.patch(&name, &kube::api::PatchParams::apply("plat-test").force(), &kube::api::Patch::Apply(&example))
        .await
        .expect("apply the example (kubectl apply -k manifests/base first)");
    let registered = kube::runtime::wait::await_condition(api.clone(), &name, |obj: Option<&ServiceRegistration>| {
        obj.and_then(|o| o.condition(condition::REGISTERED)).is_some_and(|c| c.status == "True")
    });
    tokio::time::timeout(Duration::from_secs(120), registered)
        .await
        .expect("Registered=True in 2 minutes")
        .expect("watch");
    api.delete(&name, &Default::default()).await.expect("delete");
}
