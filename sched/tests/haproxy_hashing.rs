//! HAProxy's hashing side through the public API: `hash-type` functions,
//! the RDP cookie, and the `balance` / `hash-type` lines as HAProxy 2.6
//! reads and prints them.

use lbkit_sched::haproxy::{
    hash_bytes, rdp_cookie, Balance, BalancerConfig, HashFunction, HashMethod, HashType,
};
use lbkit_sched::{Error, Family, Scheduler};

/// A TPKT + X.224 Connection Request carrying `token` and an RDP
/// Negotiation Request, as an RDP client opens a connection.
fn x224_connection_request(token: &[u8]) -> Vec<u8> {
    let negotiation = [0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00];
    let total = 11 + token.len() + negotiation.len();
    let total16 = u16::try_from(total).unwrap_or(u16::MAX);
    let mut packet = vec![0x03, 0x00];
    packet.extend_from_slice(&total16.to_be_bytes());
    packet.extend_from_slice(&[
        u8::try_from(total - 5).unwrap_or(u8::MAX),
        0xe0,
        0,
        0,
        0,
        0,
        0,
    ]);
    packet.extend_from_slice(token);
    packet.extend_from_slice(&negotiation);
    packet
}

#[test]
fn hash_functions_match_reference_vectors() {
    // src/hash.c: values from an independent C implementation; the CRC-32
    // check value of "123456789" is the published 0xCBF43926.
    let data = b"/index.html";
    assert_eq!(hash_bytes(HashFunction::Sdbm, data), 0x3324_2976);
    assert_eq!(hash_bytes(HashFunction::Djb2, data), 0xe114_b9cf);
    assert_eq!(hash_bytes(HashFunction::Wt6, data), 0x3101_077e);
    assert_eq!(hash_bytes(HashFunction::Crc32, data), 0xea22_4b42);
    assert_eq!(hash_bytes(HashFunction::Crc32, b"123456789"), 0xcbf4_3926);
    // 2.6 has no `none`: gen_hash() falls back to sdbm.
    assert_eq!(hash_bytes(HashFunction::None, data), 0x3324_2976);
}

#[test]
fn rdp_cookie_from_a_connection_request() {
    let packet = x224_connection_request(b"Cookie: mstshash=eltons\r\n");
    assert_eq!(rdp_cookie(&packet, "mstshash"), Some(&b"eltons"[..]));
    assert_eq!(rdp_cookie(&packet, "MSTSHASH"), Some(&b"eltons"[..]));
    assert_eq!(rdp_cookie(&packet, ""), Some(&b"eltons"[..]));
    assert_eq!(rdp_cookie(&packet, "msts"), None);
    assert_eq!(rdp_cookie(&packet[..20], "mstshash"), None);
    assert_eq!(rdp_cookie(&x224_connection_request(b""), "mstshash"), None);
    assert_eq!(
        rdp_cookie(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ""),
        None
    );
}

#[test]
fn balance_lines_parse_and_print_back() {
    let cases = [
        ("", "roundrobin"),
        ("uri len 12", "uri len 12"),
        ("uri depth 3 whole", "uri whole depth 3"),
        (
            "url_param session_id check_post 64",
            "url_param session_id check_post 64",
        ),
        ("hdr(host) use_domain_only", "hdr(host) use_domain_only"),
        ("rdp-cookie(mstshash)", "rdp-cookie"),
        ("random(3)", "random(3)"),
        ("random()", "random"),
    ];
    for (input, printed) in cases {
        let balance: Balance = input.parse().unwrap();
        assert_eq!(balance.to_string(), printed, "balance {input}");
        assert_eq!(printed.parse::<Balance>().unwrap(), balance);
    }
    let config = BalancerConfig::from_balance("hdr(User-Agent)").unwrap();
    assert_eq!(
        config.balance,
        Balance::Hdr {
            name: "User-Agent".into(),
            use_domain_only: false
        }
    );
}

#[test]
fn balance_errors_say_what_is_wrong() {
    let err = Scheduler::from_config("balance roundrobn").unwrap_err();
    assert_eq!(
        err,
        Error::UnknownAlgorithm {
            family: Family::Haproxy,
            name: "roundrobn".into(),
            suggestion: Some("roundrobin"),
        }
    );
    let reason = |line: &str| match line.parse::<Balance>() {
        Err(Error::InvalidArgument { reason, .. }) => reason,
        other => panic!("{line}: {other:?}"),
    };
    assert!(reason("uri len").contains("'len' expects a positive integer"));
    assert!(reason("random(0)").contains("at least 1"));
    assert!(reason("hdr()").contains("header field name"));
    assert!(reason("url_param").contains("parameter name"));
}

#[test]
fn hash_type_lines() {
    let consistent: HashType = "consistent".parse().unwrap();
    assert_eq!(consistent.method, HashMethod::Consistent);
    assert_eq!(consistent.function, HashFunction::Sdbm);
    assert!(consistent.avalanche);
    let plain: HashType = "consistent crc32".parse().unwrap();
    assert!(!plain.avalanche);
    assert_eq!(plain.to_string(), "consistent crc32");
    assert!("consistent none".parse::<HashType>().is_err());
    assert!("map-based sdbm fast".parse::<HashType>().is_err());
}
