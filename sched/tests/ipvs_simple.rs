//! Properties of the IPVS schedulers without per-request state (`rr wrr lc
//! wlc sed nq fo ovf twos`), through the public API.

use lbkit_sched::ipvs::{Algorithm, Scheduler};
use lbkit_sched::{PickError, RequestKey, ServerConfig, ServerId, ServerState, SplitMix64};
use proptest::prelude::*;
use std::collections::HashMap;

/// The schedulers under test.
const SIMPLE: [Algorithm; 9] = [
    Algorithm::RoundRobin,
    Algorithm::WeightedRoundRobin,
    Algorithm::LeastConnection,
    Algorithm::WeightedLeastConnection,
    Algorithm::ShortestExpectedDelay,
    Algorithm::NeverQueue,
    Algorithm::WeightedFailover,
    Algorithm::WeightedOverflow,
    Algorithm::TwosChoice,
];

/// A test failure from an error.
fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// A scheduler of `algorithm` with servers 1..=n of these weights.
fn with_weights(algorithm: Algorithm, weights: &[u32]) -> Result<Scheduler, TestCaseError> {
    let mut s = Scheduler::new(algorithm).with_random(SplitMix64::new(7));
    for (i, &w) in weights.iter().enumerate() {
        s.add(ServerId(i as u32 + 1), ServerConfig::new(w))
            .map_err(fail)?;
    }
    Ok(s)
}

/// Counts, per server id, the picks in `n` picks.
fn count_picks(s: &mut Scheduler, n: usize) -> Result<HashMap<u32, usize>, TestCaseError> {
    let mut counts = HashMap::new();
    for _ in 0..n {
        let id = s.pick(&RequestKey::new()).map_err(fail)?;
        *counts.entry(id.0).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Greatest common divisor.
fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

proptest! {
    /// rr: any window of as many picks as there are usable servers picks
    /// each of them exactly once (weights other than 0 do not matter).
    #[test]
    fn rr_cycle_visits_each_usable_server_once(
        weights in prop::collection::vec(0u32..4, 1..8),
        skip in 0usize..10,
    ) {
        let usable = weights.iter().filter(|&&w| w > 0).count();
        prop_assume!(usable > 0);
        let mut s = with_weights(Algorithm::RoundRobin, &weights)?;
        count_picks(&mut s, skip)?;
        let counts = count_picks(&mut s, usable * 2)?;
        for (i, &w) in weights.iter().enumerate() {
            let want = if w > 0 { 2 } else { 0 };
            prop_assert_eq!(counts.get(&(i as u32 + 1)).copied().unwrap_or(0), want);
        }
    }

    /// wrr: after any number of picks and weight edits, any window of
    /// sum(w) / gcd(w) picks gives each server exactly w / gcd(w) picks.
    #[test]
    fn wrr_cycle_is_in_exact_proportion_to_the_weights(
        weights in prop::collection::vec(0u32..13, 1..6),
        edits in prop::collection::vec((0usize..6, 0u32..13, 0usize..20), 0..4),
        skip in 0usize..40,
    ) {
        let mut weights = weights;
        let mut s = with_weights(Algorithm::WeightedRoundRobin, &weights)?;
        for (at, w, picks) in edits {
            if at < weights.len() {
                if weights.iter().any(|&w| w > 0) {
                    count_picks(&mut s, picks)?;
                }
                weights[at] = w;
                s.set_weight(ServerId(at as u32 + 1), w).map_err(fail)?;
            }
        }
        let g = weights.iter().copied().fold(0, gcd);
        prop_assume!(g > 0);
        count_picks(&mut s, skip)?;
        let total: u32 = weights.iter().sum();
        let counts = count_picks(&mut s, (total / g) as usize)?;
        for (i, &w) in weights.iter().enumerate() {
            let got = counts.get(&(i as u32 + 1)).copied().unwrap_or(0);
            prop_assert_eq!(got, (w / g) as usize);
        }
    }
}

/// One operation on a scheduler.
#[derive(Clone, Debug)]
enum Op {
    /// `add(id, weight, upper, lower)`.
    Add(u32, u32, u32, u32),
    /// `remove(id)`.
    Remove(u32),
    /// `set_weight(id, weight)`.
    SetWeight(u32, u32),
    /// `set_state(id, state)`.
    SetState(u32, ServerState),
    /// `set_connections(id, active, inactive)`.
    SetConnections(u32, u32, u32),
    /// `connection_opened(id)`.
    Opened(u32),
    /// `connection_closed(id)`.
    Closed(u32),
    /// `pick`, opening a connection on the server picked or not.
    Pick(bool),
}

/// Random operations on servers 1..=5. Connection counts stay below 2^20:
/// the kernel's `int` overhead overflows at 2^23 active connections, and
/// then `wlc` / `sed` can pick a weight-0 server (reproduced, and pinned
/// by a unit test in `wlc.rs`).
fn op() -> impl Strategy<Value = Op> {
    let id = 1u32..6;
    let state = prop_oneof![
        Just(ServerState::Up),
        Just(ServerState::Down),
        Just(ServerState::Drain)
    ];
    prop_oneof![
        (id.clone(), 0u32..5, 0u32..6, 0u32..4).prop_map(|(i, w, u, l)| Op::Add(i, w, u, l)),
        id.clone().prop_map(Op::Remove),
        (id.clone(), 0u32..5).prop_map(|(i, w)| Op::SetWeight(i, w)),
        (id.clone(), state).prop_map(|(i, s)| Op::SetState(i, s)),
        (id.clone(), 0u32..(1 << 20), 0u32..(1 << 20))
            .prop_map(|(i, a, n)| Op::SetConnections(i, a, n)),
        (id.clone(), 0u32..4).prop_map(|(i, a)| Op::SetConnections(i, a, a)),
        id.clone().prop_map(Op::Opened),
        id.prop_map(Op::Closed),
        any::<bool>().prop_map(Op::Pick),
        any::<bool>().prop_map(Op::Pick),
    ]
}

/// What the test knows of a server: configured weight and state.
#[derive(Clone, Copy, Debug)]
struct Known {
    /// The weight last set.
    weight: u32,
    /// The state last set.
    state: ServerState,
}

/// Applies a non-pick operation to the scheduler and the model. Errors
/// (unknown server, duplicate, threshold order) are part of the test.
fn apply(s: &mut Scheduler, known: &mut HashMap<u32, Known>, op: &Op) {
    match *op {
        Op::Add(id, weight, upper, lower) => {
            let cfg = ServerConfig::new(weight).thresholds(upper, lower);
            if s.add(ServerId(id), cfg).is_ok() {
                let state = ServerState::Up;
                known.insert(id, Known { weight, state });
            }
        }
        Op::Remove(id) => {
            if s.remove(ServerId(id)).is_ok() {
                known.remove(&id);
            }
        }
        Op::SetWeight(id, weight) => {
            if s.set_weight(ServerId(id), weight).is_ok() {
                if let Some(k) = known.get_mut(&id) {
                    k.weight = weight;
                }
            }
        }
        Op::SetState(id, state) => {
            if s.set_state(ServerId(id), state).is_ok() {
                if let Some(k) = known.get_mut(&id) {
                    k.state = state;
                }
            }
        }
        Op::SetConnections(id, a, n) => drop(s.set_connections(ServerId(id), a, n)),
        Op::Opened(id) => drop(s.connection_opened(ServerId(id))),
        Op::Closed(id) => drop(s.connection_closed(ServerId(id))),
        Op::Pick(_) => {}
    }
}

/// True when the kernel may give the server a new connection: linked
/// (not down), weight above 0 (not drained) and not overloaded.
fn usable(s: &Scheduler, known: &HashMap<u32, Known>, id: u32) -> bool {
    let linked = s.servers().any(|x| x.0 == id);
    let k = known.get(&id);
    linked
        && k.is_some_and(|k| k.weight > 0 && k.state == ServerState::Up)
        && s.is_overloaded(ServerId(id)) == Some(false)
}

/// `ovf` also passes over a server with more active connections than weight.
fn ovf_eligible(s: &Scheduler, known: &HashMap<u32, Known>, id: u32) -> bool {
    let active = s.connections(ServerId(id)).map_or(0, |c| c.0);
    usable(s, known, id) && known.get(&id).is_some_and(|k| active <= k.weight)
}

/// Checks one pick against the model.
fn check_pick(
    algorithm: Algorithm,
    s: &mut Scheduler,
    known: &HashMap<u32, Known>,
    open: bool,
) -> Result<(), TestCaseError> {
    let eligible = |s: &Scheduler, id: u32| match algorithm {
        Algorithm::WeightedOverflow => ovf_eligible(s, known, id),
        _ => usable(s, known, id),
    };
    let any_eligible = known.keys().any(|&id| eligible(s, id));
    match s.pick(&RequestKey::new()) {
        Ok(id) => {
            prop_assert!(eligible(s, id.0), "{algorithm}: picked {id} not eligible");
            if open {
                s.connection_opened(id).map_err(fail)?;
            }
        }
        Err(PickError::Empty) => prop_assert_eq!(s.len(), 0),
        Err(PickError::Unavailable) => {
            prop_assert!(!s.is_empty());
            prop_assert!(!any_eligible, "{algorithm}: none picked, one eligible");
        }
        Err(e) => prop_assert!(false, "unexpected {e:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On random operations, no scheduler panics; a pick returns a linked,
    /// non-drained, weight > 0, non-overloaded server whenever one exists
    /// (`ovf`: also with active <= weight), `Unavailable` otherwise, and
    /// `Empty` exactly when no server is linked.
    #[test]
    fn picks_are_always_usable_servers(
        ops in prop::collection::vec(op(), 1..60),
        seed in any::<u64>(),
    ) {
        for algorithm in SIMPLE {
            let mut s = Scheduler::new(algorithm).with_random(SplitMix64::new(seed));
            let mut known = HashMap::new();
            prop_assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
            for op in &ops {
                match op {
                    Op::Pick(open) => check_pick(algorithm, &mut s, &known, *open)?,
                    _ => apply(&mut s, &mut known, op),
                }
            }
            for id in 1..6 {
                let _ = s.remove(ServerId(id));
            }
            prop_assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
        }
    }
}
