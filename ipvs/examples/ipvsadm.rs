//! An ipvsadm work-alike built on lbkit-ipvs: the same options for
//! services, destinations, listing, timeouts, the sync daemon, counters
//! and save/restore, and the same output (numeric form).
//!
//! ```text
//! ipvsadm -A -t 192.0.2.10:80 -s wlc -p 300
//! ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.1:8080 -m -w 3
//! ipvsadm -Ln --stats
//! ipvsadm -S -n > rules; ipvsadm -C; ipvsadm -R < rules
//! ```

#![allow(clippy::print_stdout)]

use std::cmp::Ordering;
use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use lbkit_ipvs::*;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    AddService,
    EditService,
    DelService,
    AddDest,
    EditDest,
    DelDest,
    Clear,
    List,
    Zero,
    Save,
    Restore,
    SetTimeouts,
    StartDaemon,
    StopDaemon,
}

/// Parsed command line.
#[derive(Debug, Default)]
struct Opts {
    action: Option<Action>,
    key: Option<ServiceKey>,
    ipv6_fwmark: bool,
    scheduler: Option<String>,
    persistent: Option<u32>,
    netmask: Option<String>,
    sched_flags: ServiceFlags,
    one_packet: bool,
    pe: Option<String>,
    server: Option<String>,
    forward: Option<ForwardMethod>,
    tun_type: Option<TunnelType>,
    tun_port: Option<u16>,
    tun_flags: Option<TunnelFlags>,
    weight: Option<u32>,
    upper: Option<u32>,
    lower: Option<u32>,
    numeric: bool,
    stats: bool,
    rate: bool,
    exact: bool,
    timeout: bool,
    daemon: bool,
    set: Option<(u32, u32, u32)>,
    daemon_state: Option<DaemonState>,
    mcast_ifn: Option<String>,
    sync_id: Option<u32>,
    sync_maxlen: Option<u16>,
    mcast_group: Option<IpAddr>,
    mcast_port: Option<u16>,
    mcast_ttl: Option<u8>,
}

/// A failure, printed like ipvsadm prints it.
#[derive(Debug)]
struct Fail(String);

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail(match e {
            Error::ServiceExists { .. } => "Service already exists".into(),
            Error::NoSuchService { .. } => "No such service".into(),
            Error::DestinationExists { .. } => "Destination already exists".into(),
            Error::NoSuchDestination { .. } => "No such destination".into(),
            Error::InvalidScheduler { scheduler, .. } => {
                format!("Scheduler or persistence engine not found: {scheduler}")
            }
            Error::PermissionDenied { .. } => "Permission denied (you must be root)".into(),
            Error::NotLoaded => "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?".into(),
            other => other.to_string(),
        })
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(255)
        }
    }
}

/// Splits `-Ln` into `-L -n` (short options without arguments may be
/// grouped, as with popt).
fn expand(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in args {
        let grouped = a.len() > 2 && a.starts_with('-') && !a.starts_with("--");
        if grouped && a[1..].chars().all(|c| "ALlnZCSRh".contains(c)) {
            out.extend(a[1..].chars().map(|c| format!("-{c}")));
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// Parses an ipvsadm command line.
fn parse(args: &[String]) -> Result<Opts, Fail> {
    let args = expand(args);
    let mut o = Opts::default();
    let mut i = 0;
    let set_action = |o: &mut Opts, a: Action| -> Result<(), Fail> {
        if o.action.is_some_and(|old| old != a) {
            return Err(Fail("You may specify only one command".into()));
        }
        o.action = Some(a);
        Ok(())
    };
    while i < args.len() {
        let arg = args[i].as_str();
        let mut value = || -> Result<String, Fail> {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| Fail(format!("option {arg} requires an argument")))
        };
        match arg {
            "-A" | "--add-service" => set_action(&mut o, Action::AddService)?,
            "-E" | "--edit-service" => set_action(&mut o, Action::EditService)?,
            "-D" | "--delete-service" => set_action(&mut o, Action::DelService)?,
            "-a" | "--add-server" => set_action(&mut o, Action::AddDest)?,
            "-e" | "--edit-server" => set_action(&mut o, Action::EditDest)?,
            "-d" | "--delete-server" => set_action(&mut o, Action::DelDest)?,
            "-C" | "--clear" => set_action(&mut o, Action::Clear)?,
            "-L" | "-l" | "--list" => set_action(&mut o, Action::List)?,
            "-Z" | "--zero" => set_action(&mut o, Action::Zero)?,
            "-S" | "--save" => set_action(&mut o, Action::Save)?,
            "-R" | "--restore" => set_action(&mut o, Action::Restore)?,
            "--set" => {
                set_action(&mut o, Action::SetTimeouts)?;
                let mut n = || -> Result<u32, Fail> { number(&value()?) };
                o.set = Some((n()?, n()?, n()?));
            }
            "--start-daemon" => {
                set_action(&mut o, Action::StartDaemon)?;
                o.daemon_state = Some(daemon_state(&value()?)?);
            }
            "--stop-daemon" => {
                set_action(&mut o, Action::StopDaemon)?;
                o.daemon_state = Some(daemon_state(&value()?)?);
            }
            "-t" | "--tcp-service" => o.key = Some(ServiceKey::tcp(addr_port(&value()?, 0)?)),
            "-u" | "--udp-service" => o.key = Some(ServiceKey::udp(addr_port(&value()?, 0)?)),
            "--sctp-service" => o.key = Some(ServiceKey::sctp(addr_port(&value()?, 0)?)),
            "-f" | "--fwmark-service" => o.key = Some(ServiceKey::fwmark(number(&value()?)?)),
            "-6" | "--ipv6" => o.ipv6_fwmark = true,
            "-s" | "--scheduler" => o.scheduler = Some(value()?),
            "-p" | "--persistent" => {
                // The timeout is optional (300 s by default).
                let next = args.get(i + 1).and_then(|v| v.parse::<u32>().ok());
                if next.is_some() {
                    i += 1;
                }
                o.persistent = Some(next.unwrap_or(300));
            }
            "-M" | "--netmask" => o.netmask = Some(value()?),
            "-b" | "--sched-flags" => {
                for f in value()?.split(',') {
                    o.sched_flags = o.sched_flags.union(match f {
                        "sh-fallback" | "mh-fallback" | "flag-1" => ServiceFlags::SCHED1,
                        "sh-port" | "mh-port" | "flag-2" => ServiceFlags::SCHED2,
                        "flag-3" => ServiceFlags::SCHED3,
                        other => return Err(Fail(format!("invalid scheduler flag `{other}`"))),
                    });
                }
            }
            "-o" | "--ops" => o.one_packet = true,
            "--pe" => o.pe = Some(value()?),
            "-r" | "--real-server" => o.server = Some(value()?),
            "-g" | "--gatewaying" => o.forward = Some(ForwardMethod::Route),
            "-i" | "--ipip" => o.forward = Some(ForwardMethod::Tunnel(Tunnel::default())),
            "-m" | "--masquerading" => o.forward = Some(ForwardMethod::Masquerade),
            "--tun-type" => {
                o.tun_type = Some(match value()?.as_str() {
                    "ipip" => TunnelType::Ipip,
                    "gue" => TunnelType::Gue,
                    "gre" => TunnelType::Gre,
                    other => return Err(Fail(format!("invalid tunnel type `{other}`"))),
                })
            }
            "--tun-port" => o.tun_port = Some(number_as(&value()?)?),
            "--tun-nocsum" => o.tun_flags = Some(TunnelFlags::NOCSUM),
            "--tun-csum" => o.tun_flags = Some(TunnelFlags::CSUM),
            "--tun-remcsum" => o.tun_flags = Some(TunnelFlags::REMCSUM),
            "-w" | "--weight" => o.weight = Some(number(&value()?)?),
            "-x" | "--u-threshold" => o.upper = Some(number(&value()?)?),
            "-y" | "--l-threshold" => o.lower = Some(number(&value()?)?),
            "-n" | "--numeric" => o.numeric = true,
            "--stats" => o.stats = true,
            "--rate" => o.rate = true,
            "--exact" | "-X" => o.exact = true,
            "--timeout" => o.timeout = true,
            "--daemon" => o.daemon = true,
            "--mcast-interface" => o.mcast_ifn = Some(value()?),
            "--syncid" => o.sync_id = Some(number(&value()?)?),
            "--sync-maxlen" => o.sync_maxlen = Some(number_as(&value()?)?),
            "--mcast-group" => {
                o.mcast_group = Some(
                    value()?
                        .parse()
                        .map_err(|_| Fail("invalid multicast group".into()))?,
                )
            }
            "--mcast-port" => o.mcast_port = Some(number_as(&value()?)?),
            "--mcast-ttl" => o.mcast_ttl = Some(number_as(&value()?)?),
            other => return Err(Fail(format!("unknown option {other}"))),
        }
        i += 1;
    }
    if o.ipv6_fwmark {
        if let Some(ServiceKey::Fwmark { mark, .. }) = o.key {
            o.key = Some(ServiceKey::fwmark6(mark));
        }
    }
    Ok(o)
}

/// A decimal number.
fn number(s: &str) -> Result<u32, Fail> {
    s.parse().map_err(|_| Fail(format!("illegal number `{s}`")))
}

/// A decimal number of a narrower type.
fn number_as<T: TryFrom<u32>>(s: &str) -> Result<T, Fail> {
    T::try_from(number(s)?).map_err(|_| Fail(format!("number out of range `{s}`")))
}

/// `master` or `backup`.
fn daemon_state(s: &str) -> Result<DaemonState, Fail> {
    match s {
        "master" => Ok(DaemonState::Master),
        "backup" => Ok(DaemonState::Backup),
        _ => Err(Fail(format!("illegal daemon state `{s}`"))),
    }
}

/// `ADDR[:PORT]` or `[V6ADDR][:PORT]`, the port defaulting to `port`.
fn addr_port(s: &str, port: u16) -> Result<SocketAddr, Fail> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, port))
        .map_err(|_| Fail(format!("illegal address `{s}`")))
}

/// The service the options describe.
fn service_of(o: &Opts, key: ServiceKey) -> Result<Service, Fail> {
    let mut s = Service::new(key).scheduler(o.scheduler.as_deref().unwrap_or("wlc"));
    if let Some(t) = o.persistent {
        s = s.persistent(t);
    }
    if let Some(m) = &o.netmask {
        s.netmask = match key.af() {
            AddressFamily::Inet => u32::from(
                m.parse::<Ipv4Addr>()
                    .map_err(|_| Fail(format!("illegal netmask `{m}`")))?,
            ),
            AddressFamily::Inet6 => number(m)?,
        };
    }
    s = s.flags(o.sched_flags);
    if o.one_packet {
        s = s.flags(ServiceFlags::ONE_PACKET);
    }
    s.pe_name = o.pe.clone();
    Ok(s)
}

/// The destination the options describe.
fn dest_of(o: &Opts, key: &ServiceKey) -> Result<Destination, Fail> {
    let server = o
        .server
        .as_deref()
        .ok_or_else(|| Fail("a real server (-r) is required".into()))?;
    let default_port = match key {
        ServiceKey::Addr { addr, .. } => addr.port(),
        ServiceKey::Fwmark { .. } => 0,
    };
    let mut forward = o.forward.unwrap_or(ForwardMethod::Route);
    if let ForwardMethod::Tunnel(t) = &mut forward {
        t.kind = o.tun_type.unwrap_or_default();
        t.port = o.tun_port.unwrap_or(0);
        t.flags = o.tun_flags.unwrap_or_default();
    }
    Ok(Destination::new(addr_port(server, default_port)?)
        .forward(forward)
        .weight(o.weight.unwrap_or(1))
        .thresholds(o.upper.unwrap_or(0), o.lower.unwrap_or(0)))
}

/// Runs one command line.
fn run(args: &[String]) -> Result<(), Fail> {
    let o = parse(args)?;
    let action = o
        .action
        .ok_or_else(|| Fail("no command given (see ipvsadm -h)".into()))?;
    let mut c = Client::connect()?;
    execute(&mut c, &o, action)
}

/// Performs a parsed command.
fn execute(c: &mut Client, o: &Opts, action: Action) -> Result<(), Fail> {
    let need_key = || {
        o.key
            .ok_or_else(|| Fail("a service (-t, -u, --sctp-service or -f) is required".into()))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match action {
        Action::AddService => c.add_service(&service_of(o, need_key()?)?)?,
        Action::EditService => c.edit_service(&service_of(o, need_key()?)?)?,
        Action::DelService => c.del_service(&need_key()?)?,
        Action::AddDest => {
            let key = need_key()?;
            c.add_dest(&key, &dest_of(o, &key)?)?;
        }
        Action::EditDest => {
            let key = need_key()?;
            c.edit_dest(&key, &dest_of(o, &key)?)?;
        }
        Action::DelDest => {
            let key = need_key()?;
            c.del_dest(&key, dest_of(o, &key)?.addr)?;
        }
        Action::Clear => c.flush()?,
        Action::Zero => c.zero(o.key.as_ref())?,
        Action::SetTimeouts => {
            let (tcp, tcp_fin, udp) = o.set.unwrap_or_default();
            c.set_timeouts(&Timeouts { tcp, tcp_fin, udp })?;
        }
        Action::StartDaemon => {
            let state = o.daemon_state.unwrap_or(DaemonState::Master);
            let mut d = Daemon::new(
                state,
                o.mcast_ifn.as_deref().unwrap_or(""),
                o.sync_id.unwrap_or(0),
            );
            d.max_len = o.sync_maxlen;
            d.mcast_group = o.mcast_group;
            d.mcast_port = o.mcast_port;
            d.mcast_ttl = o.mcast_ttl;
            c.start_daemon(&d)?;
        }
        Action::StopDaemon => c.stop_daemon(o.daemon_state.unwrap_or(DaemonState::Master))?,
        Action::List if o.timeout => {
            let t = c.timeouts()?;
            writeln!(
                out,
                "Timeout (tcp tcpfin udp): {} {} {}",
                t.tcp, t.tcp_fin, t.udp
            )
            .ok();
        }
        Action::List if o.daemon => {
            let mut ds = c.daemons()?;
            ds.sort_by_key(|d| d.state);
            for d in ds {
                write_daemon(&mut out, &d);
            }
        }
        Action::List => list(c, o, &mut out)?,
        Action::Save => save(c, &mut out)?,
        Action::Restore => {
            drop(out);
            return restore(c);
        }
    }
    out.flush().map_err(|e| Fail(e.to_string()))
}

/// One `-L --daemon` line.
fn write_daemon(out: &mut impl Write, d: &Daemon) {
    let group = d
        .mcast_group
        .map(|g| g.to_string())
        .unwrap_or_else(|| "224.0.0.81".into());
    writeln!(
        out,
        "{} sync daemon (mcast={}, syncid={}, maxlen={}, group={}, port={}, ttl={})",
        d.state.name(),
        d.interface,
        d.sync_id,
        d.max_len.unwrap_or(0),
        group,
        d.mcast_port.unwrap_or(8848),
        d.mcast_ttl.unwrap_or(1)
    )
    .ok();
}

/// ipvsadm's service order: fwmark, family, protocol, address, port.
fn cmp_services(a: &Service, b: &Service) -> Ordering {
    let rank = |k: &ServiceKey| match k {
        ServiceKey::Addr { protocol, addr } => (0, k.af().to_raw(), protocol.to_raw(), Some(*addr)),
        ServiceKey::Fwmark { mark, af } => (*mark, af.to_raw(), 0, None),
    };
    rank(&a.key).cmp(&rank(&b.key))
}

/// `[v6]:port` or `v4:port`.
fn addr_text(sa: &SocketAddr) -> String {
    sa.to_string()
}

/// ipvsadm's name of a service in lists.
fn list_name(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Fwmark { mark, af } => match af {
            AddressFamily::Inet6 => format!("FWM  {mark} IPv6"),
            AddressFamily::Inet => format!("FWM  {mark}"),
        },
        ServiceKey::Addr { protocol, addr } => {
            format!("{:<4} {}", protocol.name(), addr_text(addr))
        }
    }
}

/// ipvsadm's name of a service in rules.
fn rule_name(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Fwmark { mark, af } => match af {
            AddressFamily::Inet6 => format!("-f {mark} -6"),
            AddressFamily::Inet => format!("-f {mark}"),
        },
        ServiceKey::Addr { protocol, addr } => {
            let flag = match protocol {
                Protocol::Tcp => "-t",
                Protocol::Udp => "-u",
                Protocol::Sctp => "--sctp-service",
            };
            format!("{flag} {}", addr_text(addr))
        }
    }
}

/// A counter, 9 columns wide, large values scaled like ipvsadm.
fn largenum(v: u64, exact: bool) -> String {
    if exact {
        let digits = v.to_string().len();
        let width = if digits <= 8 { 9 } else { digits + 1 };
        return format!("{v:>width$}");
    }
    match v {
        0..=99_999_999 => format!("{v:>9}"),
        100_000_000..=999_999_999 => format!("{:>8}K", v / 1_000),
        1_000_000_000..=99_999_999_999 => format!("{:>8}M", v / 1_000_000),
        100_000_000_000..=99_999_999_999_999 => format!("{:>8}G", v / 1_000_000_000),
        _ => format!("{:>8}T", v / 1_000_000_000_000),
    }
}

/// The 64-bit counters of an entry (widened from 32-bit if needed).
fn stats64(s64: Option<Stats64>, s: Option<Stats>) -> Stats64 {
    s64.unwrap_or_else(|| {
        let s = s.unwrap_or_default();
        Stats64 {
            conns: s.conns.into(),
            in_pkts: s.in_pkts.into(),
            out_pkts: s.out_pkts.into(),
            in_bytes: s.in_bytes,
            out_bytes: s.out_bytes,
            cps: s.cps.into(),
            in_pps: s.in_pps.into(),
            out_pps: s.out_pps.into(),
            in_bps: s.in_bps.into(),
            out_bps: s.out_bps.into(),
        }
    })
}

/// The names of the scheduler flags set (`sh-port`, `flag-3`, ...).
fn sched_flag_names(s: &Service) -> Vec<String> {
    [
        (ServiceFlags::SCHED1, 1, "-fallback"),
        (ServiceFlags::SCHED2, 2, "-port"),
        (ServiceFlags::SCHED3, 3, ""),
    ]
    .iter()
    .filter(|(f, _, _)| s.flags.contains(*f))
    .map(|(_, n, suffix)| match s.scheduler.as_str() {
        "sh" | "mh" if !suffix.is_empty() => format!("{}{suffix}", s.scheduler),
        _ => format!("flag-{n}"),
    })
    .collect()
}

/// The service's flags as ipvsadm lists them after the scheduler.
fn list_flags(s: &Service) -> String {
    let mut t = String::new();
    let names = sched_flag_names(s);
    if !names.is_empty() {
        t.push_str(&format!(" ({})", names.join(",")));
    }
    if s.flags.contains(ServiceFlags::PERSISTENT) {
        t.push_str(&format!(" persistent {}", s.timeout));
        t.push_str(&mask_text(s, " mask "));
    }
    if let Some(pe) = &s.pe_name {
        t.push_str(&format!(" pe {pe}"));
    }
    if s.flags.contains(ServiceFlags::ONE_PACKET) {
        t.push_str(" ops");
    }
    t
}

/// `<prefix><mask>` when the persistence netmask is not the widest.
fn mask_text(s: &Service, prefix: &str) -> String {
    match s.key.af() {
        AddressFamily::Inet if s.netmask != u32::MAX => {
            format!("{prefix}{}", Ipv4Addr::from(s.netmask))
        }
        AddressFamily::Inet6 if s.netmask != 128 => format!("{prefix}{}", s.netmask),
        _ => String::new(),
    }
}

/// Every service (or the one named) with its destinations, sorted.
fn entries(
    c: &mut Client,
    only: Option<ServiceKey>,
) -> Result<Vec<(ServiceEntry, Vec<DestinationEntry>)>, Fail> {
    let mut services = match only {
        Some(k) => vec![c.service(&k)?],
        None => c.services()?,
    };
    services.sort_by(|a, b| cmp_services(&a.service, &b.service));
    let mut out = Vec::new();
    for s in services {
        let mut dests = c.destinations(&s.service.key)?;
        dests.sort_by_key(|d| (d.destination.af(), d.destination.addr));
        out.push((s, dests));
    }
    Ok(out)
}

/// `-L` / `-l` (always numeric), with `--stats` or `--rate`.
fn list(c: &mut Client, o: &Opts, out: &mut impl Write) -> Result<(), Fail> {
    let all = entries(c, o.key)?;
    if o.key.is_none() {
        let info = c.info()?;
        let (a, b, v) = info.version_triplet();
        writeln!(
            out,
            "IP Virtual Server version {a}.{b}.{v} (size={})",
            info.conn_table_size
        )
        .ok();
    }
    let (h1, h2) = if o.stats {
        ("Conns", ["InPkts", "OutPkts", "InBytes", "OutBytes"])
    } else {
        ("CPS", ["InPPS", "OutPPS", "InBPS", "OutBPS"])
    };
    if o.stats || o.rate {
        writeln!(
            out,
            "{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port",
            "Prot LocalAddress:Port", h1, h2[0], h2[1], h2[2], h2[3]
        )
        .ok();
    } else {
        writeln!(out, "Prot LocalAddress:Port Scheduler Flags").ok();
        writeln!(
            out,
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"
        )
        .ok();
    }
    for (s, dests) in &all {
        let name = list_name(&s.service.key);
        let st = stats64(s.stats64, s.stats);
        let numbers = |st: &Stats64| -> String {
            let v = if o.stats {
                [st.conns, st.in_pkts, st.out_pkts, st.in_bytes, st.out_bytes]
            } else {
                [st.cps, st.in_pps, st.out_pps, st.in_bps, st.out_bps]
            };
            v.iter().map(|&n| largenum(n, o.exact)).collect()
        };
        if o.stats || o.rate {
            writeln!(out, "{name:<33}{}", numbers(&st)).ok();
        } else {
            writeln!(
                out,
                "{name} {}{}",
                s.service.scheduler,
                list_flags(&s.service)
            )
            .ok();
        }
        for d in dests {
            let dname = addr_text(&d.destination.addr);
            if o.stats || o.rate {
                let dst = stats64(d.stats64, d.stats);
                writeln!(out, "  -> {dname:<28}{}", numbers(&dst)).ok();
            } else {
                writeln!(
                    out,
                    "  -> {dname:<28} {:<7} {:<6} {:<10} {:<10}",
                    d.destination.forward.name(),
                    d.destination.weight,
                    d.active_conns,
                    d.inactive_conns
                )
                .ok();
            }
        }
    }
    Ok(())
}

/// `-S`: the rules that rebuild the table.
fn save(c: &mut Client, out: &mut impl Write) -> Result<(), Fail> {
    for (s, dests) in entries(c, None)? {
        let svc = &s.service;
        let name = rule_name(&svc.key);
        let mut line = format!("-A {name} -s {}", svc.scheduler);
        if svc.flags.contains(ServiceFlags::PERSISTENT) {
            line.push_str(&format!(" -p {}", svc.timeout));
            line.push_str(&mask_text(svc, " -M "));
        }
        let names = sched_flag_names(svc);
        if !names.is_empty() {
            line.push_str(&format!(" -b {}", names.join(",")));
        }
        if let Some(pe) = &svc.pe_name {
            line.push_str(&format!(" --pe {pe}"));
        }
        if svc.flags.contains(ServiceFlags::ONE_PACKET) {
            line.push_str(" -o");
        }
        writeln!(out, "{line}").ok();
        for d in dests {
            let d = &d.destination;
            let switch = match d.forward {
                ForwardMethod::Masquerade => "-m",
                ForwardMethod::Tunnel(_) => "-i",
                _ => "-g",
            };
            let mut line = format!(
                "-a {name} -r {} {switch} -w {}",
                addr_text(&d.addr),
                d.weight
            );
            if let ForwardMethod::Tunnel(t) = d.forward {
                match t.kind {
                    TunnelType::Ipip => line.push_str(" --tun-type ipip"),
                    TunnelType::Gue | TunnelType::Gre => {
                        let kind = if t.kind == TunnelType::Gue {
                            "gue"
                        } else {
                            "gre"
                        };
                        let csum = match t.flags.0 {
                            1 => "--tun-csum",
                            2 => "--tun-remcsum",
                            _ => "--tun-nocsum",
                        };
                        if t.kind == TunnelType::Gue {
                            line.push_str(&format!(
                                " --tun-type {kind} --tun-port {} {csum}",
                                t.port
                            ));
                        } else {
                            line.push_str(&format!(" --tun-type {kind} {csum}"));
                        }
                    }
                }
            }
            // Like ipvsadm, the rules leave the thresholds out.
            writeln!(out, "{line}").ok();
        }
    }
    Ok(())
}

/// `-R`: runs every rule line read from standard input.
fn restore(c: &mut Client) -> Result<(), Fail> {
    let stdin = std::io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Fail(e.to_string()))?;
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if words.is_empty() || words[0].starts_with('#') {
            continue;
        }
        let o = parse(&words)?;
        let action = o
            .action
            .ok_or_else(|| Fail(format!("line {}: no command", n + 1)))?;
        execute(c, &o, action)?;
    }
    Ok(())
}
