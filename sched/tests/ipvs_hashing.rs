//! Properties of the hashing and locality IPVS schedulers (`dh`, `sh`, `mh`,
//! `lblc`, `lblcr`) through the public [`Scheduler`] API.

// Set-up helpers outside `#[test]` functions: a failed set-up aborts the test.
#![allow(clippy::unwrap_used)]

use lbkit_sched::ipvs::{Algorithm, SchedFlags, Scheduler};
use lbkit_sched::{PickError, Protocol, RequestKey, ServerConfig, ServerId, ServerState};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

const HASHING: [Algorithm; 5] = [
    Algorithm::DestinationHashing,
    Algorithm::SourceHashing,
    Algorithm::MaglevHashing,
    Algorithm::LocalityBasedLeastConnection,
    Algorithm::LocalityBasedLeastConnectionReplication,
];

/// The address of server `id` (mh needs one).
fn server_addr(id: u32) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a64_0000 + id)), 8080)
}

/// A scheduler with servers 1..=n of these weights.
fn build(algo: Algorithm, flags: SchedFlags, weights: &[u32]) -> Scheduler {
    let mut s = Scheduler::new(algo).with_flags(flags);
    for (i, &w) in weights.iter().enumerate() {
        let id = i as u32 + 1;
        let cfg = ServerConfig::new(w)
            .addr(server_addr(id))
            .thresholds(100, 0);
        s.add(ServerId(id), cfg).unwrap();
    }
    s
}

/// A key from two numbers: v4 or v6 source and destination, TCP.
fn key(v6: bool, src: u32, dst: u32, port: u16) -> RequestKey<'static> {
    let ip = |x: u32| -> IpAddr {
        if v6 {
            IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                0,
                0,
                0,
                0,
                (x >> 16) as u16,
                x as u16,
            ))
        } else {
            IpAddr::V4(Ipv4Addr::from(x))
        }
    };
    RequestKey::new()
        .src(SocketAddr::new(ip(src), port))
        .dst(SocketAddr::new(ip(dst), 80))
}

fn algo() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(HASHING.to_vec())
}

fn flags() -> impl Strategy<Value = SchedFlags> {
    (any::<bool>(), any::<bool>()).prop_map(|(f, p)| SchedFlags::new().fallback(f).port(p))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// While nothing changes, a key keeps its server.
    #[test]
    fn same_key_same_server(
        algo in algo(),
        flags in flags(),
        weights in prop::collection::vec(1u32..6, 1..8),
        keys in prop::collection::vec((any::<bool>(), any::<u32>(), any::<u32>(), any::<u16>()), 1..20),
    ) {
        let mut s = build(algo, flags, &weights);
        for &(v6, src, dst, port) in &keys {
            let k = key(v6, src, dst, port);
            let first = s.pick(&k);
            prop_assert!(first.is_ok());
            prop_assert_eq!(s.pick(&k), first);
            prop_assert_eq!(s.pick(&k), first);
        }
    }

    /// A server with weight 0, or flagged overloaded, is never picked; with
    /// `sh-fallback` / `mh-fallback` (and for lblc, lblcr) a pick still
    /// succeeds while some server is usable. Without fallback, sh, mh and dh
    /// answer "no destination" instead of moving the key.
    #[test]
    fn unusable_servers_are_never_picked(
        algo in algo(),
        port in any::<bool>(),
        servers in prop::collection::vec((1u32..6, 0u8..3), 2..8),
        keys in prop::collection::vec((any::<bool>(), any::<u32>(), any::<u32>(), any::<u16>()), 1..20),
    ) {
        let weights: Vec<u32> = servers.iter().map(|s| s.0).collect();
        let mut with_fb = build(algo, SchedFlags::new().fallback(true).port(port), &weights);
        let mut without = build(algo, SchedFlags::new().port(port), &weights);
        let mut bad = Vec::new();
        for (i, &(_, state)) in servers.iter().enumerate() {
            let id = ServerId(i as u32 + 1);
            for s in [&mut with_fb, &mut without] {
                match state {
                    // Drained: weight 0.
                    1 => s.set_state(id, ServerState::Drain).unwrap(),
                    // Upper threshold 100 reached: IP_VS_DEST_F_OVERLOAD.
                    2 => s.set_connections(id, 0, 100).unwrap(),
                    _ => {}
                }
            }
            if state != 0 {
                bad.push(id);
            }
        }
        let any_good = bad.len() < servers.len();
        for &(v6, src, dst, p) in &keys {
            let k = key(v6, src, dst, p);
            let fb = with_fb.pick(&k);
            let plain = without.pick(&k);
            for r in [fb, plain] {
                if let Ok(id) = r {
                    prop_assert!(!bad.contains(&id), "{:?} picked {}", algo, id);
                } else {
                    prop_assert_eq!(r, Err(PickError::Unavailable));
                }
            }
            let always_finds = matches!(
                algo,
                Algorithm::SourceHashing
                    | Algorithm::MaglevHashing
                    | Algorithm::LocalityBasedLeastConnection
                    | Algorithm::LocalityBasedLeastConnectionReplication
            );
            if any_good && always_finds {
                prop_assert!(fb.is_ok(), "{:?} found nothing with fallback", algo);
            }
            // Fallback only changes the answer when the hashed server is unusable.
            if let (Ok(id), Algorithm::SourceHashing | Algorithm::MaglevHashing) = (plain, algo) {
                prop_assert_eq!(fb, Ok(id));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Maglev: when one of 10 servers leaves, its keys all move and few of
    /// the others do.
    #[test]
    fn mh_removal_moves_few_keys(
        gone in 1u32..=10,
        port in any::<bool>(),
        seed in any::<u32>(),
    ) {
        let mut s = build(Algorithm::MaglevHashing, SchedFlags::new().port(port), &[1; 10]);
        let keys: Vec<RequestKey<'static>> = (0..2000u32)
            .map(|i| {
                let x = i.wrapping_mul(0x9E37_79B9) ^ seed;
                key(i % 3 == 0, x, 1, (x >> 7) as u16)
            })
            .collect();
        let before: Vec<ServerId> = keys.iter().map(|k| s.pick(k).unwrap()).collect();
        s.remove(ServerId(gone)).unwrap();
        let mut stayed_total = 0;
        let mut moved = 0;
        for (k, &was) in keys.iter().zip(&before) {
            let now = s.pick(k).unwrap();
            if was == ServerId(gone) {
                prop_assert_ne!(now, was);
            } else {
                stayed_total += 1;
                if now != was {
                    moved += 1;
                }
            }
        }
        prop_assert!(stayed_total > 1500);
        prop_assert!(
            (moved as f64) < 0.2 * stayed_total as f64,
            "{} of {} keys moved",
            moved,
            stayed_total
        );
    }
}

/// One step of a random life of a service.
#[derive(Clone, Debug)]
enum Op {
    Add(u32, u32),
    Remove(u32),
    Weight(u32, u32),
    State(u32, u8),
    Conns(u32, u32, u32),
    Pick(bool, u32, u32, u16, u8, Option<u64>),
}

fn op() -> impl Strategy<Value = Op> {
    let id = 1u32..8;
    prop_oneof![
        (id.clone(), 0u32..70000).prop_map(|(i, w)| Op::Add(i, w)),
        id.clone().prop_map(Op::Remove),
        (id.clone(), 0u32..70000).prop_map(|(i, w)| Op::Weight(i, w)),
        (id.clone(), 0u8..3).prop_map(|(i, s)| Op::State(i, s)),
        (id, any::<u32>(), any::<u32>()).prop_map(|(i, a, n)| Op::Conns(i, a, n)),
        (
            any::<bool>(),
            any::<u32>(),
            0u32..64,
            any::<u16>(),
            0u8..4,
            prop::option::of(0u64..400_000),
        )
            .prop_map(|(v6, s, d, p, proto, t)| Op::Pick(v6, s, d, p, proto, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of changes and picks: no panic, and a pick names a
    /// server of the service.
    #[test]
    fn random_operations_never_panic(
        algo in algo(),
        flags in flags(),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut s = Scheduler::new(algo).with_flags(flags);
        let t0 = Instant::now();
        for op in ops {
            match op {
                Op::Add(id, w) => {
                    let cfg = ServerConfig::new(w).addr(server_addr(id)).thresholds(50, 10);
                    let _ = s.add(ServerId(id), cfg);
                }
                Op::Remove(id) => {
                    let _ = s.remove(ServerId(id));
                }
                Op::Weight(id, w) => {
                    let _ = s.set_weight(ServerId(id), w);
                }
                Op::State(id, st) => {
                    let state = [ServerState::Up, ServerState::Down, ServerState::Drain][st as usize];
                    let _ = s.set_state(ServerId(id), state);
                }
                Op::Conns(id, a, n) => {
                    let _ = s.set_connections(ServerId(id), a, n);
                }
                Op::Pick(v6, src, dst, port, proto, t) => {
                    let protocol = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp, Protocol::Other(1)]
                        [proto as usize];
                    let mut k = key(v6, src, dst, port).protocol(protocol);
                    if let Some(secs) = t {
                        k = k.now(t0 + Duration::from_secs(secs));
                    }
                    match s.pick(&k) {
                        Ok(id) => prop_assert!(s.servers().any(|x| x == id)),
                        Err(e) => prop_assert!(
                            e == PickError::Unavailable || (e == PickError::Empty && s.is_empty())
                        ),
                    }
                }
            }
        }
    }
}

/// `sh` without `sh-fallback`: a key whose bucket holds a drained server
/// gets no destination, even though other servers are up.
#[test]
fn sh_without_fallback_refuses_instead_of_moving() {
    // Servers 1, 2, 3 (list [3, 2, 1]); 10.0.0.1 hashes to bucket 39
    // (hash_32 of Linux 6.1), and 39 % 3 = 0: server 3.
    let mut s = Scheduler::new(Algorithm::SourceHashing);
    for id in 1..=3 {
        s.add(ServerId(id), ServerConfig::new(1)).unwrap();
    }
    let k = RequestKey::new().src("10.0.0.1:40000".parse().unwrap());
    assert_eq!(s.pick(&k), Ok(ServerId(3)));
    s.set_state(ServerId(3), ServerState::Drain).unwrap();
    assert_eq!(s.pick(&k), Err(PickError::Unavailable));
    let mut fb =
        Scheduler::new(Algorithm::SourceHashing).with_flags(SchedFlags::new().fallback(true));
    for id in 1..=3 {
        fb.add(ServerId(id), ServerConfig::new(1)).unwrap();
    }
    fb.set_state(ServerId(3), ServerState::Drain).unwrap();
    // ip_vs_sh_get_fallback(): the probes are buckets (2 * 39 + offset) & 255:
    // 78 (78 % 3 = 0: server 3 again, drained), then 79 (server 2).
    assert_eq!(fb.pick(&k), Ok(ServerId(2)));
}
