//! The service registry's rules (CONTRACT §2 "Layering rule"): layers and
//! the layering verdict of every dependency edge, with a baseline of
//! accepted violations; dependency cycles; the health of an instance from
//! its probes (consecutive-result thresholds) or its heartbeats (TTL); the
//! protection threshold of discovery; jittered probe schedules; and
//! validation of a registration. Times are unix milliseconds from the
//! caller, which owns the clock, the database and the sockets.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use plat_proto::{
    DependencyCycle, GraphEdge, GraphNode, HealthCheck, HealthCheckKind, Heartbeat, Instance, InstanceStatus,
    LayeringViolation, RegisterService, ServiceGraph, ViolationKind,
};

use crate::{Invalid, parse_duration, validate_count, validate_len, validate_name, validate_url};

// ---------------------------------------------------------------- layers

/// The layers plat knows unless configured otherwise, lowest first.
pub const DEFAULT_LAYERS: [&str; 4] = ["infrastructure", "core", "business", "application"];

/// More layers than this is a taxonomy, not an architecture.
pub const MAX_LAYERS: usize = 16;

/// The configured layers, lowest first: a service may depend only on
/// services of a layer before its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers {
    names: Vec<String>,
}

impl Default for Layers {
    fn default() -> Self {
        Layers { names: DEFAULT_LAYERS.iter().map(|name| (*name).to_owned()).collect() }
    }
}

impl Layers {
    /// Layers from configuration (`field` names the key): 1 to
    /// [`MAX_LAYERS`] distinct names shaped like role names.
    pub fn new(field: &str, names: &[String]) -> Result<Layers, Invalid> {
        if names.is_empty() || names.len() > MAX_LAYERS {
            return Err(Invalid::new(field, format!("give 1 to {MAX_LAYERS} layers, lowest first")));
        }
        for (i, name) in names.iter().enumerate() {
            validate_name(field, name)?;
            if names[..i].contains(name) {
                return Err(Invalid::new(field, format!("lists the layer {name:?} twice")));
            }
        }
        Ok(Layers { names: names.to_vec() })
    }

    /// The names, lowest first.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of `layer`, 0 for the lowest; `None` when it is not
    /// configured.
    pub fn rank(&self, layer: &str) -> Option<usize> {
        self.names.iter().position(|name| name == layer)
    }

    /// `layer` as given in `field`, which must be one of the layers.
    pub fn validate(&self, field: &str, layer: &str) -> Result<usize, Invalid> {
        self.rank(layer).ok_or_else(|| Invalid::new(field, format!("must be one of {}", self.names.join(", "))))
    }
}

/// `registry.layering`: what a registration with a new layering violation
/// gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LayeringPolicy {
    /// Not checked at all.
    Off,
    /// Checked and shown in the registration's status, never refused.
    #[default]
    Warn,
    /// Refused with `LAYER_VIOLATION` (violations in the baseline pass).
    Enforce,
}

impl LayeringPolicy {
    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        match text {
            "off" => Ok(Self::Off),
            "warn" => Ok(Self::Warn),
            "enforce" => Ok(Self::Enforce),
            _ => Err(Invalid::new(field, format!("{text:?} is not a layering policy: use off, warn or enforce"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Warn => "warn",
            Self::Enforce => "enforce",
        }
    }

    /// Whether a registration with this report is refused.
    pub fn rejects(self, report: &LayeringReport) -> bool {
        self == Self::Enforce && !report.new.is_empty()
    }
}

// ------------------------------------------------------ services and edges

/// A service by namespace and name. Ordered by namespace, then name, which
/// is the order of every list this module answers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceKey {
    pub namespace: String,
    pub name: String,
}

impl ServiceKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ServiceKey { namespace: namespace.into(), name: name.into() }
    }

    /// A `depends_on` entry of a service in `namespace`: `name` is in the
    /// same namespace, `other/name` in another one.
    pub fn dependency(namespace: &str, entry: &str) -> ServiceKey {
        match entry.split_once('/') {
            Some((other, name)) => ServiceKey::new(other, name),
            None => ServiceKey::new(namespace, entry),
        }
    }

    /// How a reader in `namespace` names this service: the bare name at
    /// home, `namespace/name` elsewhere, as `depends_on` does.
    pub fn label_in(&self, namespace: &str) -> String {
        if self.namespace == namespace { self.name.clone() } else { self.to_string() }
    }
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    pub from: ServiceKey,
    pub to: ServiceKey,
}

/// A service as the layering rule and the graph see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNode {
    pub key: ServiceKey,
    pub layer: Option<String>,
    pub depends_on: Vec<ServiceKey>,
}

/// The baseline from configuration: the violations that existed when the
/// rule was switched on, accepted until fixed (ArchUnit's "frozen"
/// violations), so `enforce` can be turned on before the last one is gone.
/// Each entry is `namespace/from -> to`, where `to` is read as in
/// `depends_on` (`→` works too).
pub fn parse_baseline(field: &str, entries: &[String]) -> Result<BTreeSet<Edge>, Invalid> {
    let mut edges = BTreeSet::new();
    for entry in entries {
        let invalid =
            || Invalid::new(field, format!("{entry:?} is not an edge such as shop/order-service -> user-service"));
        let (from, to) = entry.split_once("->").or_else(|| entry.split_once('→')).ok_or_else(invalid)?;
        let (from, to) = (from.trim(), to.trim());
        let (namespace, name) = from.split_once('/').ok_or_else(invalid)?;
        validate_name(field, namespace).and(validate_name(field, name)).map_err(|_| invalid())?;
        validate_dependency(field, to).map_err(|_| invalid())?;
        edges.insert(Edge { from: ServiceKey::new(namespace, name), to: ServiceKey::dependency(namespace, to) });
    }
    Ok(edges)
}

// ---------------------------------------------------------------- layering

/// One dependency edge that breaks the layering rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub edge: Edge,
    pub from_layer: Option<String>,
    /// `None` when the dependency has no layer or is not registered.
    pub to_layer: Option<String>,
    pub kind: ViolationKind,
    /// Names the edge and the rule, for people.
    pub reason: String,
}

impl Violation {
    pub fn to_wire(&self, accepted: bool) -> LayeringViolation {
        LayeringViolation {
            from: self.edge.from.to_string(),
            to: self.edge.to.to_string(),
            from_layer: self.from_layer.clone(),
            to_layer: self.to_layer.clone(),
            kind: self.kind,
            reason: self.reason.clone(),
            accepted,
        }
    }
}

/// The layering verdict of one service's dependencies: violations not in
/// the baseline (`new`, which `enforce` refuses) and those it accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayeringReport {
    pub new: Vec<Violation>,
    pub accepted: Vec<Violation>,
}

impl LayeringReport {
    pub fn is_ok(&self) -> bool {
        self.new.is_empty()
    }

    /// The contract's `status.layering`: `ok`, or `violation: ` and the
    /// reasons of the new violations. Accepted ones leave it `ok`; they are
    /// listed in `status.violations`.
    pub fn summary(&self) -> String {
        if self.new.is_empty() {
            return "ok".to_owned();
        }
        let reasons: Vec<&str> = self.new.iter().map(|v| v.reason.as_str()).collect();
        format!("violation: {}", reasons.join("; "))
    }

    /// `status.violations`: new ones first, then accepted ones.
    pub fn to_wire(&self) -> Vec<LayeringViolation> {
        let new = self.new.iter().map(|v| v.to_wire(false));
        new.chain(self.accepted.iter().map(|v| v.to_wire(true))).collect()
    }
}

/// The layering verdict of `service`'s dependencies, in `depends_on` order.
/// `registered` maps every registered service to its layer (the service
/// itself may be in it with an older layer; its own node wins). An edge is
/// fine only when both ends have configured layers and the dependency's is
/// lower; a dependency on an unregistered service is a violation too, since
/// nothing says where it sits.
pub fn check_layering(
    layers: &Layers,
    service: &ServiceNode,
    registered: &BTreeMap<ServiceKey, Option<String>>,
    baseline: &BTreeSet<Edge>,
) -> LayeringReport {
    let mut report = LayeringReport::default();
    let mut seen = BTreeSet::new();
    for to in &service.depends_on {
        if !seen.insert(to) {
            continue;
        }
        if let Some(violation) = edge_violation(layers, service, to, registered) {
            if baseline.contains(&violation.edge) {
                report.accepted.push(violation);
            } else {
                report.new.push(violation);
            }
        }
    }
    report
}

fn edge_violation(
    layers: &Layers,
    service: &ServiceNode,
    to: &ServiceKey,
    registered: &BTreeMap<ServiceKey, Option<String>>,
) -> Option<Violation> {
    let home = &service.key.namespace;
    let (from_label, to_label) = (service.key.label_in(home), to.label_in(home));
    let target = if *to == service.key { Some(service.layer.clone()) } else { registered.get(to).cloned() };
    let to_layer = target.clone().flatten();
    let violation = |kind: ViolationKind, why: String| {
        let edge = format!("{} → {}", labelled(&from_label, &service.layer), labelled(&to_label, &to_layer));
        Some(Violation {
            edge: Edge { from: service.key.clone(), to: to.clone() },
            from_layer: service.layer.clone(),
            to_layer: to_layer.clone(),
            kind,
            reason: format!("{edge}: {why}"),
        })
    };
    if target.is_none() {
        return violation(ViolationKind::UnknownService, format!("{to_label} is not registered"));
    }
    let not_configured = |layer: &str| format!("{layer:?} is not a configured layer ({})", layers.names().join(", "));
    let (from_layer, from_rank) = match service.layer.as_deref() {
        None => {
            let why = format!("{from_label} has no layer, so its dependencies cannot be checked");
            return violation(ViolationKind::Unlayered, why);
        }
        Some(layer) => match layers.rank(layer) {
            None => return violation(ViolationKind::Unlayered, not_configured(layer)),
            Some(rank) => (layer, rank),
        },
    };
    let (dependency_layer, to_rank) = match to_layer.as_deref() {
        None => {
            let why = format!("{to_label} has no layer, so a dependency on it cannot be checked");
            return violation(ViolationKind::Unlayered, why);
        }
        Some(layer) => match layers.rank(layer) {
            None => return violation(ViolationKind::Unlayered, not_configured(layer)),
            Some(rank) => (layer, rank),
        },
    };
    if *to == service.key {
        return violation(ViolationKind::SameLayer, "a service may not depend on itself".to_owned());
    }
    match to_rank.cmp(&from_rank) {
        std::cmp::Ordering::Less => None,
        std::cmp::Ordering::Equal => violation(
            ViolationKind::SameLayer,
            format!("{} {from_layer} service may not depend on another {from_layer} one", article(from_layer)),
        ),
        std::cmp::Ordering::Greater => violation(
            ViolationKind::Upward,
            format!(
                "{} {from_layer} service may not depend on {} {dependency_layer} one",
                article(from_layer),
                article(dependency_layer)
            ),
        ),
    }
}

fn labelled(label: &str, layer: &Option<String>) -> String {
    match layer {
        Some(layer) => format!("{label} ({layer})"),
        None => label.to_owned(),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// The whole registry as a graph: every registered service and every
/// dependency named (registered or not) as nodes, every edge with its
/// layering verdict, and the cycles. Deterministic: nodes, edges and
/// cycles are sorted.
pub fn service_graph(layers: &Layers, services: &[ServiceNode], baseline: &BTreeSet<Edge>) -> ServiceGraph {
    let registered: BTreeMap<ServiceKey, Option<String>> =
        services.iter().map(|s| (s.key.clone(), s.layer.clone())).collect();
    let mut nodes: BTreeMap<&ServiceKey, GraphNode> = BTreeMap::new();
    let mut edges = Vec::new();
    let mut adjacency: BTreeMap<ServiceKey, Vec<ServiceKey>> = BTreeMap::new();
    for service in services {
        for to in &service.depends_on {
            nodes.entry(to).or_insert_with(|| graph_node(to, None, false));
        }
    }
    for service in services {
        nodes.insert(&service.key, graph_node(&service.key, service.layer.clone(), true));
        let report = check_layering(layers, service, &registered, baseline);
        let verdicts = report.new.iter().map(|v| (v, false)).chain(report.accepted.iter().map(|v| (v, true)));
        let verdicts: BTreeMap<&ServiceKey, (&Violation, bool)> = verdicts.map(|(v, a)| (&v.edge.to, (v, a))).collect();
        let mut targets: Vec<ServiceKey> = service.depends_on.clone();
        targets.sort();
        targets.dedup();
        for to in &targets {
            let verdict = verdicts.get(to);
            edges.push(GraphEdge {
                from: service.key.to_string(),
                to: to.to_string(),
                violation: verdict.is_some(),
                accepted: verdict.is_some_and(|(_, accepted)| *accepted),
                reason: verdict.map(|(v, _)| v.reason.clone()),
            });
        }
        adjacency.insert(service.key.clone(), targets);
    }
    edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    let cycles = find_cycles(&adjacency)
        .into_iter()
        .map(|cycle| DependencyCycle {
            members: cycle.members.iter().map(ToString::to_string).collect(),
            path: cycle.path.iter().map(ToString::to_string).collect(),
        })
        .collect();
    ServiceGraph { layers: layers.names().to_vec(), nodes: nodes.into_values().collect(), edges, cycles }
}

fn graph_node(key: &ServiceKey, layer: Option<String>, registered: bool) -> GraphNode {
    GraphNode { id: key.to_string(), namespace: key.namespace.clone(), name: key.name.clone(), layer, registered }
}

// ------------------------------------------------------------------ cycles

/// Nodes that depend on each other in a circle: a strongly connected
/// component with more than one node, or one node depending on itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle<K> {
    /// Every node of the component, sorted.
    pub members: Vec<K>,
    /// One shortest circle through the first member: each depends on the
    /// next, the last on the first.
    pub path: Vec<K>,
}

/// Every cycle of `graph` (node → the nodes it depends on; a node named only
/// as a dependency has none), sorted by first member. Tarjan's strongly
/// connected components, iteratively, so a long chain cannot overflow the
/// stack.
pub fn find_cycles<K: Ord + Clone>(graph: &BTreeMap<K, Vec<K>>) -> Vec<Cycle<K>> {
    let keys: Vec<&K> = graph.keys().chain(graph.values().flatten()).collect::<BTreeSet<&K>>().into_iter().collect();
    let ids: BTreeMap<&K, usize> = keys.iter().enumerate().map(|(i, key)| (*key, i)).collect();
    let adjacency: Vec<Vec<usize>> = keys
        .iter()
        .map(|key| {
            let mut next: Vec<usize> =
                graph.get(*key).into_iter().flatten().filter_map(|to| ids.get(to).copied()).collect();
            next.sort_unstable();
            next.dedup();
            next
        })
        .collect();

    const UNSEEN: usize = usize::MAX;
    let count = keys.len();
    let (mut index, mut low, mut on_stack) = (vec![UNSEEN; count], vec![0; count], vec![false; count]);
    let (mut stack, mut next_index, mut groups) = (Vec::new(), 0, Vec::new());
    for root in 0..count {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        // (node, position of the next edge to follow): the recursion of
        // Tarjan's algorithm, kept on the heap.
        let mut calls = vec![(root, 0usize)];
        while let Some(top) = calls.last_mut() {
            let v = top.0;
            if let Some(&w) = adjacency[v].get(top.1) {
                top.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut group = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 || adjacency[v].contains(&v) {
                    group.sort_unstable();
                    groups.push(group);
                }
            }
        }
    }
    // Ids are in key order, so sorting ids sorts keys.
    groups.sort_unstable();
    groups
        .into_iter()
        .map(|group| {
            let path = shortest_circle(&adjacency, &group);
            Cycle {
                members: group.iter().map(|&i| keys[i].clone()).collect(),
                path: path.iter().map(|&i| keys[i].clone()).collect(),
            }
        })
        .collect()
}

/// A shortest circle from `group[0]` back to itself inside the group
/// (breadth first, neighbours in order, so the same graph gives the same
/// circle).
fn shortest_circle(adjacency: &[Vec<usize>], group: &[usize]) -> Vec<usize> {
    let start = group[0];
    let members: BTreeSet<usize> = group.iter().copied().collect();
    let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    let mut last = start;
    'search: while let Some(u) = queue.pop_front() {
        for &w in &adjacency[u] {
            if w == start {
                last = u;
                break 'search;
            }
            if members.contains(&w) && !parent.contains_key(&w) {
                parent.insert(w, u);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![last];
    while let Some(&previous) = path.last().and_then(|node| parent.get(node)) {
        path.push(previous);
    }
    path.reverse();
    path
}

// ------------------------------------------------------------------ health

/// Consecutive probe results needed to change an instance's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub success_before_passing: u32,
    pub failures_before_critical: u32,
}

impl Default for Thresholds {
    /// The defaults of [`HealthCheck`]: Kubernetes' 1 and 3.
    fn default() -> Self {
        Thresholds { success_before_passing: 1, failures_before_critical: 3 }
    }
}

/// What one probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeOutcome {
    Success,
    /// The instance answered that it is overloaded (HTTP 429): counted as
    /// a failure, but it ends in `warning`, not `critical`.
    Warning,
    /// Any other answer, a refused connection or a timeout.
    Failure,
}

/// An HTTP probe's answer as Consul reads it: 2xx passes, 429 warns,
/// anything else fails.
pub fn classify_probe(status: u16) -> ProbeOutcome {
    match status {
        200..=299 => ProbeOutcome::Success,
        429 => ProbeOutcome::Warning,
        _ => ProbeOutcome::Failure,
    }
}

/// The health of one instance and its run of equal results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthState {
    pub status: InstanceStatus,
    pub consecutive_successes: u32,
    pub consecutive_failures: u32,
}

impl HealthState {
    /// A new instance is critical until its first `success_before_passing`
    /// probes pass (as in Consul), so discovery never hands out an address
    /// nobody has reached; with the default threshold that is one probe.
    pub fn initial() -> Self {
        HealthState { status: InstanceStatus::Critical, consecutive_successes: 0, consecutive_failures: 0 }
    }

    pub fn healthy(&self) -> bool {
        self.status == InstanceStatus::Passing
    }
}

/// The state after one more probe, and whether its status changed. A
/// status changes only after a run of `success_before_passing` successes
/// or `failures_before_critical` failures (warnings count as failures), so
/// an instance that flaps with both thresholds at 2 or more keeps its
/// status. Thresholds below 1 count as 1.
pub fn next_state(state: HealthState, outcome: ProbeOutcome, thresholds: Thresholds) -> (HealthState, bool) {
    let mut next = state;
    match outcome {
        ProbeOutcome::Success => {
            next.consecutive_successes = state.consecutive_successes.saturating_add(1);
            next.consecutive_failures = 0;
            if next.consecutive_successes >= thresholds.success_before_passing.max(1) {
                next.status = InstanceStatus::Passing;
            }
        }
        ProbeOutcome::Warning | ProbeOutcome::Failure => {
            next.consecutive_failures = state.consecutive_failures.saturating_add(1);
            next.consecutive_successes = 0;
            if next.consecutive_failures >= thresholds.failures_before_critical.max(1) {
                next.status =
                    if outcome == ProbeOutcome::Warning { InstanceStatus::Warning } else { InstanceStatus::Critical };
            }
        }
    }
    (next, next.status != state.status)
}

/// How long a heartbeat counts when the instance does not say.
pub const DEFAULT_HEARTBEAT_TTL: Duration = Duration::from_secs(15);

/// What a heart-beating instance's silence means at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatVerdict {
    /// `passing` within the TTL of the last heartbeat, `critical` after.
    pub status: InstanceStatus,
    /// Silent for longer than the removal period: drop the instance.
    pub remove: bool,
}

/// The verdict on an instance whose last heartbeat was at
/// `last_heartbeat_at` with `ttl`. `remove_after` (Nacos: 30 s against a
/// 15 s TTL) counts from the same heartbeat; a value below `ttl` counts as
/// `ttl`, so an instance is always critical before it disappears.
pub fn heartbeat_verdict(last_heartbeat_at: i64, ttl: Duration, remove_after: Duration, now: i64) -> HeartbeatVerdict {
    let silent = now.saturating_sub(last_heartbeat_at);
    let status = if silent <= millis(ttl) { InstanceStatus::Passing } else { InstanceStatus::Critical };
    HeartbeatVerdict { status, remove: silent > millis(remove_after.max(ttl)) }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

// -------------------------------------------------------------- protection

/// Protection is on by default: when fewer than half of a service's
/// instances pass, discovery keeps answering the last healthy set.
pub const DEFAULT_PROTECTION_THRESHOLD: f64 = 0.5;

/// `registry.protection_threshold`: a ratio from 0 (protection off) to 1.
pub fn validate_protection_threshold(field: &str, threshold: f64) -> Result<(), Invalid> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Invalid::new(field, "must be a ratio from 0 (off) to 1, such as 0.5"));
    }
    Ok(())
}

/// What discovery answers for `healthy=true`.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthyAnswer {
    pub instances: Vec<Instance>,
    /// The instances are the last known healthy set, not the current one.
    pub protected: bool,
}

/// Whether `healthy` of `total` instances is below the protection
/// `threshold` (none at all is not: there is nothing to protect).
pub fn below_threshold(healthy: usize, total: usize, threshold: f64) -> bool {
    total > 0 && (healthy as f64 / total as f64) < threshold
}

/// The healthy instances, unless fewer than `threshold` of all instances
/// are healthy (Nacos' protection threshold): then a mass failure is more
/// likely the probes' or the network's fault than every instance's, and
/// emptying every caller's list would turn it into an outage. The answer is
/// then the instances whose ids are in `last_known_healthy` (the caller
/// keeps the ids of the last unprotected answer), in their current state,
/// so a removed instance never comes back. With no such instance left, the
/// healthy ones are all there is, unprotected.
pub fn healthy_answer(instances: &[Instance], last_known_healthy: &BTreeSet<String>, threshold: f64) -> HealthyAnswer {
    let healthy: Vec<Instance> = instances.iter().filter(|i| i.healthy).cloned().collect();
    if below_threshold(healthy.len(), instances.len(), threshold) {
        let remembered: Vec<Instance> =
            instances.iter().filter(|i| last_known_healthy.contains(&i.id)).cloned().collect();
        if !remembered.is_empty() {
            return HealthyAnswer { instances: remembered, protected: true };
        }
    }
    HealthyAnswer { instances: healthy, protected: false }
}

// ---------------------------------------------------------------- schedule

/// A stable id for an instance at `url`: `i-` and 16 hex digits of
/// SHA-256(url). The same URL gets the same id on every replica.
pub fn instance_id(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("i-{hex}")
}

/// Big-endian u64 of the first 8 bytes of SHA-256(`id`): the same on every
/// replica and every run, unlike `std`'s hasher.
pub fn stable_hash(id: &str) -> u64 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// When to probe an instance first: the first moment at or after `now`
/// whose offset within `interval` is the instance's own (from its id). A
/// thousand instances registered at once are spread over the interval
/// instead of probed together, and a restarted or second replica keeps each
/// instance's phase.
pub fn first_probe_at(instance_id: &str, interval: Duration, now: i64) -> i64 {
    let period = millis(interval).max(1);
    let phase = (stable_hash(instance_id) % period as u64) as i64;
    now.saturating_add((phase - now.rem_euclid(period)).rem_euclid(period))
}

/// The next probe after the one due at `scheduled`: one interval later, or,
/// when the prober fell behind past that, the next slot after `now` in the
/// same phase (missed probes are skipped, not run in a burst).
pub fn next_probe_at(scheduled: i64, interval: Duration, now: i64) -> i64 {
    let period = millis(interval).max(1);
    let next = scheduled.saturating_add(period);
    if next > now {
        return next;
    }
    let behind = now.saturating_sub(scheduled) / period + 1;
    scheduled.saturating_add(behind.saturating_mul(period))
}

// -------------------------------------------------------------- validation

/// How to probe, parsed from a [`HealthCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSettings {
    pub kind: HealthCheckKind,
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub thresholds: Thresholds,
}

/// A registration that passed [`validate_registration`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRegistration {
    /// Key, layer and dependencies, for [`check_layering`].
    pub node: ServiceNode,
    pub probe: ProbeSettings,
}

/// Checks a `PUT /services/{namespace}/{name}` body: names, version,
/// endpoints (absolute http(s) URLs, no duplicates), the health check,
/// layer (one of `layers`), dependencies (names or `namespace/name`, no
/// duplicates, not the service itself) and tags, each bounded. Whether the
/// dependencies exist is the layering rule's business, not validation's.
pub fn validate_registration(
    namespace: &str,
    name: &str,
    body: &RegisterService,
    layers: &Layers,
) -> Result<ValidRegistration, Invalid> {
    use plat_proto::{MAX_DEPENDENCIES, MAX_ENDPOINTS, MAX_TAG_KEY, MAX_TAG_VALUE, MAX_TAGS, MAX_VERSION};

    validate_name("namespace", namespace)?;
    validate_name("name", name)?;
    if let Some(version) = &body.version {
        validate_len("version", version, MAX_VERSION)?;
        if version.is_empty() || version.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new("version", "must be non-empty, without spaces (1.4.2)"));
        }
    }

    validate_count("endpoints", body.endpoints.len(), MAX_ENDPOINTS)?;
    for (i, endpoint) in body.endpoints.iter().enumerate() {
        let field = format!("endpoints[{i}].url");
        if endpoint.url.is_empty() {
            return Err(Invalid::new(field, "is required"));
        }
        validate_url(&field, &endpoint.url)?;
        if body.endpoints[..i].iter().any(|earlier| earlier.url == endpoint.url) {
            return Err(Invalid::new(field, format!("{} is listed twice", endpoint.url)));
        }
    }

    let probe = validate_health_check(&body.health_check)?;

    if let Some(layer) = &body.layer {
        layers.validate("layer", layer)?;
    }

    let key = ServiceKey::new(namespace, name);
    validate_count("depends_on", body.depends_on.len(), MAX_DEPENDENCIES)?;
    let mut depends_on: Vec<ServiceKey> = Vec::with_capacity(body.depends_on.len());
    for (i, entry) in body.depends_on.iter().enumerate() {
        let field = format!("depends_on[{i}]");
        validate_dependency(&field, entry)?;
        let dependency = ServiceKey::dependency(namespace, entry);
        if dependency == key {
            return Err(Invalid::new(field, "a service may not depend on itself"));
        }
        if depends_on.contains(&dependency) {
            return Err(Invalid::new(field, format!("{entry} is listed twice")));
        }
        depends_on.push(dependency);
    }

    validate_count("tags", body.tags.len(), MAX_TAGS)?;
    for (tag, value) in &body.tags {
        let shown: String = tag.chars().take(40).collect();
        let key_ok = !tag.is_empty()
            && tag.len() <= MAX_TAG_KEY
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric())
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
        if !key_ok {
            return Err(Invalid::new(
                "tags",
                format!(
                    "{shown:?} is not a tag key: 1 to {MAX_TAG_KEY} of A-Z, a-z, 0-9, '.', '_', '/', '-', \
                     starting with a letter or digit"
                ),
            ));
        }
        let field = format!("tags.{tag}");
        validate_len(&field, value, MAX_TAG_VALUE)?;
        if value.chars().any(char::is_control) {
            return Err(Invalid::new(field, "must not contain control characters"));
        }
    }

    Ok(ValidRegistration { node: ServiceNode { key, layer: body.layer.clone(), depends_on }, probe })
}

/// A `depends_on` entry: a service name, or `namespace/name`.
fn validate_dependency(field: &str, entry: &str) -> Result<(), Invalid> {
    match entry.split_once('/') {
        Some((namespace, name)) => validate_name(field, namespace).and_then(|()| validate_name(field, name)),
        None => validate_name(field, entry),
    }
}

/// The time a probe may take when none is given: the wire default of
/// `health_check.timeout` (`2s`, see [`HealthCheck`]).
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The default timeout for a probe every `interval`: [`DEFAULT_PROBE_TIMEOUT`]
/// when it is less than the interval, else half the interval, so that every
/// valid interval (1s to 1h) has a valid default. The one rule for it: the
/// CLI fills `--timeout` with it, and [`validate_health_check`] applies it to
/// a timeout left at the default (an API caller's omitted `timeout`).
pub fn default_probe_timeout(interval: Duration) -> Duration {
    if DEFAULT_PROBE_TIMEOUT < interval { DEFAULT_PROBE_TIMEOUT } else { interval / 2 }
}

/// The health check: path starting with `/`, interval 1s to 1h, timeout
/// at least 100ms and below the interval (a probe must end before the next
/// one starts), thresholds 1 to 10. A timeout of [`DEFAULT_PROBE_TIMEOUT`]
/// is the default, [`default_probe_timeout`] of the interval: the wire
/// cannot tell an omitted `timeout` from `2s`, and a `2s` that does not fit
/// the interval would be refused otherwise.
pub fn validate_health_check(check: &HealthCheck) -> Result<ProbeSettings, Invalid> {
    validate_len("health_check.path", &check.path, plat_proto::MAX_HEALTH_PATH)?;
    if !check.path.starts_with('/') || check.path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new("health_check.path", "must start with '/' and contain no spaces (/health)"));
    }
    let interval = parse_duration("health_check.interval", &check.interval)?;
    if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&interval) {
        return Err(Invalid::new("health_check.interval", "must be between 1s and 1h"));
    }
    let mut timeout = parse_duration("health_check.timeout", &check.timeout)?;
    if timeout == DEFAULT_PROBE_TIMEOUT {
        timeout = default_probe_timeout(interval);
    }
    if timeout < Duration::from_millis(100) || timeout >= interval {
        return Err(Invalid::new("health_check.timeout", "must be at least 100ms and less than the interval"));
    }
    for (field, value) in [
        ("health_check.success_before_passing", check.success_before_passing),
        ("health_check.failures_before_critical", check.failures_before_critical),
    ] {
        if !(1..=10).contains(&value) {
            return Err(Invalid::new(field, "must be between 1 and 10"));
        }
    }
    Ok(ProbeSettings {
        kind: check.kind,
        path: check.path.clone(),
        interval,
        timeout,
        thresholds: Thresholds {
            success_before_passing: check.success_before_passing,
            failures_before_critical: check.failures_before_critical,
        },
    })
}

/// A heartbeat that passed [`validate_heartbeat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidHeartbeat {
    /// As sent, or [`instance_id`] of the URL.
    pub instance_id: String,
    pub url: Option<String>,
    pub ttl: Duration,
}

/// Checks a heartbeat: an instance id (`A-Z a-z 0-9 . _ : -`) or a URL (or
/// both), and a TTL of 1s to 1h (default [`DEFAULT_HEARTBEAT_TTL`]).
pub fn validate_heartbeat(body: &Heartbeat) -> Result<ValidHeartbeat, Invalid> {
    if let Some(url) = &body.url {
        if url.is_empty() {
            return Err(Invalid::new("url", "must not be empty"));
        }
        validate_url("url", url)?;
    }
    let instance_id = match (&body.instance_id, &body.url) {
        (Some(id), _) => {
            validate_len("instance_id", id, plat_proto::MAX_INSTANCE_ID)?;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) {
                return Err(Invalid::new("instance_id", "must be A-Z, a-z, 0-9, '.', '_', ':' and '-'"));
            }
            id.clone()
        }
        (None, Some(url)) => instance_id(url),
        (None, None) => return Err(Invalid::new("instance_id", "give instance_id or url")),
    };
    let ttl = match &body.ttl {
        Some(text) => parse_duration("ttl", text)?,
        None => DEFAULT_HEARTBEAT_TTL,
    };
    if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&ttl) {
        return Err(Invalid::new("ttl", "must be between 1s and 1h"));
    }
    Ok(ValidHeartbeat { instance_id, url: body.url.clone(), ttl })
}

#[cfg(test)]
mod tests {
    use plat_proto::{Endpoint, InstanceSource};

    use super::*;

    /// Service, its layer, its `depends_on`, the violations expected.
    type LayeringCase =
        (&'static str, Option<&'static str>, &'static [&'static str], &'static [(ViolationKind, &'static str)]);
    /// Name, graph, cycles expected.
    type CycleCase = (&'static str, BTreeMap<&'static str, Vec<&'static str>>, Vec<Cycle<&'static str>>);
    /// Name, status before, thresholds, probe results, status after each.
    type HealthCase = (&'static str, InstanceStatus, Thresholds, &'static [ProbeOutcome], &'static [InstanceStatus]);
    /// Name, instances (id, healthy), remembered ids, threshold, ids expected, protected.
    type ProtectionCase =
        (&'static str, &'static [(&'static str, bool)], &'static [&'static str], f64, &'static [&'static str], bool);

    fn key(text: &str) -> ServiceKey {
        ServiceKey::dependency("shop", text)
    }

    fn node(name: &str, layer: Option<&str>, depends_on: &[&str]) -> ServiceNode {
        ServiceNode {
            key: key(name),
            layer: layer.map(str::to_owned),
            depends_on: depends_on.iter().map(|d| key(d)).collect(),
        }
    }

    /// The registry of the layering tests, one service per layer and two
    /// in `core`.
    fn registered() -> BTreeMap<ServiceKey, Option<String>> {
        [
            ("postgres", Some("infrastructure")),
            ("kafka", Some("infrastructure")),
            ("user-service", Some("business")),
            ("payment-service", Some("core")),
            ("inventory", Some("core")),
            ("storefront", Some("application")),
            ("legacy", None),
            ("billing/invoice-service", Some("business")),
            ("billing/ledger", Some("infrastructure")),
            ("odd", Some("edge")),
        ]
        .into_iter()
        .map(|(name, layer)| (key(name), layer.map(str::to_owned)))
        .collect()
    }

    #[test]
    fn layers_are_ordered_and_configurable() {
        let layers = Layers::default();
        assert_eq!(layers.rank("infrastructure"), Some(0));
        assert_eq!(layers.rank("application"), Some(3));
        assert_eq!(layers.rank("Core"), None);
        assert_eq!(layers.validate("layer", "business"), Ok(2));
        let err = layers.validate("layer", "domain").expect_err("not a layer");
        assert_eq!(err.field, "layer");
        assert_eq!(err.message, "must be one of infrastructure, core, business, application");

        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let custom = Layers::new("registry.layers", &names(&["platform", "domain", "edge"])).expect("valid");
        assert_eq!(custom.rank("edge"), Some(2));
        for bad in [vec![], names(&["core", "core"]), names(&["Core"]), names(&["a"; 17])] {
            let err = Layers::new("registry.layers", &bad).expect_err("invalid");
            assert_eq!(err.field, "registry.layers", "{bad:?}");
        }
    }

    #[test]
    fn policies_parse() {
        for (text, expected) in [
            ("off", Some(LayeringPolicy::Off)),
            ("warn", Some(LayeringPolicy::Warn)),
            ("enforce", Some(LayeringPolicy::Enforce)),
            ("Enforce", None),
            ("", None),
            ("strict", None),
        ] {
            let parsed = LayeringPolicy::parse("registry.layering", text);
            assert_eq!(parsed.as_ref().ok().copied(), expected, "{text}");
            if let Ok(policy) = parsed {
                assert_eq!(policy.as_str(), text);
            }
        }
        assert_eq!(LayeringPolicy::default(), LayeringPolicy::Warn);
    }

    #[test]
    fn only_downward_edges_pass_the_layering_rule() {
        let cases: &[LayeringCase] = &[
            ("order-service", Some("business"), &["payment-service", "postgres"], &[]),
            ("storefront", Some("application"), &["user-service", "inventory", "kafka"], &[]),
            ("reports", Some("business"), &["billing/ledger"], &[]),
            (
                "order-service",
                Some("core"),
                &["user-service"],
                &[(
                    ViolationKind::Upward,
                    "order-service (core) → user-service (business): a core service may not depend on a business one",
                )],
            ),
            (
                "order-service",
                Some("core"),
                &["payment-service", "postgres"],
                &[(
                    ViolationKind::SameLayer,
                    "order-service (core) → payment-service (core): a core service may not depend on another core one",
                )],
            ),
            (
                "cache",
                Some("infrastructure"),
                &["postgres", "storefront"],
                &[
                    (
                        ViolationKind::SameLayer,
                        "cache (infrastructure) → postgres (infrastructure): an infrastructure service may not \
                         depend on another infrastructure one",
                    ),
                    (
                        ViolationKind::Upward,
                        "cache (infrastructure) → storefront (application): an infrastructure service may not \
                         depend on an application one",
                    ),
                ],
            ),
            (
                "order-service",
                Some("core"),
                &["ghost-service"],
                &[(
                    ViolationKind::UnknownService,
                    "order-service (core) → ghost-service: ghost-service is not registered",
                )],
            ),
            (
                "order-service",
                Some("core"),
                &["billing/invoice-service"],
                &[(
                    ViolationKind::Upward,
                    "order-service (core) → billing/invoice-service (business): a core service may not depend on \
                     a business one",
                )],
            ),
            (
                "order-service",
                None,
                &["postgres"],
                &[(
                    ViolationKind::Unlayered,
                    "order-service → postgres (infrastructure): order-service has no layer, so its dependencies \
                     cannot be checked",
                )],
            ),
            (
                "order-service",
                Some("business"),
                &["legacy"],
                &[(
                    ViolationKind::Unlayered,
                    "order-service (business) → legacy: legacy has no layer, so a dependency on it cannot be checked",
                )],
            ),
            (
                "order-service",
                Some("business"),
                &["odd"],
                &[(
                    ViolationKind::Unlayered,
                    "order-service (business) → odd (edge): \"edge\" is not a configured layer (infrastructure, \
                     core, business, application)",
                )],
            ),
            (
                "order-service",
                Some("core"),
                &["order-service"],
                &[(
                    ViolationKind::SameLayer,
                    "order-service (core) → order-service (core): a service may not depend on itself",
                )],
            ),
            // A dependency listed twice is judged once.
            ("order-service", Some("business"), &["inventory", "inventory"], &[]),
        ];
        let layers = Layers::default();
        let registered = registered();
        for (name, layer, depends_on, expected) in cases {
            let service = node(name, *layer, depends_on);
            let report = check_layering(&layers, &service, &registered, &BTreeSet::new());
            let got: Vec<(ViolationKind, &str)> = report.new.iter().map(|v| (v.kind, v.reason.as_str())).collect();
            assert_eq!(got, *expected, "{name} ({layer:?}) → {depends_on:?}");
            assert!(report.accepted.is_empty());
            assert_eq!(report.is_ok(), expected.is_empty());
        }
    }

    /// The service being registered may be in `registered` with its old
    /// layer; its new one counts.
    #[test]
    fn a_service_moving_layers_is_judged_by_its_new_layer() {
        let mut registered = registered();
        registered.insert(key("order-service"), Some("infrastructure".to_owned()));
        let service = node("order-service", Some("business"), &["inventory"]);
        assert!(check_layering(&Layers::default(), &service, &registered, &BTreeSet::new()).is_ok());
    }

    #[test]
    fn the_baseline_accepts_old_violations_but_not_new_ones() {
        let baseline =
            parse_baseline("registry.baseline", &["shop/order-service -> user-service".to_owned()]).expect("valid");
        let service = node("order-service", Some("core"), &["user-service", "payment-service", "postgres"]);
        let report = check_layering(&Layers::default(), &service, &registered(), &baseline);
        let names = |list: &[Violation]| list.iter().map(|v| v.edge.to.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&report.accepted), ["user-service"]);
        assert_eq!(names(&report.new), ["payment-service"]);
        assert_eq!(
            report.summary(),
            "violation: order-service (core) → payment-service (core): a core service may not depend on another \
             core one"
        );
        let wire = report.to_wire();
        assert_eq!(wire.len(), 2);
        assert_eq!((wire[0].to.as_str(), wire[0].accepted), ("shop/payment-service", false));
        assert_eq!(
            (wire[1].to.as_str(), wire[1].accepted, wire[1].kind),
            ("shop/user-service", true, ViolationKind::Upward)
        );
        assert!(LayeringPolicy::Enforce.rejects(&report));
        assert!(!LayeringPolicy::Warn.rejects(&report));

        // Only the accepted one: "ok", and enforce lets it through.
        let old_only = node("order-service", Some("core"), &["user-service", "postgres"]);
        let report = check_layering(&Layers::default(), &old_only, &registered(), &baseline);
        assert_eq!((report.new.len(), report.accepted.len()), (0, 1));
        assert_eq!(report.summary(), "ok");
        assert!(!LayeringPolicy::Enforce.rejects(&report));
        // The same edge from another service is new.
        let other = node("checkout", Some("core"), &["user-service"]);
        assert_eq!(check_layering(&Layers::default(), &other, &registered(), &baseline).new.len(), 1);
    }

    #[test]
    fn baseline_entries_are_edges() {
        let edge = |from: &str, to: &str| Edge {
            from: ServiceKey::dependency("x", from),
            to: ServiceKey::dependency("x", to),
        };
        for (entry, expected) in [
            ("shop/order-service -> user-service", Some(edge("shop/order-service", "shop/user-service"))),
            ("shop/order-service→billing/ledger", Some(edge("shop/order-service", "billing/ledger"))),
            ("  shop/a ->  b ", Some(edge("shop/a", "shop/b"))),
            ("order-service -> user-service", None),
            ("shop/order-service", None),
            ("shop/Order -> user", None),
            ("shop/a -> b/c/d", None),
        ] {
            let parsed = parse_baseline("registry.baseline", &[entry.to_owned()]);
            assert_eq!(parsed.ok().and_then(|set| set.into_iter().next()), expected, "{entry}");
        }
    }

    #[test]
    fn cycles_are_found_in_a_stable_order() {
        let graph = |edges: &[(&'static str, &[&'static str])]| -> BTreeMap<&'static str, Vec<&'static str>> {
            edges.iter().map(|(from, to)| (*from, to.to_vec())).collect()
        };
        let cycle =
            |members: &[&'static str], path: &[&'static str]| Cycle { members: members.to_vec(), path: path.to_vec() };
        let cases: Vec<CycleCase> = vec![
            ("a chain", graph(&[("a", &["b"]), ("b", &["c"]), ("c", &[])]), vec![]),
            ("a diamond", graph(&[("a", &["b", "c"]), ("b", &["d"]), ("c", &["d"])]), vec![]),
            ("a self-loop", graph(&[("a", &["a", "b"]), ("b", &[])]), vec![cycle(&["a"], &["a"])]),
            (
                "a 3-cycle beside a self-loop",
                graph(&[("x", &["y"]), ("y", &["z"]), ("z", &["x", "w"]), ("w", &["w"]), ("v", &["x"])]),
                vec![cycle(&["w"], &["w"]), cycle(&["x", "y", "z"], &["x", "y", "z"])],
            ),
            (
                "the shortest circle through the first member",
                graph(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &["d"]), ("d", &["a"])]),
                vec![cycle(&["a", "b", "c", "d"], &["a", "c", "d"])],
            ),
            (
                "two separate 2-cycles",
                graph(&[("q", &["p"]), ("p", &["q"]), ("b", &["a"]), ("a", &["b"])]),
                vec![cycle(&["a", "b"], &["a", "b"]), cycle(&["p", "q"], &["p", "q"])],
            ),
            ("a dependency that is not a node", graph(&[("a", &["ghost"])]), vec![]),
        ];
        for (name, graph, expected) in cases {
            assert_eq!(find_cycles(&graph), expected, "{name}");
        }
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let length = 100_000u32;
        let mut graph: BTreeMap<u32, Vec<u32>> = (0..length).map(|i| (i, vec![i + 1])).collect();
        assert!(find_cycles(&graph).is_empty());
        graph.insert(length, vec![0]);
        let cycles = find_cycles(&graph);
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].members.len(), length as usize + 1);
        assert_eq!(cycles[0].path.len(), length as usize + 1);
    }

    #[test]
    fn probe_results_change_the_status_only_after_a_run() {
        use InstanceStatus::{Critical, Passing, Warning};
        use ProbeOutcome::{Failure as Down, Success as Up, Warning as Busy};
        let thresholds = |success: u32, failures: u32| Thresholds {
            success_before_passing: success,
            failures_before_critical: failures,
        };
        let cases: &[HealthCase] = &[
            (
                "flapping from passing, 2/2",
                Passing,
                thresholds(2, 2),
                &[Up, Down, Up, Down, Up, Down, Up],
                &[Passing; 7],
            ),
            (
                "flapping from critical, 2/2",
                Critical,
                thresholds(2, 2),
                &[Up, Down, Up, Down, Up, Down],
                &[Critical; 6],
            ),
            ("flapping, 3/3", Passing, thresholds(3, 3), &[Down, Down, Up, Down, Down, Up], &[Passing; 6]),
            (
                "two failures fail, 2/2",
                Passing,
                thresholds(2, 2),
                &[Down, Down, Up, Up],
                &[Passing, Critical, Critical, Passing],
            ),
            ("defaults: one success passes", Critical, Thresholds::default(), &[Up], &[Passing]),
            (
                "defaults: three failures fail",
                Passing,
                Thresholds::default(),
                &[Down, Down, Down],
                &[Passing, Passing, Critical],
            ),
            (
                "a 429 run ends in warning",
                Passing,
                thresholds(1, 2),
                &[Busy, Busy, Down, Up],
                &[Passing, Warning, Critical, Passing],
            ),
            ("warnings count as failures", Passing, thresholds(1, 2), &[Down, Busy], &[Passing, Warning]),
            ("zero thresholds act as 1", Passing, thresholds(0, 0), &[Down, Up], &[Critical, Passing]),
        ];
        for (name, start, thresholds, outcomes, expected) in cases {
            let mut state = HealthState { status: *start, consecutive_successes: 0, consecutive_failures: 0 };
            for (step, (outcome, want)) in outcomes.iter().zip(expected.iter()).enumerate() {
                let before = state.status;
                let (next, changed) = next_state(state, *outcome, *thresholds);
                assert_eq!(next.status, *want, "{name}, step {step}");
                assert_eq!(changed, before != *want, "{name}, step {step}");
                state = next;
            }
        }
        let (state, _) = next_state(HealthState::initial(), Up, thresholds(3, 3));
        let (state, _) = next_state(state, Up, thresholds(3, 3));
        assert_eq!((state.consecutive_successes, state.consecutive_failures, state.healthy()), (2, 0, false));
        let (state, _) = next_state(state, Down, thresholds(3, 3));
        assert_eq!((state.consecutive_successes, state.consecutive_failures), (0, 1));
        assert_eq!(classify_probe(204), ProbeOutcome::Success);
        assert_eq!(classify_probe(429), ProbeOutcome::Warning);
        assert_eq!(classify_probe(503), ProbeOutcome::Failure);
        assert_eq!(classify_probe(301), ProbeOutcome::Failure);
    }

    #[test]
    fn heartbeats_expire_then_remove() {
        let (ttl, remove_after) = (Duration::from_secs(15), Duration::from_secs(30));
        for (silent_ms, status, remove) in [
            (-5_000, InstanceStatus::Passing, false),
            (0, InstanceStatus::Passing, false),
            (15_000, InstanceStatus::Passing, false),
            (15_001, InstanceStatus::Critical, false),
            (30_000, InstanceStatus::Critical, false),
            (30_001, InstanceStatus::Critical, true),
        ] {
            let verdict = heartbeat_verdict(1_000_000, ttl, remove_after, 1_000_000 + silent_ms);
            assert_eq!(verdict, HeartbeatVerdict { status, remove }, "{silent_ms}");
        }
        // A removal period shorter than the TTL counts as the TTL.
        let verdict = heartbeat_verdict(0, ttl, Duration::from_secs(1), 10_000);
        assert_eq!(verdict, HeartbeatVerdict { status: InstanceStatus::Passing, remove: false });
    }

    fn instance(id: &str, healthy: bool) -> Instance {
        Instance {
            id: id.to_owned(),
            url: format!("http://{id}:8001"),
            healthy,
            status: if healthy { InstanceStatus::Passing } else { InstanceStatus::Critical },
            source: InstanceSource::Probe,
            last_probe_at: None,
            last_heartbeat_at: None,
            latency_ms: None,
            consecutive_successes: 0,
            consecutive_failures: 0,
        }
    }

    #[test]
    fn protection_answers_the_last_healthy_set_below_the_threshold() {
        let ids = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<String>>();
        let cases: &[ProtectionCase] = &[
            ("all healthy", &[("a", true), ("b", true)], &["a"], 0.5, &["a", "b"], false),
            ("at the threshold", &[("a", true), ("b", false)], &["a", "b"], 0.5, &["a"], false),
            (
                "below the threshold",
                &[("a", true), ("b", false), ("c", false), ("d", false)],
                &["a", "b", "c"],
                0.5,
                &["a", "b", "c"],
                true,
            ),
            ("none healthy", &[("a", false), ("b", false)], &["b"], 0.5, &["b"], true),
            ("a removed instance stays removed", &[("a", false), ("b", false)], &["b", "gone"], 0.5, &["b"], true),
            ("nothing remembered", &[("a", false), ("b", true), ("c", false)], &[], 0.5, &["b"], false),
            ("remembered ones all removed", &[("a", false)], &["gone"], 0.5, &[], false),
            ("protection off", &[("a", false), ("b", false)], &["a", "b"], 0.0, &[], false),
            ("no instances", &[], &["a"], 0.5, &[], false),
        ];
        for (name, instances, remembered, threshold, expected, protected) in cases {
            let instances: Vec<Instance> = instances.iter().map(|(id, healthy)| instance(id, *healthy)).collect();
            let answer = healthy_answer(&instances, &ids(remembered), *threshold);
            let got: Vec<&str> = answer.instances.iter().map(|i| i.id.as_str()).collect();
            assert_eq!((got.as_slice(), answer.protected), (*expected, *protected), "{name}");
        }
        assert!(validate_protection_threshold("t", DEFAULT_PROTECTION_THRESHOLD).is_ok());
        assert!(validate_protection_threshold("t", 1.5).is_err());
        assert!(validate_protection_threshold("t", f64::NAN).is_err());
    }

    #[test]
    fn first_probes_spread_evenly_over_the_interval() {
        let (interval, now) = (Duration::from_secs(10), 1_700_000_000_123);
        let mut buckets = [0u32; 10];
        for n in 0..1_000 {
            let id = instance_id(&format!("http://10.0.{}.{}:8001", n / 256, n % 256));
            let at = first_probe_at(&id, interval, now);
            assert!((now..now + 10_000).contains(&at), "{at}");
            buckets[((at - now) / 1_000) as usize] += 1;
            // The phase is the instance's own: the same at any later start.
            let later = first_probe_at(&id, interval, now + 123_456);
            assert_eq!((later - at).rem_euclid(10_000), 0);
        }
        // 100 expected per second; ±35 is beyond four standard deviations.
        assert!(buckets.iter().all(|&count| (65..=135).contains(&count)), "{buckets:?}");
    }

    #[test]
    fn next_probes_keep_their_phase() {
        let interval = Duration::from_secs(10);
        for (scheduled, now, expected) in [
            (1_000, 1_500, 11_000),
            (1_000, 10_999, 11_000),
            (1_000, 11_000, 21_000),
            (1_000, 45_000, 51_000),
            (1_000, 0, 11_000),
        ] {
            assert_eq!(next_probe_at(scheduled, interval, now), expected, "{scheduled} at {now}");
        }
        assert_eq!(next_probe_at(5, Duration::ZERO, 5), 6, "a zero interval still moves on");
    }

    #[test]
    fn instance_ids_are_stable() {
        let id = instance_id("http://10.0.0.5:8001");
        assert_eq!(id, instance_id("http://10.0.0.5:8001"));
        assert_ne!(id, instance_id("http://10.0.0.6:8001"));
        assert!(id.starts_with("i-") && id.len() == 18, "{id}");
        assert_eq!(stable_hash("a"), 0xca97_8112_ca1b_bdca);
    }

    fn valid_body() -> RegisterService {
        RegisterService {
            version: Some("1.4.2".into()),
            endpoints: vec![Endpoint { url: "http://10.0.0.5:8001".into() }],
            layer: Some("business".into()),
            depends_on: vec!["user-service".into(), "billing/ledger".into()],
            tags: BTreeMap::from([("team".into(), "shop".into()), ("app.kubernetes.io/part-of".into(), "shop".into())]),
            ..RegisterService::default()
        }
    }

    #[test]
    fn a_valid_registration_is_parsed() {
        let valid = validate_registration("shop", "order-service", &valid_body(), &Layers::default()).expect("valid");
        assert_eq!(valid.node.key, ServiceKey::new("shop", "order-service"));
        assert_eq!(
            valid.node.depends_on,
            [ServiceKey::new("shop", "user-service"), ServiceKey::new("billing", "ledger")]
        );
        assert_eq!(valid.node.layer.as_deref(), Some("business"));
        assert_eq!(valid.probe.interval, Duration::from_secs(10));
        assert_eq!(valid.probe.timeout, Duration::from_secs(2));
        assert_eq!(valid.probe.thresholds, Thresholds::default());
        let bare = RegisterService::default();
        assert!(validate_registration("shop", "order-service", &bare, &Layers::default()).is_ok());
    }

    #[test]
    fn invalid_registrations_name_the_field() {
        type Change = fn(&mut RegisterService);
        let cases: &[(&str, &str, Change, &str)] = &[
            ("Shop", "order-service", |_| {}, "namespace"),
            ("shop", "order_service", |_| {}, "name"),
            ("shop", "order-service", |b| b.version = Some("1 4".into()), "version"),
            ("shop", "order-service", |b| b.version = Some("v".repeat(65)), "version"),
            ("shop", "order-service", |b| b.version = Some(String::new()), "version"),
            ("shop", "order-service", |b| b.endpoints.push(Endpoint { url: "ftp://x".into() }), "endpoints[1].url"),
            ("shop", "order-service", |b| b.endpoints.push(Endpoint { url: "http:///x".into() }), "endpoints[1].url"),
            ("shop", "order-service", |b| b.endpoints.push(Endpoint { url: String::new() }), "endpoints[1].url"),
            (
                "shop",
                "order-service",
                |b| b.endpoints.push(Endpoint { url: "http://10.0.0.5:8001".into() }),
                "endpoints[1].url",
            ),
            (
                "shop",
                "order-service",
                |b| b.endpoints = (0..257).map(|i| Endpoint { url: format!("http://h{i}") }).collect(),
                "endpoints",
            ),
            ("shop", "order-service", |b| b.health_check.path = "health".into(), "health_check.path"),
            ("shop", "order-service", |b| b.health_check.path = "/a b".into(), "health_check.path"),
            ("shop", "order-service", |b| b.health_check.interval = "10".into(), "health_check.interval"),
            ("shop", "order-service", |b| b.health_check.interval = "500ms".into(), "health_check.interval"),
            ("shop", "order-service", |b| b.health_check.interval = "2h".into(), "health_check.interval"),
            ("shop", "order-service", |b| b.health_check.timeout = "10s".into(), "health_check.timeout"),
            ("shop", "order-service", |b| b.health_check.timeout = "50ms".into(), "health_check.timeout"),
            (
                "shop",
                "order-service",
                |b| b.health_check.success_before_passing = 0,
                "health_check.success_before_passing",
            ),
            (
                "shop",
                "order-service",
                |b| b.health_check.failures_before_critical = 11,
                "health_check.failures_before_critical",
            ),
            ("shop", "order-service", |b| b.layer = Some("domain".into()), "layer"),
            ("shop", "order-service", |b| b.depends_on.push("User".into()), "depends_on[2]"),
            ("shop", "order-service", |b| b.depends_on.push("a/b/c".into()), "depends_on[2]"),
            ("shop", "order-service", |b| b.depends_on.push("shop/user-service".into()), "depends_on[2]"),
            ("shop", "order-service", |b| b.depends_on.push("order-service".into()), "depends_on[2]"),
            ("shop", "order-service", |b| b.depends_on = (0..65).map(|i| format!("s{i}")).collect(), "depends_on"),
            ("shop", "order-service", |b| _ = b.tags.insert("-x".into(), "y".into()), "tags"),
            ("shop", "order-service", |b| _ = b.tags.insert("a b".into(), "y".into()), "tags"),
            ("shop", "order-service", |b| _ = b.tags.insert("k".repeat(129), "y".into()), "tags"),
            ("shop", "order-service", |b| _ = b.tags.insert("note".into(), "v".repeat(257)), "tags.note"),
            ("shop", "order-service", |b| _ = b.tags.insert("note".into(), "a\nb".into()), "tags.note"),
            ("shop", "order-service", |b| b.tags = (0..65).map(|i| (format!("k{i}"), String::new())).collect(), "tags"),
        ];
        for (namespace, name, change, field) in cases {
            let mut body = valid_body();
            change(&mut body);
            let err = validate_registration(namespace, name, &body, &Layers::default()).expect_err(field);
            assert_eq!(err.field, *field, "{}", err.message);
        }
        // The edges of the bounds pass.
        let mut body = valid_body();
        body.health_check.interval = "1h".into();
        body.health_check.timeout = "59m59s".into();
        body.health_check.success_before_passing = 10;
        body.version = Some("v".repeat(64));
        body.tags = (0..64).map(|i| (format!("k{i}"), "v".repeat(256))).collect();
        body.depends_on = (0..64).map(|i| format!("s{i}")).collect();
        body.endpoints = (0..256).map(|i| Endpoint { url: format!("http://h{i}:80") }).collect();
        assert!(validate_registration("shop", "order-service", &body, &Layers::default()).is_ok());
    }

    #[test]
    fn the_default_probe_timeout_fits_the_interval() {
        let ms = Duration::from_millis;
        for (interval, timeout) in [(3_600_000, 2_000), (10_000, 2_000), (2_001, 2_000), (2_000, 1_000), (1_000, 500)] {
            assert_eq!(default_probe_timeout(ms(interval)), ms(timeout), "interval {interval}ms");
        }
        // The wire default is the rule's default.
        assert_eq!(parse_duration("t", &HealthCheck::default().timeout).expect("duration"), DEFAULT_PROBE_TIMEOUT);
        // A timeout left at the default fits any valid interval; any other is taken as given.
        let probe = |interval: &str, timeout: &str| {
            let check = HealthCheck { interval: interval.into(), timeout: timeout.into(), ..HealthCheck::default() };
            validate_health_check(&check).map(|p| p.timeout)
        };
        assert_eq!(probe("1s", "2s").expect("fits"), ms(500));
        assert_eq!(probe("2s", "2s").expect("fits"), ms(1_000));
        assert_eq!(probe("2s", "2000ms").expect("fits"), ms(1_000));
        assert_eq!(probe("10s", "2s").expect("fits"), ms(2_000));
        assert_eq!(probe("2s", "1500ms").expect("as given"), ms(1_500));
        assert_eq!(probe("2s", "3s").expect_err("too long").field, "health_check.timeout");
    }

    #[test]
    fn heartbeats_are_checked() {
        let beat = |id: Option<&str>, url: Option<&str>, ttl: Option<&str>| Heartbeat {
            instance_id: id.map(str::to_owned),
            url: url.map(str::to_owned),
            ttl: ttl.map(str::to_owned),
        };
        let valid = validate_heartbeat(&beat(None, Some("http://10.0.0.7:8001"), None)).expect("valid");
        assert_eq!(valid.instance_id, instance_id("http://10.0.0.7:8001"));
        assert_eq!(valid.ttl, DEFAULT_HEARTBEAT_TTL);
        let valid = validate_heartbeat(&beat(Some("pod-7:8001"), None, Some("30s"))).expect("valid");
        assert_eq!((valid.instance_id.as_str(), valid.ttl), ("pod-7:8001", Duration::from_secs(30)));
        for (body, field) in [
            (beat(None, None, None), "instance_id"),
            (beat(Some(""), None, None), "instance_id"),
            (beat(Some("a b"), None, None), "instance_id"),
            (beat(Some(&"i".repeat(129)), None, None), "instance_id"),
            (beat(Some("a"), Some("tcp://x"), None), "url"),
            (beat(Some("a"), Some(""), None), "url"),
            (beat(Some("a"), None, Some("500ms")), "ttl"),
            (beat(Some("a"), None, Some("2h")), "ttl"),
            (beat(Some("a"), None, Some("15")), "ttl"),
        ] {
            assert_eq!(validate_heartbeat(&body).expect_err(field).field, field, "{body:?}");
        }
    }

    #[test]
    fn the_graph_has_every_node_edge_verdict_and_cycle() {
        let services = [
            node("storefront", Some("application"), &["order-service", "ghost"]),
            node("order-service", Some("business"), &["payment-service", "user-service"]),
            node("user-service", Some("business"), &["order-service"]),
            node("payment-service", Some("core"), &[]),
        ];
        let baseline = parse_baseline("b", &["shop/user-service -> order-service".to_owned()]).expect("valid");
        let graph = service_graph(&Layers::default(), &services, &baseline);
        let nodes: Vec<(&str, bool)> = graph.nodes.iter().map(|n| (n.id.as_str(), n.registered)).collect();
        assert_eq!(
            nodes,
            [
                ("shop/ghost", false),
                ("shop/order-service", true),
                ("shop/payment-service", true),
                ("shop/storefront", true),
                ("shop/user-service", true)
            ]
        );
        let edges: Vec<(&str, &str, bool, bool)> =
            graph.edges.iter().map(|e| (e.from.as_str(), e.to.as_str(), e.violation, e.accepted)).collect();
        assert_eq!(
            edges,
            [
                ("shop/order-service", "shop/payment-service", false, false),
                ("shop/order-service", "shop/user-service", true, false),
                ("shop/storefront", "shop/ghost", true, false),
                ("shop/storefront", "shop/order-service", false, false),
                ("shop/user-service", "shop/order-service", true, true),
            ]
        );
        assert_eq!(graph.edges[2].reason.as_deref(), Some("storefront (application) → ghost: ghost is not registered"));
        assert_eq!(graph.cycles.len(), 1);
        assert_eq!(graph.cycles[0].members, ["shop/order-service", "shop/user-service"]);
        assert_eq!(graph.cycles[0].path, ["shop/order-service", "shop/user-service"]);
        assert_eq!(graph.layers, DEFAULT_LAYERS);
    }
}
