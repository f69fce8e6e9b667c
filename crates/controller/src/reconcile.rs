//! One level-triggered reconcile of a `ServiceRegistration`: resolve its
//! endpoints, register it through plat's API, keep its credentials Secret,
//! write its status; on deletion deregister it (which deletes its service
//! account) before the finalizer goes.
//!
//! Every step is idempotent: a reconcile that runs twice, or stops half way
//! and starts again, ends in the same state.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event, finalizer};
use kube::{Resource, ResourceExt};
use plat_client::ClientError;
use plat_k8s_types::{
    FIELD_MANAGER, FINALIZER, MANAGED_BY_LABEL, ROTATE_ANNOTATION, ROTATED_FOR_ANNOTATION, ServiceRegistration,
};
use plat_proto::{ErrorCode, ServiceCredentialsRequest};
use tokio::sync::watch;

use crate::metrics::Metrics;
use crate::resolve;
use crate::status::{self, Credentials, Outcome};

/// Why a reconcile failed; each is retried with backoff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// plat refused the controller itself (its token, its permissions).
    #[error("plat API: {0}")]
    Plat(ClientError),
    /// plat did not answer, or answered that it is busy.
    #[error("plat unavailable: {0}")]
    PlatUnavailable(ClientError),
    #[error("finalizer: {0}")]
    Finalizer(String),
    #[error("the resource has no namespace")]
    NoNamespace,
}

impl Error {
    /// The `reason` label of the error metric.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Kube(_) => "kubernetes",
            Error::Plat(_) => "plat",
            Error::PlatUnavailable(_) => "plat_unavailable",
            Error::Finalizer(_) | Error::NoNamespace => "finalizer",
        }
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        match &e {
            ClientError::Api { error, .. } if !error.retryable => Error::Plat(e),
            _ => Error::PlatUnavailable(e),
        }
    }
}

/// What every reconcile shares.
pub struct Context {
    pub kube: kube::Client,
    /// plat's API as the controller's account; the daemon swaps in a
    /// client with a fresh token before the old one expires.
    pub plat: watch::Receiver<plat_client::Client>,
    /// The URL services reach plat at: the credentials Secret's
    /// `token_url` and `jwks_url` start with it.
    pub public_url: String,
    /// Reconcile every resource this often even when nothing changed, so
    /// health changes reach its status.
    pub requeue: Duration,
    pub metrics: Metrics,
    /// Failures in a row per resource, for the backoff.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    pub fn new(
        kube: kube::Client,
        plat: watch::Receiver<plat_client::Client>,
        public_url: &str,
        requeue: Duration,
        metrics: Metrics,
    ) -> Arc<Context> {
        Arc::new(Context {
            kube,
            plat,
            public_url: public_url.trim_end_matches('/').to_owned(),
            requeue,
            metrics,
            failures: Mutex::new(HashMap::new()),
        })
    }

    fn plat(&self) -> plat_client::Client {
        self.plat.borrow().clone()
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn key(obj: &ServiceRegistration) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// The reconcile `Controller::run` calls.
pub async fn reconcile(obj: Arc<ServiceRegistration>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let namespace = obj.namespace().ok_or(Error::NoNamespace)?;
    let api: Api<ServiceRegistration> = Api::namespaced(ctx.kube.clone(), &namespace);
    let result = finalizer(&api, FINALIZER, obj.clone(), |event| async {
        match event {
            Event::Apply(obj) => apply(obj, &ctx).await,
            Event::Cleanup(obj) => cleanup(obj, &ctx).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e) | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        kube::runtime::finalizer::Error::AddFinalizer(e) | kube::runtime::finalizer::Error::RemoveFinalizer(e) => {
            Error::Kube(e)
        }
        other => Error::Finalizer(other.to_string()),
    });
    match &result {
        Ok(_) => {
            ctx.failures().remove(&key(&obj));
            ctx.metrics.reconciled(started.elapsed());
        }
        Err(e) => ctx.metrics.failed(e.reason(), started.elapsed()),
    }
    result
}

/// Backoff after a failed reconcile: 1 s, doubling per failure in a row,
/// at most 5 minutes; a success resets it.
pub fn error_policy(obj: Arc<ServiceRegistration>, error: &Error, ctx: Arc<Context>) -> Action {
    let failures = {
        let mut map = ctx.failures();
        let n = map.entry(key(&obj)).or_insert(0);
        *n = n.saturating_add(1);
        *n
    };
    let delay = backoff(failures);
    tracing::warn!(resource = %key(&obj), error = %error, failures, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// The delay after `failures` failed reconciles in a row.
pub fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(9);
    Duration::from_secs(secs.min(300))
}

async fn apply(obj: Arc<ServiceRegistration>, ctx: &Context) -> Result<Action, Error> {
    let namespace = obj.namespace().ok_or(Error::NoNamespace)?;
    let name = obj.name_any();
    let endpoints = endpoints(&obj, ctx, &namespace).await?;
    let plat = ctx.plat();
    let request = status::registration(&obj, &endpoints);
    let outcome = match plat.register_service(&namespace, &name, &request, false).await {
        Ok(registration) => Outcome::Registered(Box::new(registration)),
        Err(ClientError::Api { status, error, .. }) if refused(status, error.code) => {
            Outcome::Refused { code: error.code, message: error.message }
        }
        Err(e) => return Err(e.into()),
    };
    let credentials = match (obj.secret_name(), &outcome) {
        (Some(secret), Outcome::Registered(registration)) => {
            Some(ensure_secret(ctx, &obj, &secret, registration.service_account.as_deref()).await?)
        }
        (Some(_), Outcome::Refused { .. }) => Some(Credentials::Failed {
            reason: "NotRegistered",
            message: "credentials are issued once the service is registered".into(),
        }),
        (None, registered) => {
            let account = match registered {
                Outcome::Registered(r) => r.service_account.is_some(),
                Outcome::Refused { .. } => false,
            };
            drop_secret(ctx, &obj, account).await?;
            None
        }
    };
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let status = status::status(&obj, &outcome, &endpoints, credentials.as_ref(), &now);
    if status::changed(obj.status.as_ref(), &status) {
        let api: Api<ServiceRegistration> = Api::namespaced(ctx.kube.clone(), &namespace);
        let body = serde_json::json!({
            "apiVersion": "plat.dev/v1alpha1",
            "kind": "ServiceRegistration",
            "status": status,
        });
        api.patch_status(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&body)).await?;
    }
    // Until the first probes answer, look again soon; after that, at the
    // periodic pace (and at once on any change of the resource, its
    // Secret or its EndpointSlices).
    let healthy = status.healthy_endpoints > 0 || status.total_endpoints == 0;
    let soon = obj.spec.health_check.clone().unwrap_or_default().interval_seconds.max(1) as u64 + 1;
    Ok(Action::requeue(if healthy { ctx.requeue } else { ctx.requeue.min(Duration::from_secs(soon)) }))
}

/// A 4xx that says the spec itself is wrong (or breaks the layering rule):
/// a status, not a retry. 401/403 are the controller's own problem, 429 and
/// 5xx plat's; those are errors with backoff.
fn refused(status: u16, code: ErrorCode) -> bool {
    matches!(status, 400 | 404 | 409 | 413 | 422) && code != ErrorCode::NotFound
}

async fn endpoints(obj: &ServiceRegistration, ctx: &Context, namespace: &str) -> Result<Vec<String>, Error> {
    match &obj.spec.service_ref {
        Some(service) => {
            let slices: Api<EndpointSlice> = Api::namespaced(ctx.kube.clone(), namespace);
            let selector = format!("{}={}", resolve::SERVICE_NAME_LABEL, service.name);
            let list = slices.list(&ListParams::default().labels(&selector)).await?;
            Ok(resolve::endpoints(&list.items, &service.port, service.scheme.unwrap_or_default()))
        }
        None => Ok(obj.spec.endpoints.iter().flatten().map(|e| e.url.clone()).collect()),
    }
}

/// Keep the credentials Secret: written when it is missing, when it holds
/// another client id than plat's account (plat's account was re-created),
/// or when the rotation annotation has a value it was not written for.
/// Writing it asks plat for the credentials: the account is created on the
/// first call, its secret rotated on later ones.
async fn ensure_secret(
    ctx: &Context,
    obj: &ServiceRegistration,
    secret_name: &str,
    account: Option<&str>,
) -> Result<Credentials, Error> {
    let namespace = obj.namespace().ok_or(Error::NoNamespace)?;
    let secrets: Api<Secret> = Api::namespaced(ctx.kube.clone(), &namespace);
    let wanted_rotation = obj.annotations().get(ROTATE_ANNOTATION).cloned().unwrap_or_default();
    if let Some(existing) = secrets.get_opt(secret_name).await? {
        if !owned_by(&existing, obj) {
            return Ok(Credentials::Failed {
                reason: "SecretConflict",
                message: format!(
                    "Secret {secret_name} exists and is not owned by this resource; pick another secretName"
                ),
            });
        }
        let client_id =
            existing.data.as_ref().and_then(|d| d.get("client_id")).map(|b| String::from_utf8_lossy(&b.0).into_owned());
        let rotated_for = existing.annotations().get(ROTATED_FOR_ANNOTATION).cloned().unwrap_or_default();
        if client_id.is_some() && client_id.as_deref() == account && rotated_for == wanted_rotation {
            return Ok(Credentials::Ready { secret: secret_name.to_owned() });
        }
    }
    let roles = obj.spec.credentials.as_ref().map(|c| c.roles.clone()).unwrap_or_default();
    let issued =
        match ctx.plat().service_credentials(&namespace, &obj.name_any(), &ServiceCredentialsRequest { roles }).await {
            Ok(issued) => issued,
            Err(ClientError::Api { status, error, .. }) if refused(status, error.code) || status == 403 => {
                return Ok(Credentials::Failed { reason: "CredentialsRefused", message: error.message });
            }
            Err(e) => return Err(e.into()),
        };
    let data = BTreeMap::from([
        ("client_id".to_owned(), ByteString(issued.client_id.into_bytes())),
        ("client_secret".to_owned(), ByteString(issued.client_secret.into_bytes())),
        ("token_url".to_owned(), ByteString(format!("{}{}", ctx.public_url, issued.token_url).into_bytes())),
        ("jwks_url".to_owned(), ByteString(format!("{}{}", ctx.public_url, issued.jwks_url).into_bytes())),
    ]);
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(secret_name.to_owned()),
            namespace: Some(namespace.clone()),
            labels: Some(BTreeMap::from([(MANAGED_BY_LABEL.0.to_owned(), MANAGED_BY_LABEL.1.to_owned())])),
            annotations: Some(BTreeMap::from([(ROTATED_FOR_ANNOTATION.to_owned(), wanted_rotation)])),
            owner_references: obj.controller_owner_ref(&()).map(|r| vec![r]),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(data),
        ..Secret::default()
    };
    secrets.patch(secret_name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&secret)).await?;
    tracing::info!(resource = %key(obj), secret = secret_name, created = issued.created, "wrote the credentials Secret");
    Ok(Credentials::Ready { secret: secret_name.to_owned() })
}

fn owned_by(secret: &Secret, obj: &ServiceRegistration) -> bool {
    let uid = obj.uid();
    secret.owner_references().iter().any(|r| Some(&r.uid) == uid.as_ref() && r.controller == Some(true))
}

/// Credentials were turned off: the Secret this resource owns goes, and
/// the secret it held stops working (plat rotates it and nobody keeps the
/// new one); the account itself goes with the registration.
async fn drop_secret(ctx: &Context, obj: &ServiceRegistration, account: bool) -> Result<(), Error> {
    let Some(secret_name) = obj.status.as_ref().and_then(|s| s.secret_name.clone()) else { return Ok(()) };
    let namespace = obj.namespace().ok_or(Error::NoNamespace)?;
    let secrets: Api<Secret> = Api::namespaced(ctx.kube.clone(), &namespace);
    let Some(existing) = secrets.get_opt(&secret_name).await? else { return Ok(()) };
    if !owned_by(&existing, obj) {
        return Ok(());
    }
    if account {
        let request = ServiceCredentialsRequest::default();
        ctx.plat().service_credentials(&namespace, &obj.name_any(), &request).await?;
    }
    secrets.delete(&secret_name, &DeleteParams::default()).await?;
    tracing::info!(resource = %key(obj), secret = %secret_name, "credentials disabled: deleted the Secret");
    Ok(())
}

/// The resource is being deleted: deregister the service (plat deletes its
/// service account with it, so its tokens stop being issued) before the
/// finalizer goes. The Secret goes with the resource (owner reference).
async fn cleanup(obj: Arc<ServiceRegistration>, ctx: &Context) -> Result<Action, Error> {
    let namespace = obj.namespace().ok_or(Error::NoNamespace)?;
    match ctx.plat().deregister_service(&namespace, &obj.name_any()).await {
        Ok(()) => {
            tracing::info!(resource = %key(&obj), "deregistered");
            Ok(Action::await_change())
        }
        Err(e) if matches!(e.code(), Some(ErrorCode::ServiceNotFound | ErrorCode::NotFound)) => {
            Ok(Action::await_change())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_five_minutes() {
        let delays: Vec<u64> = [1, 2, 3, 4, 9, 10, 11, 100].iter().map(|n| backoff(*n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 256, 300, 300, 300]);
    }

    #[test]
    fn only_the_specs_own_faults_are_a_status() {
        assert!(refused(422, ErrorCode::LayerViolation));
        assert!(refused(422, ErrorCode::ValidationError));
        assert!(refused(404, ErrorCode::TenantNotFound));
        assert!(!refused(401, ErrorCode::TokenExpired));
        assert!(!refused(403, ErrorCode::PermissionDenied));
        assert!(!refused(503, ErrorCode::ServiceUnavailable));
        assert!(!refused(404, ErrorCode::NotFound));
    }
}
