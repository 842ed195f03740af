//! Checks a URL the way HAProxy's `option httpchk` does, with `rise` and
//! `fall`, and prints every result and every change of state.
//!
//! ```text
//! cargo run -p lbkit-healthcheck --example http_check -- http://127.0.0.1:8080/health
//! cargo run -p lbkit-healthcheck --example http_check -- https://127.0.0.1:8443/ --count 5 --inter 500
//! ```
//!
//! The host must be an IP address (a check connects to an address; name
//! resolution is the caller's business). HTTPS checks do not verify the
//! certificate (HAProxy's `verify none`). Options: `--count N` checks
//! (default 3), `--inter MS` between checks (default 1000), `--rise R`
//! (default 2), `--fall F` (default 3). Exits with 0 when the server ends
//! up, 1 when it ends down.

// A command-line tool: it prints its results.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use lbkit_healthcheck::checkers::http::HttpCheck;
use lbkit_healthcheck::checkers::tls::TlsOptions;
use lbkit_healthcheck::haproxy::{Config, Server};

/// What the command line asked for.
struct Args {
    https: bool,
    addr: SocketAddr,
    path: String,
    count: u32,
    inter: Duration,
    rise: u32,
    fall: u32,
}

fn main() -> Result<ExitCode, Box<dyn Error>> {
    let args = parse_args(std::env::args().skip(1).collect())?;
    let mut check = HttpCheck::new(args.addr, Duration::from_secs(2));
    check.uri = args.path.clone();
    if args.https {
        check.tls = Some(TlsOptions::unverified(None)?);
    }
    let config = Config {
        inter: args.inter,
        rise: args.rise,
        fall: args.fall,
        ..Config::default()
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let start = Instant::now();
    let mut server = Server::new(config, start, start);
    for n in 1..=args.count {
        let result = runtime.block_on(check.run());
        let now = Instant::now();
        println!("check {n}: {result}");
        for change in server.on_check(now, &result, 0) {
            println!("  server {change}");
        }
        if n < args.count {
            std::thread::sleep(args.inter);
        }
    }
    let up = server.is_up();
    println!("server is {}", if up { "UP" } else { "DOWN" });
    Ok(if up {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Reads `URL [--count N] [--inter MS] [--rise R] [--fall F]`.
fn parse_args(argv: Vec<String>) -> Result<Args, Box<dyn Error>> {
    let mut url = None;
    let (mut count, mut inter_ms, mut rise, mut fall) = (3, 1000, 2, 3);
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<u64, Box<dyn Error>> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            Ok(v.parse().map_err(|e| format!("{name} {v}: {e}"))?)
        };
        match arg.as_str() {
            "--count" => count = u32::try_from(value("--count")?)?,
            "--inter" => inter_ms = value("--inter")?,
            "--rise" => rise = u32::try_from(value("--rise")?)?,
            "--fall" => fall = u32::try_from(value("--fall")?)?,
            _ => url = Some(arg),
        }
    }
    let url = url.ok_or(
        "usage: http_check http[s]://IP:PORT/PATH [--count N] [--inter MS] [--rise R] [--fall F]",
    )?;
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(format!("`{url}`: the URL must start with http:// or https://").into());
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|e| format!("`{authority}`: an IP address with a port is needed ({e})"))?;
    Ok(Args {
        https,
        addr,
        path: path.to_string(),
        count,
        inter: Duration::from_millis(inter_ms),
        rise,
        fall,
    })
}
