//! The read-back digest of CONTRACT §3, computed the same way by plat's
//! checks and by every checkable target (`examples/profile-service`):
//!
//! - record fingerprint = SHA-256 of the bytes `"{id}:{version}"`;
//! - bucket of a record = big-endian u64 of the first 8 bytes of SHA-256(`id`) mod N;
//! - bucket hash = XOR of its records' fingerprints (all zeros when empty).
//!
//! XOR makes a bucket's hash independent of the order records are added in,
//! so both sides can stream their records in any order. The fixed vectors in
//! `docs/read-back.md` are checked by the tests below.

use sha2::{Digest as _, Sha256};

pub type Hash = [u8; 32];

pub fn fingerprint(id: &str, version: u64) -> Hash {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    h.update(b":");
    h.update(version.to_string().as_bytes());
    h.finalize().into()
}

/// The bucket of `id` among `buckets` (at least 1).
pub fn bucket_of(id: &str, buckets: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(buckets.max(1))) as u32
}

/// Count and XOR of the fingerprints of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketSum {
    pub count: u64,
    pub hash: Hash,
}

impl BucketSum {
    pub fn add(&mut self, fingerprint: &Hash) {
        self.count += 1;
        for (a, b) in self.hash.iter_mut().zip(fingerprint) {
            *a ^= b;
        }
    }

    pub fn hex(&self) -> String {
        hex(&self.hash)
    }
}

/// The digest of a whole set of records: one [`BucketSum`] per bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub buckets: Vec<BucketSum>,
}

impl Digest {
    pub fn new(buckets: u32) -> Digest {
        Digest { buckets: vec![BucketSum::default(); buckets.max(1) as usize] }
    }

    pub fn add(&mut self, id: &str, version: u64) {
        let n = self.buckets.len() as u32;
        self.buckets[bucket_of(id, n) as usize].add(&fingerprint(id, version));
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of docs/read-back.md, computed there independently (Python's hashlib).
    const RECORDS: &[(&str, u64, &str, u32, u32)] = &[
        (
            "0193a7c2-7e1a-7c3e-9f00-000000000001",
            1,
            "b4e73aedec5136e861b7e370596c9fae2e01a2b6bafd6544bdb783a88717a252",
            0,
            444,
        ),
        (
            "0193a7c2-7e1a-7c3e-9f00-000000000002",
            7,
            "6c65b63ee1b889da2df03a220ca1488ba98ceaf8d51e6441119c10c206f05542",
            1,
            477,
        ),
        (
            "0193a7c2-7e1a-7c3e-9f00-000000000003",
            2,
            "8e1cf7e8e226a09c1574a0d9fa9ca6d4e491f9bf0b90b58a818d4d486a538fcf",
            3,
            143,
        ),
        ("alice", 3, "604c570b8ae4df7acb39482ced482ac68d49b563bdbb7379b05f2c1b91b10338", 3, 175),
    ];

    #[test]
    fn fingerprints_and_buckets_match_the_documented_vectors() {
        for (id, version, fp, b4, b1024) in RECORDS {
            assert_eq!(hex(&fingerprint(id, *version)), *fp, "{id}");
            assert_eq!(bucket_of(id, 4), *b4, "{id}");
            assert_eq!(bucket_of(id, 1024), *b1024, "{id}");
        }
    }

    #[test]
    fn bucket_hashes_are_the_xor_of_their_records_in_any_order() {
        let expected = [
            (1, "b4e73aedec5136e861b7e370596c9fae2e01a2b6bafd6544bdb783a88717a252"),
            (1, "6c65b63ee1b889da2df03a220ca1488ba98ceaf8d51e6441119c10c206f05542"),
            (0, "0000000000000000000000000000000000000000000000000000000000000000"),
            (2, "ee50a0e368c27fe6de4de8f517d48c1269d84cdcb62bc6f331d26153fbe28cf7"),
        ];
        let mut forward = Digest::new(4);
        let mut backward = Digest::new(4);
        for (id, version, ..) in RECORDS {
            forward.add(id, *version);
        }
        for (id, version, ..) in RECORDS.iter().rev() {
            backward.add(id, *version);
        }
        assert_eq!(forward, backward);
        for (sum, (count, hash)) in forward.buckets.iter().zip(expected) {
            assert_eq!((sum.count, sum.hex().as_str()), (count, hash));
        }
        // A changed version changes exactly its bucket.
        let mut stale = Digest::new(4);
        for (id, version, ..) in RECORDS {
            stale.add(id, if *id == "alice" { 4 } else { *version });
        }
        let differing: Vec<usize> = (0..4).filter(|b| stale.buckets[*b] != forward.buckets[*b]).collect();
        assert_eq!(differing, [3]);
    }
}
