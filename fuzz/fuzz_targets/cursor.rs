//! Paging parameters and cursors a client sends to every list (`page`,
//! `page_size`, `limit`, `cursor`: `plat_domain::PageRequest`), and the
//! read-back cursor plat sends on to a target (`encode_component`).
//!
//! Properties: no input panics or overflows; an accepted request has a page
//! size within the contract and a non-negative offset; a sequence cursor
//! that plat hands out (`seq.to_string()`) reads back as that sequence; a
//! finished page keeps at most `page_size` items and its next cursor is the
//! key of the last one kept, present exactly when more rows were fetched;
//! an encoded cursor is plain query text that decodes to the cursor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plat_domain::PageRequest;
use plat_domain::readback::encode_component;
use plat_proto::MAX_PAGE_SIZE;

/// The parameters, written as a query (`page=2&page_size=10&cursor=42`),
/// plus what the target needs to build a page: `rows` fetched, `total`, a
/// `seq` to hand out and, last, a target's `remote` cursor. Numbers parse as the
/// query extractor parses them; anything else is absent.
#[derive(Default)]
struct Input<'a> {
    page: Option<u64>,
    page_size: Option<u64>,
    limit: Option<u64>,
    cursor: Option<&'a str>,
    rows: u64,
    total: u64,
    seq: i64,
    remote: &'a str,
}

fn input(text: &str) -> Input<'_> {
    // `remote=` takes the rest of the text, `&` and `=` included.
    let (text, remote) = text.split_once("remote=").unwrap_or((text, ""));
    let mut input = Input { remote, ..Input::default() };
    for pair in text.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = value.parse::<u64>().ok();
        match key {
            "page" => input.page = number,
            "page_size" => input.page_size = number,
            "limit" => input.limit = number,
            "cursor" => input.cursor = Some(value),
            "rows" => input.rows = number.unwrap_or(0),
            "total" => input.total = number.unwrap_or(0),
            "seq" => input.seq = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    input
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Input { page, page_size, limit, cursor, rows, total, seq, remote: remote_cursor } = input(text);
    if let Ok(request) = PageRequest::new(page, page_size, cursor, limit) {
        assert!((1..=MAX_PAGE_SIZE).contains(&request.page_size));
        assert!(request.page >= 1);
        assert!(request.offset() >= 0);
        assert_eq!(request.after.as_deref(), cursor.filter(|c| !c.is_empty()));
        match request.after_seq() {
            Ok(Some(n)) => assert_eq!(Some(n), cursor.and_then(|c| c.parse().ok())),
            Ok(None) => assert!(request.after.is_none()),
            Err(e) => assert_eq!(e.field, "cursor"),
        }
        let rows = (rows % 1024) as usize;
        let items: Vec<(String, usize)> = (0..rows).map(|i| (format!("k{i}"), i)).collect();
        let finished = request.finish(items, total);
        assert!(finished.items.len() as u64 <= request.page_size);
        assert_eq!(finished.items.len(), rows.min(request.page_size as usize));
        let more = rows as u64 > request.page_size;
        assert_eq!(finished.next_cursor, more.then(|| format!("k{}", request.page_size - 1)));
        assert_eq!(finished.total_pages, total.div_ceil(request.page_size));
        // A cursor plat hands out reads back.
        let next = PageRequest::new(None, Some(request.page_size), Some(&seq.to_string()), None).expect("valid");
        assert_eq!(next.after_seq(), Ok(Some(seq)));
        assert_eq!(next.offset(), 0);
    }
    let encoded = encode_component(remote_cursor);
    assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)), "{encoded}");
    assert_eq!(percent_decode(&encoded), remote_cursor.as_bytes());
});
