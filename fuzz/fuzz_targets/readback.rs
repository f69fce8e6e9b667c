//! What plat parses from a target it checks (docs/read-back.md): the digest
//! answer (`parse_digest`, `parse_hash`) and records pages (`parse_records`,
//! the ascending-id check of cursor pages).
//!
//! The first byte picks the answer; for a digest, the second byte the
//! number of buckets asked for. Properties: an accepted digest has exactly
//! the buckets asked for, and writing it back as an answer (in any bucket
//! order) parses to the same digest; an accepted hash is 64 hex digits that
//! render back; accepted records pages write back to the same page; pages
//! pass the order check exactly when their ids, all pages together, strictly
//! ascend in byte order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plat_domain::readback::{AnswerError, AscendingIds, hex, parse_digest, parse_hash, parse_records};
use plat_proto::{ReadBackBucket, ReadBackDigest, ReadBackRecord, ReadBackRecords};

fn digest(buckets: u32, body: &[u8]) {
    match parse_digest(body, buckets) {
        Ok(digest) => {
            assert_eq!(digest.buckets.len(), buckets as usize);
            let mut answer = ReadBackDigest {
                kind: "user".into(),
                buckets: digest
                    .buckets
                    .iter()
                    .enumerate()
                    .map(|(i, b)| ReadBackBucket { bucket: i as u32, count: b.count, hash: b.hex() })
                    .collect(),
            };
            answer.buckets.reverse();
            let written = serde_json::to_vec(&answer).expect("serializes");
            assert_eq!(parse_digest(&written, buckets).expect("a written digest parses"), digest);
        }
        Err(AnswerError::NotJson(_)) => assert!(serde_json::from_slice::<ReadBackDigest>(body).is_err()),
        Err(AnswerError::Invalid(message)) => assert!(message.starts_with("the digest "), "{message}"),
    }
}

fn pages(body: &[u8]) {
    // Pages separated by a 0xff byte, which no JSON text holds.
    let mut order = AscendingIds::default();
    let mut ids: Vec<String> = Vec::new();
    for page in body.split(|b| *b == 0xff) {
        let Ok((items, next_cursor)) = parse_records(page) else { continue };
        let written = ReadBackRecords {
            items: items.iter().map(|(id, version)| ReadBackRecord { id: id.clone(), version: *version }).collect(),
            next_cursor: next_cursor.clone(),
        };
        let again = parse_records(&serde_json::to_vec(&written).expect("serializes")).expect("parses");
        assert_eq!(again, (items.clone(), next_cursor));
        let check = order.check(items.iter().map(|(id, _)| id.as_str()));
        ids.extend(items.into_iter().map(|(id, _)| id));
        let ascending = ids.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes());
        assert_eq!(check.is_ok(), ascending, "{ids:?}");
        if !ascending {
            // plat stops reading at the first page out of order.
            return;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => {
            let Some((&n, body)) = rest.split_first() else { return };
            // Small counts reach the per-bucket checks; plat asks for 64 to 65,536.
            digest(u32::from(n % 8) + 1, body);
        }
        1 => pages(rest),
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else { return };
            if let Ok(hash) = parse_hash(text) {
                assert_eq!(hex(&hash), text.to_ascii_lowercase());
            }
        }
    }
});
