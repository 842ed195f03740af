//! The human-readable state dump (SIGUSR1): every virtual server with its
//! services, quorum and sorry server, every real server with its weight
//! and state, every checker with its state and next run.

use super::state::VsState;
use std::fmt::Write;
use std::time::Instant;

/// The dump of `vss` at `now`.
pub(crate) fn render(vss: &[VsState], now: Instant) -> String {
    let mut out = String::from("------< LVS Topology >------\n");
    for vs in vss {
        // Writing to a String cannot fail.
        let _ = write_vs(&mut out, vs, now);
    }
    out
}

/// One virtual server.
fn write_vs(out: &mut String, vs: &VsState, now: Instant) -> std::fmt::Result {
    let p = &vs.plan;
    writeln!(out, " VS = {}", p.name)?;
    for s in &p.services {
        write!(out, "   service = {}, lb_algo = {}", s.key, s.scheduler)?;
        if s.timeout > 0 {
            write!(out, ", persistence timeout = {}", s.timeout)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "   quorum = {}, hysteresis = {}, quorum state = {}, live weight = {}",
        p.quorum,
        p.hysteresis,
        if vs.quorum_up { "UP" } else { "DOWN" },
        vs.live_weight()
    )?;
    if let Some(s) = &p.sorry {
        writeln!(
            out,
            "   sorry server = {} ({}){}",
            s.addr,
            s.forward.name(),
            if vs.sorry_in_use() { ", in use" } else { "" }
        )?;
    }
    for rs in &vs.servers {
        writeln!(
            out,
            "   RS = {}, {}, weight = {}, {}{}",
            rs.plan.dest.addr,
            rs.plan.dest.forward.name(),
            rs.weight,
            if rs.alive { "ALIVE" } else { "FAILED" },
            if rs.plan.inhibit {
                ", inhibit_on_failure"
            } else {
                ""
            }
        )?;
        for (c, st) in rs.plan.checkers.iter().zip(&rs.checks) {
            let next = st.machine.next_check().saturating_duration_since(now);
            writeln!(
                out,
                "     {}: {}, retries = {}, {}",
                c.keyword,
                if st.machine.is_up() { "UP" } else { "DOWN" },
                st.machine.retries(),
                if st.in_flight {
                    "running".to_string()
                } else {
                    format!("next in {:.1} s", next.as_secs_f64())
                }
            )?;
        }
    }
    Ok(())
}
