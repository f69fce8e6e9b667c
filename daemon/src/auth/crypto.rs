//! Secrets at rest: the master key (0600 file), keyed hashes of secrets and
//! refresh tokens, sealing of signing keys, random tokens.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

/// The 256-bit key from which plat derives its hashing and sealing keys.
#[derive(Clone)]
pub struct MasterKey {
    hash_key: hmac::Key,
    seal_key: [u8; 32],
}

impl MasterKey {
    /// Read the key file, or create it (mode 0600) with fresh random bytes.
    pub fn load_or_create(path: &Path) -> anyhow::Result<MasterKey> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let key = random_bytes::<32>();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(B64.encode(key).as_bytes())?;
                        file.sync_all()?;
                        B64.encode(key).into_bytes()
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path)?,
                    Err(e) => return Err(anyhow::anyhow!("cannot create master key {}: {e}", path.display())),
                }
            }
            Err(e) => return Err(anyhow::anyhow!("cannot read master key {}: {e}", path.display())),
        };
        let raw = B64
            .decode(String::from_utf8_lossy(&bytes).trim())
            .map_err(|_| anyhow::anyhow!("master key {} is not base64url", path.display()))?;
        if raw.len() != 32 {
            anyhow::bail!("master key {} must hold 32 bytes", path.display());
        }
        Ok(Self::from_bytes(&raw))
    }

    pub fn from_bytes(raw: &[u8]) -> MasterKey {
        let derive = |label: &[u8]| {
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, raw), label);
            let mut out = [0u8; 32];
            out.copy_from_slice(tag.as_ref());
            out
        };
        MasterKey {
            hash_key: hmac::Key::new(hmac::HMAC_SHA256, &derive(b"plat hash v1")),
            seal_key: derive(b"plat seal v1"),
        }
    }

    /// Keyed SHA-256 (HMAC) of a high-entropy secret, hex. Fast on purpose:
    /// the secrets are 256-bit random values, so a slow hash adds nothing.
    pub fn keyed_hash(&self, secret: &str) -> String {
        hex(&self.keyed_digest(secret))
    }

    /// The keyed hash's bytes (HMAC-SHA256 under the master key).
    pub fn keyed_digest(&self, secret: &str) -> Vec<u8> {
        hmac::sign(&self.hash_key, secret.as_bytes()).as_ref().to_vec()
    }

    /// Constant-time check of a secret against its keyed hash.
    pub fn verify_keyed_hash(&self, secret: &str, expected_hex: &str) -> bool {
        let Some(expected) = unhex(expected_hex) else { return false };
        hmac::verify(&self.hash_key, secret.as_bytes(), &expected).is_ok()
    }

    /// AES-256-GCM seal, base64url(nonce || ciphertext+tag).
    pub fn seal(&self, plaintext: &[u8]) -> anyhow::Result<String> {
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.seal_key).map_err(|_| anyhow::anyhow!("bad seal key"))?,
        );
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut buffer = plaintext.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::empty(), &mut buffer)
            .map_err(|_| anyhow::anyhow!("seal failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buffer);
        Ok(B64.encode(out))
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.seal_key).map_err(|_| anyhow::anyhow!("bad seal key"))?,
        );
        let raw = B64.decode(sealed)?;
        if raw.len() < NONCE_LEN + 16 {
            anyhow::bail!("sealed value too short");
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut body = body.to_vec();
        let plain = key.open_in_place(nonce, Aad::empty(), &mut body).map_err(|_| {
            anyhow::anyhow!("cannot open a signing key: the master key differs from the one that sealed it")
        })?;
        Ok(plain.to_vec())
    }
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // aws-lc's RNG only fails when the OS has no entropy source, which plat cannot run without.
    aws_lc_rs::rand::fill(&mut out).expect("system random number generator");
    out
}

/// A 256-bit random token, base64url, with a readable prefix (`plrt_`, `plsk_`).
pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", B64.encode(random_bytes::<32>()))
}

/// A human-typable random password (for `--generate-password`).
pub fn random_password() -> String {
    B64.encode(random_bytes::<18>())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_verifies_and_seal_round_trips() {
        let key = MasterKey::from_bytes(&[7u8; 32]);
        let h = key.keyed_hash("secret");
        assert!(key.verify_keyed_hash("secret", &h));
        assert!(!key.verify_keyed_hash("secreT", &h));
        let sealed = key.seal(b"private").expect("seal");
        assert_eq!(key.open(&sealed).expect("open"), b"private");
        assert!(MasterKey::from_bytes(&[8u8; 32]).open(&sealed).is_err());
    }

    #[test]
    fn master_key_file_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k/master.key");
        let a = MasterKey::load_or_create(&path).expect("create");
        let b = MasterKey::load_or_create(&path).expect("read");
        assert_eq!(a.keyed_hash("x"), b.keyed_hash("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        }
    }
}
