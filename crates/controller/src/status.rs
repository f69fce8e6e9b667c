//! What a reconcile found, as the resource's status: pure functions of the
//! spec, plat's answer and the previous status, so every condition and
//! reason is tested without a cluster.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use plat_k8s_types::{ServiceRegistration, ServiceRegistrationStatus, condition};
use plat_proto::{ErrorCode, RegisterService, ServiceRegistration as Registration};

/// Condition type of the credentials Secret, set only while
/// `spec.credentials.enabled` (an addition to the contract's three).
pub const CREDENTIALS_READY: &str = "CredentialsReady";

/// plat's answer to the registration.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Stored (or unchanged) as the spec says.
    Registered(Box<Registration>),
    /// Refused for what the spec says: a layering violation in enforce
    /// mode, or a value plat does not accept. Retrying the same spec gets
    /// the same answer, so this is a status, not an error.
    Refused { code: ErrorCode, message: String },
}

/// The credentials Secret, when credentials are enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// The Secret holds the service's current client id and secret.
    Ready { secret: String },
    /// It cannot be written; the reason and why.
    Failed { reason: &'static str, message: String },
}

/// The registration plat gets for `spec` with its endpoints resolved.
pub fn registration(obj: &ServiceRegistration, endpoints: &[String]) -> RegisterService {
    let spec = &obj.spec;
    let check = spec.health_check.clone().unwrap_or_default();
    RegisterService {
        version: spec.version.clone(),
        endpoints: endpoints.iter().map(|url| plat_proto::Endpoint { url: url.clone() }).collect(),
        health_check: plat_proto::HealthCheck {
            path: check.path,
            interval: format!("{}s", check.interval_seconds),
            timeout: format!("{}s", check.timeout_seconds),
            kind: match check.kind {
                Some(plat_k8s_types::ProbeKind::Tcp) => plat_proto::HealthCheckKind::Tcp,
                _ => plat_proto::HealthCheckKind::Http,
            },
            ..plat_proto::HealthCheck::default()
        },
        layer: spec.layer.clone(),
        depends_on: spec.depends_on.clone(),
        tags: spec.tags.clone(),
        source: plat_proto::RegistrationSource::Kubernetes,
        tenant: spec.tenant.clone(),
    }
}

/// The status to write: conditions carry their previous transition time
/// while their status stays the same (the `metav1.Condition` rule).
pub fn status(
    obj: &ServiceRegistration,
    outcome: &Outcome,
    endpoints: &[String],
    credentials: Option<&Credentials>,
    now: &Time,
) -> ServiceRegistrationStatus {
    let generation = obj.metadata.generation;
    let previous = obj.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    let condition = |type_: &str, status: bool, reason: &str, message: String| {
        let status = if status { "True" } else { "False" };
        make(previous, type_, status, reason, message, generation, now)
    };
    let unknown = |type_: &str, reason: &str, message: &str| {
        make(previous, type_, "Unknown", reason, message.to_owned(), generation, now)
    };
    let mut out = ServiceRegistrationStatus {
        observed_generation: generation,
        endpoints: endpoints.to_vec(),
        ..ServiceRegistrationStatus::default()
    };
    match outcome {
        Outcome::Registered(reg) => {
            let (healthy, total) = (reg.status.healthy_endpoints, reg.status.total_endpoints);
            out.healthy_endpoints = healthy as i32;
            out.total_endpoints = total as i32;
            out.revision = Some(reg.revision as i64);
            out.conditions.push(condition(
                condition::REGISTERED,
                true,
                "Registered",
                format!("registered in plat as {}/{} (revision {})", reg.namespace, reg.name, reg.revision),
            ));
            out.conditions.push(match (healthy, total) {
                (_, 0) => condition(condition::HEALTHY, false, "NoEndpoints", no_endpoints(obj)),
                (0, _) if reg.status.protected => condition(
                    condition::HEALTHY,
                    false,
                    "NoHealthyEndpoints",
                    format!("none of {total} endpoints passes; discovery answers the last healthy set"),
                ),
                (0, _) => condition(
                    condition::HEALTHY,
                    false,
                    "NoHealthyEndpoints",
                    format!("none of {total} endpoints passes its health check (yet)"),
                ),
                (h, t) => condition(condition::HEALTHY, true, "Healthy", format!("{h} of {t} endpoints pass")),
            });
            let layering = reg.status.layering.as_str();
            out.conditions.push(if layering == "ok" {
                condition(condition::LAYERING_VALID, true, "Valid", String::new())
            } else {
                let message = layering.strip_prefix("violation: ").unwrap_or(layering);
                condition(condition::LAYERING_VALID, false, "LayeringViolation", message.to_owned())
            });
        }
        Outcome::Refused { code, message } => {
            let layering = *code == ErrorCode::LayerViolation;
            let reason = if layering { "LayerViolation" } else { "Invalid" };
            out.conditions.push(condition(condition::REGISTERED, false, reason, message.clone()));
            out.conditions.push(unknown(condition::HEALTHY, "NotRegistered", "the service is not registered"));
            out.conditions.push(if layering {
                condition(condition::LAYERING_VALID, false, "LayeringViolation", message.clone())
            } else {
                unknown(condition::LAYERING_VALID, "NotRegistered", "the service is not registered")
            });
        }
    }
    match credentials {
        Some(Credentials::Ready { secret }) => {
            out.secret_name = Some(secret.clone());
            out.conditions.push(condition(
                CREDENTIALS_READY,
                true,
                "SecretWritten",
                format!("Secret {secret} holds the service's client credentials"),
            ));
        }
        Some(Credentials::Failed { reason, message }) => {
            out.conditions.push(condition(CREDENTIALS_READY, false, reason, message.clone()));
        }
        None => {}
    }
    out
}

fn no_endpoints(obj: &ServiceRegistration) -> String {
    match &obj.spec.service_ref {
        Some(r) => format!("Service {} has no ready endpoints on port {}", r.name, port_text(&r.port)),
        None => "no endpoints; instances may join by heartbeat".to_owned(),
    }
}

pub(crate) fn port_text(port: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString) -> String {
    match port {
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
    }
}

fn make(
    previous: &[Condition],
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    generation: Option<i64>,
    now: &Time,
) -> Condition {
    let last_transition_time = previous
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| now.clone());
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: generation,
        last_transition_time,
    }
}

/// Whether `new` says something `old` does not: the status is written only
/// then, so a periodic requeue of an unchanged service costs one GET of
/// plat and nothing in the cluster.
pub fn changed(old: Option<&ServiceRegistrationStatus>, new: &ServiceRegistrationStatus) -> bool {
    old != Some(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plat_k8s_types::{ServiceRef, ServiceRegistrationSpec};

    fn at(secs: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(secs).expect("a time"))
    }

    fn resource() -> ServiceRegistration {
        let mut obj = ServiceRegistration::new("orders", ServiceRegistrationSpec::default());
        obj.metadata.namespace = Some("shop".into());
        obj.metadata.generation = Some(3);
        obj
    }

    fn registered(healthy: u32, total: u32, layering: &str) -> Outcome {
        Outcome::Registered(Box::new(Registration {
            namespace: "shop".into(),
            name: "orders".into(),
            version: None,
            endpoints: vec![],
            health_check: plat_proto::HealthCheck::default(),
            layer: None,
            depends_on: vec![],
            tags: Default::default(),
            source: plat_proto::RegistrationSource::Kubernetes,
            status: plat_proto::RegistrationStatus {
                healthy_endpoints: healthy,
                total_endpoints: total,
                layering: layering.into(),
                violations: vec![],
                protected: false,
            },
            created_at: String::new(),
            updated_at: String::new(),
            revision: 7,
            service_account: None,
            tenant: None,
        }))
    }

    fn find<'a>(status: &'a ServiceRegistrationStatus, type_: &str) -> &'a Condition {
        status.conditions.iter().find(|c| c.type_ == type_).expect("the condition")
    }

    #[test]
    fn a_registered_healthy_service_has_three_true_conditions() {
        let status = status(&resource(), &registered(2, 2, "ok"), &[], None, &at(100));
        assert_eq!(status.observed_generation, Some(3));
        assert_eq!(status.revision, Some(7));
        for type_ in [condition::REGISTERED, condition::HEALTHY, condition::LAYERING_VALID] {
            let c = find(&status, type_);
            assert_eq!((c.status.as_str(), c.observed_generation), ("True", Some(3)), "{type_}");
        }
        assert_eq!(find(&status, condition::HEALTHY).message, "2 of 2 endpoints pass");
    }

    #[test]
    fn health_and_layering_reasons() {
        let s = status(&resource(), &registered(0, 0, "ok"), &[], None, &at(1));
        assert_eq!(find(&s, condition::HEALTHY).reason, "NoEndpoints");
        let s = status(&resource(), &registered(0, 2, "violation: a → b"), &[], None, &at(1));
        assert_eq!(find(&s, condition::HEALTHY).reason, "NoHealthyEndpoints");
        let layering = find(&s, condition::LAYERING_VALID);
        assert_eq!((layering.status.as_str(), layering.reason.as_str()), ("False", "LayeringViolation"));
        assert_eq!(layering.message, "a → b");
        assert_eq!(find(&s, condition::REGISTERED).status, "True", "warn mode registers");
    }

    #[test]
    fn a_violation_in_enforce_mode_is_registered_false_with_the_reason() {
        let refused = Outcome::Refused { code: ErrorCode::LayerViolation, message: "core → business".into() };
        let s = status(&resource(), &refused, &[], None, &at(1));
        let registered = find(&s, condition::REGISTERED);
        assert_eq!((registered.status.as_str(), registered.reason.as_str()), ("False", "LayerViolation"));
        assert_eq!(registered.message, "core → business");
        assert_eq!(find(&s, condition::LAYERING_VALID).status, "False");
        assert_eq!(find(&s, condition::HEALTHY).status, "Unknown");
        let invalid = Outcome::Refused { code: ErrorCode::ValidationError, message: "name: …".into() };
        let s = status(&resource(), &invalid, &[], None, &at(1));
        assert_eq!(find(&s, condition::REGISTERED).reason, "Invalid");
        assert_eq!(find(&s, condition::LAYERING_VALID).status, "Unknown");
    }

    #[test]
    fn transition_times_move_only_when_the_status_does() {
        let mut obj = resource();
        obj.status = Some(status(&obj, &registered(1, 1, "ok"), &[], None, &at(100)));
        let same = status(&obj, &registered(1, 2, "ok"), &[], None, &at(200));
        assert_eq!(find(&same, condition::HEALTHY).last_transition_time, at(100));
        assert_eq!(find(&same, condition::HEALTHY).message, "1 of 2 endpoints pass");
        let flipped = status(&obj, &registered(0, 2, "ok"), &[], None, &at(300));
        assert_eq!(find(&flipped, condition::HEALTHY).last_transition_time, at(300));
        assert_eq!(find(&flipped, condition::REGISTERED).last_transition_time, at(100));
        assert!(!changed(obj.status.as_ref(), &status(&obj, &registered(1, 1, "ok"), &[], None, &at(400))));
        assert!(changed(obj.status.as_ref(), &flipped));
    }

    #[test]
    fn credentials_add_their_own_condition() {
        let ready = Credentials::Ready { secret: "orders-plat".into() };
        let s = status(&resource(), &registered(1, 1, "ok"), &[], Some(&ready), &at(1));
        assert_eq!(find(&s, CREDENTIALS_READY).status, "True");
        assert_eq!(s.secret_name.as_deref(), Some("orders-plat"));
        let failed = Credentials::Failed { reason: "SecretConflict", message: "not ours".into() };
        let s = status(&resource(), &registered(1, 1, "ok"), &[], Some(&failed), &at(1));
        assert_eq!(find(&s, CREDENTIALS_READY).reason, "SecretConflict");
        let none = status(&resource(), &registered(1, 1, "ok"), &[], None, &at(1));
        assert!(none.conditions.iter().all(|c| c.type_ != CREDENTIALS_READY));
    }

    #[test]
    fn the_spec_maps_onto_plats_registration() {
        let mut obj = resource();
        obj.spec.layer = Some("business".into());
        obj.spec.depends_on = vec!["users".into()];
        obj.spec.service_ref = Some(ServiceRef {
            name: "orders".into(),
            port: k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(8001),
            scheme: None,
        });
        obj.spec.health_check = Some(plat_k8s_types::HealthCheckSpec {
            path: "/ready".into(),
            interval_seconds: 5,
            timeout_seconds: 1,
            kind: Some(plat_k8s_types::ProbeKind::Tcp),
        });
        let r = registration(&obj, &["http://10.0.0.1:8001".into()]);
        assert_eq!(r.endpoints[0].url, "http://10.0.0.1:8001");
        assert_eq!((r.health_check.interval.as_str(), r.health_check.timeout.as_str()), ("5s", "1s"));
        assert_eq!(r.health_check.kind, plat_proto::HealthCheckKind::Tcp);
        assert_eq!(r.source, plat_proto::RegistrationSource::Kubernetes);
        assert_eq!(r.layer.as_deref(), Some("business"));
        let s = status(&obj, &registered(0, 0, "ok"), &[], None, &at(1));
        assert_eq!(find(&s, condition::HEALTHY).message, "Service orders has no ready endpoints on port 8001");
    }
}
