//! The standard endpoints (docs/oauth.md) driven by clients nobody here
//! wrote: the `oauth2` crate for grants and introspection, the
//! `openidconnect` crate to discover plat and verify a token's signature
//! with its own Ed25519 code. Raw form requests only where those crates
//! refuse (oauth2 revokes only over https) and for the RFC error cases.

use std::future::Future;
use std::pin::Pin;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, IntrospectionUrl, TokenIntrospectionResponse, TokenResponse, TokenUrl};
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreProviderMetadata};
use openidconnect::{IssuerUrl, JsonWebKey};
use plat_proto::*;
use serde_json::{Value, json};

use crate::api::{new_user, tenant};
use crate::both;

type HttpFuture = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, reqwest::Error>> + Send>>;

/// The crates' HTTP client interface over this workspace's reqwest.
fn http() -> impl Fn(oauth2::HttpRequest) -> HttpFuture {
    let client = reqwest::Client::new();
    move |request: oauth2::HttpRequest| -> HttpFuture {
        let client = client.clone();
        Box::pin(async move {
            let response = client.execute(reqwest::Request::try_from(request)?).await?;
            let mut out = oauth2::HttpResponse::new(Vec::new());
            *out.status_mut() = response.status();
            *out.headers_mut() = response.headers().clone();
            *out.body_mut() = response.bytes().await?.to_vec();
            Ok(out)
        })
    }
}

/// A service account of `tenant` with `roles`; returns (client id, secret).
async fn account(client: &plat_client::Client, name: &str, roles: &[&str], audiences: &[&str]) -> (String, String) {
    let created = client
        .create_service_account(&CreateServiceAccount {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            audiences: audiences.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        })
        .await
        .expect("service account");
    (created.account.client_id, created.client_secret)
}

/// A form POST; returns (status, headers, JSON body or Null).
async fn form(
    url: &str,
    basic: Option<(&str, &str)>,
    params: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let mut request = reqwest::Client::new()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&B64.decode(payload).expect("base64")).expect("claims")
}

both!(oidc_discovery_and_standard_clients_work_unmodified, &[], |p| {
    let http = http();
    // Discovery as OpenID Connect clients do it: the issuer must be the URL
    // the document came from, and the JWKS is fetched from jwks_uri.
    let issuer = IssuerUrl::new(p.base.clone()).expect("issuer url");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discover");
    assert_eq!(metadata.issuer().as_str(), p.base);
    assert_eq!(metadata.token_endpoint().expect("token endpoint").as_str(), format!("{}/oauth2/token", p.base));
    let rfc8414: Value = reqwest::get(format!("{}/.well-known/oauth-authorization-server", p.base))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(rfc8414["introspection_endpoint"], json!(format!("{}/oauth2/introspect", p.base)));
    assert!(
        rfc8414["token_endpoint_auth_methods_supported"]
            .as_array()
            .expect("methods")
            .contains(&json!("private_key_jwt"))
    );

    let acme = tenant(&p.admin, "acme", None).await;
    let (id, secret) = account(&acme, "billing", &["tenant-admin"], &[]).await;
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new(secret.clone()))
            .set_auth_type(auth.clone())
            .set_token_uri(TokenUrl::new(format!("{}/oauth2/token", p.base)).expect("url"))
            .set_introspection_url(IntrospectionUrl::new(format!("{}/oauth2/introspect", p.base)).expect("url"));
        let token = client
            .exchange_client_credentials()
            .add_scope(oauth2::Scope::new("users:read".into()))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("client credentials with {auth:?}: {e:?}"));
        assert!(token.refresh_token().is_none(), "no refresh token for client credentials");
        let access = token.access_token().secret().clone();

        // The signature, checked by openidconnect's own Ed25519 code with the discovered keys.
        let header: Value =
            serde_json::from_slice(&B64.decode(access.split('.').next().expect("header")).expect("b64"))
                .expect("header json");
        assert_eq!(header["typ"], json!("at+jwt"), "RFC 9068 access token");
        let (signed, signature) = access.rsplit_once('.').expect("signature");
        let key = metadata
            .jwks()
            .keys()
            .iter()
            .find(|k| k.key_id().map(|kid| kid.as_str()) == header["kid"].as_str())
            .expect("the token's key is published");
        key.verify_signature(&CoreJwsSigningAlgorithm::EdDsa, signed.as_bytes(), &B64.decode(signature).expect("b64"))
            .expect("openidconnect verifies plat's signature");
        let claims = claims_of(&access);
        assert_eq!(claims["iss"], json!(p.base));
        assert_eq!(claims["client_id"], json!(id));
        assert_eq!(claims["scope"], json!("users:read"));

        let introspected = client.introspect(token.access_token()).request_async(&http).await.expect("introspect");
        assert!(introspected.active());
        assert_eq!(introspected.client_id().map(|c| c.as_str()), Some(id.as_str()));
        assert_eq!(introspected.iss(), Some(p.base.as_str()));

        // Revocation (oauth2 insists on https for it, so a plain form POST).
        let revoke = format!("{}/oauth2/revoke", p.base);
        let (status, _, _) = form(&revoke, Some((&id, &secret)), &[("token", &access)]).await;
        assert_eq!(status, 200);
        let after = client.introspect(token.access_token()).request_async(&http).await.expect("introspect");
        assert!(!after.active(), "revoked");
        let (_, _, raw) =
            form(&format!("{}/oauth2/introspect", p.base), Some((&id, &secret)), &[("token", &access)]).await;
        assert_eq!(raw, json!({"active": false}), "an inactive token answers only active: false");
        let (status, _, _) = form(&revoke, Some((&id, &secret)), &[("token", "no-such-token")]).await;
        assert_eq!(status, 200, "revoking an unknown token is not an error");
    }
});

both!(standard_endpoints_answer_the_rfc_errors, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let (id, secret) = account(&acme, "billing", &["viewer"], &[]).await;
    let token_url = format!("{}/oauth2/token", p.base);
    let grant = [("grant_type", "client_credentials")];

    let (status, headers, body) = form(&token_url, Some((&id, "wrong-secret")), &grant).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    assert_eq!(headers["www-authenticate"], "Basic realm=\"plat\"");
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, body) = form(
        &token_url,
        None,
        &[("grant_type", "client_credentials"), ("client_id", "sa_nobody"), ("client_secret", "x")],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    let (status, _, body) = form(&token_url, Some((&id, &secret)), &[("grant_type", "password")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")), "{body}");
    let (status, _, body) = form(&token_url, Some((&id, &secret)), &[("scope", "users:read")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");
    let (status, _, body) =
        form(&token_url, Some((&id, &secret)), &[("grant_type", "client_credentials"), ("scope", "not a permission!")])
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")), "{body}");
    let (status, _, body) =
        form(&token_url, Some((&id, &secret)), &[("grant_type", "client_credentials"), ("audience", "payments")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_target")), "{body}");
    let json_body = reqwest::Client::new()
        .post(&token_url)
        .json(&json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}))
        .send()
        .await
        .expect("send");
    assert_eq!(json_body.status().as_u16(), 400);
    let body: Value = json_body.json().await.expect("json");
    assert_eq!(body["error"], json!("invalid_request"), "JSON to the form endpoint: {body}");
    assert!(body["error_description"].as_str().expect("description").contains("x-www-form-urlencoded"));
    let (status, _, body) =
        form(&token_url, Some((&id, &secret)), &[("grant_type", "client_credentials"), ("client_secret", &secret)])
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "two methods: {body}");
    let (status, _, body) = form(&format!("{}/oauth2/authorize", p.base), None, &[]).await;
    assert_eq!(status, 405, "authorize is GET: {body}");
    let authorize = reqwest::get(format!("{}/oauth2/authorize?response_type=code", p.base)).await.expect("get");
    assert_eq!(authorize.status().as_u16(), 400);
    assert_eq!(authorize.json::<Value>().await.expect("json")["error"], json!("unsupported_response_type"));

    // Refresh with rotation and reuse detection through the standard endpoint.
    acme.create_user(&new_user("alice")).await.expect("alice");
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("login");
    let (status, _, body) =
        form(&token_url, None, &[("grant_type", "refresh_token"), ("refresh_token", &pair.refresh_token)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], json!("Bearer"));
    assert!(body["refresh_token"].as_str().is_some_and(|r| r != pair.refresh_token), "rotated: {body}");
    let (status, _, body) =
        form(&token_url, None, &[("grant_type", "refresh_token"), ("refresh_token", &pair.refresh_token)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "reuse: {body}");
    assert!(body["error_description"].as_str().expect("description").contains("already used"), "{body}");

    // Introspection is a permission: a viewer's account may not; another
    // tenant's token is inactive to a tenant's introspector.
    let introspect = format!("{}/oauth2/introspect", p.base);
    let (status, _, body) = form(&introspect, Some((&id, &secret)), &[("token", &pair.access_token)]).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")), "{body}");
    let globex = tenant(&p.admin, "globex", None).await;
    let (gid, gsecret) = account(&globex, "auditor", &["tenant-admin"], &[]).await;
    let (status, _, body) = form(&introspect, Some((&gid, &gsecret)), &[("token", &pair.access_token)]).await;
    assert_eq!((status, body), (200, json!({"active": false})));
});

/// An Ed25519 key pair: (the JWK to register, a signer).
fn ed25519_client_key() -> (ClientJwk, jsonwebtoken::EncodingKey) {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let pair = Ed25519KeyPair::generate().expect("key");
    let pkcs8 = pair.to_pkcs8().expect("pkcs8");
    let jwk = ClientJwk {
        kty: "OKP".into(),
        crv: Some("Ed25519".into()),
        x: Some(B64.encode(pair.public_key().as_ref())),
        kid: Some("k1".into()),
        ..ClientJwk::default()
    };
    (jwk, jsonwebtoken::EncodingKey::from_ed_der(pkcs8.as_ref()))
}

fn assertion(key: &jsonwebtoken::EncodingKey, client_id: &str, audience: &str, jti: &str, exp_in: i64) -> String {
    let now = plat_store::now_ms() / 1000;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let claims =
        json!({"iss": client_id, "sub": client_id, "aud": audience, "jti": jti, "iat": now, "exp": now + exp_in});
    jsonwebtoken::encode(&header, &claims, key).expect("sign")
}

both!(private_key_jwt_and_token_exchange, &[], |p| {
    let acme = tenant(&p.admin, "acme", None).await;
    let (id, _) = account(&acme, "gateway", &["tenant-admin"], &["orders"]).await;
    let (jwk, key) = ed25519_client_key();
    let bad = UpdateServiceAccount {
        jwks: Some(ClientJwks { keys: vec![ClientJwk { kty: "oct".into(), ..ClientJwk::default() }] }),
        ..Default::default()
    };
    let refused = acme.update_service_account("gateway", &bad).await.expect_err("a symmetric key");
    assert!(format!("{refused}").contains("jwks.keys[0]"), "{refused}");
    let updated = acme
        .update_service_account(
            "gateway",
            &UpdateServiceAccount { jwks: Some(ClientJwks { keys: vec![jwk] }), ..Default::default() },
        )
        .await
        .expect("register the key");
    assert_eq!(updated.jwks.map(|j| j.keys.len()), Some(1));

    let token_url = format!("{}/oauth2/token", p.base);
    let grant = |assertion: String| {
        vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_assertion_type".to_owned(), plat_proto::oauth::ASSERTION_JWT_BEARER.to_owned()),
            ("client_assertion".to_owned(), assertion),
        ]
    };
    let send = |params: Vec<(String, String)>| {
        let url = token_url.clone();
        async move {
            let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            form(&url, None, &pairs).await
        }
    };
    let first = assertion(&key, &id, &token_url, "jti-1", 60);
    let (status, headers, body) = send(grant(first.clone())).await;
    assert_eq!(status, 200, "private_key_jwt: {body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        claims_of(body["access_token"].as_str().expect("token"))["aud"],
        json!("orders"),
        "the account's default audience"
    );
    let (status, _, body) = send(grant(first)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "replayed: {body}");
    let (status, _, body) = send(grant(assertion(&key, &id, &token_url, "jti-2", -120))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "expired: {body}");
    let (status, _, body) = send(grant(assertion(&key, &id, "https://elsewhere.example", "jti-3", 60))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "wrong audience: {body}");
    let (status, _, body) = send(grant(assertion(&key, &id, &p.base, "jti-4", 3600))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "lives too long: {body}");

    // Token exchange: the gateway trades alice's token for one to call "orders".
    acme.create_user(&new_user("alice")).await.expect("alice");
    let pair = p.client.login("acme", "alice", "alice-password").await.expect("login");
    let exchange = |audience: &str, jti: &str| {
        let mut params = grant(assertion(&key, &id, &p.base, jti, 60));
        params[0].1 = plat_proto::oauth::GRANT_TOKEN_EXCHANGE.into();
        params.extend([
            ("subject_token".to_owned(), pair.access_token.clone()),
            ("subject_token_type".to_owned(), plat_proto::oauth::TOKEN_TYPE_ACCESS.to_owned()),
            ("audience".to_owned(), audience.to_owned()),
        ]);
        params
    };
    let (status, _, body) = send(exchange("orders", "jti-5")).await;
    assert_eq!(status, 200, "token exchange: {body}");
    assert_eq!(body["issued_token_type"], json!(plat_proto::oauth::TOKEN_TYPE_ACCESS));
    let exchanged = body["access_token"].as_str().expect("token").to_owned();
    let claims = claims_of(&exchanged);
    let alice = claims_of(&pair.access_token);
    assert_eq!(claims["sub"], alice["sub"], "still alice");
    assert_eq!(claims["aud"], json!("orders"));
    assert_eq!(claims["act"], json!({"sub": id}), "the gateway acts for her");
    assert!(claims["exp"].as_i64() <= alice["exp"].as_i64(), "no longer than her token");
    let narrowed = p.client.clone().with_token(exchanged);
    assert!(narrowed.whoami().await.is_err(), "a token for orders cannot call plat");
    let (status, _, body) = send(exchange("payments", "jti-6")).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_target")), "{body}");
});
