//! Password hashing: argon2id with configurable (OWASP) parameters, and
//! verification of imported bcrypt hashes, which are re-hashed at login.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A hash of a random password with the same parameters, verified when a
    /// login names no user so that the answer takes as long as a real one.
    dummy_hash: String,
}

/// Result of checking a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    Yes { rehash: bool },
    No,
}

impl Passwords {
    pub fn new(params: Params) -> Passwords {
        let mut p = Passwords { params, dummy_hash: String::new() };
        p.dummy_hash = p.hash_blocking(&super::crypto::random_password()).unwrap_or_default();
        p
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::encode_b64(&super::crypto::random_bytes::<16>()).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(self.argon2().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("{e}"))?.to_string())
    }

    /// Hash on the blocking pool: argon2id costs ~20 ms of CPU.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password)).await?
    }

    /// Whether `hash` is a stored form plat accepts on import.
    pub fn is_supported_hash(hash: &str) -> bool {
        if hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$") {
            return hash.len() == 60;
        }
        PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
    }

    pub fn verify_blocking(&self, password: &str, hash: Option<&str>) -> Verified {
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

    pub async fn verify(&self, password: String, hash: Option<String>) -> Verified {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.verify_blocking(&password, hash.as_deref()))
            .await
            .unwrap_or(Verified::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(Params::new(64, 1, 1, None).expect("params"))
    }

    #[test]
    fn argon2_round_trip_and_rehash_on_param_change() {
        let p = cheap();
        let h = p.hash_blocking("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(p.verify_blocking("correct horse", Some(&h)), Verified::Yes { rehash: false });
        assert_eq!(p.verify_blocking("wrong", Some(&h)), Verified::No);
        let stronger = Passwords::new(Params::new(128, 1, 1, None).expect("params"));
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
}
