//! Decoders of untrusted input never panic and stay bounded: DNS answers,
//! agent replies.

use lbkit_healthcheck::checkers::dns::{decode_response, encode_query, QueryType};
use lbkit_healthcheck::haproxy::AgentReply;
use proptest::prelude::*;

proptest! {
    /// Arbitrary bytes: an error or a response, never a panic; a record's
    /// text is bounded by the message size (names at most 255 bytes).
    #[test]
    fn dns_decode_arbitrary(bytes in prop::collection::vec(any::<u8>(), 0..600), id: u16) {
        if let Ok(r) = decode_response(&bytes, id) {
            for a in &r.answers {
                prop_assert!(a.data.len() <= 2 * bytes.len() + 300);
            }
        }
    }

    /// A valid query with random answer bytes appended and the header
    /// flipped to a response: never a panic.
    #[test]
    fn dns_decode_after_question(tail in prop::collection::vec(any::<u8>(), 0..300), an in 0u8..8) {
        let mut m = encode_query(9, "a.example.test", QueryType::A).unwrap_or_default();
        m[2] |= 0x80;
        m[7] = an;
        m.extend_from_slice(&tail);
        let _ = decode_response(&m, 9);
    }

    /// Names made of valid labels round-trip through the query encoder.
    #[test]
    fn dns_encode_valid_names(labels in prop::collection::vec("[a-z0-9-]{1,20}", 1..6)) {
        let name = labels.join(".");
        let q = encode_query(1, &name, QueryType::Mx);
        prop_assert!(q.is_ok());
        let q = q.unwrap_or_default();
        prop_assert_eq!(q.len(), 12 + name.len() + 2 + 4);
    }

    /// Any line: a reply or an error, never a panic.
    #[test]
    fn agent_parse_arbitrary(line in ".{0,200}") {
        let _ = AgentReply::parse(&line);
    }

    /// Known words in any case and order parse to the same reply.
    #[test]
    fn agent_words(pct in 0u32..300, upper: bool, drain_first: bool) {
        let (w, d) = (format!("{pct}%"), if upper { "DRAIN" } else { "drain" });
        let line = if drain_first { format!("{d},{w}") } else { format!("{w} {d}") };
        let r = AgentReply::parse(&line);
        prop_assert!(r.is_ok());
        let r = r.unwrap_or_default();
        prop_assert_eq!(r.weight_percent, Some(pct));
        prop_assert_eq!(r.admin, Some(lbkit_healthcheck::haproxy::AgentAdmin::Drain));
    }
}
