//! The scenario, step by step: set up, show the client served through the
//! VIP, stop the master's haproxy, watch the failover, bring haproxy back,
//! watch the preemption, clean up.

use super::client::{self, Probe, Reply};
use super::gateway::{Gateway, ANSWER};
use super::lab::{self, Lab, VIP};
use super::node::{Flavor, Node};
use super::report::{secs, Narrator};
use super::{cert, signals};
use crate::deps::Tool;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The tools the demo runs: `ip` for the namespaces, `unshare` (util-linux)
/// for the nodes' PID namespaces, `killall` for the guide's check script,
/// `curl` as the client.
const TOOLS: &[Tool] = &[
    Tool {
        command: "ip",
        package: "iproute2",
    },
    Tool {
        command: "unshare",
        package: "util-linux",
    },
    Tool {
        command: "killall",
        package: "psmisc",
    },
    Tool {
        command: "curl",
        package: "curl",
    },
];

/// The references `--with-originals` runs.
const ORIGINALS: &[Tool] = &[
    Tool {
        command: "keepalived",
        package: "keepalived",
    },
    Tool {
        command: "haproxy",
        package: "haproxy",
    },
];

/// The guide's files, with placeholders for what the demo fills in.
const KEEPALIVED_CONF: &str = include_str!("../../data/demo/keepalived.conf");
const HAPROXY_CFG: &str = include_str!("../../data/demo/haproxy.cfg");

/// The two load-balancer nodes: name, state, priority.
const NODES: [(&str, &str, u8); 2] = [("haproxy", "MASTER", 101), ("haproxy2", "BACKUP", 100)];
/// The gateways.
const GATEWAYS: [&str; 2] = ["rgw1", "rgw2"];

/// One cell of the side-by-side table.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell {
    /// A time after the stop (or the restart) of the master's haproxy,
    /// or a length; `None`: it did not happen.
    At(Option<Duration>),
    /// A count.
    Count(usize),
}

/// What one run measured, for the side-by-side table.
pub(crate) type Timeline = Vec<(String, Cell)>;

/// `cargo xtask demo [--with-originals]`.
pub(crate) fn run(with_originals: bool) -> Result<(), String> {
    let mut n = Narrator::new();
    n.title("lbkit demo: the seed guide's Appendix A, live");
    n.say("HAProxy + keepalived on two nodes in front of two Ceph Object Gateways,");
    n.say("in network namespaces on one bridge; the master's haproxy fails and comes back.");
    let result = everything(&mut n, with_originals);
    let released = signals::release();
    n.summary();
    let result = result.and_then(|runs| released.map(|()| runs));
    match result {
        Ok(runs) => {
            if runs.len() > 1 {
                side_by_side(&n, &runs);
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn everything(n: &mut Narrator, with_originals: bool) -> Result<Vec<(String, Timeline)>, String> {
    n.section("preparing");
    n.step("check that we are root", |_| {
        if nix::unistd::geteuid().is_root() {
            Ok(())
        } else {
            Err("the demo makes network namespaces: run it as root".into())
        }
    })?;
    n.step("remove what an interrupted earlier demo left", |n| {
        let removed = lab::sweep_leftovers();
        for name in &removed {
            n.say(&format!("removed {name}"));
        }
        n.detail(&format!("{} removed", removed.len()));
        Ok(())
    })?;
    n.step("install the tools the demo uses", |n| {
        let mut tools: Vec<&Tool> = TOOLS.iter().collect();
        if with_originals {
            tools.extend(ORIGINALS);
        }
        let names: Vec<&str> = tools.iter().map(|t| t.command).collect();
        n.detail(&names.join(" "));
        let owned: Vec<Tool> = tools
            .iter()
            .map(|t| Tool {
                command: t.command,
                package: t.package,
            })
            .collect();
        crate::deps::ensure(&owned)
    })?;
    let bin = n.step("build keepalived-rs and haproxy-rs", build)?;
    // From here on, Ctrl-C stops the demo through its clean-up. (Not
    // before: the blocked signals are inherited, and cargo should stop
    // on Ctrl-C as usual; nothing needs cleaning up before.)
    signals::watch()?;
    let mut runs = vec![(
        "keepalived-rs + haproxy-rs".to_string(),
        scenario(n, &Flavor::Lbkit(bin))?,
    )];
    if with_originals {
        let label = format!(
            "keepalived {} + HAProxy {}",
            version("keepalived", "--version", "Keepalived v"),
            version("haproxy", "-v", "HAProxy version "),
        );
        runs.push((label, scenario(n, &Flavor::Originals)?));
    }
    Ok(runs)
}

/// The version `program FLAG` prints after `prefix` (on standard output
/// or error), up to the first space or `-`; `?` when it prints none.
fn version(program: &str, flag: &str, prefix: &str) -> String {
    let out = Command::new(program).arg(flag).output();
    let text = out
        .map(|o| {
            let mut t = String::from_utf8_lossy(&o.stdout).into_owned();
            t.push_str(&String::from_utf8_lossy(&o.stderr));
            t
        })
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|v| v.split([' ', '-']).next())
        .map_or_else(|| "?".to_string(), str::to_string)
}

/// Builds both daemons in the profile this program was built in (debug
/// under `cargo xtask`); returns the directory that holds them.
fn build(n: &mut Narrator) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("where am I: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("no directory for the executables")?
        .to_path_buf();
    let release = dir.file_name().is_some_and(|f| f == "release");
    n.say("the debug profile (as `cargo xtask` itself): it reuses what `cargo test` built,");
    n.say("builds in a fraction of the release profile's time (thin LTO, one codegen unit),");
    n.say("and a few hundred requests need no optimisation.");
    let mut cargo = crate::run::cargo();
    cargo.args([
        "build",
        "--quiet",
        "-p",
        "keepalived-rs",
        "-p",
        "haproxy-rs",
    ]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    signals::check()?;
    if !status.success() {
        return Err(format!("cargo build failed ({status})"));
    }
    for bin in ["keepalived-rs", "haproxy-rs"] {
        if !dir.join(bin).is_file() {
            return Err(format!("{} was not built", dir.join(bin).display()));
        }
    }
    n.detail(&format!("{}", dir.display()));
    Ok(dir)
}

/// What one run started; dropped in this order (clients first, the
/// namespaces last).
#[derive(Default)]
struct World {
    probe: Option<Probe>,
    nodes: Vec<Node>,
    gateways: Vec<Gateway>,
    lab: Option<Lab>,
    dir: Option<PathBuf>,
}

impl World {
    fn lab(&self) -> Result<&Lab, String> {
        self.lab.as_ref().ok_or_else(|| "no lab".to_string())
    }

    fn node(&mut self, i: usize) -> Result<&mut Node, String> {
        self.nodes.get_mut(i).ok_or_else(|| format!("no node {i}"))
    }

    fn ns(&self, name: &str) -> Result<String, String> {
        Ok(self.lab()?.ns(name))
    }

    /// Stops everything (daemons by SIGTERM through their agents, then
    /// whatever is left in the namespaces by SIGKILL), deletes the
    /// namespaces and the scratch directory; says what it did.
    fn teardown(&mut self) -> String {
        self.probe = None;
        let nodes = self.nodes.len();
        self.nodes.clear();
        let gateways = self.gateways.len();
        self.gateways.clear();
        let (mut namespaces, mut killed) = (0, 0);
        if let Some(mut lab) = self.lab.take() {
            namespaces = lab.namespaces().len();
            killed = lab.down();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        format!(
            "{nodes} nodes stopped, {gateways} gateways stopped, {namespaces} namespaces deleted, \
             {killed} stray processes killed"
        )
    }

    /// The last lines of each node's daemons, to standard error.
    fn dump_logs(&self) {
        for node in &self.nodes {
            eprintln!("--- last lines of {}'s daemons:", node.name);
            for line in node.tail(25) {
                eprintln!("    {line}");
            }
        }
    }
}

/// One run of the scenario with `flavor`'s daemons; cleans up whatever
/// happens.
fn scenario(n: &mut Narrator, flavor: &Flavor) -> Result<Timeline, String> {
    let (kd, hd) = flavor.daemons();
    n.section(&format!("{kd} + {hd}: setting up the guide's Appendix A"));
    n.group(&format!("{kd} + {hd}"));
    let mut world = World::default();
    let result = play(n, flavor, &mut world);
    if result.is_err() && !signals::interrupted() {
        world.dump_logs();
    }
    n.note("cleaning up");
    let done = world.teardown();
    let left = leftover_namespaces();
    if left.is_empty() {
        n.note(&format!("cleaned up: {done}"));
    } else {
        n.note(&format!(
            "cleaned up: {done}; still listed: {}",
            left.join(" ")
        ));
    }
    result
}

/// Namespaces of this process's demo that `ip netns` still lists.
fn leftover_namespaces() -> Vec<String> {
    let prefix = format!("lbdemo{}", std::process::id());
    let out = Command::new("ip").args(["netns", "list"]).output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    text.unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|ns| ns.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}

fn play(n: &mut Narrator, flavor: &Flavor, w: &mut World) -> Result<Timeline, String> {
    let (kd, hd) = flavor.daemons();
    let tag = match flavor {
        Flavor::Lbkit(_) => "r",
        Flavor::Originals => "o",
    };
    let dir = std::env::temp_dir().join(format!("lbkit-demo-{}{tag}", std::process::id()));
    n.step("create the namespaces", |n| {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        w.dir = Some(dir.clone());
        w.lab = Some(Lab::up(&format!("{}{tag}", std::process::id()))?);
        let lab = w.lab()?;
        for (name, addr) in lab::HOSTS {
            n.say(&format!(
                "{:<9} {addr:<13} namespace {}",
                name,
                lab.ns(name)
            ));
        }
        n.say(&format!(
            "VIP {VIP} (the guide's 192.168.0.100; its gateways 10.0.0.71 and 10.0.0.80)"
        ));
        // Both nodes' haproxy bind VIP:443 whether or not they hold the
        // VIP, as such setups do.
        for (name, _, _) in NODES {
            lab.sysctl(name, "net.ipv4.ip_nonlocal_bind", "1")?;
        }
        n.say("net.ipv4.ip_nonlocal_bind=1 on both nodes: haproxy binds VIP:443 on each");
        n.detail(&format!("{} namespaces", lab.namespaces().len()));
        Ok(())
    })?;

    n.step("start the gateways rgw1 and rgw2", |n| {
        for name in GATEWAYS {
            let addr = lab::addr(name).ok_or("no gateway address")?;
            let ns = w.ns(name)?;
            w.gateways
                .push(Gateway::start(ns, name, SocketAddrV4::new(addr, 80))?);
        }
        let client = w.ns("client")?;
        let addr = lab::addr("rgw1").ok_or("no gateway address")?;
        let reply = retry(Duration::from_secs(5), || {
            client::curl(&client, IpAddr::V4(addr), None)
        })?;
        if !reply.body_ok {
            return Err("rgw1 does not answer the guide's document".into());
        }
        n.note(&format!(
            "client: curl http://{addr}/ (rgw1 directly) answers:"
        ));
        for line in ANSWER.lines() {
            n.say(&format!("  {}", line.replace('\t', "  ")));
        }
        Ok(())
    })?;

    n.step("write the configurations and the certificate", |n| {
        cert::write(&dir)?;
        let pem = dir.join("example.com.pem");
        for (name, state, priority) in NODES {
            let node_dir = dir.join(name);
            std::fs::create_dir_all(&node_dir)
                .map_err(|e| format!("{}: {e}", node_dir.display()))?;
            write(
                &node_dir.join("keepalived.conf"),
                &keepalived_conf(state, priority),
            )?;
            write(&node_dir.join("haproxy.cfg"), &haproxy_cfg(&pem))?;
            flavor.prepare(&node_dir)?;
        }
        n.say("keepalived.conf: the guide's (vrrp_script chk_haproxy: \"killall -0 haproxy\",");
        n.say("  interval 2, weight 2; VI_1: router 51, haproxy MASTER 101, haproxy2 BACKUP 100)");
        n.say("haproxy.cfg: the guide's (frontend http_web *:80, frontend rgw-https VIP:443 ssl,");
        n.say("  backend rgw roundrobin over rgw1 and rgw2 with checks)");
        n.say("example.com.pem: a self-signed certificate for example.com and its key");
        n.detail(&dir.display().to_string());
        Ok(())
    })?;

    n.step(&format!("start {hd} on haproxy and haproxy2"), |n| {
        for (name, _, _) in NODES {
            let ns = w.ns(name)?;
            let node = Node::start(&ns, name, &dir.join(name), flavor)?;
            w.nodes.push(node);
        }
        for (i, (name, _, _)) in NODES.iter().enumerate() {
            let pid = w.node(i)?.start_haproxy()?;
            let client = w.ns("client")?;
            let addr = lab::addr(name).ok_or("no node address")?;
            let reply = retry(Duration::from_secs(10), || {
                client::curl(&client, IpAddr::V4(addr), None)
            })?;
            n.note(&format!(
                "{name}: {hd} runs (pid {pid} in the node's own PID namespace, process name \
                 `haproxy`); http://{addr}/ answers from {}",
                reply.rgw
            ));
        }
        Ok(())
    })?;

    n.step(&format!("start {kd} on both nodes"), |n| {
        let since = Instant::now();
        for i in 0..NODES.len() {
            w.node(i)?.start_keepalived()?;
        }
        let seen = watch(
            n,
            w,
            since,
            &[
                need("haproxy: MASTER", log(0, "(VI_1) Entering MASTER STATE")),
                need("haproxy2: BACKUP", log(1, "(VI_1) Entering BACKUP STATE")),
                need(&format!("haproxy holds the VIP {VIP}"), Cond::Vip(0)),
            ],
            Duration::from_secs(20),
        )?;
        if w.lab()?.has_vip("haproxy2") {
            return Err("haproxy2 holds the VIP too".into());
        }
        // What the daemon says of the guide's script without script_user.
        let security = w.nodes.first().map(|node| {
            node.tail(200)
                .into_iter()
                .filter(|l| {
                    let l = l.to_ascii_lowercase();
                    l.starts_with("keepalived")
                        && (l.contains("script_security") || l.contains("keepalived_script"))
                })
                .take(2)
                .collect::<Vec<_>>()
        });
        for line in security.unwrap_or_default() {
            n.say(&format!(
                "{kd} says: {}",
                line.split_once(' ').map_or(&*line, |(_, l)| l)
            ));
        }
        n.say("the guide sets no script_user: the script runs as root, with that warning");
        let master = seen
            .get(2)
            .copied()
            .flatten()
            .map(|t| t.duration_since(since));
        n.detail(&format!("VIP on haproxy after {}", secs(master)));
        Ok(())
    })?;

    n.section("the client, through the VIP");
    n.step("fetch over HTTP and HTTPS", |n| {
        fetches(n, w, &dir, "haproxy")
    })?;
    n.step("start the client's probe (a request every 50 ms)", |n| {
        let client = w.ns("client")?;
        w.probe = Some(Probe::start(client, SocketAddr::new(IpAddr::V4(VIP), 80))?);
        signals::pause(1000)?;
        let attempts = probe(w)?.attempts();
        let good = attempts.iter().filter(|a| a.outcome.is_ok()).count();
        n.note(&format!(
            "probe: {good} of {} requests answered",
            attempts.len()
        ));
        // On a loaded machine a request may time out now and then; most
        // must be answered.
        if good * 4 < attempts.len() * 3 {
            return Err("the probe is not answered".into());
        }
        Ok(())
    })?;

    n.section(&format!("failover: {hd} stops on the master"));
    let stopped = n.step(&format!("stop {hd} on haproxy (SIGTERM)"), |n| {
        let at = Instant::now();
        let how = w.node(0)?.stop_haproxy()?;
        n.note(&format!(
            "haproxy: {hd} ended ({how}); {kd} keeps running and holds the VIP"
        ));
        Ok(at)
    })?;
    let failover = n.step("watch the VIP move", |n| {
        n.say("chk_haproxy runs every 2 s; failing, it takes weight 2 away: 103 -> 101 < 102;");
        n.say("haproxy2 ignores adverts of a lower priority and takes over when its");
        n.say("Master_Down_Interval runs out (3 x 1 s + (256 - 102) / 256 s = 3.60 s)");
        let seen = watch(
            n,
            w,
            stopped,
            &[
                maybe("client: first request fails", Cond::Fails),
                need(
                    "haproxy: chk_haproxy fails",
                    log(0, "VRRP_Script(chk_haproxy) failed"),
                ),
                need(
                    "haproxy: priority 103 -> 101",
                    log(0, "Changing effective priority from 103 to 101"),
                ),
                need("haproxy2: MASTER", log(1, "(VI_1) Entering MASTER STATE")),
                need("VIP on haproxy2", Cond::Vip(1)),
                need("haproxy: BACKUP", log(0, "(VI_1) Entering BACKUP STATE")),
                need("VIP gone from haproxy", Cond::NoVip(0)),
                need("client: served through haproxy2", Cond::Served(1)),
            ],
            Duration::from_secs(20),
        )?;
        Ok(seen)
    })?;
    let (outage1, failed1) = n.step("measure the interruption", |n| {
        interruption(n, w, stopped, true)
    })?;
    n.step("fetch over HTTP and HTTPS through haproxy2", |n| {
        fetches(n, w, &dir, "haproxy2")
    })?;

    n.section(&format!("preemption: {hd} comes back on haproxy"));
    let restarted = n.step(&format!("start {hd} on haproxy again"), |n| {
        let at = Instant::now();
        let pid = w.node(0)?.start_haproxy()?;
        n.note(&format!("haproxy: {hd} runs again (pid {pid} in the node)"));
        Ok(at)
    })?;
    let preemption = n.step("watch the VIP return", |n| {
        n.say("chk_haproxy succeeds again: 101 -> 103 > 102; haproxy, BACKUP with preemption,");
        n.say("ignores haproxy2's lower adverts and takes over after its Master_Down_Interval");
        n.say("(3 x 1 s + (256 - 103) / 256 s = 3.60 s)");
        watch(
            n,
            w,
            restarted,
            &[
                maybe("client: first request fails", Cond::Fails),
                need(
                    "haproxy: chk_haproxy succeeds",
                    log(0, "VRRP_Script(chk_haproxy) succeeded"),
                ),
                need(
                    "haproxy: priority 101 -> 103",
                    log(0, "Changing effective priority from 101 to 103"),
                ),
                need("haproxy: MASTER", log(0, "(VI_1) Entering MASTER STATE")),
                need("VIP on haproxy", Cond::Vip(0)),
                need("haproxy2: BACKUP", log(1, "(VI_1) Entering BACKUP STATE")),
                need("VIP gone from haproxy2", Cond::NoVip(1)),
                need("client: served through haproxy", Cond::Served(0)),
            ],
            Duration::from_secs(20),
        )
    })?;
    let (outage2, failed2) = n.step("measure the interruption", |n| {
        interruption(n, w, restarted, false)
    })?;
    n.step("fetch over HTTP and HTTPS through haproxy", |n| {
        fetches(n, w, &dir, "haproxy")
    })?;
    let (total, good) = {
        let attempts = probe(w)?.attempts();
        let good = attempts.iter().filter(|a| a.outcome.is_ok()).count();
        (attempts.len(), good)
    };
    n.good(&format!(
        "the client's probe: {good} of {total} requests answered; interruptions: failover {}, \
         preemption {}",
        secs(outage1),
        secs(outage2)
    ));

    let mut timeline = Timeline::new();
    let labels = [
        "failover: first request fails",
        "failover: chk_haproxy fails",
        "failover: priority 103 -> 101",
        "failover: haproxy2 MASTER",
        "failover: VIP on haproxy2",
        "failover: haproxy BACKUP",
        "failover: VIP gone from haproxy",
        "failover: client served via haproxy2",
    ];
    for (label, at) in labels.iter().zip(&failover) {
        timeline.push((
            label.to_string(),
            Cell::At(at.map(|t| t.duration_since(stopped))),
        ));
    }
    timeline.push(("failover: client interruption".into(), Cell::At(outage1)));
    timeline.push(("failover: requests failed".into(), Cell::Count(failed1)));
    let labels = [
        "preemption: first request fails",
        "preemption: chk_haproxy succeeds",
        "preemption: priority 101 -> 103",
        "preemption: haproxy MASTER",
        "preemption: VIP on haproxy",
        "preemption: haproxy2 BACKUP",
        "preemption: VIP gone from haproxy2",
        "preemption: client served via haproxy",
    ];
    for (label, at) in labels.iter().zip(&preemption) {
        timeline.push((
            label.to_string(),
            Cell::At(at.map(|t| t.duration_since(restarted))),
        ));
    }
    timeline.push(("preemption: client interruption".into(), Cell::At(outage2)));
    timeline.push(("preemption: requests failed".into(), Cell::Count(failed2)));
    Ok(timeline)
}

fn probe(w: &World) -> Result<&Probe, String> {
    w.probe.as_ref().ok_or_else(|| "no probe".to_string())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The guide's keepalived.conf for one node.
fn keepalived_conf(state: &str, priority: u8) -> String {
    KEEPALIVED_CONF
        .replace("@STATE@", state)
        .replace("@PRIORITY@", &priority.to_string())
        .replace("@VIP@", &VIP.to_string())
}

/// The guide's haproxy.cfg, with the lab's addresses and `pem`.
fn haproxy_cfg(pem: &Path) -> String {
    let rgw = |name| lab::addr(name).map(|a| a.to_string()).unwrap_or_default();
    HAPROXY_CFG
        .replace("@VIP@", &VIP.to_string())
        .replace("@PEM@", &pem.display().to_string())
        .replace("@RGW1@", &rgw("rgw1"))
        .replace("@RGW2@", &rgw("rgw2"))
}

/// Tries `f` every 100 ms until it succeeds or `limit` passes.
fn retry<T>(limit: Duration, mut f: impl FnMut() -> Result<T, String>) -> Result<T, String> {
    let start = Instant::now();
    loop {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() > limit => return Err(e),
            Err(_) => signals::pause(100)?,
        }
    }
}

/// Four fetches, HTTP and HTTPS in turn, through the VIP: each must be
/// the guide's document through node `via`, and the gateways must
/// alternate.
fn fetches(n: &mut Narrator, w: &World, dir: &Path, via: &str) -> Result<(), String> {
    let client = w.ns("client")?;
    let ca = dir.join("ca.pem");
    // The probe's requests would take turns in the round robin too.
    let _paused = w.probe.as_ref().map(Probe::pause);
    let mut served: Vec<Reply> = Vec::new();
    for i in 0..4 {
        let https = i % 2 == 1;
        let reply = client::curl(&client, IpAddr::V4(VIP), https.then_some(ca.as_path()))?;
        let url = if https {
            format!("https://{}/ ({VIP}, certificate verified)", cert::NAME)
        } else {
            format!("http://{VIP}/")
        };
        n.note(&format!(
            "client: curl {url:<46} -> {} {} via {}{}",
            reply.status,
            reply.rgw,
            reply.via,
            if reply.body_ok {
                ", the guide's document"
            } else {
                ", NOT the guide's document"
            }
        ));
        if !reply.good_via(via) {
            return Err(format!(
                "expected the guide's document through {via}: {reply:?}"
            ));
        }
        served.push(reply);
    }
    let alternate = served.windows(2).all(|p| p[0].rgw != p[1].rgw);
    if !alternate {
        let order: Vec<&str> = served.iter().map(|r| r.rgw.as_str()).collect();
        return Err(format!("rgw1 and rgw2 do not alternate: {order:?}"));
    }
    n.detail(&format!("4 answers via {via}, rgw1 and rgw2 alternating"));
    Ok(())
}

/// Waits for the probe to be answered for a while after the event at
/// `since`, then prints the outage the client saw; with `expected`, an
/// outage must have happened.
fn interruption(
    n: &mut Narrator,
    w: &World,
    since: Instant,
    expected: bool,
) -> Result<(Option<Duration>, usize), String> {
    signals::pause(500)?;
    let attempts = probe(w)?.attempts();
    let Some(outage) = client::outage(&attempts, since) else {
        if expected {
            return Err("no request failed: the probe saw no failover".into());
        }
        n.good("client interruption: none (every request was answered)");
        n.detail("none");
        return Ok((None, 0));
    };
    let length = outage.length().ok_or("the client is not answered again")?;
    let from = outage.last_good.unwrap_or(outage.first_failed);
    let requests = if outage.failed == 1 {
        "request"
    } else {
        "requests"
    };
    n.good(&format!(
        "client interruption: {} (no answer from {} to {}; {} {requests} failed, first: {})",
        secs(Some(length)),
        n.stamp(from).replace(' ', ""),
        outage
            .back
            .map(|b| n.stamp(b).replace(' ', ""))
            .unwrap_or_default(),
        outage.failed,
        outage.reason
    ));
    n.detail(&format!(
        "{} ({} {requests} failed)",
        secs(Some(length)),
        outage.failed
    ));
    Ok((Some(length), outage.failed))
}

/// Something to wait for.
enum Cond {
    /// Node `i`'s keepalived printed a line with this text.
    Log(usize, &'static str),
    /// Node `i` holds the VIP.
    Vip(usize),
    /// Node `i` no longer holds the VIP.
    NoVip(usize),
    /// A probe request was answered through node `i`.
    Served(usize),
    /// A probe request failed.
    Fails,
}

fn log(i: usize, text: &'static str) -> Cond {
    Cond::Log(i, text)
}

/// One awaited event: its label, its condition, whether it must happen.
struct Watch {
    label: String,
    cond: Cond,
    required: bool,
}

fn need(label: &str, cond: Cond) -> Watch {
    Watch {
        label: label.to_string(),
        cond,
        required: true,
    }
}

fn maybe(label: &str, cond: Cond) -> Watch {
    Watch {
        label: label.to_string(),
        cond,
        required: false,
    }
}

/// Polls every 20 ms until every required event happened (at or after
/// `since`), printing each when seen with its delay after `since`; fails
/// naming the missing ones after `limit`.
fn watch(
    n: &Narrator,
    w: &World,
    since: Instant,
    watches: &[Watch],
    limit: Duration,
) -> Result<Vec<Option<Instant>>, String> {
    let mut seen: Vec<Option<Instant>> = vec![None; watches.len()];
    // Events wait a little before they are printed, so that those seen
    // in different polls still print in the order they happened.
    let mut pending: Vec<(Instant, usize)> = Vec::new();
    let print = |pending: &mut Vec<(Instant, usize)>, all: bool| {
        pending.sort();
        let ripe = Instant::now().checked_sub(Duration::from_millis(150));
        while let Some(&(at, i)) = pending.first() {
            if !all && ripe.is_some_and(|r| at > r) {
                break;
            }
            pending.remove(0);
            let after = at.saturating_duration_since(since).as_secs_f64();
            n.event(at, &format!("{:<34} (+{after:.3} s)", watches[i].label));
        }
    };
    loop {
        for (i, watch) in watches.iter().enumerate() {
            if seen[i].is_none() {
                if let Some(at) = happened(w, since, &watch.cond) {
                    seen[i] = Some(at);
                    pending.push((at, i));
                }
            }
        }
        let missing: Vec<&str> = watches
            .iter()
            .zip(&seen)
            .filter(|(w, s)| w.required && s.is_none())
            .map(|(w, _)| w.label.as_str())
            .collect();
        if missing.is_empty() {
            print(&mut pending, true);
            return Ok(seen);
        }
        print(&mut pending, false);
        if since.elapsed() > limit {
            print(&mut pending, true);
            return Err(format!(
                "not within {} s: {}",
                limit.as_secs(),
                missing.join("; ")
            ));
        }
        signals::pause(20)?;
    }
}

/// When `cond` happened (at or after `since`), if it did.
fn happened(w: &World, since: Instant, cond: &Cond) -> Option<Instant> {
    let name = |i: usize| NODES.get(i).map(|(name, _, _)| *name);
    match cond {
        Cond::Log(i, text) => w.nodes.get(*i)?.seen(since, "keepalived", text),
        Cond::Vip(i) => w.lab.as_ref()?.has_vip(name(*i)?).then(Instant::now),
        Cond::NoVip(i) => (!w.lab.as_ref()?.has_vip(name(*i)?)).then(Instant::now),
        Cond::Served(i) => {
            let via = name(*i)?;
            let attempts = w.probe.as_ref()?.attempts();
            attempts
                .iter()
                .find(|a| a.sent >= since && a.outcome.as_ref().is_ok_and(|r| r.good_via(via)))
                .map(|a| a.done)
        }
        Cond::Fails => {
            let attempts = w.probe.as_ref()?.attempts();
            attempts
                .iter()
                .find(|a| a.sent >= since && a.outcome.as_ref().map_or(true, |r| r.status != 200))
                .map(|a| a.done)
        }
    }
}

/// The runs' timelines next to each other.
fn side_by_side(n: &Narrator, runs: &[(String, Timeline)]) {
    let Some((_, first)) = runs.first() else {
        return;
    };
    n.section("timelines (seconds after the master's haproxy stopped / started again)");
    let width = first.iter().map(|(l, _)| l.len()).max().unwrap_or(10);
    let mut head = format!("  {:<width$}", "event");
    for (name, _) in runs {
        head.push_str(&format!("  {name:>28}"));
    }
    println!("{head}");
    for (row, (label, _)) in first.iter().enumerate() {
        let mut line = format!("  {label:<width$}");
        for (_, timeline) in runs {
            let text = match timeline.get(row).map(|(_, c)| *c) {
                Some(Cell::At(d)) => secs(d),
                Some(Cell::Count(k)) => k.to_string(),
                None => "-".to_string(),
            };
            line.push_str(&format!("  {text:>28}"));
        }
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_keepalived_conf_changes_only_per_node_values_and_the_address() {
        let conf = keepalived_conf("BACKUP", 100);
        assert!(conf.contains("script \"killall -0 haproxy\""));
        assert!(conf.contains("  weight 2 "));
        assert!(conf.contains("  state BACKUP "));
        assert!(conf.contains("  priority 100 "));
        assert!(conf.contains("    192.0.2.100 # virtual ip address"));
        assert!(!conf.contains('@'));
    }

    #[test]
    fn the_guides_haproxy_cfg_gets_the_lab_addresses() {
        let cfg = haproxy_cfg(Path::new("/d/example.com.pem"));
        assert!(cfg.contains("bind 192.0.2.100:443 ssl crt /d/example.com.pem\n"));
        assert!(cfg.contains("server  rgw1 192.0.2.71:80 check\n"));
        assert!(cfg.contains("server  rgw2 192.0.2.80:80 check\n"));
        assert!(cfg.contains("    bind *:80\n"));
        assert!(!cfg.contains('@'));
    }
}
