//! `cargo xtask bench proxy`: the proxy itself against Debian's HAProxy
//! (2.6), same configuration, same load, interleaved (A B, B A, ...).
//!
//! Method: two backends in one single-threaded `haproxy` process answer
//! every request themselves (`http-request return`, body `ok`). Each
//! scenario's configuration (`nbthread 1`, `balance roundrobin` over the
//! two) is given unchanged to both proxies. Each run starts the proxy
//! fresh pinned to one CPU (`taskset`), waits for an `ok` through it, warms
//! up with wrk, then measures `wrk -t1 -cN -dD --latency` pinned to the
//! other CPU (with the backends). Figures: requests per second, p50 and
//! p99 latency, the proxy's CPU time (utime + stime of its PID from
//! `/proc`), hence requests per CPU-second, and peak RSS (`VmHWM`).
//! Medians over the rounds; ratios are haproxy-rs / HAProxy.
//!
//! Scenarios: `keepalive` (HTTP keep-alive), `close` (`option httpclose`
//! and `Connection: close` from the client), `tcp` (`mode tcp`), `tls`
//! (`bind ... ssl crt PEM`, ECDSA P-256, keep-alive HTTPS).
//!
//! Usage: `cargo xtask bench proxy [--rounds N] [--duration S] [--warmup S]
//! [--conns N] [--scenarios keepalive,close,tcp,tls]`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The programs the benchmark runs, and their Debian packages.
const TOOLS: &[crate::deps::Tool] = &[
    crate::deps::Tool {
        command: "haproxy",
        package: "haproxy",
    },
    crate::deps::Tool {
        command: "wrk",
        package: "wrk",
    },
    crate::deps::Tool {
        command: "taskset",
        package: "util-linux",
    },
    crate::deps::Tool {
        command: "openssl",
        package: "openssl",
    },
    crate::deps::Tool {
        command: "curl",
        package: "curl",
    },
];

/// CPU the proxy runs on.
const PROXY_CPU: u32 = 0;
/// CPU wrk and the backends run on.
const CLIENT_CPU: u32 = 1;
/// Loopback ports: frontend, TLS frontend, the two backends.
const PORTS: [u16; 4] = [18180, 18543, 18181, 18182];

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    rounds: u32,
    duration: u32,
    warmup: u32,
    conns: u32,
    scenarios: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rounds: 3,
            duration: 10,
            warmup: 2,
            conns: 64,
            scenarios: ["keepalive", "close", "tcp", "tls"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// One measured run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sample {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    cpu_pct: f64,
    req_per_cpu_s: f64,
    rss_mib: f64,
}

/// Runs the benchmark and prints one table per scenario, then the rows for
/// `BENCHMARKS.md`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let settings = parse_args(args)?;
    crate::deps::ensure(TOOLS)?;
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if cpus < 2 {
        return Err("the benchmark needs 2 CPUs (proxy on one, load on the other)".into());
    }
    let ours = crate::benchkit::build_release("haproxy-rs")?;
    crate::benchkit::in_scratch_dir("proxybench", false, |dir| bench_in(dir, &ours, &settings))
}

fn parse_args(args: &[String]) -> Result<Settings, String> {
    let mut s = Settings::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |v: String, name: &str, max: u32| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{name} must be 1..={max}"))
        };
        match a.as_str() {
            "--rounds" => s.rounds = number(value(a)?, a, 20)?,
            "--duration" => s.duration = number(value(a)?, a, 20)?,
            "--warmup" => s.warmup = number(value(a)?, a, 20)?,
            "--conns" => s.conns = number(value(a)?, a, 1000)?,
            "--scenarios" => {
                s.scenarios = value(a)?.split(',').map(String::from).collect();
                if let Some(bad) = s
                    .scenarios
                    .iter()
                    .find(|x| !["keepalive", "close", "tcp", "tls"].contains(&x.as_str()))
                {
                    return Err(format!("unknown scenario `{bad}`"));
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(s)
}

/// A child process stopped (TERM, then KILL) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pinned(cpu: u32, program: &Path, args: &[&str]) -> Result<Proc, String> {
    Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Proc)
        .map_err(|e| format!("cannot start {}: {e}", program.display()))
}

fn bench_in(dir: &Path, ours: &Path, s: &Settings) -> Result<(), String> {
    let pem = make_pem(dir)?;
    let backends_cfg = dir.join("backends.cfg");
    crate::benchkit::write_file(&backends_cfg, &backends_config())?;
    let haproxy = PathBuf::from("haproxy");
    let _backends = pinned(
        CLIENT_CPU,
        &haproxy,
        &["-db", "-f", &backends_cfg.display().to_string()],
    )?;
    wait_ok(&format!("http://127.0.0.1:{}/", PORTS[2]))?;
    let proxies: [(&str, PathBuf); 2] = [("haproxy", haproxy), ("haproxy-rs", ours.to_path_buf())];
    let mut rows = Vec::new();
    for sc in &s.scenarios {
        let cfg = dir.join(format!("{sc}.cfg"));
        crate::benchkit::write_file(&cfg, &proxy_config(sc, &pem))?;
        let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
        for round in 0..s.rounds {
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let (name, bin) = &proxies[i];
                let sample = run_one(bin, &cfg, sc, s)?;
                eprintln!(
                    "  [{sc} r{}] {name:<10} {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  cpu {:.0}%  {:.0} req/cpu-s  rss {:.1} MiB  errors {}",
                    round + 1,
                    sample.rps,
                    sample.p50_ms,
                    sample.p99_ms,
                    sample.cpu_pct,
                    sample.req_per_cpu_s,
                    sample.rss_mib,
                    sample.errors
                );
                samples[i].push(sample);
            }
        }
        let [a, b] = samples.map(|v| median_sample(&v));
        rows.push((sc.clone(), a, b));
    }
    print_tables(&rows, s);
    Ok(())
}

/// A self-signed ECDSA P-256 certificate and its key in one PEM file, as
/// `cat crt key > pem`.
fn make_pem(dir: &Path) -> Result<PathBuf, String> {
    let (crt, key) = (dir.join("crt.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "7", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !status.success() {
        return Err("openssl could not make the certificate".into());
    }
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let pem = dir.join("tls.pem");
    crate::benchkit::write_file(&pem, &format!("{}{}", read(&crt)?, read(&key)?))?;
    Ok(pem)
}

fn backends_config() -> String {
    let mut t = String::from(
        "global\n    nbthread 1\n    maxconn 4000\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n",
    );
    for (name, port) in [("b1", PORTS[2]), ("b2", PORTS[3])] {
        t.push_str(&format!(
            "frontend {name}\n    bind 127.0.0.1:{port}\n    http-request return status 200 content-type text/plain string ok hdr x-backend {name}\n"
        ));
    }
    t
}

/// The configuration both proxies run for a scenario.
fn proxy_config(scenario: &str, pem: &Path) -> String {
    let mode = if scenario == "tcp" { "tcp" } else { "http" };
    let extra = if scenario == "close" {
        "    option httpclose\n"
    } else {
        ""
    };
    let bind = if scenario == "tls" {
        format!("bind 127.0.0.1:{} ssl crt {}", PORTS[1], pem.display())
    } else {
        format!("bind 127.0.0.1:{}", PORTS[0])
    };
    format!(
        "global\n    nbthread 1\n    maxconn 4000\ndefaults\n    mode {mode}\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n{extra}\
         frontend fe\n    {bind}\n    default_backend be\nbackend be\n    balance roundrobin\n    server s1 127.0.0.1:{}\n    server s2 127.0.0.1:{}\n",
        PORTS[2], PORTS[3]
    )
}

fn url_of(scenario: &str) -> String {
    if scenario == "tls" {
        format!("https://127.0.0.1:{}/", PORTS[1])
    } else {
        format!("http://127.0.0.1:{}/", PORTS[0])
    }
}

/// Until `url` answers `ok` (10 s at most).
fn wait_ok(url: &str) -> Result<(), String> {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        let out = Command::new("curl")
            .args(["-sk", "--max-time", "1", url])
            .output();
        if out.is_ok_and(|o| o.stdout == b"ok") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("no `ok` from {url} within 10 s"))
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

fn vm_hwm_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn wrk(scenario: &str, secs: u32, conns: u32, latency: bool) -> Result<String, String> {
    let mut c = Command::new("taskset");
    c.args(["-c", &CLIENT_CPU.to_string(), "wrk", "-t1"])
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"));
    if latency {
        c.arg("--latency");
    }
    if scenario == "close" {
        c.args(["-H", "Connection: close"]);
    }
    let out = c
        .arg(url_of(scenario))
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One fresh start of `bin` on `cfg`, warm-up, measured run.
fn run_one(bin: &Path, cfg: &Path, scenario: &str, s: &Settings) -> Result<Sample, String> {
    let proxy = pinned(PROXY_CPU, bin, &["-f", &cfg.display().to_string()])?;
    // taskset execs the program: the PID is the proxy's.
    let pid = proxy.0.id();
    wait_ok(&url_of(scenario))?;
    wrk(scenario, s.warmup, s.conns, false)?;
    let c0 = cpu_seconds(pid).ok_or("the proxy died during warm-up")?;
    let t0 = Instant::now();
    let out = wrk(scenario, s.duration, s.conns, true)?;
    let wall = t0.elapsed().as_secs_f64();
    let c1 = cpu_seconds(pid).ok_or("the proxy died during the run")?;
    let rss_mib = vm_hwm_mib(pid).unwrap_or(0.0);
    drop(proxy);
    let w = parse_wrk(&out).ok_or_else(|| format!("cannot read wrk's output:\n{out}"))?;
    let cpu = (c1 - c0).max(0.01);
    Ok(Sample {
        rps: w.rps,
        p50_ms: w.p50_ms,
        p99_ms: w.p99_ms,
        errors: w.errors,
        cpu_pct: 100.0 * cpu / wall,
        req_per_cpu_s: w.requests as f64 / cpu,
        rss_mib,
    })
}

/// What wrk printed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
}

/// `1.27ms`, `850.00us`, `1.01s` in milliseconds.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

fn parse_wrk(out: &str) -> Option<Wrk> {
    let mut w = Wrk {
        rps: -1.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        requests: 0,
        errors: 0,
    };
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => w.p50_ms = millis(v)?,
            ["99%", v] => w.p99_ms = millis(v)?,
            ["Requests/sec:", v] => w.rps = v.parse().ok()?,
            [n, "requests", "in", ..] => w.requests = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                w.errors += rest
                    .iter()
                    .filter_map(|x| x.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => w.errors += n.parse::<u64>().ok()?,
            _ => {}
        }
    }
    (w.rps >= 0.0).then_some(w)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn median_sample(v: &[Sample]) -> Sample {
    let m = |f: fn(&Sample) -> f64| median(v.iter().map(f).collect());
    Sample {
        rps: m(|s| s.rps),
        p50_ms: m(|s| s.p50_ms),
        p99_ms: m(|s| s.p99_ms),
        errors: v.iter().map(|s| s.errors).sum(),
        cpu_pct: m(|s| s.cpu_pct),
        req_per_cpu_s: m(|s| s.req_per_cpu_s),
        rss_mib: m(|s| s.rss_mib),
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

#[allow(clippy::print_stdout)]
fn print_tables(rows: &[(String, Sample, Sample)], s: &Settings) {
    println!(
        "\nproxy bench: proxy on CPU {PROXY_CPU}, wrk -t1 -c{} -d{}s and backends on CPU {CLIENT_CPU}; medians of {} rounds (interleaved)\n",
        s.conns, s.duration, s.rounds
    );
    println!("| scenario | proxy | req/s | p50 ms | p99 ms | errors | CPU % | req per CPU-s | peak RSS MiB |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (sc, h, r) in rows {
        for (name, x) in [("HAProxy", h), ("haproxy-rs", r)] {
            println!(
                "| {sc} | {name} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.1} |",
                x.rps, x.p50_ms, x.p99_ms, x.errors, x.cpu_pct, x.req_per_cpu_s, x.rss_mib
            );
        }
    }
    println!("\n| scenario | req/CPU-s ratio (target ≥ 1.2) | p99 ratio (≤ 1) | RSS ratio (≤ 1) |");
    println!("|---|---:|---:|---:|");
    for (sc, h, r) in rows {
        println!(
            "| {sc} | {:.2}× | {:.2}× | {:.2}× |",
            ratio(r.req_per_cpu_s, h.req_per_cpu_s),
            ratio(r.p99_ms, h.p99_ms),
            ratio(r.rss_mib, h.rss_mib)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let out = "Running 10s test @ http://127.0.0.1:18180/\n  1 threads and 64 connections\n\
  Latency Distribution\n     50%    1.27ms\n     75%    1.50ms\n     90%  1.80ms\n     99%  850.00us\n\
  454000 requests in 10.00s, 40.00MB read\n  Socket errors: connect 0, read 2, write 1, timeout 0\n\
  Non-2xx or 3xx responses: 4\nRequests/sec:  45400.12\n";
        let w = parse_wrk(out).unwrap_or_else(|| panic!("unread"));
        assert_eq!(w.requests, 454_000);
        assert_eq!(w.errors, 7);
        assert!((w.rps - 45_400.12).abs() < 1e-6);
        assert!((w.p50_ms - 1.27).abs() < 1e-9);
        assert!((w.p99_ms - 0.85).abs() < 1e-9);
        assert_eq!(parse_wrk("nothing"), None);
    }

    #[test]
    fn arguments_and_medians() {
        let s = parse_args(&[
            "--rounds".into(),
            "5".into(),
            "--scenarios".into(),
            "tcp,tls".into(),
        ])
        .unwrap_or_default();
        assert_eq!(s.rounds, 5);
        assert_eq!(s.scenarios, ["tcp", "tls"]);
        assert!(parse_args(&["--scenarios".into(), "udp".into()]).is_err());
        assert!(parse_args(&["--duration".into(), "60".into()]).is_err());
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn both_proxies_get_one_configuration_per_scenario() {
        let pem = Path::new("/x/tls.pem");
        assert!(proxy_config("close", pem).contains("option httpclose"));
        assert!(proxy_config("tcp", pem).contains("mode tcp"));
        assert!(proxy_config("tls", pem).contains("bind 127.0.0.1:18543 ssl crt /x/tls.pem"));
        assert!(proxy_config("keepalive", pem).contains("mode http"));
    }
}
