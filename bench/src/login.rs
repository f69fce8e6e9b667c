//! `login` and `verify-flood`: password logins against the raw argon2id
//! bound, and logins with a TOTP second step or by passkey alone against
//! password logins; verification under a flood of wrong passwords.

use super::*;

pub(crate) async fn login(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    p.admin
        .create_user(&CreateUser {
            username: "runner".into(),
            email: "runner@bench.test".into(),
            password: Some("runner-password".into()),
            ..Default::default()
        })
        .await?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let c = Client::new(&p.base)?;
    let logins = rate(cores * 2, seconds, move || {
        let c = c.clone();
        async move { c.login("system", "runner", "runner-password").await.is_ok() }
    })
    .await;
    // The bound: argon2id with the same (default OWASP) parameters on every core.
    let params = argon2::Params::new(19456, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (stop, done, params) = (stop.clone(), done.clone(), params.clone());
            std::thread::spawn(move || {
                use argon2::PasswordHasher;
                let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
                let salt = argon2::password_hash::SaltString::encode_b64(b"bench-salt-16byt").expect("salt");
                while !stop.load(Ordering::Relaxed) {
                    if argon.hash_password(b"runner-password", &salt).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let bound = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    report.add(
        "login",
        format!("password logins c={}", cores * 2),
        logins,
        "/s",
        format!("argon2id hashes, {cores} threads"),
        bound,
        ">= 0.80",
    );
    // The same logins with a TOTP second step. A code spends its time step,
    // so each login is a user of its own, enrolled first: twice as many as
    // the password logins' rate says the measurement needs.
    let needed = (logins * seconds as f64 * 2.0).ceil() as usize + 16;
    let enrolled = enrol_users(p, needed, cores * 2).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let c = Client::new(&p.base)?;
    let enrolled = Arc::new(enrolled);
    let with_mfa = rate(cores * 2, seconds, move || {
        let (c, next, enrolled) = (c.clone(), next.clone(), enrolled.clone());
        async move {
            let Some((username, uri)) = enrolled.get(next.fetch_add(1, Ordering::Relaxed)) else { return false };
            let Err(plat_client::ClientError::Api { error, .. }) = c.login("system", username, "runner-password").await
            else {
                return false;
            };
            let token = error.details.get("mfa_token").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
            c.login_mfa(&token, &totp_code(uri, 30)).await.is_ok()
        }
    })
    .await;
    report.add(
        "login",
        format!("logins with a TOTP second step c={}", cores * 2),
        with_mfa,
        "/s",
        "password logins, same run".to_owned(),
        logins,
        ">= 0.80",
    );
    // Logins by passkey alone (two calls, an ECDSA signature checked), one
    // person and one software authenticator per worker.
    let workers = cores * 2;
    let holders = Arc::new(passkey_holders(p, workers).await?);
    let next = Arc::new(AtomicUsize::new(0));
    let c = Client::new(&p.base)?;
    let by_passkey = rate(workers, seconds, move || {
        let (c, next, holders) = (c.clone(), next.clone(), holders.clone());
        async move {
            let (username, authenticator) = &holders[next.fetch_add(1, Ordering::Relaxed) % holders.len()];
            let Ok(challenge) = c.login_passkey("system", username).await else { return false };
            let Some(options) = challenge.passkey else { return false };
            let Ok(signed) = authenticator.lock().map(|mut a| a.get(&options)) else { return false };
            match signed {
                Some(signed) => c.login_passkey_answer(&challenge.mfa_token, signed).await.is_ok(),
                None => false,
            }
        }
    })
    .await;
    report.add(
        "login",
        format!("logins by passkey alone c={workers}"),
        by_passkey,
        "/s",
        "password logins, same run".to_owned(),
        logins,
        ">= 1.00",
    );
    Ok(())
}

/// A software authenticator (webauthn-authenticator-rs's) at the daemon's
/// page, as a browser would hold it.
struct Authenticator {
    inner: webauthn_authenticator_rs::softpasskey::SoftPasskey,
    origin: reqwest::Url,
}

impl Authenticator {
    fn new(base: &str) -> anyhow::Result<Authenticator> {
        let origin = reqwest::Url::parse(&base.replace("127.0.0.1", "localhost"))?;
        Ok(Authenticator { inner: webauthn_authenticator_rs::softpasskey::SoftPasskey::new(true), origin })
    }

    fn create(&mut self, options: &serde_json::Value) -> anyhow::Result<serde_json::Value> {
        use webauthn_authenticator_rs::WebauthnAuthenticator;
        let options = serde_json::from_value(options.clone())?;
        let answer = self.inner.do_registration(self.origin.clone(), options).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(serde_json::to_value(answer)?)
    }

    fn get(&mut self, options: &serde_json::Value) -> Option<serde_json::Value> {
        use webauthn_authenticator_rs::WebauthnAuthenticator;
        let options = serde_json::from_value(options.clone()).ok()?;
        let answer = self.inner.do_authentication(self.origin.clone(), options).ok()?;
        serde_json::to_value(answer).ok()
    }
}

/// A new user of the system tenant (password `runner-password`), logged in.
async fn logged_in(p: &Platd, username: String) -> anyhow::Result<(String, Client)> {
    let user = CreateUser {
        username: username.clone(),
        email: format!("{username}@bench.test"),
        password: Some("runner-password".into()),
        ..Default::default()
    };
    p.admin.create_user(&user).await?;
    let client = Client::new(&p.base)?;
    let pair = client.login("system", &username, "runner-password").await?;
    Ok((username, client.with_token(pair.access_token)))
}

/// `count` users of the system tenant, each with a passkey in its own
/// software authenticator.
async fn passkey_holders(p: &Platd, count: usize) -> anyhow::Result<Vec<(String, std::sync::Mutex<Authenticator>)>> {
    let mut holders = Vec::with_capacity(count);
    for i in 0..count {
        let (username, client) = logged_in(p, format!("passkey{i}")).await?;
        let mut authenticator = Authenticator::new(&p.base)?;
        let begun = client.begin_passkey().await?;
        let credential = authenticator.create(&begun.options)?;
        client.confirm_passkey(&RegisterPasskey { ceremony: begun.ceremony, name: None, credential }).await?;
        holders.push((username, std::sync::Mutex::new(authenticator)));
    }
    Ok(holders)
}

/// The TOTP code `offset` seconds from now for an `otpauth://` URI.
fn totp_code(uri: &str, offset: u64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    totp_rs::Totp::from_url(uri).map(|t| t.generate(now + offset).to_string()).unwrap_or_default()
}

/// `count` users of the system tenant with a confirmed TOTP factor, made
/// `concurrency` at a time: their names and otpauth URIs.
async fn enrol_users(p: &Platd, count: usize, concurrency: usize) -> anyhow::Result<Vec<(String, String)>> {
    use futures_util::StreamExt;
    let enrol = async |i: usize| -> anyhow::Result<(String, String)> {
        let (username, client) = logged_in(p, format!("mfa{i}")).await?;
        let enrollment = client.enroll_totp().await?;
        client.confirm_totp(&totp_code(&enrollment.otpauth_uri, 0)).await?;
        Ok((username, enrollment.otpauth_uri))
    };
    futures_util::stream::iter(0..count)
        .map(enrol)
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// `/auth/verify` of `token`, paced open-loop at `per_sec` for `seconds`:
/// the latencies (ms, sorted) of the calls that answered active, and how many did not.
pub(crate) async fn paced_verifies(client: &Client, token: &str, per_sec: u64, seconds: u64) -> (Vec<f64>, u64) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut calls = Vec::new();
    for _ in 0..per_sec * seconds {
        tick.tick().await;
        let (client, token) = (client.clone(), token.to_owned());
        calls.push(tokio::spawn(async move {
            let started = Instant::now();
            let active = client.verify(&token).await.is_ok_and(|v| v.active);
            (active, started.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let (mut latencies, mut failed) = (Vec::with_capacity(calls.len()), 0);
    for call in calls {
        match call.await {
            Ok((true, ms)) => latencies.push(ms),
            _ => failed += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, failed)
}

/// How a login flood was answered.
#[derive(Default)]
pub(crate) struct FloodAnswers {
    pub(crate) sent: u64,
    /// 401 INVALID_CREDENTIALS: the password was checked.
    pub(crate) refused: u64,
    /// 503 SERVICE_UNAVAILABLE: no hashing slot within auth.hash_queue_timeout.
    pub(crate) shed: u64,
    /// 429 RATE_LIMITED (the per-IP limit; the bench raises it out of the way).
    pub(crate) limited: u64,
    /// Anything else: other answers, transport errors, no answer in 30 s.
    pub(crate) other: u64,
}

/// Wrong-password logins, paced open-loop at `per_sec` for `duration`, each
/// for an unknown user (one full argon2id check each, the equal-time dummy,
/// and no lockout to stop them); waits for every answer (at most 30 s each).
pub(crate) async fn login_flood(base: String, per_sec: u64, duration: Duration) -> anyhow::Result<FloodAnswers> {
    let client = Client::new(&base)?;
    let sent = (per_sec as f64 * duration.as_secs_f64()) as u64;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut logins = Vec::with_capacity(sent as usize);
    for i in 0..sent {
        tick.tick().await;
        let client = client.clone();
        logins.push(tokio::spawn(async move {
            let username = format!("ghost{i}");
            let login = client.login("system", &username, "wrong-password-1");
            match tokio::time::timeout(Duration::from_secs(30), login).await {
                Ok(Err(plat_client::ClientError::Api { status, .. })) => Some(status),
                _ => None,
            }
        }));
    }
    let mut answers = FloodAnswers { sent, ..FloodAnswers::default() };
    for login in logins {
        match login.await.ok().flatten() {
            Some(401) => answers.refused += 1,
            Some(503) => answers.shed += 1,
            Some(429) => answers.limited += 1,
            _ => answers.other += 1,
        }
    }
    Ok(answers)
}

pub(crate) const FLOOD_PER_SEC: u64 = 200;

pub(crate) const VERIFY_PER_SEC: u64 = 100;

pub(crate) async fn verify_flood(report: &mut Report, p: &Platd, seconds: u64) -> anyhow::Result<()> {
    let token = p.admin.token().context("admin token")?.to_owned();
    // Warm the connection pool and the subject cache.
    paced_verifies(&p.admin, &token, VERIFY_PER_SEC, 1).await;
    // The limit: the same paced verifies with nothing else going on.
    let (idle, idle_failed) = paced_verifies(&p.admin, &token, VERIFY_PER_SEC, seconds).await;
    // The flood runs a second longer on each side of the measurement, so the
    // hashing queue is full before it starts and still full when it ends.
    let flood = tokio::spawn(login_flood(p.base.clone(), FLOOD_PER_SEC, Duration::from_secs(seconds + 2)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (loaded, loaded_failed) = paced_verifies(&p.admin, &token, VERIFY_PER_SEC, seconds).await;
    let answers = flood.await??;
    let label = format!("{FLOOD_PER_SEC} logins/s");
    for (q, name) in [(0.50, "p50"), (0.99, "p99")] {
        report.add(
            "verify-flood",
            format!("/auth/verify {name} under {label}"),
            quantile(&loaded, q),
            "ms",
            format!("/auth/verify {name} idle"),
            quantile(&idle, q),
            "small multiple (not starved)",
        );
    }
    report.add(
        "verify-flood",
        format!("  verifies failed under flood (idle {idle_failed})"),
        loaded_failed as f64,
        "",
        "verifies sent".into(),
        (VERIFY_PER_SEC * seconds) as f64,
        "0",
    );
    let sent = answers.sent as f64;
    report.add(
        "verify-flood",
        "logins answered 401 (checked)".into(),
        answers.refused as f64,
        "",
        "logins sent".into(),
        sent,
        "informational",
    );
    report.add(
        "verify-flood",
        "logins answered 503 (shed)".into(),
        answers.shed as f64,
        "",
        "logins sent".into(),
        sent,
        "informational",
    );
    report.add(
        "verify-flood",
        format!("logins answered 429 / other ({} other)", answers.other),
        answers.limited as f64,
        "",
        "logins sent".into(),
        sent,
        "0 and 0",
    );
    Ok(())
}
