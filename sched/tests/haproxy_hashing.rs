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

// End to end through `Balancer`, against picks observed on the real
// HAProxy 2.6.12 on loopback (servers answering with their id, requests sent
// with curl, runtime changes on the stats socket).

mod end_to_end {
    use lbkit_sched::haproxy::{Balancer, BalancerConfig, HashType};
    use lbkit_sched::{Error, PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// The request targets sent to HAProxy for the `uri` cases, one per line.
    const URIS: &str = include_str!("data/observed-uris.txt");

    /// A backend with `balance` and `hash-type` lines and `(id, weight)`
    /// servers in declaration order.
    fn backend(balance: &str, hash_type: &str, servers: &[(u32, u32)]) -> Result<Balancer, Error> {
        let mut config = BalancerConfig::from_balance(balance)?;
        if !hash_type.is_empty() {
            config = config.hash_type(hash_type.parse::<HashType>()?);
        }
        let mut b = Balancer::new(config)?;
        for &(id, weight) in servers {
            b.add(ServerId(id), ServerConfig::new(weight))?;
        }
        Ok(b)
    }

    /// The ids picked for these request targets.
    fn picks<S: AsRef<str>>(b: &mut Balancer, uris: &[S]) -> Result<Vec<u32>, PickError> {
        uris.iter()
            .map(|u| {
                b.pick(&RequestKey::new().uri(u.as_ref().as_bytes()))
                    .map(|id| id.0)
            })
            .collect()
    }

    #[test]
    fn uri_map_based() {
        let mut b = backend("uri", "map-based", &[(1, 1), (2, 2), (3, 1)]).unwrap();
        let want = [
            3, 3, 2, 3, 2, 2, 2, 3, 3, 1, 2, 3, 3, 2, 1, 3, 2, 2, 2, 1, 2, 2, 3, 3, 3, 2, 3, 3, 2,
            3, 1, 1, 3, 3, 1, 3, 1, 2, 3, 3,
        ];
        assert_eq!(
            picks(&mut b, &URIS.lines().collect::<Vec<_>>()).unwrap(),
            want
        );
        let mut b = backend("uri", "map-based djb2 avalanche", &[(4, 2), (7, 3), (8, 1)]).unwrap();
        let want = [
            4, 8, 4, 8, 4, 4, 4, 7, 7, 7, 8, 8, 8, 4, 7, 7, 7, 4, 4, 4, 8, 7, 8, 4, 4, 7, 8, 8, 8,
            8, 7, 4, 7, 4, 4, 8, 7, 4, 8, 8,
        ];
        assert_eq!(
            picks(&mut b, &URIS.lines().collect::<Vec<_>>()).unwrap(),
            want
        );
    }

    #[test]
    fn uri_consistent() {
        let mut b = backend("uri", "consistent", &[(5, 1), (9, 2), (12, 1)]).unwrap();
        let want = [
            5, 5, 9, 5, 12, 5, 9, 9, 9, 9, 12, 5, 5, 9, 12, 9, 12, 12, 12, 5, 12, 9, 5, 9, 9, 12,
            5, 5, 9, 5, 12, 9, 12, 5, 5, 5, 12, 9, 5, 5,
        ];
        assert_eq!(
            picks(&mut b, &URIS.lines().collect::<Vec<_>>()).unwrap(),
            want
        );
    }

    #[test]
    fn hdr_first_value_map_based() {
        // curl -H 'X-Key: kN, other'
        let mut b = backend("hdr(x-key)", "", &[(1, 1), (2, 1), (3, 1)]).unwrap();
        let got: Vec<u32> = (1..=20)
            .map(|n| {
                let value = format!("k{n}, other");
                let key = RequestKey::new().uri(b"/").header(value.as_bytes());
                b.pick(&key).unwrap().0
            })
            .collect();
        assert_eq!(
            got,
            [1, 2, 3, 1, 2, 3, 1, 2, 3, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]
        );
    }

    #[test]
    fn consistent_fallback_and_runtime_changes() {
        let mut b = backend("url_param id", "consistent", &[(1, 1), (2, 2), (3, 1)]).unwrap();
        let none = ["/none"; 12];
        let ks: Vec<String> = (1..=30).map(|n| format!("/p?id=k{n}")).collect();
        assert_eq!(
            picks(&mut b, &none).unwrap(),
            [3, 3, 2, 1, 3, 1, 1, 2, 3, 1, 1, 1]
        );
        // disable server be/s2
        b.set_state(ServerId(2), ServerState::Down).unwrap();
        assert_eq!(
            picks(&mut b, &ks[..12]).unwrap(),
            [3, 3, 3, 1, 3, 1, 3, 1, 3, 3, 1, 1]
        );
        assert_eq!(picks(&mut b, &none[..6]).unwrap(), [3, 1, 3, 3, 3, 1]);
        // enable server be/s2; set weight be/s1 3
        b.set_state(ServerId(2), ServerState::Up).unwrap();
        b.set_weight(ServerId(1), 3).unwrap();
        let want = [
            2, 1, 3, 1, 2, 1, 2, 1, 1, 3, 1, 1, 2, 1, 2, 1, 2, 1, 3, 1, 1, 1, 1, 1, 3, 1, 1, 2, 1,
            3,
        ];
        assert_eq!(picks(&mut b, &ks).unwrap(), want);
        assert_eq!(picks(&mut b, &none[..6]).unwrap(), [1, 2, 3, 1, 3, 1]);
        // set weight be/s3 0
        b.set_weight(ServerId(3), 0).unwrap();
        let want = [
            2, 1, 1, 1, 2, 1, 2, 1, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1,
            1,
        ];
        assert_eq!(picks(&mut b, &ks).unwrap(), want);
    }
}
