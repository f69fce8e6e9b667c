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

/// Parse a bucket hash: 64 hex digits.
pub fn parse_hash(hex: &str) -> Result<Hash, String> {
    let bad = || format!("the digest holds {hex:?}, not 64 hex digits");
    // Checked byte-wise first: slicing text with multi-byte characters
    // would panic, and `from_str_radix` would take a sign (`+f`).
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Why a target's read-back answer is refused.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Not the JSON of a read-back answer.
    #[error("not a read-back answer: {0}")]
    NotJson(serde_json::Error),
    /// Well-formed, but it breaks the contract.
    #[error("{0}")]
    Invalid(String),
}

/// A target's answer to `GET /sync/digest?kind=user&buckets={buckets}`:
/// exactly `buckets` buckets, each named once, each hash 64 hex digits.
pub fn parse_digest(body: &[u8], buckets: u32) -> Result<Digest, AnswerError> {
    let answer: plat_proto::ReadBackDigest = serde_json::from_slice(body).map_err(AnswerError::NotJson)?;
    let invalid = AnswerError::Invalid;
    let mut digest = Digest::new(buckets);
    if answer.buckets.len() != buckets as usize {
        return Err(invalid(format!("the digest has {} buckets, {buckets} were asked for", answer.buckets.len())));
    }
    let mut seen = vec![false; digest.buckets.len()];
    for b in answer.buckets {
        let named = || invalid(format!("the digest names bucket {} of {buckets}", b.bucket));
        let slot = digest.buckets.get_mut(b.bucket as usize).ok_or_else(named)?;
        let seen = seen.get_mut(b.bucket as usize).ok_or_else(named)?;
        if std::mem::replace(seen, true) {
            return Err(invalid(format!("the digest names bucket {} twice", b.bucket)));
        }
        *slot = BucketSum { count: b.count, hash: parse_hash(&b.hash).map_err(invalid)? };
    }
    Ok(digest)
}

/// A target's page of `GET /sync/records`: its `(id, version)` records and
/// the cursor of the next page, if any.
pub type RecordsPage = (Vec<(String, u64)>, Option<String>);

/// Parse a target's answer to `GET /sync/records` (a bucket or a cursor page).
pub fn parse_records(body: &[u8]) -> Result<RecordsPage, AnswerError> {
    let page: plat_proto::ReadBackRecords = serde_json::from_slice(body).map_err(AnswerError::NotJson)?;
    Ok((page.items.into_iter().map(|r| (r.id, r.version)).collect(), page.next_cursor))
}

/// The order check of cursor pages: every id, across pages, after the one
/// before in byte order (CONTRACT §3), which the paged merge relies on.
#[derive(Debug, Clone, Default)]
pub struct AscendingIds {
    previous: Option<String>,
}

impl AscendingIds {
    /// Check the next page's ids.
    pub fn check<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
        for id in ids {
            if let Some(previous) = self.previous.as_deref().filter(|p| p.as_bytes() >= id.as_bytes()) {
                return Err(format!(
                    "the target's /sync/records pages are not in ascending id order ({id:?} after {previous:?})"
                ));
            }
            self.previous = Some(id.to_owned());
        }
        Ok(())
    }
}

/// Percent-encode a query value (cursors are opaque to plat): every byte
/// but RFC 3986's unreserved characters becomes `%XX`.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

    #[test]
    fn hashes_are_64_hex_digits() {
        assert_eq!(parse_hash(&"ab".repeat(32)), Ok([0xab; 32]));
        assert_eq!(parse_hash(&"AB".repeat(32)), Ok([0xab; 32]));
        assert!(parse_hash("zz").is_err());
        assert!(parse_hash(&"zz".repeat(32)).is_err());
        assert!(parse_hash(&"+f".repeat(32)).is_err());
        // Found by fuzzing: 64 bytes whose characters straddle a digit pair panicked.
        assert!(parse_hash(&format!("a{}a", "é".repeat(31))).is_err());
    }

    #[test]
    fn digests_name_each_bucket_once() {
        let bucket = |b: u32, count: u64| format!(r#"{{"bucket":{b},"count":{count},"hash":"{}"}}"#, "0".repeat(64));
        let answer = |buckets: &[String]| format!(r#"{{"kind":"user","buckets":[{}]}}"#, buckets.join(","));
        let digest = parse_digest(answer(&[bucket(1, 5), bucket(0, 2)]).as_bytes(), 2).expect("valid");
        assert_eq!((digest.buckets[0].count, digest.buckets[1].count), (2, 5));
        let refused = |body: String| match parse_digest(body.as_bytes(), 2) {
            Err(AnswerError::Invalid(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(answer(&[bucket(0, 1)])), "the digest has 1 buckets, 2 were asked for");
        assert_eq!(refused(answer(&[bucket(0, 1), bucket(2, 1)])), "the digest names bucket 2 of 2");
        assert_eq!(refused(answer(&[bucket(0, 1), bucket(0, 1)])), "the digest names bucket 0 twice");
        assert!(matches!(parse_digest(b"[]", 2), Err(AnswerError::NotJson(_))));
    }

    #[test]
    fn record_pages_parse_and_must_ascend() {
        let (items, next) = parse_records(br#"{"items":[{"id":"a","version":1}],"next_cursor":"a"}"#).expect("valid");
        assert_eq!((items, next), (vec![("a".to_owned(), 1)], Some("a".to_owned())));
        assert_eq!(parse_records(br#"{"items":[]}"#).expect("valid"), (vec![], None));
        let mut order = AscendingIds::default();
        assert!(order.check(["a", "b"]).is_ok());
        assert!(order.check(["c"]).is_ok());
        assert_eq!(
            order.check(["c"]),
            Err("the target's /sync/records pages are not in ascending id order (\"c\" after \"c\")".to_owned())
        );
    }

    #[test]
    fn cursors_are_percent_encoded() {
        assert_eq!(encode_component("a b/c&d"), "a%20b%2Fc%26d");
        assert_eq!(encode_component("0193-a_b.c~"), "0193-a_b.c~");
        assert_eq!(encode_component("é"), "%C3%A9");
    }
}
