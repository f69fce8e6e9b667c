//! Passkeys (docs/mfa.md), driven by a software authenticator plat did not
//! write: `webauthn-authenticator-rs`'s `SoftPasskey`, which signs as a
//! browser's authenticator would for the page's origin. The daemon under
//! test has a loopback issuer, so its relying party is `localhost` and its
//! origin `http://localhost:PORT`.

use plat_proto::*;
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::Url;

use crate::api::{code, new_user, tenant};
use crate::both;

/// A person's authenticator, at a page of `origin`.
struct Authenticator {
    inner: SoftPasskey,
    origin: Url,
}

impl Authenticator {
    fn new(base: &str) -> Authenticator {
        let origin = Url::parse(&base.replace("127.0.0.1", "localhost")).expect("origin");
        // `true`: it reports user verification (a PIN) as done, as a phone would.
        Authenticator { inner: SoftPasskey::new(true), origin }
    }

    fn at(mut self, origin: &str) -> Authenticator {
        self.origin = Url::parse(origin).expect("origin");
        self
    }

    /// What `navigator.credentials.create()` answers to these options.
    fn create(&mut self, options: &Value) -> Value {
        let options = serde_json::from_value(options.clone()).expect("creation options");
        let answer = self.inner.do_registration(self.origin.clone(), options).expect("the authenticator registers");
        serde_json::to_value(answer).expect("json")
    }

    /// What `navigator.credentials.get()` answers to these options.
    fn get(&mut self, options: &Value) -> Value {
        let options = serde_json::from_value(options.clone()).expect("request options");
        let answer = self.inner.do_authentication(self.origin.clone(), options).expect("the authenticator signs");
        serde_json::to_value(answer).expect("json")
    }
}

/// The error of a failed call, with its details.
fn error<T: std::fmt::Debug>(result: Result<T, plat_client::ClientError>) -> ApiError {
    match result {
        Err(plat_client::ClientError::Api { error, .. }) => error,
        other => panic!("expected an API error, got {other:?}"),
    }
}

both!(passkeys_register_and_sign_in_as_second_factor_and_alone, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("alice")).await.expect("alice");
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("login");
    let alice = p.client.clone().with_token(pair.access_token);
    let mut phone = Authenticator::new(&p.base);

    // Registration: options for the authenticator, its answer back.
    let begun = alice.begin_passkey().await.expect("begin");
    assert_eq!(begun.options["publicKey"]["rp"]["id"], json!("localhost"));
    assert_eq!(begun.options["publicKey"]["authenticatorSelection"]["userVerification"], json!("required"));
    assert_eq!(begun.options["publicKey"]["user"]["name"], json!("alice@acme"));
    let answer = phone.create(&begun.options);
    let register = |ceremony: &str, credential: Value| RegisterPasskey {
        ceremony: ceremony.into(),
        name: Some("phone".into()),
        credential,
    };
    let enrolled = alice.confirm_passkey(&register(&begun.ceremony, answer.clone())).await.expect("confirm");
    assert_eq!(enrolled.name, "phone");
    assert_eq!(enrolled.recovery_codes.len(), 10, "the first factor brings recovery codes");
    // A ceremony answers once.
    let again = error(alice.confirm_passkey(&register(&begun.ceremony, answer)).await);
    assert_eq!((again.code, again.field.as_deref()), (ErrorCode::ValidationError, Some("ceremony")));
    // A page of another origin cannot register one (a phishing site).
    let begun = alice.begin_passkey().await.expect("begin");
    let mut elsewhere = Authenticator::new(&p.base).at("http://localhost:1");
    let phished = error(alice.confirm_passkey(&register(&begun.ceremony, elsewhere.create(&begun.options))).await);
    assert_eq!((phished.code, phished.field.as_deref()), (ErrorCode::ValidationError, Some("credential")));
    let status = alice.mfa().await.expect("status");
    assert_eq!(status.factors.len(), 1);
    assert_eq!((status.factors[0].kind.as_str(), status.factors[0].name.as_deref()), ("passkey", Some("phone")));
    assert_eq!(status.factors[0].id, enrolled.id);

    // A password login now asks for the passkey, with the options in the answer.
    let first = error(p.client.login("acme", "alice", "alice-password").await);
    assert_eq!(first.code, ErrorCode::MfaRequired);
    assert_eq!(first.details["factors"], json!(["passkey", "recovery_code"]));
    let token = first.details["mfa_token"].as_str().expect("mfa_token").to_owned();
    let signed = phone.get(&first.details["passkey"]);
    // Its signature for a page of another origin is refused, and counts as a wrong answer.
    let home = std::mem::replace(&mut phone.origin, Url::parse("http://localhost:1").expect("url"));
    let wrong = error(p.client.login_passkey_answer(&token, phone.get(&first.details["passkey"])).await);
    assert_eq!((wrong.code, wrong.details["attempts_left"].clone()), (ErrorCode::InvalidCredentials, json!(4)));
    phone.origin = home;
    let pair = p.client.login_passkey_answer(&token, signed.clone()).await.expect("second step");
    let claims = p.admin.verify(&pair.access_token).await.expect("verify").claims.expect("active");
    assert_eq!(claims.amr, Some(["pwd", "hwk", "mfa"].map(String::from).to_vec()));
    // The same signature does not sign in twice.
    assert_eq!(code(p.client.login_passkey_answer(&token, signed).await), ErrorCode::ValidationError);

    // A login by passkey alone.
    let challenge = p.client.login_passkey("acme", "alice").await.expect("begin");
    assert_eq!(challenge.factors, vec!["passkey".to_owned()]);
    let options = challenge.passkey.clone().expect("options");
    // A code does not answer it, and says no more than a wrong passkey would.
    let coded = MfaLogin { mfa_token: challenge.mfa_token.clone(), code: Some("123456".into()), credential: None };
    let refused = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login/mfa", p.base))
        .json(&coded)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 401);
    let pair = p.client.login_passkey_answer(&challenge.mfa_token, phone.get(&options)).await.expect("passkey login");
    let claims = p.admin.verify(&pair.access_token).await.expect("verify").claims.expect("active");
    assert_eq!(claims.amr, Some(["hwk", "mfa"].map(String::from).to_vec()));
    assert_eq!(claims.acr.as_deref(), Some("2"), "a user-verified passkey is two factors");
    assert!(claims.sid.is_some(), "a login by passkey is a session");
    let logins = acme
        .list_events(&EventQuery { event_type: Some("user.login".into()), ..Default::default() })
        .await
        .expect("events")
        .items;
    assert!(logins.iter().any(|e| e.metadata.get("factor") == Some(&json!("passkey"))));

    // Who has no passkey, or does not exist, gets a challenge of the same
    // shape (a stable decoy credential), and the same refusal.
    acme.create_user(&new_user("bob")).await.expect("bob");
    for name in ["bob", "nobody"] {
        let decoy = p.client.login_passkey("acme", name).await.expect("a challenge for anyone");
        let options = decoy.passkey.expect("options");
        let keys = |v: &Value| v["publicKey"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
        assert_eq!(keys(&options), keys(challenge.passkey.as_ref().expect("real")), "{name}");
        assert_eq!(options["publicKey"]["allowCredentials"].as_array().map(Vec::len), Some(1));
        assert!(options["publicKey"]["challenge"].is_string(), "base64url, as a real one: {options}");
        assert!(options["publicKey"]["allowCredentials"][0]["id"].is_string(), "{options}");
        let twice = p.client.login_passkey("acme", name).await.expect("again").passkey.expect("options");
        assert_eq!(twice["publicKey"]["allowCredentials"], options["publicKey"]["allowCredentials"]);
        assert_ne!(twice["publicKey"]["challenge"], options["publicKey"]["challenge"]);
        let garbage = json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}});
        let refused = error(p.client.login_passkey_answer(&decoy.mfa_token, garbage).await);
        assert_eq!(refused.code, ErrorCode::InvalidCredentials, "{name}");
        assert_eq!(refused.message, "the passkey was not accepted; begin the login again");
    }
    let real = p.client.login_passkey("acme", "alice").await.expect("begin");
    let garbage = json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}});
    let refused = error(p.client.login_passkey_answer(&real.mfa_token, garbage).await);
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (ErrorCode::InvalidCredentials, "the passkey was not accepted; begin the login again")
    );

    // Removing a passkey takes a fresh proof, which a passkey gives too;
    // the recovery codes go with the last factor.
    let alice = p.client.clone().with_token(pair.access_token);
    let wrong = MfaProof { code: Some("000000".into()), ..Default::default() };
    assert_eq!(code(alice.remove_factor(&enrolled.id, &wrong).await), ErrorCode::ValidationError);
    let proof = alice.begin_mfa_proof().await.expect("proof");
    let proof =
        MfaProof { ceremony: Some(proof.ceremony), credential: Some(phone.get(&proof.options)), ..Default::default() };
    alice.remove_factor(&enrolled.id, &proof).await.expect("remove");
    assert_eq!(alice.mfa().await.expect("status"), MfaStatus { factors: vec![], recovery_codes_left: 0 });
    p.client.login("acme", "alice", "alice-password").await.expect("a password alone again");
    let removed = acme
        .list_events(&EventQuery { event_type: Some("user.mfa_removed".into()), ..Default::default() })
        .await
        .expect("events")
        .items;
    assert_eq!(removed[0].metadata["factor"], json!("passkey"));
});

both!(a_passkey_is_bound_to_its_account, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    for name in ["alice", "bob"] {
        acme.create_user(&new_user(name)).await.expect("user");
    }
    let login = |name: &'static str| {
        let client = p.client.clone();
        async move {
            let pair = client.login("acme", name, &format!("{name}-password")).await.expect("login");
            client.with_token(pair.access_token)
        }
    };
    let (alice, bob) = (login("alice").await, login("bob").await);
    let mut phone = Authenticator::new(&p.base);
    let begun = alice.begin_passkey().await.expect("begin");
    let answer = phone.create(&begun.options);
    let req = RegisterPasskey { ceremony: begun.ceremony.clone(), name: None, credential: answer.clone() };
    assert_eq!(alice.confirm_passkey(&req).await.expect("alice's").name, "passkey");
    // Bob cannot answer alice's ceremony, nor register her credential as his.
    assert_eq!(code(bob.confirm_passkey(&req).await), ErrorCode::ValidationError);
    let bobs = bob.begin_passkey().await.expect("begin");
    let stolen = RegisterPasskey { ceremony: bobs.ceremony, name: None, credential: answer };
    assert_eq!(code(bob.confirm_passkey(&stolen).await), ErrorCode::ValidationError);
    // Bob's own passkey (another credential) registers beside alice's.
    let mut bobs_phone = Authenticator::new(&p.base);
    let begun = bob.begin_passkey().await.expect("begin");
    let own = RegisterPasskey { ceremony: begun.ceremony, name: None, credential: bobs_phone.create(&begun.options) };
    bob.confirm_passkey(&own).await.expect("bob's");
    // Alice's signature does not sign bob in.
    let bob_first = p.client.login_passkey("acme", "bob").await.expect("begin");
    let alice_first = p.client.login_passkey("acme", "alice").await.expect("begin");
    let signed = phone.get(alice_first.passkey.as_ref().expect("options"));
    assert_eq!(code(p.client.login_passkey_answer(&bob_first.mfa_token, signed).await), ErrorCode::InvalidCredentials);
    // A flood of logins by passkey naming one person keeps the newest 16
    // open: one of 17 no longer completes, 16 do.
    let mut opened = Vec::new();
    for _ in 0..17 {
        opened.push(p.client.login_passkey("acme", "alice").await.expect("begin"));
    }
    let mut signed_in = 0;
    for challenge in &opened {
        let signed = phone.get(challenge.passkey.as_ref().expect("options"));
        signed_in += usize::from(p.client.login_passkey_answer(&challenge.mfa_token, signed).await.is_ok());
    }
    assert_eq!(signed_in, 16);
    // A disabled person gets the decoy (no credential of theirs is named,
    // so no authenticator can answer) and the same refusal as anyone.
    let allowed = |c: &MfaChallenge| c.passkey.as_ref().expect("options")["publicKey"]["allowCredentials"].clone();
    let real = allowed(&p.client.login_passkey("acme", "alice").await.expect("begin"));
    acme.disable_user("alice").await.expect("disable");
    let disabled = p.client.login_passkey("acme", "alice").await.expect("a challenge still");
    assert_ne!(allowed(&disabled), real, "the decoy, not alice's passkey");
    let garbage = json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}});
    let refused = error(p.client.login_passkey_answer(&disabled.mfa_token, garbage).await);
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (ErrorCode::InvalidCredentials, "the passkey was not accepted; begin the login again")
    );
    acme.enable_user("alice").await.expect("enable");
    let again = p.client.login_passkey("acme", "alice").await.expect("begin");
    let signed = phone.get(again.passkey.as_ref().expect("options"));
    let pair = p.client.login_passkey_answer(&again.mfa_token, signed).await.expect("enabled, signed in");
    let alice = p.client.clone().with_token(pair.access_token);
    // An admin's reset removes passkeys too.
    acme.reset_user_mfa("alice", false).await.expect("reset");
    assert!(alice.mfa().await.expect("status").factors.is_empty());
    let after = p.client.login_passkey("acme", "alice").await.expect("begin");
    let stale = p.client.login_passkey_answer(&after.mfa_token, json!({"id": "AAAA"})).await;
    assert_eq!(code(stale), ErrorCode::InvalidCredentials);
});

both!(a_ceremony_begun_on_one_replica_ends_on_another, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    acme.create_user(&new_user("alice")).await.expect("alice");
    let other = crate::harness::join(&p).await;
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("login");
    let (here, there) =
        (p.client.clone().with_token(pair.access_token.clone()), other.client.clone().with_token(pair.access_token));
    // Both replicas are one relying party: the issuer's (the first's URL).
    let mut phone = Authenticator::new(&p.base);
    let begun = here.begin_passkey().await.expect("begin here");
    let credential = phone.create(&begun.options);
    there.confirm_passkey(&RegisterPasskey { ceremony: begun.ceremony, name: None, credential }).await.expect("there");
    let challenge = other.client.login_passkey("acme", "alice").await.expect("begin there");
    let signed = phone.get(challenge.passkey.as_ref().expect("options"));
    p.client.login_passkey_answer(&challenge.mfa_token, signed).await.expect("answered here");
});
