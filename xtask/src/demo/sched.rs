//! `cargo xtask demo sched`: the seed guide's scheduling examples, replayed
//! with lbkit-sched for every algorithm.
//!
//! Three real servers, A and B with weight 1 and C with weight 2 (the
//! guide's §2.3.2 example). New connections arrive at a steady rate and
//! last a while; C fails at tick 20 (its clients reconnect to the others)
//! and comes back at tick 40. The table shows, per window of ticks, how
//! many new connections each server got and how many it held at the end.

use lbkit_sched::{RequestKey, Scheduler, ServerConfig, ServerId, ServerState, SplitMix64};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// The servers: name, id, weight, address (documentation range; only
/// hashed, never contacted).
const SERVERS: [(&str, u32, u32, [u8; 4]); 3] = [
    ("A", 1, 1, [198, 51, 100, 1]),
    ("B", 2, 1, [198, 51, 100, 2]),
    ("C", 3, 2, [198, 51, 100, 3]),
];
const TICKS: u32 = 60;
const WINDOW: u32 = 5;
const ARRIVALS_PER_TICK: u32 = 6;
const C_FAILS: u32 = 20;
const C_RETURNS: u32 = 40;

/// Every algorithm the demo replays: the configuration line and what it is.
const ALGORITHMS: &[(&str, &str)] = &[
    ("lb_algo rr", "round-robin"),
    ("lb_algo wrr", "weighted round-robin"),
    ("lb_algo lc", "least-connection"),
    (
        "lb_algo wlc",
        "weighted least-connection: the guide's flood example",
    ),
    (
        "lb_algo lblc",
        "locality-based least-connection (by destination)",
    ),
    (
        "lb_algo lblcr",
        "locality-based least-connection with replication",
    ),
    ("lb_algo dh", "destination hashing"),
    ("lb_algo sh", "source hashing"),
    ("lb_algo sed", "shortest expected delay"),
    ("lb_algo nq", "never queue"),
    ("lb_algo fo", "weighted failover"),
    ("lb_algo ovf", "weighted overflow"),
    ("lb_algo mh", "Maglev hashing"),
    ("lb_algo twos", "weighted random twos choice"),
    ("balance roundrobin", "HAProxy dynamic weighted round-robin"),
    ("balance static-rr", "HAProxy static weighted round-robin"),
    ("balance leastconn", "HAProxy least connections"),
    ("balance first", "HAProxy first server with a free slot"),
    ("balance source", "HAProxy source address hash"),
    ("balance uri", "HAProxy URI hash"),
    ("balance url_param user", "HAProxy URL parameter hash"),
    ("balance hdr(host)", "HAProxy Host header hash"),
    ("balance rdp-cookie", "HAProxy RDP cookie hash"),
    ("balance random", "HAProxy random with two draws"),
];

/// Runs the demonstration.
pub(crate) fn run() -> Result<(), String> {
    eprintln!("xtask demo: needs no Debian packages (pure scheduling, no traffic)");
    println!("lbkit-sched demonstration: servers A (weight 1), B (weight 1), C (weight 2)");
    println!(
        "{ARRIVALS_PER_TICK} new connections per tick, each lasting 8 to 18 ticks; \
         C fails at tick {C_FAILS} (its clients reconnect) and returns at tick {C_RETURNS}.\n"
    );
    for (line, what) in ALGORITHMS {
        let table = simulate(line)?;
        println!("`{line}`: {what}");
        print!("{table}");
        println!();
    }
    println!(
        "Under wlc, C comes back with no connections and takes every new one \
         until it holds twice as many as A or B (the guide's §2.3.2)."
    );
    Ok(())
}

/// One open connection: the server and the tick it ends.
struct Conn {
    server: usize,
    ends: u32,
}

/// Replays the scenario with one algorithm and renders its table.
fn simulate(line: &str) -> Result<String, String> {
    let mut sched = deterministic(Scheduler::from_config(line).map_err(|e| e.to_string())?);
    for (_, id, weight, ip) in SERVERS {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), 80);
        let mut cfg = ServerConfig::new(weight).addr(addr);
        if line == "balance first" {
            // `first` fills a server up to its maxconn before using the next.
            cfg = cfg.maxconn(40);
        }
        sched.add(ServerId(id), cfg).map_err(|e| e.to_string())?;
    }
    let start = Instant::now();
    let mut open: Vec<Conn> = Vec::new();
    let mut window_new = [0u32; 3];
    let mut out = String::from("  ticks  |  new A   B   C | held A   B   C | refused\n");
    let mut refused = 0u32;
    let mut serial = 0u32;
    for tick in 0..TICKS {
        let now = start + Duration::from_secs(u64::from(tick));
        close_ended(&mut sched, &mut open, tick)?;
        let mut arrivals = ARRIVALS_PER_TICK;
        if tick == C_FAILS {
            arrivals += fail_c(&mut sched, &mut open)?;
        }
        if tick == C_RETURNS {
            sched
                .set_state(ServerId(3), ServerState::Up)
                .map_err(|e| e.to_string())?;
        }
        for _ in 0..arrivals {
            serial += 1;
            match connect(&mut sched, serial, now) {
                Some(server) => {
                    window_new[server] += 1;
                    let ends = tick + 8 + serial * 7 % 11;
                    open.push(Conn { server, ends });
                }
                None => refused += 1,
            }
        }
        if (tick + 1) % WINDOW == 0 {
            let held = held(&open);
            let event = match tick + 1 - WINDOW {
                C_FAILS => "  <- C fails",
                C_RETURNS => "  <- C returns",
                _ => "",
            };
            out.push_str(&format!(
                "  {:>2}-{:<2}  | {:>4} {:>3} {:>3} | {:>4} {:>3} {:>3} | {:>4}{event}\n",
                tick + 1 - WINDOW,
                tick,
                window_new[0],
                window_new[1],
                window_new[2],
                held[0],
                held[1],
                held[2],
                refused,
            ));
            window_new = [0; 3];
            refused = 0;
        }
    }
    Ok(out)
}

/// Fixed randomness, so that the demonstration prints the same every time.
fn deterministic(sched: Scheduler) -> Scheduler {
    match sched {
        Scheduler::Ipvs(s) => Scheduler::Ipvs(s.with_random(SplitMix64::new(7))),
        Scheduler::Haproxy(b) => Scheduler::Haproxy(b.with_random(SplitMix64::new(7))),
        other => other,
    }
}

/// Asks the scheduler for a server for the `serial`-th connection, and
/// accounts the connection to it.
fn connect(sched: &mut Scheduler, serial: u32, now: Instant) -> Option<usize> {
    let client = SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, (serial % 200) as u8 + 1)),
        (1024 + serial % 50_000) as u16,
    );
    let vip = SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, (serial % 16) as u8 + 1)),
        80,
    );
    let uri = format!("/catalog/item{}?user={}", serial % 40, serial % 23);
    let host = format!("shop{}.example.com", serial % 9);
    let cookie = format!("user{}", serial % 31);
    let key = RequestKey::new()
        .src(client)
        .dst(vip)
        .uri(uri.as_bytes())
        .header(host.as_bytes())
        .cookie(cookie.as_bytes())
        .now(now);
    let id = sched.pick(&key).ok()?;
    sched.connection_opened(id).ok()?;
    SERVERS.iter().position(|s| s.1 == id.0)
}

/// Ends the connections whose time is up.
fn close_ended(sched: &mut Scheduler, open: &mut Vec<Conn>, tick: u32) -> Result<(), String> {
    let mut still = Vec::with_capacity(open.len());
    for conn in open.drain(..) {
        if conn.ends <= tick {
            sched
                .connection_closed(ServerId(SERVERS[conn.server].1))
                .map_err(|e| e.to_string())?;
        } else {
            still.push(conn);
        }
    }
    *open = still;
    Ok(())
}

/// Takes C down; its connections are lost and their clients come back as
/// new connections. Returns how many.
fn fail_c(sched: &mut Scheduler, open: &mut Vec<Conn>) -> Result<u32, String> {
    sched
        .set_state(ServerId(3), ServerState::Down)
        .map_err(|e| e.to_string())?;
    let before = open.len();
    let mut kept = Vec::with_capacity(before);
    for conn in open.drain(..) {
        if conn.server == 2 {
            sched
                .connection_closed(ServerId(3))
                .map_err(|e| e.to_string())?;
        } else {
            kept.push(conn);
        }
    }
    *open = kept;
    Ok((before - open.len()) as u32)
}

/// Connections held by each server.
fn held(open: &[Conn]) -> [u32; 3] {
    let mut held = [0; 3];
    for conn in open {
        held[conn.server] += 1;
    }
    held
}
