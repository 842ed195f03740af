//! `cargo xtask demo`: the seed guide's Appendix A, live.
//!
//! Network namespaces on one bridge (documentation addresses only) hold a
//! client, two load-balancer nodes `haproxy` and `haproxy2` and two
//! gateways `rgw1` and `rgw2`. Each node runs keepalived-rs with the
//! guide's `keepalived.conf` and haproxy-rs with its `haproxy.cfg`, in a
//! PID namespace of its own so that the guide's `killall -0 haproxy` sees
//! only the node's own proxy. The demo then stops the master's proxy and
//! narrates, with timestamps, the failover the client lives through and
//! the preemption when the proxy comes back.
//!
//! `cargo xtask demo sched` is the scheduler demonstration (no traffic);
//! `cargo xtask demo lvs` the guide's LVS-NAT and LVS-DR in the IPVS VM.

mod cert;
mod client;
mod gateway;
mod lab;
mod lvs;
mod node;
mod report;
mod scenario;
mod sched;
mod signals;

const USAGE: &str =
    "usage: cargo xtask demo [--with-originals] | cargo xtask demo sched | cargo xtask demo lvs";

/// Runs `cargo xtask demo ARGS`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        None => scenario::run(false),
        Some("--with-originals") => scenario::run(true),
        Some("sched") => sched::run(),
        Some("lvs") => lvs::run(),
        // Internal: the process that runs one node's daemons, started by
        // the demo itself inside the node's namespaces.
        Some("node") => node::agent(&args[1..]),
        Some("-h" | "--help" | "help") => {
            eprintln!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("demo: unknown argument `{other}`\n{USAGE}")),
    }
}
