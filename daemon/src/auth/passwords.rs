//! Password hashing: argon2id with configurable (OWASP) parameters, and
//! verification of imported bcrypt hashes, which are re-hashed at login.
//!
//! Every hash and every check, whatever asks for it (login, the dummy check
//! of an unknown user, set-password, create user, import, bootstrap), runs
//! here on the blocking pool behind one bound: at most
//! `auth.max_concurrent_hashes` at once. A request that finds every slot
//! taken queues for at most `auth.hash_queue_timeout` and then gets
//! `SERVICE_UNAVAILABLE` (503, `Retry-After: 1`), so a flood of logins costs
//! a fixed number of threads and never starves token checks, which hash
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use plat_proto::ErrorCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiErr;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A hash of a random password with the same parameters, verified when a
    /// login names no user so that the answer takes as long as a real one.
    dummy_hash: Arc<str>,
    slots: Arc<Slots>,
}

/// The one bound on concurrent hashing.
struct Slots {
    permits: Arc<Semaphore>,
    size: usize,
    queue_timeout: Duration,
    /// Callers queued for a slot right now.
    waiting: AtomicUsize,
}

/// How long a caller may queue for a hashing slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Requests (login, set-password, create user): `auth.hash_queue_timeout`.
    Bounded,
    /// Import batches: until a slot frees. A batch holds at most
    /// [`Passwords::slots`] hashes in flight, queued fairly with logins.
    Unbounded,
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed taken for `auth.hash_queue_timeout`.
    #[error("every password-hashing slot stayed busy for auth.hash_queue_timeout")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl From<HashError> for ApiErr {
    fn from(e: HashError) -> ApiErr {
        match e {
            HashError::Busy => {
                let mut err = ApiErr::new(
                    ErrorCode::ServiceUnavailable,
                    "too many password checks are in progress; retry shortly",
                );
                err.retry_after = Some(1);
                err
            }
            HashError::Failed(cause) => ApiErr::internal(cause),
        }
    }
}

/// Counts a queued caller until it has its slot, gave up or was cancelled.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Slots {
    async fn acquire(&self, wait: Wait) -> Result<OwnedSemaphorePermit, HashError> {
        // A free permit is only ever free when nobody queues (tokio's
        // semaphore hands released permits to waiters in order).
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _queued = Queued(&self.waiting);
        let acquire = self.permits.clone().acquire_owned();
        let permit = match wait {
            Wait::Bounded => tokio::time::timeout(self.queue_timeout, acquire).await.map_err(|_| HashError::Busy)?,
            Wait::Unbounded => acquire.await,
        };
        // The semaphore is never closed.
        permit.map_err(|_| HashError::Busy)
    }
}

/// Result of checking a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    Yes { rehash: bool },
    No,
}

impl Passwords {
    /// `slots` hashes at most run at once (at least 1); a request queues for
    /// one at most `queue_timeout`. Fails when the dummy hash (what an
    /// unknown username is checked against, so it costs what a known one
    /// does) cannot be made: without it, unknown usernames would answer at
    /// once, a timing oracle of which names exist.
    pub fn new(params: Params, slots: usize, queue_timeout: Duration) -> anyhow::Result<Passwords> {
        let size = slots.max(1);
        let slots = Arc::new(Slots {
            permits: Arc::new(Semaphore::new(size)),
            size,
            queue_timeout,
            waiting: AtomicUsize::new(0),
        });
        let mut p = Passwords { params, dummy_hash: Arc::from(""), slots };
        let dummy = p.hash_blocking(&super::crypto::random_password());
        p.dummy_hash = Arc::from(dummy.map_err(|e| e.context("cannot make the dummy password hash"))?);
        Ok(p)
    }

    /// The bound: hashes that may run at once.
    pub fn slots(&self) -> usize {
        self.slots.size
    }

    /// Callers queued for a hashing slot right now.
    pub fn waiting(&self) -> usize {
        self.slots.waiting.load(Ordering::Relaxed)
    }

    /// Run `job` on the blocking pool once it has a slot. The slot is held
    /// until the job ends, even when the request that asked is gone.
    async fn run<T: Send + 'static>(
        &self,
        wait: Wait,
        job: impl FnOnce(&Passwords) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = self.slots.acquire(wait).await?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job(&this)
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Only through [`Passwords::run`] (and once at start, for the dummy hash).
    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::encode_b64(&super::crypto::random_bytes::<16>()).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(self.argon2().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
    }

    /// Hash for a request (argon2id costs ~20 ms of CPU); [`HashError::Busy`]
    /// when no slot frees within the queue timeout.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.hash_with(Wait::Bounded, password).await
    }

    /// Hash one password of an import batch: waits for a slot however long
    /// the queue is. Run at most [`Passwords::slots`] of these at once.
    pub async fn hash_in_batch(&self, password: String) -> Result<String, HashError> {
        self.hash_with(Wait::Unbounded, password).await
    }

    async fn hash_with(&self, wait: Wait, password: String) -> Result<String, HashError> {
        self.run(wait, move |this| this.hash_blocking(&password)).await?.map_err(|e| HashError::Failed(e.to_string()))
    }

    /// The new hash of a password that verified with `rehash`. `None` when
    /// every slot is busy: the login goes on and a later one re-hashes.
    pub async fn rehash(&self, password: String) -> Result<Option<String>, HashError> {
        match self.hash(password).await {
            Ok(hash) => Ok(Some(hash)),
            Err(HashError::Busy) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `hash` is a stored form plat accepts on import.
    pub fn is_supported_hash(hash: &str) -> bool {
        plat_domain::import::is_supported_password_hash(hash)
    }

    /// Only through [`Passwords::run`].
    fn verify_blocking(&self, password: &str, hash: Option<&str>) -> Verified {
        let Some(hash) = hash else {
            let _ = self.check_argon2(password, &self.dummy_hash);
            return Verified::No;
        };
        if hash.starts_with("$2") {
            return match bcrypt::verify(password, hash) {
                Ok(true) => Verified::Yes { rehash: true },
                _ => Verified::No,
            };
        }
        match self.check_argon2(password, hash) {
            Some(rehash) => Verified::Yes { rehash },
            None => Verified::No,
        }
    }

    /// `Some(needs_rehash)` when the password matches.
    fn check_argon2(&self, password: &str, hash: &str) -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        if !ok {
            return None;
        }
        let current = Params::try_from(&parsed).ok();
        let same = parsed.algorithm.as_str() == "argon2id"
            && current.is_some_and(|p| {
                p.m_cost() == self.params.m_cost()
                    && p.t_cost() == self.params.t_cost()
                    && p.p_cost() == self.params.p_cost()
            });
        Some(!same)
    }

    /// Check `password` against `hash`, or against the dummy hash when the
    /// login names no user; [`HashError::Busy`] when no slot frees in time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<Verified, HashError> {
        match self.run(Wait::Bounded, move |this| this.verify_blocking(&password, hash.as_deref())).await {
            Err(HashError::Failed(_)) => Ok(Verified::No),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(Params::new(64, 1, 1, None).expect("params"), 2, Duration::from_secs(2)).expect("passwords")
    }

    #[test]
    fn argon2_round_trip_and_rehash_on_param_change() {
        let p = cheap();
        let h = p.hash_blocking("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(p.verify_blocking("correct horse", Some(&h)), Verified::Yes { rehash: false });
        assert_eq!(p.verify_blocking("wrong", Some(&h)), Verified::No);
        let stronger = Passwords::new(Params::new(128, 1, 1, None).expect("params"), 1, Duration::from_secs(2))
            .expect("passwords");
        assert_eq!(stronger.verify_blocking("correct horse", Some(&h)), Verified::Yes { rehash: true });
    }

    #[test]
    fn bcrypt_is_accepted_and_marked_for_rehash() {
        let p = cheap();
        let h = bcrypt::hash("hunter22", 4).expect("bcrypt");
        assert!(Passwords::is_supported_hash(&h));
        assert_eq!(p.verify_blocking("hunter22", Some(&h)), Verified::Yes { rehash: true });
        assert_eq!(p.verify_blocking("hunter23", Some(&h)), Verified::No);
        assert!(!Passwords::is_supported_hash("md5$abc"));
        assert_eq!(p.verify_blocking("x", None), Verified::No);
    }

    #[tokio::test]
    async fn a_full_bound_sheds_requests_and_queues_batches() {
        let p = Passwords::new(Params::new(64, 1, 1, None).expect("params"), 1, Duration::from_millis(30))
            .expect("passwords");
        assert_eq!(p.slots(), 1);
        let held = p.slots.acquire(Wait::Bounded).await.expect("the one slot");
        assert!(matches!(p.verify("x".into(), None).await, Err(HashError::Busy)));
        assert!(matches!(p.hash("x".into()).await, Err(HashError::Busy)));
        assert_eq!(p.rehash("x".into()).await.expect("rehash"), None);
        assert_eq!(p.waiting(), 0);
        let batch = tokio::spawn({
            let p = p.clone();
            async move { p.hash_in_batch("batch-password".into()).await }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while p.waiting() != 1 {
            assert!(std::time::Instant::now() < deadline, "the batch hash never queued");
            tokio::task::yield_now().await;
        }
        drop(held);
        let hash = batch.await.expect("join").expect("a batch waits for its slot");
        assert_eq!(p.verify("batch-password".into(), Some(hash)).await.expect("slot"), Verified::Yes { rehash: false });
        assert_eq!(p.waiting(), 0);
    }
}
