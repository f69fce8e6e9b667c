//! The CRD in `manifests/` is the one the types generate, and the example
//! resource is one the types read.

use std::path::PathBuf;

use kube::CustomResourceExt;
use plat_k8s_types::{ServiceRegistration, condition};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

#[test]
fn the_crd_in_manifests_is_generated_from_the_types() {
    let path = repo("manifests/base/crd.yaml");
    let generated = plat_k8s_types::crd_yaml();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &generated).expect("write the CRD");
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "{} is stale: run `UPDATE_EXPECT=1 cargo test -p plat-k8s-types` and commit it",
        path.display()
    );
}

#[test]
fn the_crd_names_what_the_contract_names() {
    let crd = ServiceRegistration::crd();
    assert_eq!(crd.metadata.name.as_deref(), Some("serviceregistrations.plat.dev"));
    assert_eq!(crd.spec.group, "plat.dev");
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names.as_deref(), Some(&["svcreg".to_owned()][..]));
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(), "status subresource");
    let columns: Vec<&str> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .filter(|c| c.priority.is_none())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(columns, ["Version", "Layer", "Registered", "Healthy", "Age"]);
    let schema = serde_json::to_value(&version.schema).expect("schema");
    let conditions = &schema["openAPIV3Schema"]["properties"]["status"]["properties"]["conditions"];
    assert_eq!(conditions["x-kubernetes-list-type"], "map");
    assert_eq!(conditions["x-kubernetes-list-map-keys"], serde_json::json!(["type"]));
    let spec = &schema["openAPIV3Schema"]["properties"]["spec"];
    let rules = spec["x-kubernetes-validations"].as_array().expect("CEL rules on spec");
    assert!(rules.iter().any(|r| r["rule"].as_str().is_some_and(|r| r.contains("serviceRef"))));
    let health = &spec["properties"]["healthCheck"];
    assert!(health["x-kubernetes-validations"].to_string().contains("timeoutSeconds < self.intervalSeconds"));
    assert_eq!(health["properties"]["intervalSeconds"]["default"], 10);
}

#[test]
fn the_example_resource_reads_into_the_type() {
    let text = std::fs::read_to_string(repo("manifests/examples/service-registration.yaml")).expect("the example");
    let resource: ServiceRegistration = serde_saphyr::from_str(&text).expect("the example is a ServiceRegistration");
    assert_eq!(resource.metadata.name.as_deref(), Some("order-service"));
    assert_eq!(resource.spec.layer.as_deref(), Some("business"));
    assert!(resource.spec.service_ref.is_some());
    assert_eq!(resource.secret_name().as_deref(), Some("order-service-plat"));
    assert!(resource.condition(condition::REGISTERED).is_none());
}
