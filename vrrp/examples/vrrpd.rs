//! A one-instance VRRP daemon built on [`lbkit_vrrp::io::Router`].
//!
//! ```text
//! vrrpd --iface eth0 --vrid 51 --priority 200 --version 2 \
//!       --vip 192.0.2.1/24 [--vip ...] [--auth-pass secret12 [--ah]] \
//!       [--peer 192.0.2.12 ...] [--state master] [--advert-int 1]
//! ```
//!
//! It runs until SIGTERM or SIGINT, then steps down (a master sends a
//! priority-0 advert and removes its addresses) and exits. Each state
//! change is written to standard error as `vrid FROM -> TO (reason)`.
//! SIGKILL leaves the addresses in place, as it does with keepalived.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use lbkit_vrrp::io::{Event, Interface, Router, Vip, VrrpSocket};
use lbkit_vrrp::machine::{Config, InitialState, Instance};
use lbkit_vrrp::wire::Family;
use lbkit_vrrp::{Auth, Version};
use tokio::signal::unix::{signal, SignalKind};

/// The command line.
#[derive(Debug)]
struct Args {
    iface: String,
    vrid: u8,
    priority: u8,
    version: Version,
    advert_int: Duration,
    vips: Vec<Vip>,
    auth_pass: Option<[u8; 8]>,
    ah: bool,
    peers: Vec<IpAddr>,
    master: bool,
}

const USAGE: &str =
    "usage: vrrpd --iface IF --vrid N --priority N --version 2|3 --vip ADDR/LEN... \
[--auth-pass P [--ah]] [--peer ADDR]... [--state master|backup] [--advert-int SECS]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        iface: String::new(),
        vrid: 0,
        priority: 100,
        version: Version::V3,
        advert_int: Duration::from_secs(1),
        vips: Vec::new(),
        auth_pass: None,
        ah: false,
        peers: Vec::new(),
        master: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--ah" {
            args.ah = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} {value}: {what}");
        match flag.as_str() {
            "--iface" => args.iface = value,
            "--vrid" => args.vrid = value.parse().map_err(|_| bad("not 1-255"))?,
            "--priority" => args.priority = value.parse().map_err(|_| bad("not 1-255"))?,
            "--version" => {
                args.version = match value.as_str() {
                    "2" => Version::V2,
                    "3" => Version::V3,
                    _ => return Err(bad("not 2 or 3")),
                }
            }
            "--advert-int" => {
                let secs: f64 = value.parse().map_err(|_| bad("not a number"))?;
                args.advert_int =
                    Duration::try_from_secs_f64(secs).map_err(|_| bad("not a duration"))?;
            }
            "--vip" => args
                .vips
                .push(parse_vip(&value).ok_or_else(|| bad("not ADDR/LEN"))?),
            "--auth-pass" => {
                let bytes = value.as_bytes();
                let mut key = [0u8; 8];
                key.get_mut(..bytes.len())
                    .ok_or_else(|| bad("longer than 8 bytes"))?
                    .copy_from_slice(bytes);
                args.auth_pass = Some(key);
            }
            "--peer" => args
                .peers
                .push(value.parse().map_err(|_| bad("not an address"))?),
            "--state" => args.master = value.eq_ignore_ascii_case("master"),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if args.iface.is_empty() || args.vips.is_empty() {
        return Err("--iface and --vip are required".into());
    }
    Ok(args)
}

/// `192.0.2.1/24`, `2001:db8::1/64`, or a bare address (full length).
fn parse_vip(text: &str) -> Option<Vip> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?)),
        None => (text.parse::<IpAddr>().ok()?, None),
    };
    let full = if addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = len.unwrap_or(full);
    (prefix_len <= full).then_some(Vip { addr, prefix_len })
}

async fn run(args: Args) -> Result<(), String> {
    let family = if args.vips.iter().all(|v| v.addr.is_ipv4()) {
        Family::V4
    } else {
        Family::V6
    };
    let iface = Interface::lookup(&args.iface).map_err(|e| e.to_string())?;
    let socket = match (args.ah, args.auth_pass) {
        (true, Some(key)) => VrrpSocket::open_ah(&iface, key),
        (true, None) => return Err("--ah needs --auth-pass".into()),
        _ => VrrpSocket::open(&iface, family),
    }
    .map_err(|e| e.to_string())?;
    let mut config = Config::new(
        args.version,
        args.vrid,
        args.priority,
        socket.source(),
        args.vips.iter().map(|v| v.addr).collect(),
    );
    config.advert_interval = args.advert_int;
    config.unicast_peers = args.peers;
    config.auth = match (args.auth_pass, args.ah) {
        (Some(_), true) => Auth::Ah,
        (Some(key), false) => Auth::Password(key),
        (None, _) => Auth::None,
    };
    if args.master {
        config.initial_state = InitialState::Master;
    }
    let instance = Instance::new(config.normalised()).map_err(|e| e.to_string())?;
    let mut router = Router::new(socket).map_err(|e| e.to_string())?;
    router.add(instance, args.vips);
    let mut events = router.subscribe();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            log(&event);
        }
    });
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let stop = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    };
    router.run(stop).await.map_err(|e| e.to_string())?;
    for instance in router.instances() {
        eprintln!("stats {:?}", instance.stats());
    }
    Ok(())
}

/// One line per event on standard error.
fn log(event: &Event) {
    match event {
        Event::StateChanged { vrid, transition } => eprintln!(
            "{vrid} {} -> {} ({:?})",
            transition.from.keepalived_name(),
            transition.to.keepalived_name(),
            transition.reason
        ),
        Event::PriorityChanged { vrid, from, to } => eprintln!("{vrid} priority {from} -> {to}"),
        Event::ActionFailed { vrid, error } => eprintln!("{vrid} error: {error}"),
        other => eprintln!("{other:?}"),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vrrpd: {e}");
            ExitCode::FAILURE
        }
    }
}
