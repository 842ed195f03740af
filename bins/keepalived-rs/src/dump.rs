//! SIGUSR1 and SIGUSR2: the state dump (`keepalived.data`) and the
//! statistics (`keepalived.stats`), written where keepalived 2.2.7 writes
//! them (`$TMPDIR` when it is an absolute path, else `/tmp`) and laid out
//! as its `dump_data_vrrp()` and `vrrp_print_stats()` lay them out.
//!
//! The data file has keepalived's sections for what lbkit runs: global
//! definitions (the VRRP ones), the VRRP topology, sync groups and
//! scripts; each line keeps keepalived's wording. Sections about things
//! lbkit does not have (static routes, socket pool, interface queue, ...)
//! are left out.

use crate::compile::ScriptPlan;
use crate::settings::Settings;
use lbkit_vrrp::io::Vip;
use lbkit_vrrp::machine::{Instance, State, TrackKind};
use lbkit_vrrp::{Auth, Version};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;

/// What runs on one router, for the dumps.
#[derive(Debug, Clone)]
pub(crate) struct RouterView {
    /// Copies of the instances with their names and prefixed addresses.
    pub(crate) instances: Vec<InstanceView>,
    /// Sync groups: name and member VRIDs.
    pub(crate) groups: Vec<(String, Vec<u8>)>,
}

/// One instance, for the dumps.
#[derive(Debug, Clone)]
pub(crate) struct InstanceView {
    /// Its name.
    pub(crate) name: String,
    /// Its interface (sync groups may span several).
    pub(crate) interface: String,
    /// A copy of the running machine.
    pub(crate) instance: Instance,
    /// Its virtual addresses with prefixes, as configured.
    pub(crate) vips: Vec<Vip>,
    /// Whether the primary address came from the configuration.
    pub(crate) primary_given: bool,
    /// Address labels.
    pub(crate) labels: Vec<(IpAddr, String)>,
}

/// Where keepalived puts its dump files: `$TMPDIR` if absolute, else `/tmp`.
pub(crate) fn path(file: &str) -> PathBuf {
    let dir = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    dir.join(file)
}

/// keepalived's name of a state.
fn state_name(state: State) -> &'static str {
    match state {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
    }
}

/// "unset", "on" or "off".
fn tri(v: Option<bool>) -> &'static str {
    match v {
        None => "unset",
        Some(true) => "on",
        Some(false) => "off",
    }
}

/// The text of `keepalived.data`.
pub(crate) fn data(
    settings: &Settings,
    routers: &[RouterView],
    scripts: &[(ScriptPlan, Option<bool>)],
) -> String {
    let mut out = String::new();
    global(&mut out, settings);
    if routers.iter().any(|r| !r.instances.is_empty()) {
        out.push_str("------< VRRP Topology >------\n");
        for r in routers {
            for i in &r.instances {
                let group = r
                    .groups
                    .iter()
                    .find(|(_, vrids)| vrids.contains(&i.instance.config().vrid))
                    .map(|(n, _)| n.as_str());
                let mail = settings.mail_instances.contains(&i.name);
                instance(&mut out, &i.interface, i, group, mail);
            }
        }
    }
    if routers.iter().any(|r| !r.groups.is_empty()) {
        out.push_str("------< VRRP Sync groups >------\n");
        for r in routers {
            for (name, vrids) in &r.groups {
                let members: Vec<&InstanceView> = vrids
                    .iter()
                    .filter_map(|v| r.instances.iter().find(|i| i.instance.config().vrid == *v))
                    .collect();
                let mail = settings.mail_groups.contains(name);
                sync_group(&mut out, name, &members, mail);
            }
        }
    }
    if !scripts.is_empty() {
        out.push_str("------< VRRP Scripts >------\n");
        for (s, up) in scripts {
            script(&mut out, s, *up);
        }
    }
    out
}

/// The global definitions keepalived-rs has.
fn global(out: &mut String, s: &Settings) {
    let garp = lbkit_vrrp::machine::GarpConfig::default();
    let _ = writeln!(out, "------< Global definitions >------");
    let _ = writeln!(out, " Router ID = {}", s.router_id);
    if let Some(smtp) = &s.smtp {
        let _ = writeln!(out, " Smtp server = {}", smtp.host);
        let _ = writeln!(out, " Smtp server port = {}", smtp.port);
        let _ = writeln!(out, " Smtp HELO name = {}", smtp.helo);
        let _ = writeln!(
            out,
            " Smtp server connection timeout = {}",
            smtp.connect_timeout.as_secs()
        );
        let _ = writeln!(out, " Email notification from = {}", smtp.from);
        let _ = writeln!(out, " Email notification to:");
        for to in &smtp.to {
            let _ = writeln!(out, "   {to}");
        }
    }
    let _ = writeln!(out, " Default smtp_alert = {}", tri(s.smtp_alert));
    let _ = writeln!(out, " Default smtp_alert_vrrp = {}", tri(s.smtp_alert_vrrp));
    for (label, fifo) in [("Global", &s.notify_fifo), ("VRRP", &s.vrrp_notify_fifo)] {
        if let Some(f) = fifo {
            let ids = crate::fifo::uid_gid();
            let _ = writeln!(
                out,
                " {label} notify fifo = {}, uid:gid {ids}",
                f.path.display()
            );
            if let Some(script) = &f.script {
                let _ = writeln!(out, " {label} notify fifo script = {script}, uid:gid {ids}");
            }
        }
    }
    let _ = writeln!(out, " VRRP IPv4 mcast group = 224.0.0.18");
    let _ = writeln!(out, " VRRP IPv6 mcast group = ff02::12");
    let _ = writeln!(
        out,
        " Gratuitous ARP delay = {}",
        garp.master_delay.as_secs()
    );
    let _ = writeln!(out, " Gratuitous ARP repeat = {}", garp.master_repeat);
    let _ = writeln!(
        out,
        " Gratuitous ARP refresh timer = {}",
        garp.master_refresh.as_secs()
    );
    let _ = writeln!(
        out,
        " Gratuitous ARP refresh repeat = {}",
        garp.master_refresh_repeat
    );
    let _ = writeln!(out, " Num adverts before down = 3");
    let _ = writeln!(out, " VRRP default protocol version = {}", s.vrrp_version);
}

/// One ` VRRP Instance = NAME` block.
fn instance(
    out: &mut String,
    interface: &str,
    view: &InstanceView,
    group: Option<&str>,
    mail: bool,
) {
    let i = &view.instance;
    let c = i.config();
    let v3 = c.version == Version::V3;
    let _ = writeln!(out, " VRRP Instance = {}", view.name);
    let _ = writeln!(out, "   VRRP Version = {}", if v3 { 3 } else { 2 });
    if let Some(g) = group {
        let _ = writeln!(out, "   Sync group = {g}");
    }
    if c.primary_address.is_ipv6() {
        let _ = writeln!(out, "   Using Native IPv6");
    }
    let _ = writeln!(out, "   State = {}", state_name(i.state()));
    if i.state() == State::Backup {
        let (addr, prio) = i.heard_master().map_or_else(
            || (unspecified_master(c.primary_address), 0),
            |(a, p)| (a.to_string(), p),
        );
        let _ = writeln!(out, "   Master router = {addr}");
        let _ = writeln!(out, "   Master priority = {prio}");
        if v3 {
            let _ = writeln!(
                out,
                "   Master advert int = {:.2} sec",
                i.master_advert_interval().as_secs_f64()
            );
        }
    }
    if c.unicast_peers.is_empty() {
        let _ = writeln!(out, "   Flags: none");
    } else {
        let _ = writeln!(out, "   Flags:");
        let _ = writeln!(out, "     Using unicast");
    }
    let _ = writeln!(out, "   Interface = {interface}");
    let _ = writeln!(
        out,
        "   Using src_ip = {}{}",
        c.primary_address,
        if view.primary_given {
            " (from configuration)"
        } else {
            ""
        }
    );
    if c.unicast_peers.is_empty() {
        if c.primary_address.is_ipv6() {
            let _ = writeln!(
                out,
                "   Multicast address ff02::12, ifindex {}",
                ifindex(interface)
            );
        } else {
            let _ = writeln!(out, "   Multicast address 224.0.0.18");
        }
    }
    let g = &c.garp;
    let _ = writeln!(
        out,
        "   Gratuitous ARP delay = {}",
        g.master_delay.as_secs()
    );
    let _ = writeln!(out, "   Gratuitous ARP repeat = {}", g.master_repeat);
    let _ = writeln!(
        out,
        "   Gratuitous ARP refresh = {}",
        g.master_refresh.as_secs()
    );
    let _ = writeln!(
        out,
        "   Gratuitous ARP refresh repeat = {}",
        g.master_refresh_repeat
    );
    let _ = writeln!(
        out,
        "   Gratuitous ARP lower priority repeat = {}",
        g.lower_prio_repeat
    );
    let _ = writeln!(out, "   Down timer adverts = {}", c.down_timer_adverts);
    let _ = writeln!(
        out,
        "   Send advert after receive lower priority advert = {}",
        !c.lower_prio_no_advert
    );
    let _ = writeln!(
        out,
        "   Send advert after receive higher priority advert = {}",
        c.higher_prio_send_advert
    );
    let _ = writeln!(out, "   Virtual Router ID = {}", c.vrid);
    let _ = writeln!(out, "   Priority = {}", c.priority);
    let _ = writeln!(out, "   Effective priority = {}", i.priority());
    let _ = writeln!(out, "   Total priority = {}", i.priority());
    if v3 {
        let _ = writeln!(
            out,
            "   Advert interval = {} milli-sec",
            c.advert_interval.as_millis()
        );
        if i.state() == State::Backup {
            let _ = writeln!(
                out,
                "   Master advert interval = {} milli-sec",
                i.master_advert_interval().as_millis()
            );
        }
    } else {
        let _ = writeln!(
            out,
            "   Advert interval = {} sec",
            c.advert_interval.as_secs()
        );
    }
    let _ = writeln!(
        out,
        "   Accept = {}",
        if c.accept { "enabled" } else { "disabled" }
    );
    let _ = writeln!(
        out,
        "   Preempt = {}",
        if c.preempt { "enabled" } else { "disabled" }
    );
    if !c.preempt_delay.is_zero() {
        let _ = writeln!(
            out,
            "   Preempt delay = {} secs",
            c.preempt_delay.as_secs_f64()
        );
    }
    match &c.auth {
        Auth::Ah => {
            let _ = writeln!(out, "   Authentication type = IPSEC_AH");
        }
        Auth::Password(p) => {
            let _ = writeln!(out, "   Authentication type = SIMPLE_PASSWORD");
            let text: String = p
                .iter()
                .take_while(|b| **b != 0)
                .map(|b| char::from(*b))
                .collect();
            let _ = writeln!(out, "   Password = {text}");
        }
        _ if !v3 => {
            let _ = writeln!(out, "   Authentication type = none");
        }
        _ => {}
    }
    if !view.vips.is_empty() {
        let _ = writeln!(out, "   Virtual IP ({}):", view.vips.len());
        for v in &view.vips {
            let label = view
                .labels
                .iter()
                .find(|(a, _)| *a == v.addr)
                .map(|(_, l)| format!(" label {l}"))
                .unwrap_or_default();
            // keepalived marks the addresses it has added.
            let set = if i.state() == State::Master {
                " set"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "     {}/{} dev {interface} scope {}{label}{set}",
                v.addr,
                v.prefix_len,
                scope(v.addr)
            );
        }
    }
    if !c.unicast_peers.is_empty() {
        let _ = writeln!(
            out,
            "   Check unicast src : {}",
            if c.check_unicast_src { "yes" } else { "no" }
        );
        let _ = writeln!(out, "   Unicast Peer :");
        for p in &c.unicast_peers {
            let _ = writeln!(out, "     {p} min_ttl 0 max_ttl 255");
        }
    }
    // The instance's own interface is tracked implicitly and, as in
    // keepalived, not listed.
    let listed: Vec<_> = c
        .tracks
        .iter()
        .filter(|t| !(t.kind == TrackKind::Interface && t.name == interface))
        .collect();
    if !listed.is_empty() {
        let _ = writeln!(out, "   Tracked scripts and interfaces :");
        for t in listed {
            let _ = writeln!(out, "     {} weight {}", t.name, t.weight);
        }
    }
    let _ = writeln!(
        out,
        "   Using smtp notification = {}",
        if mail { "yes" } else { "no" }
    );
    let _ = writeln!(out, "   Notify deleted = Fault");
}

/// keepalived prints the multicast group as the master it has not heard.
fn unspecified_master(primary: IpAddr) -> String {
    if primary.is_ipv6() {
        "ff02::12"
    } else {
        "224.0.0.18"
    }
    .to_owned()
}

/// The scope keepalived prints for a virtual address.
fn scope(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80 => "link",
        _ => "global",
    }
}

/// The interface index from `/sys/class/net/IF/ifindex` (0 if unknown).
fn ifindex(interface: &str) -> u32 {
    std::fs::read_to_string(format!("/sys/class/net/{interface}/ifindex"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// One ` VRRP Sync Group = NAME, STATE` block; the group's state is its
/// members' (MASTER when all are, FAULT when one is, else BACKUP).
fn sync_group(out: &mut String, name: &str, members: &[&InstanceView], mail: bool) {
    let states: Vec<State> = members.iter().map(|m| m.instance.state()).collect();
    let state = if states.contains(&State::Fault) {
        State::Fault
    } else if !states.is_empty() && states.iter().all(|s| *s == State::Master) {
        State::Master
    } else if states.iter().all(|s| *s == State::Initialize) {
        State::Initialize
    } else {
        State::Backup
    };
    let faults = states.iter().filter(|s| **s == State::Fault).count();
    let init = states.iter().filter(|s| **s == State::Initialize).count();
    let _ = writeln!(out, " VRRP Sync Group = {name}, {}", state_name(state));
    let _ = writeln!(out, "   Num member fault {faults}, num member init {init}");
    if !members.is_empty() {
        let _ = writeln!(out, "   VRRP member instances :");
        for m in members {
            let _ = writeln!(out, "     {}", m.name);
        }
    }
    let _ = writeln!(
        out,
        "   Using smtp notification = {}",
        if mail { "yes" } else { "no" }
    );
}

/// One ` VRRP Script = NAME` block.
fn script(out: &mut String, s: &ScriptPlan, up: Option<bool>) {
    let up = up.unwrap_or(!s.init_fail);
    let _ = writeln!(out, " VRRP Script = {}", s.name);
    let _ = writeln!(out, "   Command = {}", s.command);
    let _ = writeln!(out, "   Interval = {} sec", s.interval.as_secs());
    let _ = writeln!(out, "   Timeout = {} sec", s.timeout.as_secs());
    let _ = writeln!(out, "   Rise = {}", s.rise);
    let _ = writeln!(out, "   Fall = {}", s.fall);
    let _ = writeln!(out, "   Status = {}", if up { "GOOD" } else { "BAD" });
}

/// The text of `keepalived.stats`: one block per instance, in
/// configuration order.
pub(crate) fn stats(instances: &[(String, Instance)]) -> String {
    let mut out = String::new();
    for (name, i) in instances {
        let s = i.stats();
        let _ = writeln!(out, "VRRP Instance: {name}");
        let _ = writeln!(out, "  Advertisements:");
        let _ = writeln!(out, "    Received: {}", s.advert_rcvd);
        let _ = writeln!(out, "    Sent: {}", s.advert_sent);
        let _ = writeln!(out, "  Became master: {}", s.become_master);
        let _ = writeln!(out, "  Released master: {}", s.release_master);
        let _ = writeln!(out, "  Packet Errors:");
        let _ = writeln!(out, "    Length: {}", s.packet_len_err);
        let _ = writeln!(out, "    TTL: {}", s.ip_ttl_err);
        let _ = writeln!(out, "    Invalid Type: {}", s.invalid_type_rcvd);
        let _ = writeln!(out, "    Advertisement Interval: {}", s.interval_err);
        let _ = writeln!(out, "    Address List: {}", s.addr_list_err);
        let _ = writeln!(out, "  Authentication Errors:");
        // lbkit counts an unknown authentication type as a mismatch.
        let _ = writeln!(out, "    Invalid Type: 0");
        let _ = writeln!(out, "    Type Mismatch: {}", s.authtype_mismatch);
        let _ = writeln!(out, "    Failure: {}", s.auth_failure);
        let _ = writeln!(out, "  Priority Zero:");
        let _ = writeln!(out, "    Received: {}", s.pri_zero_rcvd);
        let _ = writeln!(out, "    Sent: {}", s.pri_zero_sent);
    }
    out
}

/// Writes `text` to the dump file `file` (mode 0600, replacing it).
pub(crate) fn write(file: &str, text: &str) -> std::io::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = path(file);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_vrrp::machine::Config;
    use std::net::Ipv4Addr;
    use std::time::Instant;

    /// The section header and key lines of a keepalived 2.2.7 dump,
    /// without values that depend on the run.
    fn keys(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| match l.find(" = ").or_else(|| l.find(": ")) {
                Some(at) => l[..at].to_owned(),
                None => l.to_owned(),
            })
            .collect()
    }

    fn instance(state_master: bool) -> (String, Instance) {
        let ip = |l| IpAddr::V4(Ipv4Addr::new(192, 0, 2, l));
        let c = Config::new(Version::V2, 51, 150, ip(11), vec![ip(100)]);
        let mut i = Instance::new(c).unwrap();
        let t0 = Instant::now();
        i.startup(t0);
        if state_master {
            let t = i.poll_timeout().unwrap();
            i.handle_timeout(t);
        }
        while i.poll_action().is_some() {}
        ("VI_1".to_owned(), i)
    }

    #[test]
    fn stats_have_keepalived_s_layout() {
        // tests/data/keepalived-2.2.7.stats: keepalived 2.2.7 after
        // SIGUSR2, one instance VI_1 that had not sent anything yet.
        let reference = include_str!("../tests/data/keepalived-2.2.7.stats");
        let (name, i) = instance(false);
        let ours = stats(&[(name, i)]);
        assert_eq!(ours, reference);
        // A master has sent its first advert and counted the transition.
        let (name, i) = instance(true);
        let ours = stats(&[(name, i)]);
        assert!(ours.contains("  Advertisements:\n    Received: 0\n    Sent: 1\n"));
        assert!(ours.contains("  Became master: 1\n"));
    }

    #[test]
    fn data_follows_keepalived_s_instance_block() {
        // tests/data/keepalived-2.2.7.data: keepalived 2.2.7 after
        // SIGUSR1 with the same instance (BACKUP, not yet master). Every
        // line we write for the instance is one keepalived writes, in the
        // same order.
        let reference = include_str!("../tests/data/keepalived-2.2.7.data");
        let (name, instance) = instance(false);
        let view = RouterView {
            instances: vec![InstanceView {
                name,
                interface: "eth0".to_owned(),
                instance,
                vips: vec![Vip {
                    addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)),
                    prefix_len: 24,
                }],
                primary_given: false,
                labels: Vec::new(),
            }],
            groups: Vec::new(),
        };
        let settings = Settings {
            router_id: "kars-ref".to_owned(),
            vrrp_version: 2,
            ..Settings::default()
        };
        let ours = data(&settings, &[view], &[]);
        let theirs = keys(reference);
        let mut at = 0;
        for line in keys(&ours) {
            let found = theirs[at..].iter().position(|t| *t == line);
            let found = found.unwrap_or_else(|| panic!("{line:?} not in keepalived's order"));
            at += found + 1;
        }
        // Values keepalived printed for the same settings.
        for line in [
            " Router ID = kars-ref",
            "------< VRRP Topology >------",
            " VRRP Instance = VI_1",
            "   State = BACKUP",
            "   Using src_ip = 192.0.2.11",
            "   Virtual Router ID = 51",
            "   Priority = 150",
            "   Advert interval = 1 sec",
            "   Authentication type = none",
            "   Virtual IP (1):",
            "     192.0.2.100/24 dev eth0 scope global",
            "   Using smtp notification = no",
        ] {
            assert!(
                reference.lines().any(|l| l == line),
                "reference lacks {line:?}"
            );
            assert!(ours.lines().any(|l| l == line), "{line:?} missing:\n{ours}");
        }
    }
}
