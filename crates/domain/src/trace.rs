//! W3C Trace Context (`traceparent`, <https://www.w3.org/TR/trace-context/>):
//! parse what a caller sends, start a trace when it sends none, and name a
//! child span for each hop plat makes (a webhook delivery, a read-back
//! request). Pure: the random ids are passed in.

/// One position in a trace: the trace, the current span, the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    /// Bit 0: sampled.
    pub flags: u8,
}

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TraceContext {
    /// A `traceparent` header, or `None` when it is not one this version
    /// understands (the caller then starts a new trace, as the spec says).
    /// Later versions are read by their first four fields.
    pub fn parse(header: &str) -> Option<TraceContext> {
        let header = header.trim();
        let mut parts = header.split('-');
        let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let version = hex::<1>(version)?[0];
        if version == 0xff || (version == 0 && (parts.next().is_some() || header.len() != 55)) {
            return None;
        }
        let trace_id = hex::<16>(trace)?;
        let span_id = hex::<8>(span)?;
        let flags = hex::<1>(flags)?[0];
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext { trace_id, span_id, flags })
    }

    /// A new trace (sampled), for a request that came without one.
    pub fn root(trace_id: [u8; 16], span_id: [u8; 8]) -> TraceContext {
        TraceContext { trace_id, span_id, flags: 1 }
    }

    /// The next hop: the same trace and flags, a new span.
    pub fn child(&self, span_id: [u8; 8]) -> TraceContext {
        TraceContext { span_id, ..*self }
    }

    /// The `traceparent` header naming this span as the parent.
    pub fn header(&self) -> String {
        format!("00-{}-{}-{:02x}", to_hex(&self.trace_id), to_hex(&self.span_id), self.flags)
    }

    pub fn trace_id_hex(&self) -> String {
        to_hex(&self.trace_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_spec_example_round_trips() {
        let parsed = TraceContext::parse(EXAMPLE).expect("valid");
        assert_eq!(parsed.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parsed.flags, 1);
        assert_eq!(parsed.header(), EXAMPLE);
        let child = parsed.child([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(child.header(), "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01");
    }

    #[test]
    fn invalid_headers_start_a_new_trace() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_later_version_is_read_by_its_first_fields() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more";
        assert_eq!(
            TraceContext::parse(later).map(|t| t.trace_id_hex()).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }
}
