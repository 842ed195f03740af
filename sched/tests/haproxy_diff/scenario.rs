//! A scenario: one backend's configuration and a sequence of requests and
//! events, played once against HAProxy and once against
//! `lbkit_sched::haproxy::Balancer`, then compared pick by pick.

use super::harness::{self, Answered, Backends, Haproxy, Mode, Res};
use lbkit_sched::haproxy::{Balancer, BalancerConfig, HashType};
use lbkit_sched::{RequestKey, ServerConfig, ServerId, ServerState};
use std::any::Any;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// How many mismatches are printed before the test fails.
const SHOWN_MISMATCHES: usize = 5;

/// One server line of the backend.
#[derive(Clone, Debug)]
pub(crate) struct Server {
    /// HAProxy `id` (and `ServerId`).
    pub(crate) id: u32,
    /// `weight`.
    pub(crate) weight: u32,
    /// `maxconn` (0 = none).
    pub(crate) maxconn: u32,
    /// `backup`.
    pub(crate) backup: bool,
}

impl Server {
    /// An active server with this id and weight.
    pub(crate) fn new(id: u32, weight: u32) -> Server {
        Server {
            id,
            weight,
            maxconn: 0,
            backup: false,
        }
    }

    /// Sets `maxconn`.
    pub(crate) fn maxconn(mut self, maxconn: u32) -> Server {
        self.maxconn = maxconn;
        self
    }

    /// Marks it `backup`.
    pub(crate) fn backup(mut self) -> Server {
        self.backup = true;
        self
    }

    /// The server's name in HAProxy's config.
    pub(crate) fn name(id: u32) -> String {
        format!("s{id}")
    }
}

/// What a request carries besides its client address.
#[derive(Clone, Debug)]
pub(crate) enum Payload {
    /// An HTTP/1.1 request: a GET, or a POST when it has a body.
    Http {
        /// Request target.
        uri: String,
        /// Header lines (name, value), sent in this order.
        headers: Vec<(String, String)>,
        /// A form body (sent with POST and `Content-Length`).
        body: Option<String>,
    },
    /// An RDP X.224 connection request, and the `mstshash` cookie value
    /// it carries as HAProxy reads it (`None` when it has none).
    Rdp {
        /// The bytes sent.
        bytes: Vec<u8>,
        /// The cookie value the balancer should hash.
        cookie: Option<String>,
    },
}

/// One client request.
#[derive(Clone)]
pub(crate) struct Request {
    /// The client address announced with the PROXY protocol.
    pub(crate) src: SocketAddr,
    /// What is sent.
    pub(crate) payload: Payload,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.payload {
            Payload::Http { uri, headers, body } => {
                let method = if body.is_some() { "POST" } else { "GET" };
                write!(f, "src {} {method} {uri}", self.src)?;
                for (n, v) in headers {
                    write!(f, " | {n}: {v}")?;
                }
                if let Some(b) = body {
                    write!(f, " | body {b:?}")?;
                }
                Ok(())
            }
            Payload::Rdp { bytes, cookie } => {
                write!(
                    f,
                    "src {} RDP {:?} (cookie {cookie:?})",
                    self.src,
                    String::from_utf8_lossy(bytes)
                )
            }
        }
    }
}

/// A runtime change of a server, applied on both sides.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Change {
    /// `set weight be/sN W`.
    Weight(u32),
    /// `set server be/sN state ready`.
    Ready,
    /// `set server be/sN state drain`.
    Drain,
    /// `set server be/sN state maint`.
    Maint,
    /// `add server be/sN ADDR id N weight W` then `enable server be/sN`
    /// (a dynamic server starts in maintenance); `Balancer::add`.
    Add(u32),
    /// `del server be/sN` (it must be in maintenance and idle);
    /// `Balancer::remove`.
    Delete,
}

/// One step of a scenario.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// A request whose connection ends before the next step.
    Send(Request),
    /// A request whose connection stays open until `Release(token)`.
    Hold(u64, Request),
    /// Ends the held connection `token`.
    Release(u64),
    /// Changes server `id` through the runtime API.
    Set(u32, Change),
}

/// A backend configuration and what happens to it.
pub(crate) struct Scenario {
    /// Printed name (`"uri len 12 / consistent crc32"`).
    pub(crate) name: String,
    /// HTTP or TCP.
    pub(crate) mode: Mode,
    /// What follows `balance`.
    pub(crate) balance: String,
    /// What follows `hash-type`, if set.
    pub(crate) hash_type: Option<String>,
    /// `option allbackups`.
    pub(crate) allbackups: bool,
    /// `hash-balance-factor` (0 = not set).
    pub(crate) hash_balance_factor: u32,
    /// The header `balance hdr(...)` looks at, to fill `RequestKey::header`.
    pub(crate) key_header: Option<String>,
    /// Server lines, in declaration order.
    pub(crate) servers: Vec<Server>,
    /// The sequence.
    pub(crate) steps: Vec<Step>,
    /// Poll the runtime API after each step until the session counts are
    /// the ones the test expects (needed when picks depend on them).
    pub(crate) sync_sessions: bool,
}

impl Scenario {
    /// A scenario with no steps yet.
    pub(crate) fn new(
        name: impl Into<String>,
        mode: Mode,
        balance: &str,
        servers: Vec<Server>,
    ) -> Scenario {
        Scenario {
            name: name.into(),
            mode,
            balance: balance.to_string(),
            hash_type: None,
            allbackups: false,
            hash_balance_factor: 0,
            key_header: None,
            servers,
            steps: Vec::new(),
            sync_sessions: false,
        }
    }

    /// Sets `hash-type`.
    pub(crate) fn hash_type(mut self, hash_type: &str) -> Scenario {
        self.hash_type = Some(hash_type.to_string());
        self
    }

    /// The HAProxy configuration for this scenario.
    fn config(&self, port: u16, socket: &Path, backends: &Backends) -> Res<String> {
        let mut lines = vec![
            "global".to_string(),
            "    nbthread 1".into(),
            "    maxconn 4000".into(),
            format!("    stats socket {} mode 600 level admin", socket.display()),
            "    stats timeout 30s".into(),
            "defaults".into(),
            "    timeout connect 2s".into(),
            "    timeout client 60s".into(),
            "    timeout server 60s".into(),
            "    timeout queue 2s".into(),
            // A failed connection must show, not be retried elsewhere.
            "    retries 0".into(),
        ];
        lines.extend(self.mode_lines().iter().map(|l| format!("    {l}")));
        lines.push("frontend fe".into());
        lines.push(format!("    bind 127.0.0.1:{port} accept-proxy"));
        if self.mode == Mode::Tcp {
            lines.push("    tcp-request inspect-delay 5s".into());
            lines.push("    tcp-request content accept if RDP_COOKIE".into());
            // Requests without any cookie are complete too: no need to wait.
            lines.push("    tcp-request content accept if { req.len gt 0 }".into());
        }
        lines.push("    default_backend be".into());
        lines.push("backend be".into());
        lines.push(format!("    balance {}", self.balance));
        if let Some(h) = &self.hash_type {
            lines.push(format!("    hash-type {h}"));
        }
        if self.allbackups {
            lines.push("    option allbackups".into());
        }
        if self.hash_balance_factor > 0 {
            lines.push(format!(
                "    hash-balance-factor {}",
                self.hash_balance_factor
            ));
        }
        for s in &self.servers {
            lines.push(server_line(s, backends.addr(s.id)?));
        }
        Ok(lines.join("\n") + "\n")
    }

    /// `defaults` lines that depend on the mode. HTTP: one request per
    /// connection, no server connection reuse, and no `MSG_MORE` (which
    /// would delay a held response's first bytes by 200 ms).
    fn mode_lines(&self) -> &'static [&'static str] {
        match self.mode {
            Mode::Http => &[
                "mode http",
                "option httpclose",
                "option http-no-delay",
                "http-reuse never",
            ],
            Mode::Tcp => &["mode tcp"],
        }
    }

    /// Number of requests (picks) in the sequence.
    pub(crate) fn requests(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::Send(_) | Step::Hold(..)))
            .count()
    }

    /// Plays the sequence against HAProxy: the server of each request, in
    /// order.
    pub(crate) fn run_haproxy(&self, binary: &Path) -> Res<Vec<u32>> {
        // Listeners for the configured servers and those added at run time.
        let added = self.steps.iter().filter_map(|st| match st {
            Step::Set(id, Change::Add(_)) => Some(*id),
            _ => None,
        });
        let ids: Vec<u32> = self.servers.iter().map(|s| s.id).chain(added).collect();
        let backends = Backends::start(&ids, self.mode)?;
        let haproxy = Haproxy::start(binary, |port, sock| self.config(port, sock, &backends))?;
        let mut run = HaproxyRun {
            scenario: self,
            haproxy: &haproxy,
            backends: &backends,
            held: HashMap::new(),
            picks: Vec::new(),
        };
        for (i, step) in self.steps.iter().enumerate() {
            run.step(step).map_err(|e| {
                format!("{}: step {i} ({step:?}): {e}\n{}", self.name, haproxy.log())
            })?;
        }
        Ok(run.picks)
    }

    /// Plays the sequence against the Balancer. Connection events go to
    /// the server HAProxy used (`observed`), so that after a mismatch the
    /// two sides still count the same connections.
    pub(crate) fn run_lbkit(&self, observed: &[u32]) -> Res<Vec<Result<u32, String>>> {
        let mut balancer = self.balancer()?;
        let mut held = HashMap::new();
        let mut picks = Vec::new();
        for step in &self.steps {
            match step {
                Step::Send(req) | Step::Hold(_, req) => {
                    let picked = self.pick(&mut balancer, req);
                    let used = ServerId(
                        *observed
                            .get(picks.len())
                            .ok_or("fewer HAProxy picks than requests")?,
                    );
                    picks.push(picked);
                    balancer
                        .connection_opened(used)
                        .map_err(|e| format!("connection_opened({used}): {e}"))?;
                    match step {
                        Step::Hold(token, _) => {
                            held.insert(*token, used);
                        }
                        _ => balancer
                            .connection_closed(used)
                            .map_err(|e| format!("connection_closed({used}): {e}"))?,
                    }
                }
                Step::Release(token) => {
                    let id = held.remove(token).ok_or("release of an unknown token")?;
                    balancer
                        .connection_closed(id)
                        .map_err(|e| format!("connection_closed({id}): {e}"))?;
                }
                Step::Set(id, change) => apply_lbkit(&mut balancer, ServerId(*id), *change)?,
            }
        }
        Ok(picks)
    }

    /// The Balancer for this scenario's configuration and servers.
    fn balancer(&self) -> Res<Balancer> {
        let mut config = BalancerConfig::from_balance(&self.balance)
            .map_err(|e| format!("from_balance({:?}): {e}", self.balance))?;
        if let Some(h) = &self.hash_type {
            let parsed: HashType = h.parse().map_err(|e| format!("hash-type {h:?}: {e}"))?;
            config = config.hash_type(parsed);
        }
        config = config.allbackups(self.allbackups);
        config.hash_balance_factor = self.hash_balance_factor;
        let mut balancer = Balancer::new(config).map_err(|e| format!("Balancer::new: {e}"))?;
        for s in &self.servers {
            let mut cfg = ServerConfig::new(s.weight).maxconn(s.maxconn);
            if s.backup {
                cfg = cfg.backup();
            }
            balancer
                .add(ServerId(s.id), cfg)
                .map_err(|e| format!("add({}): {e}", s.id))?;
        }
        Ok(balancer)
    }

    /// The Balancer's pick for a request.
    fn pick(&self, balancer: &mut Balancer, req: &Request) -> Result<u32, String> {
        let mut key = RequestKey::new().src(req.src);
        match &req.payload {
            Payload::Http { uri, headers, body } => {
                key = key.uri(uri.as_bytes());
                if let Some(b) = body {
                    key = key.body(b.as_bytes());
                }
                if let Some(name) = &self.key_header {
                    if let Some((_, v)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
                    {
                        key = key.header(v.as_bytes());
                    }
                }
            }
            Payload::Rdp { cookie, .. } => {
                if let Some(c) = cookie {
                    key = key.cookie(c.as_bytes());
                }
            }
        }
        balancer
            .pick(&key)
            .map(|id| id.0)
            .map_err(|e| format!("error: {e}"))
    }

    /// Runs both sides and compares. Prints the agreement; returns a
    /// description of the first mismatches (or of a Balancer failure).
    pub(crate) fn check(&self, binary: &Path) -> Result<(), String> {
        let observed = self
            .run_haproxy(binary)
            .map_err(|e| format!("HAProxy side failed: {e}"))?;
        let lbkit = catch_unwind(AssertUnwindSafe(|| self.run_lbkit(&observed)))
            .map_err(|p| format!("{}: Balancer panicked: {}", self.name, panic_text(&*p)))
            .and_then(|r| r.map_err(|e| format!("{}: Balancer side failed: {e}", self.name)));
        match lbkit {
            Ok(lbkit) => compare(self, &observed, &lbkit),
            Err(e) => {
                eprintln!("{}: 0/{} compared", self.name, observed.len());
                Err(e)
            }
        }
    }
}

/// The message of a caught panic.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-text panic)".to_string()
    }
}

/// A `server` line.
fn server_line(s: &Server, addr: SocketAddr) -> String {
    let mut line = format!(
        "    server {} {addr} id {} weight {}",
        Server::name(s.id),
        s.id,
        s.weight
    );
    if s.maxconn > 0 {
        line.push_str(&format!(" maxconn {}", s.maxconn));
    }
    if s.backup {
        line.push_str(" backup");
    }
    line
}

/// Applies a runtime change to the Balancer.
fn apply_lbkit(balancer: &mut Balancer, id: ServerId, change: Change) -> Res<()> {
    let r = match change {
        Change::Weight(w) => balancer.set_weight(id, w),
        Change::Ready => balancer.set_state(id, ServerState::Up),
        Change::Drain => balancer.set_state(id, ServerState::Drain),
        Change::Maint => balancer.set_state(id, ServerState::Down),
        Change::Add(weight) => balancer.add(id, ServerConfig::new(weight)),
        Change::Delete => balancer.remove(id),
    };
    r.map_err(|e| format!("{change:?} on {id}: {e}"))
}

/// State of one run against HAProxy.
struct HaproxyRun<'a> {
    /// The scenario.
    scenario: &'a Scenario,
    /// The running HAProxy.
    haproxy: &'a Haproxy,
    /// Its backends.
    backends: &'a Backends,
    /// Held client connections and their servers, by token.
    held: HashMap<u64, (u32, TcpStream)>,
    /// Servers picked so far.
    picks: Vec<u32>,
}

impl HaproxyRun<'_> {
    /// Plays one step.
    fn step(&mut self, step: &Step) -> Res<()> {
        match step {
            Step::Send(req) => {
                let answered = self.send(req, None)?;
                self.picks.push(answered.server);
            }
            Step::Hold(token, req) => {
                let answered = self.send(req, Some(*token))?;
                self.picks.push(answered.server);
                self.held.insert(*token, (answered.server, answered.conn));
            }
            Step::Release(token) => {
                let (_, conn) = self
                    .held
                    .remove(token)
                    .ok_or("release of an unknown token")?;
                self.backends.release(*token)?;
                harness::finish(conn)?;
            }
            Step::Set(id, change) => self.change(*id, *change)?,
        }
        if self.scenario.sync_sessions {
            self.haproxy.wait_sessions(&self.expected_sessions())?;
        }
        Ok(())
    }

    /// Applies a runtime change through the runtime API.
    fn change(&self, id: u32, change: Change) -> Res<()> {
        let name = Server::name(id);
        match change {
            Change::Add(weight) => {
                let addr = self.backends.addr(id)?;
                let add = format!("add server be/{name} {addr} id {id} weight {weight}");
                let answer = self.haproxy.cli(&add)?;
                if !answer.contains("New server registered") {
                    return Err(format!("`{add}` answered: {}", answer.trim()));
                }
                self.haproxy.cli_ok(&format!("enable server be/{name}"))
            }
            Change::Delete => {
                let answer = self.haproxy.cli(&format!("del server be/{name}"))?;
                if answer.contains("Server deleted") {
                    Ok(())
                } else {
                    Err(format!(
                        "`del server be/{name}` answered: {}",
                        answer.trim()
                    ))
                }
            }
            Change::Weight(w) => self.haproxy.cli_ok(&format!("set weight be/{name} {w}")),
            Change::Ready => self
                .haproxy
                .cli_ok(&format!("set server be/{name} state ready")),
            Change::Drain => self
                .haproxy
                .cli_ok(&format!("set server be/{name} state drain")),
            Change::Maint => self
                .haproxy
                .cli_ok(&format!("set server be/{name} state maint")),
        }
    }

    /// Sends a request; a hold token makes the backend keep it open.
    fn send(&self, req: &Request, hold: Option<u64>) -> Res<Answered> {
        let frontend = self.haproxy.frontend();
        let mut bytes = harness::proxy_line(req.src, frontend).into_bytes();
        match &req.payload {
            Payload::Http { uri, headers, body } => {
                let method = if body.is_some() { "POST" } else { "GET" };
                let mut head = format!("{method} {uri} HTTP/1.1\r\n");
                for (n, v) in headers {
                    let _ = write!(head, "{n}: {v}\r\n");
                }
                if let Some(b) = body {
                    head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
                    let _ = write!(head, "Content-Length: {}\r\n", b.len());
                }
                if let Some(token) = hold {
                    let _ = write!(head, "X-Hold: {token}\r\n");
                }
                head.push_str("Connection: close\r\n\r\n");
                bytes.extend_from_slice(head.as_bytes());
                if let Some(b) = body {
                    bytes.extend_from_slice(b.as_bytes());
                }
            }
            Payload::Rdp { bytes: b, .. } => bytes.extend_from_slice(b),
        }
        harness::exchange(frontend, &bytes, hold.is_none())
    }

    /// Sessions per server name the test expects now: its held ones.
    fn expected_sessions(&self) -> HashMap<String, u32> {
        let mut m = HashMap::new();
        for (server, _) in self.held.values() {
            *m.entry(Server::name(*server)).or_insert(0) += 1;
        }
        m
    }
}

/// What the backend looked like before step `upto`: connections held per
/// server (as HAProxy placed them) and the runtime changes made so far.
fn context_before(s: &Scenario, observed: &[u32], upto: usize) -> String {
    let mut held: HashMap<u64, u32> = HashMap::new();
    let mut changes = Vec::new();
    let mut request = 0;
    for step in s.steps.iter().take(upto) {
        match step {
            Step::Send(_) => request += 1,
            Step::Hold(token, _) => {
                held.insert(*token, observed.get(request).copied().unwrap_or(0));
                request += 1;
            }
            Step::Release(token) => {
                held.remove(token);
            }
            Step::Set(id, change) => {
                changes.push(format!("s{id} {change:?} before request #{request}"))
            }
        }
    }
    let mut per_server: Vec<(u32, u32)> = Vec::new();
    for id in held.values() {
        match per_server.iter_mut().find(|(s, _)| s == id) {
            Some((_, n)) => *n += 1,
            None => per_server.push((*id, 1)),
        }
    }
    per_server.sort_unstable();
    let held: Vec<String> = per_server
        .iter()
        .map(|(id, n)| format!("s{id}:{n}"))
        .collect();
    format!(
        "held [{}], changes [{}]",
        held.join(" "),
        changes.join(", ")
    )
}

/// Prints the agreement; describes the first mismatches, if any.
fn compare(s: &Scenario, observed: &[u32], lbkit: &[Result<u32, String>]) -> Result<(), String> {
    // (step index, request) of every pick, in order.
    let requests: Vec<(usize, &Request)> = s
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, st)| match st {
            Step::Send(r) | Step::Hold(_, r) => Some((i, r)),
            _ => None,
        })
        .collect();
    let mismatches: Vec<usize> = (0..observed.len())
        .filter(|&i| {
            lbkit
                .get(i)
                .map(|l| l.as_ref() != Ok(&observed[i]))
                .unwrap_or(true)
        })
        .collect();
    eprintln!(
        "{}: {}/{} identical",
        s.name,
        observed.len() - mismatches.len(),
        s.requests()
    );
    if mismatches.is_empty() && observed.len() == s.requests() {
        return Ok(());
    }
    let mut msg = format!(
        "{}: {} of {} picks differ",
        s.name,
        mismatches.len(),
        observed.len()
    );
    for &i in mismatches.iter().take(SHOWN_MISMATCHES) {
        let (step, req) = requests
            .get(i)
            .map(|(st, r)| (*st, format!("{r:?}")))
            .unwrap_or_default();
        let ours = lbkit
            .get(i)
            .cloned()
            .unwrap_or_else(|| Err("no pick".to_string()));
        let ours = ours.map(|id| format!("s{id}")).unwrap_or_else(|e| e);
        let _ = write!(
            msg,
            "\n  request #{i} (step {step}): {req}\n    haproxy: s{}  lbkit: {ours}\n    before it: {}",
            observed[i],
            context_before(s, observed, step)
        );
    }
    Err(msg)
}
