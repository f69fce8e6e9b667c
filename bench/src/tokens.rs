//! `tokens`: client-credentials grants (plat's JSON endpoint and the standard
//! `/oauth2/token`), verifications and RFC 7662 introspections against
//! `/healthz`; local JWKS verification.

use super::*;

pub(crate) async fn tokens(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    let sa = p
        .admin
        .create_service_account(&CreateServiceAccount {
            name: "bench".into(),
            description: None,
            roles: vec!["viewer".into()],
            ..Default::default()
        })
        .await?;
    // The standard endpoints' caller: introspection needs `tokens:introspect`.
    let introspector = p
        .admin
        .create_service_account(&CreateServiceAccount {
            name: "bench-introspector".into(),
            roles: vec!["tenant-admin".into()],
            ..Default::default()
        })
        .await?;
    let caller = Client::new(&p.base)?;
    let grant = caller.client_credentials(&sa.account.client_id, &sa.client_secret, None).await?;
    let service = caller.clone().with_token(grant.access_token.clone());
    let mut healthz_single = 0.0;
    for concurrency in [1usize, 8, 64] {
        let healthz = healthz_rate(p, concurrency, seconds).await;
        let (c, id, secret) = (caller.clone(), sa.account.client_id.clone(), sa.client_secret.clone());
        let grants = rate(concurrency, seconds, move || {
            let (c, id, secret) = (c.clone(), id.clone(), secret.clone());
            async move { c.client_credentials(&id, &secret, None).await.is_ok() }
        })
        .await;
        let (s, token) = (service.clone(), grant.access_token.clone());
        let verifies = rate(concurrency, seconds, move || {
            let (s, token) = (s.clone(), token.clone());
            async move { s.verify(&token).await.is_ok_and(|v| v.active) }
        })
        .await;
        let (http, url) = (reqwest::Client::new(), format!("{}/oauth2/token", p.base));
        let (id, secret) = (sa.account.client_id.clone(), sa.client_secret.clone());
        let standard = rate(concurrency, seconds, move || {
            let request = http
                .post(&url)
                .basic_auth(&id, Some(&secret))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials");
            async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        let (http, url) = (reqwest::Client::new(), format!("{}/oauth2/introspect", p.base));
        let (id, secret) = (introspector.account.client_id.clone(), introspector.client_secret.clone());
        let body = format!("token={}", grant.access_token);
        let introspections = rate(concurrency, seconds, move || {
            let request = http
                .post(&url)
                .basic_auth(&id, Some(&secret))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone());
            async move {
                match request.send().await {
                    Ok(r) if r.status().is_success() => r.text().await.is_ok_and(|t| t.contains("\"active\":true")),
                    _ => false,
                }
            }
        })
        .await;
        if concurrency == 1 {
            healthz_single = healthz;
        }
        report.add(
            "tokens",
            format!("/oauth2/token (Basic) c={concurrency}"),
            standard,
            "/s",
            format!("/healthz c={concurrency}"),
            healthz,
            if concurrency == 64 { ">= 0.40" } else { "informational" },
        );
        report.add(
            "tokens",
            format!("/oauth2/introspect c={concurrency}"),
            introspections,
            "/s",
            format!("/healthz c={concurrency}"),
            healthz,
            ">= 0.30",
        );
        let limit = format!("/healthz c={concurrency}");
        report.add(
            "tokens",
            format!("client_credentials c={concurrency}"),
            grants,
            "/s",
            limit.clone(),
            healthz,
            ">= 0.30",
        );
        report.add("tokens", format!("/auth/verify c={concurrency}"), verifies, "/s", limit, healthz, ">= 0.30");
    }
    // Local verification against the published JWKS, on one core.
    let jwks = caller.jwks().await?;
    let key = jsonwebtoken::DecodingKey::from_ed_components(&jwks.keys[0].x)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["plat"]);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..100 {
            if jsonwebtoken::decode::<Claims>(&grant.access_token, &key, &validation).is_ok() {
                n += 1;
            }
        }
    }
    let local = n as f64 / started.elapsed().as_secs_f64();
    report.add(
        "tokens",
        "local JWKS verification (1 core)".into(),
        local,
        "/s",
        "/healthz c=1 (any round trip)".into(),
        healthz_single,
        "informational (> 1: local beats a call)",
    );
    Ok(())
}
