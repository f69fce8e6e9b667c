//! service register | list | get | deregister | instances [--watch] | graph
//! [-o dot]: the service registry.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use clap::{Args, Subcommand};
use plat_proto::{
    DiscoveryQuery, Endpoint, ErrorCode, GraphNode, HealthCheck, HealthCheckKind, Instance, LayeringViolation,
    RegisterService, ServiceGraph, ServiceRegistration,
};

use super::sync::option_pair;
use crate::error::{EXIT_UNREACHABLE, Failure};
use crate::output::{Format, Row, ago, ago_opt, emit, or_dash, plural};
use crate::prompt;
use crate::session::Session;

/// The namespace of a service named without one.
const DEFAULT_NAMESPACE: &str = "default";
/// How long one blocking discovery call of `instances --watch` waits for a change.
const WATCH_WAIT: &str = "60s";
/// Pause before `instances --watch` asks again after the server could not be reached.
const WATCH_RETRY: Duration = Duration::from_secs(2);

#[derive(Subcommand, Debug)]
pub enum ServiceCmd {
    /// Register a service, or replace its registration (idempotent: the same flags again change nothing).
    // The service's `--version` flag replaces clap's own.
    #[command(disable_version_flag = true)]
    Register(Box<Register>),
    /// List registered services with their health and layering verdicts.
    List,
    /// Show one registration.
    Get(Target),
    /// Deregister a service and forget its instances (asks first).
    Deregister(Target),
    /// List a service's instances with their health; --watch follows changes.
    Instances {
        #[command(flatten)]
        target: Target,
        /// Only instances whose health checks pass.
        #[arg(long)]
        healthy: bool,
        /// Print the instances again on every change (blocking discovery queries) until Ctrl-C.
        #[arg(long, short = 'w')]
        watch: bool,
    },
    /// The dependency graph: one line per dependency with its layering verdict, then cycles; `-o dot` prints
    /// Graphviz.
    Graph,
}

/// A service: `NAME` in `--namespace`, or `NAMESPACE/NAME`.
#[derive(Args, Debug)]
pub struct Target {
    /// The service's name, or `namespace/name`.
    #[arg(value_name = "NAME")]
    name: String,
    /// The service's namespace (default: default).
    #[arg(long, short = 'n', value_name = "NS")]
    namespace: Option<String>,
}

#[derive(Args, Debug)]
pub struct Register {
    #[command(flatten)]
    target: Target,
    /// An address plat probes (`http://10.0.0.5:8001`); repeat for more. None for a service whose instances
    /// join by heartbeat.
    #[arg(long = "endpoint", value_name = "URL")]
    endpoints: Vec<String>,
    /// Path (and query) of the HTTP health check (default /health).
    #[arg(long, value_name = "P", conflicts_with = "tcp")]
    health_path: Option<String>,
    /// Time between probes of one endpoint, 1s to 1h (default 10s).
    #[arg(long, value_name = "D")]
    interval: Option<String>,
    /// Time a probe may take, less than the interval (default 2s).
    #[arg(long, value_name = "D")]
    timeout: Option<String>,
    /// Probe with a TCP connection instead of an HTTP GET.
    #[arg(long)]
    tcp: bool,
    /// The service's own version (`1.4.2`).
    #[arg(long = "version", id = "service_version", value_name = "V")]
    version: Option<String>,
    /// The service's layer (by default one of infrastructure, core, business, application).
    #[arg(long, value_name = "L")]
    layer: Option<String>,
    /// A service this one calls: a name in the same namespace or `namespace/name`; repeat for more.
    #[arg(long = "depends-on", value_name = "S")]
    depends_on: Vec<String>,
    /// A tag (`team=shop`); repeat for more.
    #[arg(long = "tag", value_name = "K=V", value_parser = option_pair)]
    tags: Vec<(String, String)>,
    /// Only this tenant's callers (and platform admins) see the service; by default every tenant does.
    #[arg(long = "visible-to", value_name = "TENANT")]
    visible_to: Option<String>,
    /// Show what would be stored, with the layering verdict; store nothing.
    #[arg(long)]
    dry_run: bool,
}

impl Target {
    /// Namespace and name; `ns/name` may not contradict `--namespace`.
    fn key(&self) -> Result<(String, String), Failure> {
        match (self.name.split_once('/'), &self.namespace) {
            (Some((ns, name)), Some(flag)) if ns != flag => {
                Err(Failure::usage(format!("{:?} names namespace {ns:?}, but --namespace says {flag:?}", self.name))
                    .with_hint(format!("give either {ns}/{name} or --namespace {flag} {name}")))
            }
            (Some((ns, name)), _) => Ok((ns.to_owned(), name.to_owned())),
            (None, flag) => Ok((flag.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()), self.name.clone())),
        }
    }
}

impl Register {
    fn request(self) -> RegisterService {
        let defaults = HealthCheck::default();
        let interval = self.interval.unwrap_or(defaults.interval.clone());
        // Without --timeout, the default that fits the interval (the server
        // would apply the same rule; sent, it is what `service get` shows).
        // An interval that does not parse is left for the server to refuse.
        let timeout = self.timeout.unwrap_or_else(|| match plat_domain::parse_duration("interval", &interval) {
            Ok(every) => plat_domain::format_duration(plat_domain::registry::default_probe_timeout(every)),
            Err(_) => defaults.timeout.clone(),
        });
        RegisterService {
            version: self.version,
            endpoints: self.endpoints.into_iter().map(|url| Endpoint { url }).collect(),
            health_check: HealthCheck {
                path: self.health_path.unwrap_or(defaults.path.clone()),
                interval,
                timeout,
                kind: if self.tcp { HealthCheckKind::Tcp } else { HealthCheckKind::Http },
                ..defaults
            },
            layer: self.layer,
            depends_on: self.depends_on,
            tags: self.tags.into_iter().collect::<BTreeMap<_, _>>(),
            tenant: self.visible_to,
            ..Default::default()
        }
    }
}

/// `ok`, `violation`, `2 violations`, `ok, 1 accepted` (in the baseline).
fn layering_cell(violations: &[LayeringViolation]) -> String {
    let new = violations.iter().filter(|v| !v.accepted).count() as u64;
    let accepted = violations.len() as u64 - new;
    match (new, accepted) {
        (0, 0) => "ok".to_owned(),
        (0, a) => format!("ok, {a} accepted"),
        (1, _) => "violation".to_owned(),
        (n, _) => format!("{n} violations"),
    }
}

fn join_or_dash(items: &[String]) -> String {
    or_dash(&items.join(","))
}

impl Row for ServiceRegistration {
    const COLUMNS: &'static [&'static str] = &["NAMESPACE", "NAME", "VERSION", "LAYER", "HEALTHY", "LAYERING", "AGE"];
    const WIDE: &'static [&'static str] = &["ENDPOINTS", "DEPENDS ON", "SOURCE"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.namespace.clone(),
            self.name.clone(),
            or_dash(self.version.as_deref().unwrap_or_default()),
            or_dash(self.layer.as_deref().unwrap_or_default()),
            format!("{}/{}", self.status.healthy_endpoints, self.status.total_endpoints),
            layering_cell(&self.status.violations),
            ago(&self.created_at),
        ];
        if wide {
            let urls: Vec<String> = self.endpoints.iter().map(|e| e.url.clone()).collect();
            cells.extend([join_or_dash(&urls), join_or_dash(&self.depends_on), self.source.as_str().to_owned()]);
        }
        cells
    }
    fn name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl Row for Instance {
    const COLUMNS: &'static [&'static str] = &["ID", "URL", "STATUS", "SOURCE", "LATENCY", "LAST PROBE"];
    const WIDE: &'static [&'static str] = &["LAST HEARTBEAT", "SUCCESSES", "FAILURES"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.id.clone(),
            self.url.clone(),
            self.status.as_str().to_owned(),
            self.source.as_str().to_owned(),
            self.latency_ms.map_or_else(|| "-".into(), |ms| format!("{ms:.1}ms")),
            ago_opt(self.last_probe_at.as_deref()),
        ];
        if wide {
            cells.extend([
                ago_opt(self.last_heartbeat_at.as_deref()),
                self.consecutive_successes.to_string(),
                self.consecutive_failures.to_string(),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.id.clone()
    }
}

/// `http GET /health every 10s, timeout 2s (1 success to pass, 3 failures to fail)`.
fn health_check_text(h: &HealthCheck) -> String {
    let probe = match h.kind {
        HealthCheckKind::Http => format!("http GET {}", h.path),
        HealthCheckKind::Tcp => "tcp connect".to_owned(),
    };
    format!(
        "{probe} every {}, timeout {} ({} to pass, {} to fail)",
        h.interval,
        h.timeout,
        plural(u64::from(h.success_before_passing), "success", "successes"),
        plural(u64::from(h.failures_before_critical), "failure", "failures"),
    )
}

fn registration_detail(s: &Session, r: &ServiceRegistration) -> Result<(), Failure> {
    let urls: Vec<String> = r.endpoints.iter().map(|e| e.url.clone()).collect();
    let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let protected =
        if r.status.protected { " (protection threshold: discovery answers the last healthy set)" } else { "" };
    let fields = [
        ("Service", format!("{}/{}", r.namespace, r.name)),
        ("Version", or_dash(r.version.as_deref().unwrap_or_default())),
        ("Layer", or_dash(r.layer.as_deref().unwrap_or_default())),
        ("Endpoints", or_dash(&urls.join(", "))),
        ("Health check", health_check_text(&r.health_check)),
        ("Depends on", or_dash(&r.depends_on.join(", "))),
        ("Tags", or_dash(&tags.join(" "))),
        ("Source", r.source.as_str().to_owned()),
        ("Healthy", format!("{}/{}{protected}", r.status.healthy_endpoints, r.status.total_endpoints)),
        ("Layering", layering_detail(&r.status.violations)),
        ("Revision", r.revision.to_string()),
        ("Created", ago(&r.created_at)),
        ("Updated", ago(&r.updated_at)),
    ];
    s.out.detail(r, &Row::name(r), &fields)
}

/// `ok`, or each violating edge's reason, accepted ones marked.
fn layering_detail(violations: &[LayeringViolation]) -> String {
    if violations.is_empty() {
        return "ok".to_owned();
    }
    let mark = |v: &LayeringViolation| if v.accepted { "accepted (baseline)" } else { "violation" };
    let lines: Vec<String> = violations.iter().map(|v| format!("{}: {}", mark(v), v.reason)).collect();
    lines.join("; ")
}

pub async fn run(cmd: ServiceCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        ServiceCmd::Register(r) => register(*r, s).await,
        ServiceCmd::List => {
            let services = s.api(async |c| c.list_services().await).await?;
            s.out.list(&services, "services")
        }
        ServiceCmd::Get(target) => {
            let (ns, name) = target.key()?;
            let service = s.api(async |c| c.get_service(&ns, &name).await).await?;
            registration_detail(s, &service)
        }
        ServiceCmd::Deregister(target) => {
            let (ns, name) = target.key()?;
            let service = s.api(async |c| c.get_service(&ns, &name).await).await?;
            let what = format!(
                "deregister service {ns}/{name} ({})",
                plural(u64::from(service.status.total_endpoints), "instance", "instances")
            );
            prompt::confirm(&what, s.global.yes)?;
            s.api(async |c| c.deregister_service(&ns, &name).await).await?;
            eprintln!("Deregistered service {ns}/{name}.");
            Ok(())
        }
        ServiceCmd::Instances { target, healthy, watch: false } => {
            let (ns, name) = target.key()?;
            let mut instances = s.api(async |c| c.service_instances(&ns, &name).await).await?;
            instances.retain(|i| i.healthy || !healthy);
            s.out.list(&instances, "instances")
        }
        ServiceCmd::Instances { target, healthy, watch: true } => {
            let (ns, name) = target.key()?;
            watch_instances(s, &ns, &name, healthy).await
        }
        ServiceCmd::Graph => {
            let graph = s.api(async |c| c.service_graph().await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&graph),
                Format::Name => emit(&graph.nodes.iter().map(|n| format!("{}\n", n.id)).collect::<String>()),
                Format::Dot => emit(&dot(&graph)),
                Format::Table | Format::Wide => {
                    if graph.nodes.is_empty() {
                        eprintln!("No services found.");
                        return Ok(());
                    }
                    emit(&graph_text(&graph))
                }
            }
        }
    }
}

async fn register(r: Register, s: &mut Session) -> Result<(), Failure> {
    let (ns, name) = r.target.key()?;
    let dry_run = r.dry_run;
    let req = r.request();
    let answer = match s.api(async |c| c.register_service(&ns, &name, &req, dry_run).await).await {
        Err(e) if e.code == Some(ErrorCode::LayerViolation) => {
            return Err(e.with_hint(
                "the server enforces the layering rule (registry.layering = \"enforce\"): change --layer or \
                 --depends-on, or have the edge accepted in registry.baseline",
            ));
        }
        other => other?,
    };
    registration_detail(s, &answer)?;
    // The warn policy stores the registration and reports what breaks the rule.
    for v in answer.status.violations.iter().filter(|v| !v.accepted) {
        eprintln!("warning: layering violation: {}", v.reason);
    }
    if dry_run {
        eprintln!("Dry run: nothing was stored.");
    }
    Ok(())
}

/// `instances --watch`: one blocking discovery call after another, each
/// with the index of the last answer, so the server answers as soon as the
/// service changes (or after `WATCH_WAIT` with the same index, which is not
/// printed again).
async fn watch_instances(s: &mut Session, ns: &str, name: &str, healthy: bool) -> Result<(), Failure> {
    let clear = std::io::stdout().is_terminal() && matches!(s.out.format, Format::Table | Format::Wide);
    let mut index: Option<u64> = None;
    let mut printed = false;
    loop {
        let query = DiscoveryQuery {
            namespace: Some(ns.to_owned()),
            healthy: None,
            index,
            wait: index.map(|_| WATCH_WAIT.to_owned()),
        };
        let answer = tokio::select! {
            answer = s.api(async |c| c.discover(name, &query).await) => answer,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match answer {
            Ok(answer) => {
                if index == Some(answer.index) {
                    continue;
                }
                index = Some(answer.index);
                let mut instances = answer.instances;
                instances.retain(|i| i.healthy || !healthy);
                if matches!(s.out.format, Format::Table | Format::Wide) {
                    if clear {
                        emit("\x1b[2J\x1b[H")?;
                    } else if printed {
                        emit("\n")?;
                    }
                    let passing = instances.iter().filter(|i| i.healthy).count() as u64;
                    emit(&format!(
                        "{ns}/{name}: {} passing of {} (index {}; Ctrl-C stops)\n",
                        passing,
                        plural(instances.len() as u64, "instance", "instances"),
                        answer.index
                    ))?;
                }
                s.out.list(&instances, "instances")?;
                printed = true;
            }
            // Unreachable is a state to show while watching; anything else ends the watch.
            Err(e) if e.exit == EXIT_UNREACHABLE => {
                eprintln!("error: {}", e.message.unwrap_or_default());
                tokio::select! {
                    _ = tokio::time::sleep(WATCH_RETRY) => {}
                    _ = tokio::signal::ctrl_c() => return Ok(()),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn node_label(node: Option<&GraphNode>, id: &str) -> String {
    match node {
        Some(GraphNode { registered: false, .. }) => format!("{id} (not registered)"),
        Some(GraphNode { layer: Some(layer), .. }) => format!("{id} ({layer})"),
        _ => format!("{id} (no layer)"),
    }
}

/// One line per dependency (`a (layer) -> b (layer)`), a violation marked
/// `✗ VIOLATION: reason`, an accepted one `~ accepted: reason`; services
/// without any dependency alone on a line; then the cycles.
fn graph_text(graph: &ServiceGraph) -> String {
    let nodes: BTreeMap<&str, &GraphNode> = graph.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let label = |id: &str| node_label(nodes.get(id).copied(), id);
    let mut out = String::new();
    for e in &graph.edges {
        out.push_str(&format!("{} -> {}", label(&e.from), label(&e.to)));
        let reason = e.reason.as_deref().unwrap_or("breaks the layering rule");
        match (e.violation, e.accepted) {
            (true, false) => out.push_str(&format!("   ✗ VIOLATION: {reason}")),
            (true, true) => out.push_str(&format!("   ~ accepted (baseline): {reason}")),
            _ => {}
        }
        out.push('\n');
    }
    for n in &graph.nodes {
        if n.registered && !graph.edges.iter().any(|e| e.from == n.id || e.to == n.id) {
            out.push_str(&format!("{}\n", label(&n.id)));
        }
    }
    if !graph.cycles.is_empty() {
        out.push_str(&format!("\n{}:\n", plural(graph.cycles.len() as u64, "cycle", "cycles")));
        for c in &graph.cycles {
            let mut path = c.path.clone();
            path.extend(c.path.first().cloned());
            out.push_str(&format!("  {}\n", path.join(" -> ")));
        }
    }
    let violations = graph.edges.iter().filter(|e| e.violation && !e.accepted).count() as u64;
    let accepted = graph.edges.iter().filter(|e| e.violation && e.accepted).count() as u64;
    out.push_str(&format!(
        "\n{}, {}, {}, {} accepted, {}\n",
        plural(graph.nodes.iter().filter(|n| n.registered).count() as u64, "service", "services"),
        plural(graph.edges.len() as u64, "dependency", "dependencies"),
        plural(violations, "violation", "violations"),
        accepted,
        plural(graph.cycles.len() as u64, "cycle", "cycles"),
    ));
    out
}

/// A DOT string literal.
fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The graph for Graphviz (`platctl service graph -o dot | dot -Tsvg`): one
/// cluster per layer that has services, highest on top (dependencies point
/// down), services without a configured layer outside, unregistered ones
/// dashed; violating edges red, accepted ones orange and dashed, the reason
/// as the tooltip.
fn dot(graph: &ServiceGraph) -> String {
    let mut out = String::from("digraph services {\n");
    out.push_str("  rankdir=TB;\n  newrank=true;\n  node [shape=box, style=rounded];\n");
    let in_layer = |n: &&GraphNode, layer: &str| n.registered && n.layer.as_deref() == Some(layer);
    let mut previous: Option<String> = None;
    for (i, layer) in graph.layers.iter().enumerate().rev() {
        let members: Vec<&GraphNode> = graph.nodes.iter().filter(|n| in_layer(n, layer)).collect();
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!("  subgraph {} {{\n", dot_quote(&format!("cluster_{i}_{layer}"))));
        out.push_str(&format!("    label={};\n    style=dashed;\n", dot_quote(layer)));
        // Invisible anchors chained from layer to layer keep the clusters in order.
        let anchor = dot_quote(&format!("layer:{layer}"));
        out.push_str(&format!("    {anchor} [style=invis, shape=point, width=0];\n"));
        for n in &members {
            out.push_str(&format!("    {};\n", dot_quote(&n.id)));
        }
        out.push_str("  }\n");
        if let Some(above) = previous {
            out.push_str(&format!("  {above} -> {anchor} [style=invis];\n"));
        }
        previous = Some(anchor);
    }
    for n in &graph.nodes {
        let layered = n.layer.as_deref().is_some_and(|l| graph.layers.iter().any(|x| x == l));
        if !n.registered {
            out.push_str(&format!("  {} [style=dashed, tooltip=\"not registered\"];\n", dot_quote(&n.id)));
        } else if !layered {
            out.push_str(&format!("  {} [tooltip=\"no layer\"];\n", dot_quote(&n.id)));
        }
    }
    for e in &graph.edges {
        let attrs = match (e.violation, e.accepted) {
            (true, false) => format!(
                " [color=red, fontcolor=red, penwidth=2, label=\"✗\", tooltip={}]",
                dot_quote(e.reason.as_deref().unwrap_or("violation"))
            ),
            (true, true) => format!(
                " [color=orange, style=dashed, tooltip={}]",
                dot_quote(&format!("accepted: {}", e.reason.as_deref().unwrap_or("violation")))
            ),
            _ => String::new(),
        };
        out.push_str(&format!("  {} -> {}{attrs};\n", dot_quote(&e.from), dot_quote(&e.to)));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use plat_proto::{DependencyCycle, GraphEdge, ViolationKind};

    fn node(id: &str, layer: Option<&str>, registered: bool) -> GraphNode {
        let (namespace, name) = id.split_once('/').expect("ns/name");
        GraphNode {
            id: id.into(),
            namespace: namespace.into(),
            name: name.into(),
            layer: layer.map(Into::into),
            registered,
        }
    }

    fn edge(from: &str, to: &str, violation: bool, accepted: bool, reason: Option<&str>) -> GraphEdge {
        GraphEdge { from: from.into(), to: to.into(), violation, accepted, reason: reason.map(Into::into) }
    }

    fn sample() -> ServiceGraph {
        ServiceGraph {
            layers: vec!["infrastructure".into(), "core".into(), "business".into()],
            nodes: vec![
                node("shop/db", Some("infrastructure"), true),
                node("shop/orders", Some("business"), true),
                node("shop/users", Some("core"), true),
                node("shop/ghost", None, false),
                node("shop/lonely", None, true),
            ],
            edges: vec![
                edge("shop/orders", "shop/users", false, false, None),
                edge("shop/users", "shop/orders", true, false, Some("users (core) → orders (business): upward")),
                edge("shop/users", "shop/ghost", true, true, Some("ghost is not registered")),
            ],
            cycles: vec![DependencyCycle {
                members: vec!["shop/orders".into(), "shop/users".into()],
                path: vec!["shop/orders".into(), "shop/users".into()],
            }],
        }
    }

    #[test]
    fn the_text_graph_has_a_line_per_edge_then_cycles() {
        let text = graph_text(&sample());
        let expected = "\
shop/orders (business) -> shop/users (core)
shop/users (core) -> shop/orders (business)   ✗ VIOLATION: users (core) → orders (business): upward
shop/users (core) -> shop/ghost (not registered)   ~ accepted (baseline): ghost is not registered
shop/db (infrastructure)
shop/lonely (no layer)

1 cycle:
  shop/orders -> shop/users -> shop/orders

4 services, 3 dependencies, 1 violation, 1 accepted, 1 cycle
";
        assert_eq!(text, expected);
    }

    #[test]
    fn dot_clusters_layers_and_paints_violations() {
        let text = dot(&sample());
        assert!(text.starts_with("digraph services {\n"), "{text}");
        assert!(text.ends_with("}\n"), "{text}");
        // Highest layer first, each a cluster holding its services.
        let business = text.find("cluster_2_business").expect("business cluster");
        let core = text.find("cluster_1_core").expect("core cluster");
        assert!(business < core && text.contains("cluster_0_infrastructure"), "{text}");
        assert!(text.contains("    \"shop/users\";\n"), "{text}");
        assert!(text.contains(
            "  \"shop/users\" -> \"shop/orders\" [color=red, fontcolor=red, penwidth=2, label=\"✗\", \
             tooltip=\"users (core) → orders (business): upward\"];"
        ));
        assert!(text.contains("  \"shop/orders\" -> \"shop/users\";\n"), "{text}");
        assert!(text.contains("\"shop/ghost\" [style=dashed"), "{text}");
        assert!(text.contains("color=orange, style=dashed"), "{text}");
        assert_eq!(dot_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn names_may_carry_their_namespace() {
        let t =
            |name: &str, namespace: Option<&str>| Target { name: name.into(), namespace: namespace.map(Into::into) };
        assert_eq!(t("api", None).key().ok(), Some(("default".into(), "api".into())));
        assert_eq!(t("api", Some("shop")).key().ok(), Some(("shop".into(), "api".into())));
        assert_eq!(t("shop/api", None).key().ok(), Some(("shop".into(), "api".into())));
        assert_eq!(t("shop/api", Some("shop")).key().ok(), Some(("shop".into(), "api".into())));
        assert_eq!(t("shop/api", Some("other")).key().map_err(|f| f.exit).err(), Some(2));
    }

    #[test]
    fn layering_cells_count_new_and_accepted_violations() {
        let v = |accepted: bool| LayeringViolation {
            from: "a/x".into(),
            to: "a/y".into(),
            from_layer: None,
            to_layer: None,
            kind: ViolationKind::Unlayered,
            reason: "r".into(),
            accepted,
        };
        assert_eq!(layering_cell(&[]), "ok");
        assert_eq!(layering_cell(&[v(true)]), "ok, 1 accepted");
        assert_eq!(layering_cell(&[v(false), v(true)]), "violation");
        assert_eq!(layering_cell(&[v(false), v(false)]), "2 violations");
        assert_eq!(layering_detail(&[v(false), v(true)]), "violation: r; accepted (baseline): r");
    }

    #[test]
    fn register_sends_the_health_check_with_defaults() {
        let r = Register {
            target: Target { name: "api".into(), namespace: None },
            endpoints: vec!["http://10.0.0.5:8001".into()],
            health_path: None,
            interval: Some("1s".into()),
            timeout: None,
            tcp: true,
            version: Some("1.4.2".into()),
            layer: Some("core".into()),
            depends_on: vec!["db".into()],
            tags: vec![("team".into(), "shop".into())],
            visible_to: Some("acme".into()),
            dry_run: false,
        };
        let req = r.request();
        assert_eq!(req.tenant.as_deref(), Some("acme"));
        assert_eq!(req.health_check.kind, HealthCheckKind::Tcp);
        // The default timeout fits the interval given.
        assert_eq!((req.health_check.interval.as_str(), req.health_check.timeout.as_str()), ("1s", "500ms"));
        assert_eq!(req.health_check.path, "/health");
        assert_eq!(req.endpoints, vec![Endpoint { url: "http://10.0.0.5:8001".into() }]);
        assert_eq!(req.tags.get("team").map(String::as_str), Some("shop"));
    }
}
