//! HAProxy 2.6 load-balancing core through the public API: roundrobin
//! (`lb_fwrr.c`), static-rr (`lb_map.c`), leastconn (`lb_fwlc.c`), first
//! (`lb_fas.c`), backup servers and runtime changes.
//!
//! Every expected sequence below was derived by walking the C functions by
//! hand (the walks are written out in the unit tests of `fwrr.rs` /
//! `map.rs` or next to the assertion), and the roundrobin and static-rr ones
//! were also observed on HAProxy 2.6.12 (`listen` with `http-request return`
//! servers on loopback, runtime changes through the stats socket).

// Helpers unwrap like the tests they serve: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use lbkit_sched::haproxy::{Balance, Balancer, BalancerConfig};
use lbkit_sched::{Error, PickError, RequestKey, ServerConfig, ServerId, ServerState};
use proptest::prelude::*;
use std::time::Duration;

/// A balancer with servers `1..` of these weights.
fn backend(balance: Balance, weights: &[u32]) -> Balancer {
    let mut b = Balancer::new(BalancerConfig::new(balance)).unwrap();
    for (i, &w) in weights.iter().enumerate() {
        b.add(ServerId(i as u32 + 1), ServerConfig::new(w)).unwrap();
    }
    b
}

/// `n` picks as a string of server ids (`E` when none).
fn picks(b: &mut Balancer, n: usize) -> String {
    (0..n)
        .map(|_| match b.pick(&RequestKey::new()) {
            Ok(id) => id.0.to_string(),
            Err(_) => "E".to_string(),
        })
        .collect()
}

#[test]
fn roundrobin_weights_1_2_3() {
    // fwrr_get_next_server(): heaviest from init first, then by npos
    // (walk in fwrr.rs); HAProxy 2.6.12 answers the same.
    let mut b = backend(Balance::RoundRobin, &[1, 2, 3]);
    assert_eq!(picks(&mut b, 24), "323132323132323132323132");
}

#[test]
fn roundrobin_weight_change_mid_cycle() {
    // After 3,2,3,1 (curr_pos 100; s3 lpos 98 npos 100, s2 npos 100, s1
    // npos 105), `set weight s3 1`: fwrr_update_server_weight() makes
    // next_weight 64, step 64/16 = 4, npos = min(98 + 4, 100) = 100, below
    // curr_pos + 2 so npos = 100 + 4 = 104. Then s2 (100 -> 102), s2 again
    // although 102 > 101 (fwrr_get_server_from_group() returns curr's first
    // when init is empty), s2 (104 -> 106), s3 (104 -> 108), s1 (105),
    // s2 (106), s2 (108, ahead of s3's equal npos by its lighter key), s3.
    let mut b = backend(Balance::RoundRobin, &[1, 2, 3]);
    assert_eq!(picks(&mut b, 4), "3231");
    b.set_weight(ServerId(3), 1).unwrap();
    assert_eq!(b.effective_weight(ServerId(3)), Some(16));
    assert_eq!(picks(&mut b, 8), "22231223");
}

#[test]
fn roundrobin_is_not_exact_per_cycle() {
    // Observed on HAProxy 2.6.12 with weights 3, 2, 2, 3: the first cycle
    // of 160 picks serves 49, 32, 31, 48.
    let mut b = backend(Balance::RoundRobin, &[3, 2, 2, 3]);
    let seq = picks(&mut b, 160);
    assert!(seq.starts_with("1421431241342143124134214312413421431241"));
    let n: Vec<usize> = ['1', '2', '3', '4']
        .iter()
        .map(|&c| seq.chars().filter(|&x| x == c).count())
        .collect();
    assert_eq!(n, vec![49, 32, 31, 48]);
}

#[test]
fn roundrobin_server_down_and_up() {
    // After 3,2,3 s2 goes down (next_weight 64). s1 leaves init at
    // curr_pos 99 (npos 103); s3 steps 64/48 = 1 with rweight 16, 32, then
    // 48 -> an extra step: 101, 102, 104. s2 comes back:
    // fwrr_set_server_status_up() gives npos 103 + (96 + 96 - 103) / 32
    // = 105. Then s1 (103), s3 (104), s2 (105), s3 (106), s3 (108, first
    // of curr), s2 (108), s1 (109).
    let mut b = backend(Balance::RoundRobin, &[1, 2, 3]);
    assert_eq!(picks(&mut b, 3), "323");
    b.set_state(ServerId(2), ServerState::Down).unwrap();
    assert_eq!(picks(&mut b, 4), "1333");
    b.set_state(ServerId(2), ServerState::Up).unwrap();
    assert_eq!(picks(&mut b, 7), "1323321");
}

/// Two active servers (1, 2) and two backups (3 of weight 1, 4 of weight 2).
fn with_backups(balance: Balance, allbackups: bool) -> Balancer {
    let config = BalancerConfig::new(balance).allbackups(allbackups);
    let mut b = Balancer::new(config).unwrap();
    b.add(ServerId(1), ServerConfig::new(1)).unwrap();
    b.add(ServerId(2), ServerConfig::new(2)).unwrap();
    b.add(ServerId(3), ServerConfig::new(1).backup()).unwrap();
    b.add(ServerId(4), ServerConfig::new(2).backup()).unwrap();
    b
}

#[test]
fn backups_serve_only_when_no_active_server_is_usable() {
    let mut b = with_backups(Balance::RoundRobin, false);
    assert!(!picks(&mut b, 30).contains(['3', '4']));
    // a weight of 0 makes a server unusable as well as a down state
    b.set_weight(ServerId(1), 0).unwrap();
    b.set_state(ServerId(2), ServerState::Down).unwrap();
    // without allbackups only lbprm.fbck, the first usable backup in list
    // order, is used (fwrr_get_next_server() returns it directly)
    assert_eq!(picks(&mut b, 3), "333");
    // fwrr_set_server_status_down(): losing fbck moves it to the next
    // usable backup
    b.set_state(ServerId(3), ServerState::Down).unwrap();
    assert_eq!(picks(&mut b, 3), "444");
    b.set_state(ServerId(3), ServerState::Up).unwrap();
    assert_eq!(picks(&mut b, 2), "33");
    b.set_state(ServerId(2), ServerState::Up).unwrap();
    assert_eq!(picks(&mut b, 3), "222");
}

#[test]
fn the_first_backup_is_the_first_declared_not_the_lowest_id() {
    // recount_servers() walks the server list: declaration order. HAProxy
    // 2.6.12 with backups `id 9` then `id 3` uses id 9.
    let mut b = Balancer::new(BalancerConfig::new(Balance::RoundRobin)).unwrap();
    b.add(ServerId(1), ServerConfig::new(1)).unwrap();
    b.add(ServerId(9), ServerConfig::new(1).backup()).unwrap();
    b.add(ServerId(3), ServerConfig::new(1).backup()).unwrap();
    b.set_state(ServerId(1), ServerState::Down).unwrap();
    assert_eq!(picks(&mut b, 3), "999");
}

#[test]
fn allbackups_balances_the_backups_by_weight() {
    // The backup group was initialised with tot_wbck 48: b4 (npos 48 ->
    // 49, rweight 16), b4 again (49 -> 51 with the carried remainder), b3
    // from init (50 -> 53), b4 (51 -> 52), b4 (52 -> 54), b3 (53 -> 56) ...
    let mut b = with_backups(Balance::RoundRobin, true);
    b.set_state(ServerId(1), ServerState::Down).unwrap();
    b.set_state(ServerId(2), ServerState::Down).unwrap();
    assert_eq!(picks(&mut b, 9), "443443443");
}

#[test]
fn backups_with_the_other_algorithms() {
    for balance in [Balance::StaticRr, Balance::LeastConn, Balance::First] {
        let mut b = with_backups(balance.clone(), false);
        b.set_state(ServerId(1), ServerState::Down).unwrap();
        b.set_state(ServerId(2), ServerState::Drain).unwrap();
        assert_eq!(picks(&mut b, 4), "3333", "{balance:?}");
        let mut all = with_backups(balance.clone(), true);
        all.set_state(ServerId(1), ServerState::Down).unwrap();
        all.set_state(ServerId(2), ServerState::Down).unwrap();
        let seq = picks(&mut all, 6);
        assert!(
            seq.chars().all(|c| c == '3' || c == '4'),
            "{balance:?}: {seq}"
        );
    }
}

#[test]
fn static_rr_map_order_for_weights_1_2_3() {
    // recalc_server_map(): [s1, s3, s2, s3, s2, s3] (walk in map.rs);
    // map_get_server_rr() walks it. HAProxy 2.6.12 answers the same.
    let mut b = backend(Balance::StaticRr, &[1, 2, 3]);
    assert_eq!(picks(&mut b, 12), "132323132323");
}

#[test]
fn static_rr_divides_weights_by_their_gcd() {
    // init_server_map(): wmult = gcd(2, 4, 6) = 2, eweights 1, 2, 3, so
    // the map and the sequence are those of weights 1, 2, 3.
    let mut b = backend(Balance::StaticRr, &[2, 4, 6]);
    assert_eq!(b.effective_weight(ServerId(3)), Some(3));
    assert_eq!(picks(&mut b, 6), "132323");
}

#[test]
fn static_rr_accepts_only_zero_or_the_configured_weight() {
    // server_parse_weight_change_request(): static algorithms refuse any
    // other weight.
    let mut b = backend(Balance::StaticRr, &[1, 2, 3]);
    assert!(matches!(
        b.set_weight(ServerId(2), 5),
        Err(Error::InvalidArgument { .. })
    ));
    b.set_weight(ServerId(3), 0).unwrap();
    // map of weights 1, 2: o0 s1 (1 -> 1, s2 2 -> 1), o1 s2, o2 s2 -> [1, 2, 2]
    assert_eq!(picks(&mut b, 6), "122122");
    b.set_weight(ServerId(3), 3).unwrap();
    // the map is recomputed as [1, 3, 2, 3, 2, 3]; rr_idx (3) is kept, so
    // the walk resumes at slot 3
    assert_eq!(picks(&mut b, 6), "323132");
}

#[test]
fn leastconn_held_connections_and_ties() {
    // fwlc: idle servers have key 0 and are walked in insertion order;
    // a server taking a connection is requeued behind its equals.
    let mut b = backend(Balance::LeastConn, &[1, 1, 2]);
    let mut seq = String::new();
    for _ in 0..7 {
        let id = b.pick(&RequestKey::new()).unwrap();
        b.connection_opened(id).unwrap();
        seq += &id.0.to_string();
    }
    // keys: s1, s2 idle -> 0; with one connection s1 = s2 = 2*4096/16 =
    // 512, s3 = 2*4096/32 = 256; s3 with two = 3*4096/32 = 384, three =
    // 512 (behind s1 and s2, which were queued earlier at 512).
    // picks: 1, 2, 3 (all idle in list order), then s3 (256), s3 (384),
    // then the three at 512: s1, s2 (s3 was requeued last).
    assert_eq!(seq, "1233312");
    assert_eq!(b.served(ServerId(3)), Some(3));
    // s2 drops from 2 connections (768) to 1 (512) and is requeued behind
    // s3, already at 512: s3, s2, s1
    b.connection_closed(ServerId(2)).unwrap();
    // then s3 (4 connections: 640), s2 (512 -> 768, behind s1), s3
    let mut seq = String::new();
    for _ in 0..3 {
        let id = b.pick(&RequestKey::new()).unwrap();
        b.connection_opened(id).unwrap();
        seq += &id.0.to_string();
    }
    // the same as HAProxy 2.6.12 in TCP mode with held connections
    assert_eq!(seq, "323");
}

#[test]
fn leastconn_skips_full_servers() {
    let mut b = Balancer::new(BalancerConfig::new(Balance::LeastConn)).unwrap();
    b.add(ServerId(1), ServerConfig::new(1).maxconn(1)).unwrap();
    b.add(ServerId(2), ServerConfig::new(1).maxconn(1)).unwrap();
    b.connection_opened(ServerId(1)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Ok(ServerId(2)));
    b.connection_opened(ServerId(2)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Err(PickError::Unavailable));
}

#[test]
fn a_full_first_backup_is_not_given_a_connection() {
    // fwrr_get_next_server() returns lbprm.fbck whether full or not;
    // assign_server_and_queue() then queues the request on it. Seen on
    // HAProxy 2.6.12 (TCP mode, held connections, tiny queue timeout).
    let mut b = Balancer::new(BalancerConfig::new(Balance::RoundRobin)).unwrap();
    b.add(ServerId(1), ServerConfig::new(1)).unwrap();
    b.add(ServerId(2), ServerConfig::new(1).backup().maxconn(1))
        .unwrap();
    b.add(ServerId(3), ServerConfig::new(1).backup()).unwrap();
    b.set_state(ServerId(1), ServerState::Down).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Ok(ServerId(2)));
    b.connection_opened(ServerId(2)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Err(PickError::Unavailable));
}

#[test]
fn first_fills_servers_by_id_up_to_maxconn() {
    // fas_get_next_server(): lowest id first, whatever the declaration order.
    let mut b = Balancer::new(BalancerConfig::new(Balance::First)).unwrap();
    for id in [9, 4, 6] {
        b.add(ServerId(id), ServerConfig::new(1).maxconn(2))
            .unwrap();
    }
    let mut seq = Vec::new();
    for _ in 0..6 {
        let id = b.pick(&RequestKey::new()).unwrap();
        b.connection_opened(id).unwrap();
        seq.push(id.0);
    }
    assert_eq!(seq, vec![4, 4, 6, 6, 9, 9]);
    assert_eq!(b.pick(&RequestKey::new()), Err(PickError::Unavailable));
    b.connection_closed(ServerId(6)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Ok(ServerId(6)));
    b.set_state(ServerId(4), ServerState::Drain).unwrap();
    b.connection_closed(ServerId(4)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Ok(ServerId(6)));
}

#[test]
fn slow_start_ramps_weight_and_maxconn() {
    // server_recalc_eweight(): w = (16 * 3 + 10) / 10 = 5, eweight =
    // 2 * 5 = 10; srv_dynamic_maxconn(): 10 * 30 / 100 = 3.
    let mut b = Balancer::new(BalancerConfig::new(Balance::LeastConn)).unwrap();
    b.add(ServerId(1), ServerConfig::new(2).maxconn(10))
        .unwrap();
    b.set_slowstart(ServerId(1), Duration::from_secs(3), Duration::from_secs(10))
        .unwrap();
    assert_eq!(b.effective_weight(ServerId(1)), Some(10));
    for _ in 0..3 {
        b.connection_opened(ServerId(1)).unwrap();
    }
    assert_eq!(b.pick(&RequestKey::new()), Err(PickError::Unavailable));
    b.set_slowstart(
        ServerId(1),
        Duration::from_secs(10),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(b.effective_weight(ServerId(1)), Some(32));
    assert_eq!(b.pick(&RequestKey::new()), Ok(ServerId(1)));
    // static algorithms keep full weight during a slow start
    let mut s = backend(Balance::StaticRr, &[2]);
    s.set_slowstart(
        ServerId(1),
        Duration::from_secs(1),
        Duration::from_millis(9500),
    )
    .unwrap();
    assert_eq!(s.effective_weight(ServerId(1)), Some(1));
}

#[test]
fn errors() {
    let mut b = backend(Balance::RoundRobin, &[1]);
    assert_eq!(
        b.add(ServerId(2), ServerConfig::new(257)),
        Err(Error::WeightOutOfRange {
            id: ServerId(2),
            weight: 257,
            max: 256
        })
    );
    assert_eq!(
        b.add(ServerId(1), ServerConfig::new(1)),
        Err(Error::DuplicateServer(ServerId(1)))
    );
    assert_eq!(
        b.set_weight(ServerId(7), 1),
        Err(Error::UnknownServer(ServerId(7)))
    );
    assert!(b.set_weight(ServerId(1), 257).is_err());
    b.set_weight(ServerId(1), 0).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Err(PickError::Unavailable));
    b.remove(ServerId(1)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Err(PickError::Empty));
    // a removed id may come back
    b.add(ServerId(1), ServerConfig::new(1)).unwrap();
    assert_eq!(b.pick(&RequestKey::new()), Ok(ServerId(1)));
}

#[test]
fn roundrobin_holds_4095_servers_per_group() {
    let mut b = Balancer::new(BalancerConfig::new(Balance::RoundRobin)).unwrap();
    for id in 1..=4095 {
        b.add(ServerId(id), ServerConfig::new(1)).unwrap();
    }
    assert!(matches!(
        b.add(ServerId(5000), ServerConfig::new(1)),
        Err(Error::TooManyServers { limit: 4095, .. })
    ));
    b.add(ServerId(5001), ServerConfig::new(1).backup())
        .unwrap();
    let mut s = Balancer::new(BalancerConfig::new(Balance::StaticRr)).unwrap();
    for id in 1..=4096 {
        s.add(ServerId(id), ServerConfig::new(1)).unwrap();
    }
}

#[test]
fn servers_added_at_runtime_join_the_rotation() {
    // `add server` + `enable server` after 3, 2, 3 (curr_pos 99):
    // fwrr_set_server_status_up() gives s4 npos 99 + (112 + 96 - 99) / 16
    // = 105 and next_weight 112. Then s1 from init (99 -> 106), s3 (100 ->
    // 102, rweight 16), s2 (100 -> 103), s3 (102 -> 104), s2 (103 -> 107
    // with the carried remainder), s3 (104 -> 107), s4 (105), s1 (106).
    // HAProxy 2.6.12 gives the same 30 picks.
    let mut b = backend(Balance::RoundRobin, &[1, 2, 3]);
    assert_eq!(picks(&mut b, 3), "323");
    b.add(ServerId(4), ServerConfig::new(1)).unwrap();
    assert_eq!(picks(&mut b, 27), "132323413232341323234132323");
}

/// The share each server gets over `n` picks.
fn counts(b: &mut Balancer, n: usize, servers: usize) -> Vec<usize> {
    let mut c = vec![0; servers];
    for _ in 0..n {
        if let Ok(id) = b.pick(&RequestKey::new()) {
            c[id.0 as usize - 1] += 1;
        }
    }
    c
}

/// A runtime operation for the never-panics property.
#[derive(Clone, Debug)]
enum Op {
    Add(u32, u32, bool, u32),
    Remove(u32),
    Weight(u32, u32),
    State(u32, u8),
    Open(u32),
    Close(u32),
    Slow(u32, u64, u64),
    Pick,
}

/// Any operation on ids 1..=6.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..7, 0u32..300, any::<bool>(), 0u32..3).prop_map(|(i, w, b, m)| Op::Add(i, w, b, m)),
        (1u32..7).prop_map(Op::Remove),
        (1u32..7, 0u32..300).prop_map(|(i, w)| Op::Weight(i, w)),
        (1u32..7, 0u8..3).prop_map(|(i, s)| Op::State(i, s)),
        (1u32..7).prop_map(Op::Open),
        (1u32..7).prop_map(Op::Close),
        (1u32..7, 0u64..12_000, 0u64..12_000).prop_map(|(i, e, s)| Op::Slow(i, e, s)),
        Just(Op::Pick),
        Just(Op::Pick),
    ]
}

/// Every algorithm this crate side implements.
fn balances() -> Vec<Balance> {
    vec![
        Balance::RoundRobin,
        Balance::StaticRr,
        Balance::LeastConn,
        Balance::First,
        Balance::Source,
        Balance::Random { draws: 2 },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn roundrobin_drifts_at_most_one_pick_per_cycle_from_the_share(weights in proptest::collection::vec(1u32..12, 1..6), cycles in 1usize..4) {
        // A cycle is tot_wact = 16 * sum(weights) picks. fwrr is not exact
        // per cycle: with weights 3, 2, 2, 3 HAProxy 2.6.12 itself serves
        // 49, 32, 31, 48 in the first 160 picks (this crate gives the same
        // sequence), and with 3, 2, 2, 4 server 3 drifts to 94 instead of 96
        // after three cycles (HAProxy too). The drift stays within one pick
        // per cycle.
        let mut b = backend(Balance::RoundRobin, &weights);
        let total: u32 = weights.iter().sum();
        let c = counts(&mut b, cycles * 16 * total as usize, weights.len());
        for (i, &w) in weights.iter().enumerate() {
            let share = cycles * 16 * w as usize;
            prop_assert!(c[i].abs_diff(share) <= cycles, "server {}: {} picks for a share of {}", i + 1, c[i], share);
        }
    }

    #[test]
    fn static_rr_gives_each_server_its_weight_per_cycle(weights in proptest::collection::vec(1u32..12, 1..6), cycles in 1usize..3) {
        let mut b = backend(Balance::StaticRr, &weights);
        let total: u32 = weights.iter().sum();
        let c = counts(&mut b, cycles * total as usize, weights.len());
        for (i, &w) in weights.iter().enumerate() {
            prop_assert_eq!(c[i], cycles * w as usize);
        }
    }

    #[test]
    fn unusable_servers_are_never_picked(
        weights in proptest::collection::vec(0u32..6, 2..6),
        states in proptest::collection::vec(0u8..3, 2..6),
        which in 0usize..4,
        picks_before in 0usize..10,
    ) {
        let balance = [Balance::RoundRobin, Balance::StaticRr, Balance::LeastConn, Balance::First][which].clone();
        let mut b = backend(balance, &weights);
        let n = weights.len();
        counts(&mut b, picks_before, n);
        for (i, &s) in states.iter().take(n).enumerate() {
            let state = [ServerState::Up, ServerState::Down, ServerState::Drain][s as usize];
            b.set_state(ServerId(i as u32 + 1), state).unwrap();
        }
        for _ in 0..30 {
            if let Ok(id) = b.pick(&RequestKey::new()) {
                let i = id.0 as usize - 1;
                prop_assert!(weights[i] > 0);
                prop_assert!(states.get(i).map_or(true, |&s| s == 0));
                b.connection_opened(id).unwrap();
            }
        }
    }

    #[test]
    fn random_operations_never_panic(which in 0usize..6, allbackups in any::<bool>(), ops in proptest::collection::vec(op(), 0..60)) {
        let config = BalancerConfig::new(balances()[which].clone()).allbackups(allbackups);
        let mut b = Balancer::new(config).unwrap();
        for op in ops {
            let _ = match op {
                Op::Add(i, w, backup, m) => {
                    let mut cfg = ServerConfig::new(w).maxconn(m);
                    cfg.backup = backup;
                    b.add(ServerId(i), cfg)
                }
                Op::Remove(i) => b.remove(ServerId(i)),
                Op::Weight(i, w) => b.set_weight(ServerId(i), w),
                Op::State(i, s) => b.set_state(ServerId(i), [ServerState::Up, ServerState::Down, ServerState::Drain][s as usize]),
                Op::Open(i) => b.connection_opened(ServerId(i)),
                Op::Close(i) => b.connection_closed(ServerId(i)),
                Op::Slow(i, e, s) => b.set_slowstart(ServerId(i), Duration::from_millis(e), Duration::from_millis(s)),
                Op::Pick => {
                    if let Ok(id) = b.pick(&RequestKey::new().src("192.0.2.1:1000".parse().unwrap())) {
                        prop_assert!(b.contains(id));
                        prop_assert_ne!(b.state(id), Some(ServerState::Down));
                    }
                    Ok(())
                }
            };
        }
    }
}

#[test]
#[ignore = "timing; run with --release --ignored"]
fn pick_cost_at_1000_servers() {
    for balance in [
        Balance::RoundRobin,
        Balance::StaticRr,
        Balance::LeastConn,
        Balance::First,
    ] {
        let mut b = Balancer::new(BalancerConfig::new(balance.clone())).unwrap();
        for id in 1..=1000 {
            b.add(ServerId(id), ServerConfig::new(1 + id % 7)).unwrap();
        }
        let key = RequestKey::new();
        let n = 1_000_000;
        let start = std::time::Instant::now();
        let mut sum = 0u64;
        for _ in 0..n {
            let id = b.pick(&key).unwrap();
            if matches!(balance, Balance::LeastConn | Balance::First) {
                b.connection_opened(id).unwrap();
                b.connection_closed(id).unwrap();
            }
            sum += u64::from(id.0);
        }
        let ns = start.elapsed().as_nanos() as f64 / n as f64;
        eprintln!(
            "{balance:?}: {ns:.1} ns/pick (with open/close for leastconn, first; checksum {sum})"
        );
    }
}

#[test]
fn roundrobin_passes_over_full_servers() {
    // s2 (maxconn 1) and s3 (maxconn 2) fill up in the first three picks
    // (3, 2, 3); from then on fwrr_get_next_server() extracts them when
    // their turn comes, chains them on next_full, and returns the next
    // server, s1, even ahead of its position (fwrr_get_server_from_group()
    // hands out curr's first when init is empty); the chain is requeued
    // with fwrr_queue_srv(). When s2 frees its slot it is taken at its next
    // turn. HAProxy 2.6.12 in TCP mode with held connections: 3231111121.
    let mut b = Balancer::new(BalancerConfig::new(Balance::RoundRobin)).unwrap();
    b.add(ServerId(1), ServerConfig::new(1)).unwrap();
    b.add(ServerId(2), ServerConfig::new(2).maxconn(1)).unwrap();
    b.add(ServerId(3), ServerConfig::new(3).maxconn(2)).unwrap();
    let mut seq = String::new();
    for i in 0..10 {
        if i == 8 {
            b.connection_closed(ServerId(2)).unwrap();
        }
        let id = b.pick(&RequestKey::new()).unwrap();
        b.connection_opened(id).unwrap();
        seq += &id.0.to_string();
    }
    assert_eq!(seq, "3231111121");
}
