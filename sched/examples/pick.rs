//! Schedules a few requests the way the kernel or HAProxy would.
//!
//! ```text
//! cargo run -p lbkit-sched --example pick -- "lb_algo wrr" 3 2 1
//! cargo run -p lbkit-sched --example pick -- "balance source" 1 1 1
//! ```
//!
//! The first argument is the line a user writes (`lb_algo`, `lvs_sched` or
//! `balance` with its arguments), the others the servers' weights (default
//! `1 1 1`). Twelve requests from twelve client addresses, each for its own
//! URI, are scheduled; every pick opens a connection that stays open, so
//! the connection-counting schedulers spread the load. The picks and each
//! server's share are printed.

// A command-line tool: it prints its results.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::net::SocketAddr;

use lbkit_sched::{RequestKey, Scheduler, ServerConfig, ServerId};

/// How many requests are scheduled.
const REQUESTS: u8 = 12;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let line = args
        .next()
        .ok_or("usage: pick \"lb_algo wrr\"|\"balance roundrobin\"|... [WEIGHT...]")?;
    let mut weights = args
        .map(|w| w.parse::<u32>().map_err(|e| format!("weight `{w}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if weights.is_empty() {
        weights = vec![1, 1, 1];
    }

    let mut sched = Scheduler::from_config(&line)?;
    for (i, &weight) in (1..).zip(&weights) {
        sched.add(ServerId(i), ServerConfig::new(weight))?;
    }

    let mut share = vec![0u32; weights.len()];
    let mut picks = Vec::new();
    for n in 1..=REQUESTS {
        let src: SocketAddr = format!("192.0.2.{n}:40000").parse()?;
        let uri = format!("/bucket/object-{n}");
        let key = RequestKey::new().src(src).uri(uri.as_bytes());
        let server = sched.pick(&key)?;
        sched.connection_opened(server)?;
        picks.push(format!("s{}", server.0));
        if let Some(count) = share.get_mut(server.0 as usize - 1) {
            *count += 1;
        }
    }

    println!("{line}: {}", picks.join(" "));
    for ((i, weight), count) in (1..).zip(&weights).zip(&share) {
        println!("  s{i} weight {weight}: {count} of {REQUESTS}");
    }
    Ok(())
}
