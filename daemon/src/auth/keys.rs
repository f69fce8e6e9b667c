//! The signing key ring: Ed25519 keys in the database (private part sealed
//! with the master key), the newest one signing, older ones verifying until
//! their tokens have expired. JWKS is served from here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plat_proto::{Claims, Jwk, Jwks, SigningKey};
use plat_store::{Ctx, Store, StoredKey, format_ms, now_ms};

use super::crypto::MasterKey;

struct Loaded {
    kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    public: Vec<SigningKey>,
}

/// Tokens whose signature and claims were checked already, by exact token
/// text. Expiry and audience are re-checked on every hit; revocation and the
/// subject's state are checked by the caller every time, so a hit only saves
/// the signature check. Cleared whenever the key ring changes.
type Verified = std::sync::Mutex<HashMap<String, Claims>>;

const VERIFIED_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<RwLock<Arc<Loaded>>>,
    verified: Arc<Verified>,
    master: MasterKey,
    issuer: String,
    /// `issuer` and the issuers of tokens minted before it changed.
    accepted_issuers: Vec<String>,
    audience: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid(String),
}

fn generate(master: &MasterKey, retire_at: Option<i64>) -> anyhow::Result<StoredKey> {
    let pair = Ed25519KeyPair::generate().map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
    let pkcs8 = pair.to_pkcs8().map_err(|_| anyhow::anyhow!("cannot encode the Ed25519 key"))?;
    let public = B64.encode(pair.public_key().as_ref());
    Ok(StoredKey {
        kid: format!("k{}", &uuid::Uuid::now_v7().simple().to_string()[..16]),
        algorithm: "EdDSA".into(),
        sealed_private_key: master.seal(pkcs8.as_ref())?,
        public_key: public,
        status: "active".into(),
        created_at: now_ms(),
        retire_at,
    })
}

impl KeyRing {
    /// Load the keys, creating the first one when there is none.
    pub async fn load(
        store: &Store,
        master: MasterKey,
        issuer: &str,
        previous_issuers: &[String],
        audience: &str,
    ) -> anyhow::Result<KeyRing> {
        let mut keys = store.list_keys().await?;
        if !keys.iter().any(|k| k.status == "active") {
            store.insert_key(&Ctx::system(), &generate(&master, None)?).await?;
            keys = store.list_keys().await?;
        }
        let loaded = Self::build(&master, &keys)?;
        Ok(KeyRing {
            inner: Arc::new(RwLock::new(Arc::new(loaded))),
            verified: Arc::new(Verified::default()),
            master,
            issuer: issuer.into(),
            accepted_issuers: std::iter::once(issuer.to_owned()).chain(previous_issuers.iter().cloned()).collect(),
            audience: audience.into(),
        })
    }

    fn build(master: &MasterKey, keys: &[StoredKey]) -> anyhow::Result<Loaded> {
        let active =
            keys.iter().find(|k| k.status == "active").ok_or_else(|| anyhow::anyhow!("no active signing key"))?;
        let private = master.open(&active.sealed_private_key)?;
        let encoding = EncodingKey::from_ed_der(&private);
        let mut decoding = HashMap::new();
        let mut public = Vec::new();
        for key in keys {
            decoding.insert(key.kid.clone(), DecodingKey::from_ed_components(&key.public_key)?);
            public.push(SigningKey {
                kid: key.kid.clone(),
                alg: key.algorithm.clone(),
                status: key.status.clone(),
                created_at: format_ms(key.created_at),
                retire_at: key.retire_at.map(format_ms),
                public_key: key.public_key.clone(),
            });
        }
        Ok(Loaded { kid: active.kid.clone(), encoding, decoding, public })
    }

    fn current(&self) -> Arc<Loaded> {
        // A poisoned lock only means a reload panicked; the old ring is still valid.
        match self.inner.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-read keys from the store (another replica may have rotated).
    pub async fn reload(&self, store: &Store) -> anyhow::Result<()> {
        let keys = store.list_keys().await?;
        let loaded = Arc::new(Self::build(&self.master, &keys)?);
        match self.inner.write() {
            Ok(mut guard) => *guard = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        self.verified.lock().unwrap_or_else(|p| p.into_inner()).clear();
        Ok(())
    }

    /// Make a new signing key; the old one verifies for `retire_after` more.
    pub async fn rotate(&self, store: &Store, ctx: &Ctx, retire_after: Duration) -> anyhow::Result<SigningKey> {
        let key = generate(&self.master, Some(now_ms() + retire_after.as_millis() as i64))?;
        store.insert_key(ctx, &key).await?;
        self.reload(store).await?;
        self.current()
            .public
            .iter()
            .find(|k| k.kid == key.kid)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("rotated key missing after reload"))
    }

    pub fn public_keys(&self) -> Vec<SigningKey> {
        self.current().public.clone()
    }

    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self
                .current()
                .public
                .iter()
                .map(|k| Jwk {
                    kty: "OKP".into(),
                    crv: "Ed25519".into(),
                    x: k.public_key.clone(),
                    kid: k.kid.clone(),
                    alg: "EdDSA".into(),
                    use_: "sig".into(),
                })
                .collect(),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let loaded = self.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(loaded.kid.clone());
        // An OAuth 2.0 access token (RFC 9068 §2.1).
        header.typ = Some("at+jwt".into());
        Ok(jsonwebtoken::encode(&header, claims, &loaded.encoding)?)
    }

    /// Check signature, `kid`, expiry, not-before and issuer; the audience
    /// too unless `audience` is None (introspection of tokens for others).
    pub fn verify(&self, token: &str, audience: Option<&str>) -> Result<Claims, TokenError> {
        let now = plat_store::now_ms() / 1000;
        let hit = self.verified.lock().unwrap_or_else(|p| p.into_inner()).get(token).cloned();
        if let Some(claims) = hit {
            if claims.exp + 30 < now {
                return Err(TokenError::Expired);
            }
            if audience.is_some_and(|aud| aud != claims.aud) {
                return Err(TokenError::Invalid("InvalidAudience".into()));
            }
            return Ok(claims);
        }
        let claims = self.verify_signature(token, audience)?;
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    fn verify_signature(&self, token: &str, audience: Option<&str>) -> Result<Claims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(format!("malformed token: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| TokenError::Invalid("token has no kid".into()))?;
        let loaded = self.current();
        let key =
            loaded.decoding.get(&kid).ok_or_else(|| TokenError::Invalid(format!("unknown signing key {kid:?}")))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_issuer(&self.accepted_issuers);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud", "nbf", "iat"]);
        match audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        jsonwebtoken::decode::<Claims>(token, key, &validation).map(|data| data.claims).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            other => TokenError::Invalid(format!("{other:?}")),
        })
    }
}
