//! `controller`: reconciles/s through the mock API server against direct registry PUTs.

use super::*;

/// Resources reconciled in the controller scenario, and reconciles at once
/// (the controller's default `kubernetes.concurrency`).
pub(crate) const RESOURCES: usize = 1_000;

pub(crate) const RECONCILE_CONCURRENCY: usize = 8;

/// Reconciles/s of the Kubernetes controller through the mock API server
/// (plat_controller::fake) and plat's registry API; the limit is the same
/// registrations PUT straight to plat at the same concurrency, since each
/// reconcile makes one such PUT besides its Kubernetes calls.
pub(crate) async fn controller(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use plat_controller::fake::FakeApi;
    const S: &str = "controller";
    let n = RESOURCES;
    let body = |i: usize| RegisterService {
        version: Some("1".into()),
        endpoints: vec![Endpoint { url: format!("http://10.1.{}.{}:8080", i / 250, i % 250) }],
        layer: Some("core".into()),
        source: RegistrationSource::Kubernetes,
        ..RegisterService::default()
    };
    let direct = p.admin.clone();
    let started = Instant::now();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let direct = direct.clone();
            async move { direct.register_service("direct", &format!("svc-{i}"), &body(i), false).await }
        })
        .buffer_unordered(RECONCILE_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let plain = n as f64 / started.elapsed().as_secs_f64();

    let (kube, fake) = FakeApi::start();
    let (_keep, plat) = tokio::sync::watch::channel(p.admin.clone());
    let ctx = plat_controller::Context::new(
        kube,
        plat,
        &p.base,
        Duration::from_secs(60),
        plat_controller::Metrics::default(),
    );
    for i in 0..n {
        fake.put(serde_json::json!({
            "apiVersion": "plat.dev/v1alpha1", "kind": "ServiceRegistration",
            "metadata": {"name": format!("svc-{i}"), "namespace": "bench", "finalizers": ["plat.dev/deregister"]},
            "spec": {"version": "1", "endpoints": [{"url": format!("http://10.1.{}.{}:8080", i / 250, i % 250)}],
                     "layer": "core"},
        }));
    }
    let round = || {
        let ctx = ctx.clone();
        let fake = fake.clone();
        async move {
            let started = Instant::now();
            let results = futures_util::stream::iter(0..n)
                .map(|i| {
                    let (ctx, fake) = (ctx.clone(), fake.clone());
                    async move {
                        let path = format!("/apis/plat.dev/v1alpha1/namespaces/bench/serviceregistrations/svc-{i}");
                        let object = fake.get(&path).context("resource")?;
                        let obj: plat_k8s_types::ServiceRegistration = serde_json::from_value(object)?;
                        plat_controller::reconcile(Arc::new(obj), ctx).await?;
                        anyhow::Ok(())
                    }
                })
                .buffer_unordered(RECONCILE_CONCURRENCY)
                .collect::<Vec<_>>()
                .await;
            results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::Ok(n as f64 / started.elapsed().as_secs_f64())
        }
    };
    let created = round().await?;
    let writes = fake.calls().iter().filter(|c| c.method != reqwest::Method::GET).count();
    fake.clear_calls();
    let unchanged = round().await?;
    let idle_writes = fake.calls().iter().filter(|c| c.method != reqwest::Method::GET).count();
    let limit = format!("direct PUT /services c={RECONCILE_CONCURRENCY}");
    report.add(
        S,
        format!("reconciles/s, {n} new resources"),
        created,
        "/s",
        limit.clone(),
        plain,
        ">= 0.5 (informational)",
    );
    report.add(S, format!("reconciles/s, {n} unchanged"), unchanged, "/s", limit, plain, ">= 0.5 (informational)");
    report.add(
        S,
        "  Kubernetes writes, new round".into(),
        writes as f64,
        "",
        "resources".into(),
        n as f64,
        "1 status apply each",
    );
    report.add(
        S,
        "  Kubernetes writes, unchanged round".into(),
        idle_writes as f64,
        "",
        "resources".into(),
        n as f64,
        "0",
    );
    Ok(())
}
