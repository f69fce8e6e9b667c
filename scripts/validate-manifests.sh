#!/usr/bin/env bash
# Offline validation of the Kubernetes manifests: no cluster, no network
# after the first run.
#
# It renders manifests/base and manifests/overlays/postgres with
# `kubectl kustomize`, and checks every document of both renderings plus
# manifests/examples/*.yaml:
#
# - built-in kinds against the Kubernetes API schemas of kubernetes-validate
#   (pinned), for Kubernetes 1.33, in strict mode (an unknown or misspelled
#   field is an error, as `kubectl apply`'s server-side field validation
#   makes it); a kind without a schema is a failure, not a warning;
# - ServiceRegistrations against the openAPIV3Schema of the CRD in
#   manifests/base/crd.yaml, made strict the same way (unknown fields
#   rejected, `nullable` allowing null, int-or-string, int32/int64 ranges;
#   the CEL rules, x-kubernetes-validations, are not evaluated), with
#   metadata checked as a strict ObjectMeta that has a name and a namespace;
# - within each rendering, that the pieces fit: selectors match the pod
#   labels (and the Service does not select the check CronJob's pods), every
#   volume mount, ConfigMap, claim, ServiceAccount, role and named port
#   referred to exists, Secrets are either rendered or the documented ones
#   the user creates, namespaced objects are in `plat`, platd.toml parses,
#   platd's pods have no service-link variables (PLATD_* would be read as
#   configuration), and a platd on SQLite runs one replica with Recreate.
#
# Before that it runs a self-test: documents that must be rejected (an
# unknown spec field and a wrongly typed endpoint URL in a
# ServiceRegistration, a misspelled Deployment field, an unknown kind, a
# mount of a missing volume) must be, or the script fails: a validator that
# validates nothing cannot pass.
#
# Prints one line per document and a summary; exits non-zero on any failure.
#
#   scripts/validate-manifests.sh
#   KV_K8S_VERSION=1.32 scripts/validate-manifests.sh   # another Kubernetes version
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

KUBERNETES_VALIDATE_VERSION=1.37.0
K8S_VERSION="${KV_K8S_VERSION:-1.33}"
VENV="${KV_VENV:-$ROOT/target/kubernetes-validate-venv}"

if ! command -v kubectl >/dev/null 2>&1; then
  echo "validate-manifests.sh: kubectl is missing: it renders the kustomizations (kubectl kustomize, built in since 1.14)" >&2
  exit 1
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "validate-manifests.sh: needs Python 3.11 or later (tomllib)" >&2
  exit 1
fi

# A virtual environment with the pinned kubernetes-validate (which brings
# jsonschema and PyYAML), made once and reused.
installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || true)"
if [ "$installed" != "$KUBERNETES_VALIDATE_VERSION" ]; then
  echo "validate-manifests.sh: installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for kustomization in base overlays/postgres; do
  out="$WORK/$(basename "$kustomization").yaml"
  if ! kubectl kustomize "manifests/$kustomization" >"$out" 2>"$WORK/kustomize.err"; then
    cat "$WORK/kustomize.err" >&2
    echo "validate-manifests.sh: kubectl kustomize manifests/$kustomization failed" >&2
    exit 1
  fi
done

sources=("base=$WORK/base.yaml" "postgres=$WORK/postgres.yaml")
for example in manifests/examples/*.yaml; do
  sources+=("${example#manifests/}=$example")
done

exec "$VENV/bin/python" - "$K8S_VERSION" manifests/base/crd.yaml "${sources[@]}" <<'PYTHON'
import copy
import sys
import tomllib

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

K8S_VERSION, CRD_PATH, *SOURCES = sys.argv[1:]
NAMESPACE = "plat"
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
# Secrets the user creates before applying (docs/kubernetes.md).
USER_SECRETS = {"plat-master-key", "plat-database", "plat-checker"}
PLAT_IMAGE = "ghcr.io/plat-dev/plat"
DEFS_URI = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class Invalid(Exception):
    pass


# --- ServiceRegistration: the CRD's schema, made strict ---------------------


def strict(schema):
    """An OpenAPI v3 schema of a CRD as a strict JSON Schema (2020-12)."""
    out = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "default", "description", "example"):
            continue
        if key == "properties":
            out[key] = {name: strict(sub) for name, sub in value.items()}
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = strict(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [strict(sub) for sub in value]
        else:
            out[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("format") in INT_RANGES and schema.get("type") == "integer":
        low, high = INT_RANGES[schema["format"]]
        out.setdefault("minimum", low)
        out.setdefault("maximum", high)
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def definitions_resource():
    """kubernetes-validate's strict definitions (ObjectMeta) for K8S_VERSION."""
    matching = [v for v in kv_utils.all_versions() if kv_utils.major_minor(v) == kv_utils.major_minor(K8S_VERSION)]
    if not matching:
        raise SystemExit(f"validate-manifests: kubernetes-validate has no schemas for Kubernetes {K8S_VERSION}")
    defs = kv_utils.schema_contents(
        f"kubernetes-json-schema/v{matching[-1]}-local-strict/_definitions.json", K8S_VERSION
    )
    return Resource.from_contents(defs)


def crd_validators(path):
    """(apiVersion, kind) -> a validator, for each served version of the CRD."""
    with open(path) as f:
        crds = [d for d in yaml.safe_load_all(f) if d]
    registry = Registry().with_resource(DEFS_URI, definitions_resource())
    validators = {}
    for crd in crds:
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        namespaced = spec["scope"] == "Namespaced"
        for version in spec["versions"]:
            api_version = f"{spec['group']}/{version['name']}"
            schema = strict(version["schema"]["openAPIV3Schema"])
            schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
            schema["$id"] = f"https://kubernetes.io/api/{spec['group']}/{version['name']}/{spec['names']['plural']}"
            schema.setdefault("properties", {}).update(
                {
                    "apiVersion": {"const": api_version},
                    "kind": {"const": spec["names"]["kind"]},
                    "metadata": {
                        "$ref": OBJECT_META,
                        "required": ["name", "namespace"] if namespaced else ["name"],
                    },
                }
            )
            schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
            schema["additionalProperties"] = False
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[(api_version, spec["names"]["kind"])] = jsonschema.Draft202012Validator(
                schema, registry=registry
            )
    if not validators:
        raise SystemExit(f"validate-manifests: no CustomResourceDefinition in {path}")
    return validators


CRD_VALIDATORS = crd_validators(CRD_PATH)


def path_of(error):
    return ".".join(str(p) for p in error.absolute_path) or "(root)"


def validate(doc):
    """Raise Invalid unless the document is valid; return what checked it."""
    if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
        raise Invalid("not a Kubernetes object (no apiVersion or kind)")
    validator = CRD_VALIDATORS.get((doc["apiVersion"], doc["kind"]))
    if validator is not None:
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            raise Invalid("; ".join(f"{path_of(e)}: {e.message}" for e in errors[:5]))
        return "crd.yaml"
    try:
        used = kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        raise Invalid(f"{path_of(e)}: {e.message}") from None
    except kubernetes_validate.SchemaNotFoundError as e:
        raise Invalid(f"no schema: {e.message}") from None
    except Exception as e:  # InvalidSchemaError, VersionNotSupportedError, unresolvable references
        raise Invalid(f"could not be validated: {getattr(e, 'message', None) or e!r}") from None
    if used != kv_utils.major_minor(K8S_VERSION):
        raise Invalid(f"validated against Kubernetes {used}, not {K8S_VERSION}")
    return f"Kubernetes {used} strict"


# --- the pieces of a rendering fit together -----------------------------------


def pod_specs(doc):
    """(where, pod template) of the workloads in a document."""
    spec = doc.get("spec") or {}
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return [("spec.template", spec.get("template") or {})]
    if doc["kind"] == "CronJob":
        return [("spec.jobTemplate.spec.template", ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {})]
    return []


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def consistency(docs):
    """Problems of a rendering as a whole: [(kind/name, message)]."""
    problems = []
    have = {(d["kind"], d["metadata"]["name"]) for d in docs}
    names = lambda kind: {n for k, n in have if k == kind}  # noqa: E731
    pods = []  # (owner, labels, pod spec)
    for doc in docs:
        kind, meta = doc["kind"], doc["metadata"]
        who = f"{kind}/{meta['name']}"
        namespace = meta.get("namespace")
        if kind in CLUSTER_SCOPED and namespace:
            problems.append((who, f"cluster-scoped, but has namespace {namespace}"))
        if kind not in CLUSTER_SCOPED and namespace != NAMESPACE:
            problems.append((who, f"in namespace {namespace!r}, not {NAMESPACE!r}"))
        for where, template in pod_specs(doc):
            labels = (template.get("metadata") or {}).get("labels") or {}
            spec = template.get("spec") or {}
            pods.append((doc, labels, spec))
            if kind != "CronJob" and kind != "Job":
                selector = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
                if not selects(selector, labels):
                    problems.append((who, f"spec.selector {selector} does not match the pod labels {labels}"))
            sa = spec.get("serviceAccountName")
            if sa and sa not in names("ServiceAccount"):
                problems.append((who, f"ServiceAccount {sa} is not rendered"))
            volumes = {v["name"]: v for v in spec.get("volumes") or []}
            for v in volumes.values():
                if "configMap" in v and v["configMap"]["name"] not in names("ConfigMap"):
                    problems.append((who, f"volume {v['name']}: ConfigMap {v['configMap']['name']} is not rendered"))
                if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in names("PersistentVolumeClaim"):
                    problems.append((who, f"volume {v['name']}: claim {v['persistentVolumeClaim']['claimName']} is not rendered"))
                if "secret" in v and v["secret"]["secretName"] not in names("Secret") | USER_SECRETS:
                    problems.append((who, f"volume {v['name']}: Secret {v['secret']['secretName']} is neither rendered nor documented"))
            containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
            for c in containers:
                ports = {p.get("name") for p in c.get("ports") or []}
                for m in c.get("volumeMounts") or []:
                    if m["name"] not in volumes:
                        problems.append((who, f"container {c['name']} mounts volume {m['name']}, which the pod does not have"))
                for e in c.get("env") or []:
                    ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                    if ref and ref["name"] not in names("Secret") | USER_SECRETS:
                        problems.append((who, f"env {e['name']}: Secret {ref['name']} is neither rendered nor documented"))
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
                    if isinstance(port, str) and port not in ports:
                        problems.append((who, f"container {c['name']}: {probe} names port {port}, which it does not declare"))
                if c.get("image", "").split(":")[0] == PLAT_IMAGE and (c.get("args") or [None])[0] == "serve":
                    if spec.get("enableServiceLinks") is not False:
                        problems.append((who, "platd's pod needs enableServiceLinks: false (PLATD_* service variables are read as configuration)"))
                    problems += [(who, p) for p in sqlite_rules(doc, c, docs)]
    for doc in docs:
        kind, who, spec = doc["kind"], f"{doc['kind']}/{doc['metadata']['name']}", doc.get("spec") or {}
        if kind == "Service":
            selector = spec.get("selector") or {}
            chosen = [(d, s) for d, labels, s in pods if selects(selector, labels)]
            if not chosen:
                problems.append((who, f"selector {selector} matches no pod template"))
            for d, s in chosen:
                if d["kind"] in ("CronJob", "Job"):
                    problems.append((who, f"selector {selector} also matches the pods of {d['kind']}/{d['metadata']['name']}"))
                ports = {p.get("name") for c in s.get("containers") or [] for p in c.get("ports") or []}
                for p in spec.get("ports") or []:
                    if isinstance(p.get("targetPort"), str) and p["targetPort"] not in ports:
                        problems.append((who, f"targetPort {p['targetPort']} is not a port of {d['metadata']['name']}"))
        if kind == "PodDisruptionBudget":
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            if not any(selects(selector, labels) for _, labels, _ in pods):
                problems.append((who, f"selector {selector} matches no pod template"))
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            ref = doc["roleRef"]
            if ref["name"] not in names(ref["kind"]):
                problems.append((who, f"roleRef {ref['kind']}/{ref['name']} is not rendered"))
            for s in doc.get("subjects") or []:
                if s["kind"] == "ServiceAccount" and (s["name"] not in names("ServiceAccount") or s.get("namespace") != NAMESPACE):
                    problems.append((who, f"subject ServiceAccount {s.get('namespace')}/{s['name']} is not rendered"))
        if kind == "ConfigMap":
            for key, text in (doc.get("data") or {}).items():
                if key.endswith(".toml"):
                    try:
                        tomllib.loads(text)
                    except tomllib.TOMLDecodeError as e:
                        problems.append((who, f"{key} is not valid TOML: {e}"))
    return problems


def sqlite_rules(deployment, container, docs):
    """A platd on SQLite (one writer) runs one replica and never two at once."""
    if deployment["kind"] != "Deployment":
        return []
    if any(e["name"] == "PLATD_DATABASE_URL" for e in container.get("env") or []):
        return []
    url = None
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            text = (doc.get("data") or {}).get("platd.toml")
            if text:
                try:
                    url = tomllib.loads(text).get("database_url")
                except tomllib.TOMLDecodeError:
                    pass
    if not (url or "sqlite").startswith("sqlite"):
        return []
    spec = deployment["spec"]
    problems = []
    if spec.get("replicas", 1) != 1:
        problems.append(f"platd on SQLite with {spec['replicas']} replicas (SQLite has one writer)")
    if (spec.get("strategy") or {}).get("type") != "Recreate":
        problems.append("platd on SQLite needs strategy Recreate (a rolling update runs two at once)")
    return problems


# --- the self-test: what must be rejected is -----------------------------------


# Known-good documents: each must pass as it is, and be rejected, for the
# fault named, once that fault is put in.
GOOD_REGISTRATION = {
    "apiVersion": "plat.dev/v1alpha1",
    "kind": "ServiceRegistration",
    "metadata": {"name": "self-test", "namespace": "default"},
    "spec": {"version": "1.0.0", "endpoints": [{"url": "http://self-test.default.svc:8001"}], "layer": "core"},
}
GOOD_DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "self-test", "namespace": "default"},
    "spec": {
        "selector": {"matchLabels": {"app": "self-test"}},
        "template": {
            "metadata": {"labels": {"app": "self-test"}},
            "spec": {"containers": [{"name": "app", "image": "example.com/app:1", "imagePullPolicy": "Always"}]},
        },
    },
}


def self_test(rendering):
    """(cases run, failures): what must be rejected is, what must pass does."""
    def bad(doc, change):
        doc = copy.deepcopy(doc)
        change(doc)
        return doc

    cases = [
        ("the self-test ServiceRegistration", GOOD_REGISTRATION, None),
        ("the self-test Deployment", GOOD_DEPLOYMENT, None),
        (
            "ServiceRegistration with an unknown spec field",
            bad(GOOD_REGISTRATION, lambda d: d["spec"].update(unknownField=1)),
            "unknownField",
        ),
        (
            "ServiceRegistration with endpoints[0].url a number",
            bad(GOOD_REGISTRATION, lambda d: d["spec"]["endpoints"][0].update(url=8001)),
            "spec.endpoints.0.url",
        ),
        (
            "ServiceRegistration with a misspelled metadata field",
            bad(GOOD_REGISTRATION, lambda d: d["metadata"].update(nmae="typo")),
            "nmae",
        ),
        (
            "ServiceRegistration without a namespace",
            bad(GOOD_REGISTRATION, lambda d: d["metadata"].pop("namespace")),
            "namespace",
        ),
        (
            "Deployment with a misspelled container field",
            bad(GOOD_DEPLOYMENT, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePullPolicyy="Always")),
            "imagePullPolicyy",
        ),
        ("a kind without a schema", {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, "no schema"),
    ]
    failures = []
    for what, doc, fault in cases:
        try:
            validate(doc)
            if fault is not None:
                failures.append(f"{what}: accepted")
        except Invalid as e:
            if fault is None:
                failures.append(f"{what}: rejected ({e})")
            elif fault not in str(e):
                failures.append(f"{what}: rejected, but not for {fault!r}: {e}")
    broken = copy.deepcopy(rendering)
    pod = next(d for d in broken if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    pod["volumes"] = [v for v in pod["volumes"] if v["name"] != "config"]
    if not any("mounts volume config" in problem for _, problem in consistency(broken)):
        failures.append("a Deployment mounting a volume it does not have: accepted")
    return len(cases) + 1, failures


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def main():
    docs_by_source = {}
    for source in SOURCES:
        name, path = source.split("=", 1)
        try:
            docs_by_source[name] = load(path)
        except yaml.YAMLError as e:
            print(f"FAIL {name}: not YAML: {e}")
            docs_by_source[name] = None

    passed = failed = 0
    base = docs_by_source.get("base")
    if not base or not any(isinstance(d, dict) and d.get("kind") == "Deployment" for d in base):
        print("FAIL self-test: no Deployment in the base rendering to test with")
        failed += 1
    else:
        try:
            count, failures = self_test(base)
        except (KeyError, TypeError, AttributeError, StopIteration) as e:
            count, failures = 1, [f"could not run: {e!r}"]
        for failure in failures:
            print(f"FAIL self-test: {failure}")
        failed += len(failures)
        passed += count - len(failures)
        print(f"self-test: {count - len(failures)} of {count} cases as expected (bad documents rejected, good ones accepted)")

    width = max(len(n) for n in docs_by_source)
    for name, docs in docs_by_source.items():
        if docs is None:
            failed += 1
            continue
        if not docs:
            print(f"FAIL {name}: no documents")
            failed += 1
            continue
        for doc in docs:
            meta = doc.get("metadata") or {} if isinstance(doc, dict) else {}
            who = f"{doc.get('kind', '?') if isinstance(doc, dict) else '?'} " + "/".join(
                x for x in (meta.get("namespace"), meta.get("name", "?")) if x
            )
            try:
                how = validate(doc)
                print(f"ok   {name:<{width}}  {who}  ({how})")
                passed += 1
            except Invalid as e:
                print(f"FAIL {name:<{width}}  {who}: {e}")
                failed += 1
        if name in ("base", "postgres"):
            try:
                problems = consistency(docs)
            except (KeyError, TypeError, AttributeError) as e:
                problems = [("(rendering)", f"could not be read: {e!r}")]
            for who, problem in problems:
                print(f"FAIL {name:<{width}}  {who}: {problem}")
            failed += len(problems)
            if not problems:
                print(f"ok   {name:<{width}}  (references, selectors, namespaces, platd.toml)")
                passed += 1

    total_docs = sum(len(d or []) for d in docs_by_source.values())
    print(
        f"validate-manifests: {total_docs} documents from {len(docs_by_source)} sources,"
        f" Kubernetes {K8S_VERSION} strict, kubernetes-validate {kubernetes_validate.__version__}"
    )
    print(f"validate-manifests: {passed} passed, {failed} failed")
    return 1 if failed else 0


sys.exit(main())
PYTHON
