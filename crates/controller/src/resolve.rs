//! `spec.serviceRef` → endpoint URLs, from the Service's EndpointSlices.
//!
//! A slice's ports carry the Service port's *name* and the port on the Pods
//! (the target port). `serviceRef.port` is either: a number matches the
//! Pods' port, a name matches the Service port's name. Only ready
//! endpoints count (`conditions.ready` unset means ready, as the API
//! defines it); terminating ones are not ready.

use std::sync::Arc;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use plat_k8s_types::{Scheme, ServiceRegistration};

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The URLs of the ready endpoints of `slices` on `port`, sorted, without
/// duplicates (an address may appear in two slices while it moves).
pub fn endpoints(slices: &[EndpointSlice], port: &IntOrString, scheme: Scheme) -> Vec<String> {
    let scheme = match scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    let mut urls = Vec::new();
    for slice in slices {
        let Some(number) = slice_port(slice, port) else { continue };
        let ipv6 = slice.address_type == "IPv6";
        if slice.address_type != "IPv4" && !ipv6 {
            continue; // FQDN slices are for ExternalName-like services
        }
        for endpoint in &slice.endpoints {
            let ready = endpoint.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            if !ready {
                continue;
            }
            // Every address of one endpoint is the same Pod; one is enough.
            if let Some(address) = endpoint.addresses.first() {
                urls.push(if ipv6 {
                    format!("{scheme}://[{address}]:{number}")
                } else {
                    format!("{scheme}://{address}:{number}")
                });
            }
        }
    }
    urls.sort();
    urls.dedup();
    urls
}

/// The resources whose `serviceRef` names the slice's Service: what a
/// change of the slice re-reconciles.
pub fn referring(slice: &EndpointSlice, resources: &[Arc<ServiceRegistration>]) -> Vec<ObjectRef<ServiceRegistration>> {
    let namespace = slice.namespace();
    let Some(service) = slice.labels().get(SERVICE_NAME_LABEL) else { return Vec::new() };
    resources
        .iter()
        .filter(|r| r.namespace() == namespace && r.spec.service_ref.as_ref().is_some_and(|s| &s.name == service))
        .map(|r| ObjectRef::from_obj(&**r))
        .collect()
}

fn slice_port(slice: &EndpointSlice, wanted: &IntOrString) -> Option<i32> {
    let ports = slice.ports.as_deref().unwrap_or_default();
    ports.iter().find_map(|p| match wanted {
        IntOrString::Int(n) => (p.port == Some(*n)).then_some(*n),
        IntOrString::String(name) => (p.name.as_deref() == Some(name.as_str())).then_some(p.port).flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort};

    fn slice(family: &str, port: (&str, i32), endpoints: &[(&str, Option<bool>)]) -> EndpointSlice {
        EndpointSlice {
            address_type: family.into(),
            endpoints: endpoints
                .iter()
                .map(|(ip, ready)| Endpoint {
                    addresses: vec![(*ip).into()],
                    conditions: Some(EndpointConditions { ready: *ready, ..Default::default() }),
                    ..Default::default()
                })
                .collect(),
            ports: Some(vec![EndpointPort { name: Some(port.0.into()), port: Some(port.1), ..Default::default() }]),
            ..Default::default()
        }
    }

    #[test]
    fn ready_endpoints_by_port_number_or_name() {
        let slices = vec![
            slice("IPv4", ("http", 8001), &[("10.0.0.2", Some(true)), ("10.0.0.1", None), ("10.0.0.3", Some(false))]),
            slice("IPv6", ("http", 8001), &[("fd00::1", Some(true))]),
            slice("IPv4", ("http", 8001), &[("10.0.0.2", Some(true))]),
        ];
        let want = ["http://10.0.0.1:8001", "http://10.0.0.2:8001", "http://[fd00::1]:8001"];
        assert_eq!(endpoints(&slices, &IntOrString::Int(8001), Scheme::Http), want);
        assert_eq!(endpoints(&slices, &IntOrString::String("http".into()), Scheme::Http), want);
        assert!(endpoints(&slices, &IntOrString::Int(9000), Scheme::Http).is_empty());
        assert!(endpoints(&slices, &IntOrString::String("grpc".into()), Scheme::Http).is_empty());
        assert_eq!(endpoints(&slices[..1], &IntOrString::Int(8001), Scheme::Https)[0], "https://10.0.0.1:8001");
    }

    #[test]
    fn a_slice_change_reaches_the_resources_that_refer_to_its_service() {
        let resource = |ns: &str, name: &str, service: Option<&str>| {
            let mut r = ServiceRegistration::new(name, Default::default());
            r.metadata.namespace = Some(ns.into());
            r.spec.service_ref = service.map(|s| plat_k8s_types::ServiceRef {
                name: s.into(),
                port: IntOrString::Int(80),
                scheme: None,
            });
            Arc::new(r)
        };
        let resources = vec![
            resource("shop", "orders", Some("orders")),
            resource("shop", "orders-canary", Some("orders")),
            resource("shop", "users", Some("users")),
            resource("other", "orders", Some("orders")),
            resource("shop", "static", None),
        ];
        let mut s = slice("IPv4", ("http", 80), &[]);
        s.metadata.namespace = Some("shop".into());
        s.metadata.labels = Some([(SERVICE_NAME_LABEL.to_owned(), "orders".to_owned())].into());
        let names: Vec<String> = referring(&s, &resources).into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["orders", "orders-canary"]);
        s.metadata.labels = None;
        assert!(referring(&s, &resources).is_empty());
    }

    #[test]
    fn fqdn_slices_and_empty_ones_give_nothing() {
        assert!(
            endpoints(&[slice("FQDN", ("http", 80), &[("db.example.com", None)])], &IntOrString::Int(80), Scheme::Http)
                .is_empty()
        );
        assert!(endpoints(&[], &IntOrString::Int(80), Scheme::Http).is_empty());
    }
}
