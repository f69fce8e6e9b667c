//! Paging: the `page`, `page_size`, `limit` and `cursor` a client sends,
//! checked and clamped (`PageRequest`), and the page built from the rows a
//! store fetched with `LIMIT page_size + 1`.

use crate::Invalid;

/// Offset and limit of a page request, clamped to the contract's bounds.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
    /// When walking with a cursor: the sort key after which to continue.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(
        page: Option<u64>,
        page_size: Option<u64>,
        cursor: Option<&str>,
        limit: Option<u64>,
    ) -> Result<PageRequest, Invalid> {
        let size = limit.or(page_size).unwrap_or(plat_proto::DEFAULT_PAGE_SIZE);
        if size == 0 || size > plat_proto::MAX_PAGE_SIZE {
            return Err(Invalid::new(
                if limit.is_some() { "limit" } else { "page_size" },
                format!("must be between 1 and {}", plat_proto::MAX_PAGE_SIZE),
            ));
        }
        let after = cursor.filter(|c| !c.is_empty()).map(str::to_owned);
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(Invalid::new("page", "pages start at 1"));
        }
        Ok(PageRequest { page, page_size: size, after })
    }

    /// The cursor as a sequence number (lists ordered by `seq`).
    pub fn after_seq(&self) -> Result<Option<i64>, Invalid> {
        self.after
            .as_deref()
            .map(|c| c.parse::<i64>().map_err(|_| Invalid::new("cursor", "is not a cursor returned by this API")))
            .transpose()
    }

    /// Rows to skip: none when walking with a cursor. A page far past the
    /// end skips at most `i64::MAX` rows (and finds none).
    pub fn offset(&self) -> i64 {
        if self.after.is_some() {
            return 0;
        }
        let rows = (self.page - 1).saturating_mul(self.page_size);
        i64::try_from(rows).unwrap_or(i64::MAX)
    }

    /// Build the page from `(sort key, item)` pairs fetched with
    /// `LIMIT page_size + 1`; the key of the last item kept is the next cursor.
    pub fn finish<T>(&self, mut items: Vec<(String, T)>, total: u64) -> plat_proto::Page<T> {
        let more = items.len() as u64 > self.page_size;
        items.truncate(self.page_size as usize);
        let next_cursor = if more { items.last().map(|(key, _)| key.clone()) } else { None };
        plat_proto::Page {
            items: items.into_iter().map(|(_, item)| item).collect(),
            total,
            page: if self.after.is_some() { 0 } else { self.page },
            page_size: self.page_size,
            total_pages: total.div_ceil(self.page_size),
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_bounded() {
        assert_eq!(PageRequest::new(None, Some(0), None, None).expect_err("0").field, "page_size");
        assert_eq!(PageRequest::new(None, Some(10), None, Some(501)).expect_err("501").field, "limit");
        assert_eq!(PageRequest::new(Some(0), None, None, None).expect_err("0").field, "page");
        let page = PageRequest::new(Some(3), Some(10), Some(""), None).expect("ok");
        assert_eq!((page.offset(), page.after), (20, None));
    }

    #[test]
    fn a_page_far_past_the_end_does_not_overflow_the_offset() {
        let page = PageRequest::new(Some(u64::MAX), Some(500), None, None).expect("ok");
        assert_eq!(page.offset(), i64::MAX);
        let page = PageRequest::new(Some(u64::MAX / 2), Some(2), None, None).expect("ok");
        assert_eq!(page.offset(), i64::MAX);
    }

    #[test]
    fn seq_cursors_round_trip_and_others_are_refused() {
        for seq in [0, 1, 42, i64::MAX, -1] {
            let page = PageRequest::new(None, None, Some(&seq.to_string()), None).expect("ok");
            assert_eq!(page.after_seq(), Ok(Some(seq)));
        }
        for bad in ["x", "1.5", "99999999999999999999", " 1"] {
            let page = PageRequest::new(None, None, Some(bad), None).expect("ok");
            assert_eq!(page.after_seq().expect_err(bad).field, "cursor");
        }
    }

    #[test]
    fn the_next_cursor_is_the_last_key_kept() {
        let page = PageRequest::new(None, Some(2), None, None).expect("ok");
        let rows = |n: usize| (0..n).map(|i| (i.to_string(), i)).collect::<Vec<_>>();
        let full = page.finish(rows(3), 7);
        assert_eq!((full.items, full.next_cursor, full.total_pages), (vec![0, 1], Some("1".to_owned()), 4));
        assert_eq!(page.finish(rows(2), 2).next_cursor, None);
    }
}
