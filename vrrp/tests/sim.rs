//! Deterministic simulation: routers running the real state machine on a
//! simulated LAN with loss, delay, reordering, partitions, process kills and
//! restarts, clean shutdowns and tracked-priority changes, on a virtual
//! clock driven by a seeded generator.
//!
//! Properties, checked after the network heals (no loss, no partition,
//! every router running):
//! - exactly one master per VRID (none if every router is in FAULT) from
//!   Master_Down_Interval + one advert interval (+ preempt_delay and packet
//!   delays) after healing, and ever after;
//! - two masters of one VRID never last longer than one advert interval
//!   plus the delays;
//! - with preemption everywhere the master has the highest effective
//!   priority (an equal-priority backup does not preempt: RFC 5798 §6.4.2);
//! - sync-group members always agree with their group once settled;
//! - a router holds the VIPs exactly while it is master.
//!
//! `VRRP_SIM_SCENARIOS=N` runs N scenarios (default 1,000);
//! `VRRP_SIM_SEED=S` replays one scenario, tracing every event.

#[path = "sim/rng.rs"]
mod rng;
#[path = "sim/scenario.rs"]
mod scenario;
#[path = "sim/world.rs"]
mod world;

use scenario::Scenario;
use world::World;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

#[test]
fn simulated_lans_converge() {
    if let Some(seed) = env_u64("VRRP_SIM_SEED") {
        let sc = Scenario::generate(seed);
        eprintln!("{sc:#?}");
        match World::new(&sc, true).run() {
            Ok(o) => eprintln!("seed {seed:#x}: ok {o:?}"),
            Err(e) => panic!("VRRP_SIM_SEED={seed:#x}: {e}"),
        }
        return;
    }
    let count = env_u64("VRRP_SIM_SCENARIOS").unwrap_or(1_000);
    let mut failures = Vec::new();
    let (mut steps, mut delivered, mut transitions, mut simulated) = (0u64, 0u64, 0u64, 0u64);
    let (mut v3, mut unicast, mut grouped) = (0u64, 0u64, 0u64);
    for i in 0..count {
        let seed = rng::scenario_seed(i);
        let sc = Scenario::generate(seed);
        v3 += u64::from(sc.version == lbkit_vrrp::Version::V3);
        unicast += u64::from(sc.unicast);
        grouped += u64::from(sc.grouped);
        match World::new(&sc, false).run() {
            Ok(o) => {
                steps += o.steps;
                delivered += o.delivered;
                transitions += o.transitions;
                simulated += o.simulated;
            }
            Err(e) => {
                eprintln!("VRRP_SIM_SEED={seed:#x} failed: {e}");
                failures.push(seed);
            }
        }
    }
    eprintln!(
        "simulation: {count} scenarios ({v3} v3, {unicast} unicast, {grouped} sync groups), {} violations; \
         {steps} steps, {delivered} adverts delivered, {transitions} transitions, {} simulated seconds",
        failures.len(),
        simulated / 1_000_000_000
    );
    assert!(
        failures.is_empty(),
        "{} of {count} scenarios failed",
        failures.len()
    );
}

#[test]
fn scenarios_are_reproducible() {
    // The same seed gives the same scenario and the same run.
    let seed = rng::scenario_seed(42);
    let a = Scenario::generate(seed);
    let b = Scenario::generate(seed);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let oa = World::new(&a, false)
        .run()
        .map(|o| (o.steps, o.delivered, o.transitions));
    let ob = World::new(&b, false)
        .run()
        .map(|o| (o.steps, o.delivered, o.transitions));
    assert_eq!(oa, ob);
}
