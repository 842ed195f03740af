//! Health checks: servers with `check` run through lbkit-healthcheck's
//! monitor, whose HAProxy state machines (`inter fastinter downinter rise
//! fall`) drive [`Handle::set_server_state`].

use super::Ctx;
use haproxy_rs::ops::snapshot::{Check as CheckFigures, CheckStatus};
use haproxy_rs::proxy::config::Server;
use haproxy_rs::proxy::{Handle, ServerState};
use http::{Method, Version};
use lbkit_haproxy_cfg::model::{self, ProxyKind};
use lbkit_haproxy_cfg::{Section, Span};
use lbkit_healthcheck::checkers::http::{Expect, HttpCheck};
use lbkit_healthcheck::checkers::tcp::TcpCheck;
use lbkit_healthcheck::checkers::Check;
use lbkit_healthcheck::haproxy::{self, Server as CheckedServer};
use lbkit_healthcheck::monitor::Monitor;
use lbkit_healthcheck::scheduler::{CheckId, Options};
use lbkit_healthcheck::{Status, TransitionKind};
use std::net::SocketAddr;
use std::time::Duration;

/// One checked server: where it is in the engine, what to run and the
/// rise/fall settings.
#[derive(Debug, Clone)]
pub(crate) struct ServerCheck {
    /// The backend's name.
    pub(crate) backend: String,
    /// The server's name.
    pub(crate) server: String,
    /// The check to run.
    pub(crate) check: Check,
    /// `inter fastinter downinter rise fall weight slowstart`.
    pub(crate) settings: haproxy::Config,
}

/// `option httpchk [METHOD] [URI] [VERSION]` as HAProxy reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpChk {
    /// The method (`OPTIONS` by default).
    pub(crate) method: String,
    /// The URI (`/` by default).
    pub(crate) uri: String,
    /// `HTTP/1.0` by default; `HTTP/1.1`.
    pub(crate) version: String,
    /// Headers appended to the version the old way (`HTTP/1.1\r\nHost:\ x`).
    pub(crate) headers: Vec<(String, String)>,
}

impl HttpChk {
    /// Reads the words after `option httpchk`.
    pub(crate) fn parse(words: &[&str]) -> HttpChk {
        let (method, uri, version) = match words {
            [] => ("OPTIONS", "/", "HTTP/1.0"),
            [uri] => ("OPTIONS", *uri, "HTTP/1.0"),
            [m, uri] => (*m, *uri, "HTTP/1.0"),
            [m, uri, v, ..] => (*m, *uri, *v),
        };
        let mut parts = version.split("\r\n");
        let version = parts.next().unwrap_or("HTTP/1.0").to_string();
        let headers = parts
            .filter_map(|h| h.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        HttpChk {
            method: method.to_string(),
            uri: uri.to_string(),
            version,
            headers,
        }
    }
}

/// The checks of a backend's servers that have `check`.
pub(crate) fn server_checks(
    cx: &mut Ctx<'_>,
    p: &model::Proxy,
    servers: &[Server],
) -> Vec<ServerCheck> {
    let httpchk = p.option("httpchk").then(|| {
        lines_of(cx, p, "option", Some("httpchk"))
            .map_or_else(|| HttpChk::parse(&[]), |w| HttpChk::parse(&w))
    });
    let expect = http_expect(cx, p);
    let mut out = Vec::new();
    for s in &p.servers {
        let o = &s.options;
        // A `disabled` server stays in maintenance: its checks could only
        // bring it up against the configuration's wish.
        if o.check != Some(true) || o.disabled == Some(true) {
            continue;
        }
        let Some(engine) = servers.iter().find(|e| e.name == s.name.value.as_str()) else {
            continue;
        };
        if o.agent_check == Some(true) {
            cx.warn(s.span, "'agent-check' is not run");
        }
        if o.check_ssl == Some(true) {
            cx.error(s.span, "'check-ssl' is not supported");
            continue;
        }
        let inter = Duration::from_millis(u64::from(o.inter.unwrap_or(2000).max(1)));
        let rare = o.rare();
        let settings = haproxy::Config {
            inter,
            fastinter: rare.fastinter.map(|v| Duration::from_millis(u64::from(v))),
            downinter: rare.downinter.map(|v| Duration::from_millis(u64::from(v))),
            rise: count(o.rise, 2),
            fall: count(o.fall, 3),
            weight: count(o.weight, 1),
            slowstart: Duration::from_millis(u64::from(rare.slowstart.unwrap_or(0))),
            ..haproxy::Config::default()
        };
        let port = o
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(engine.addr.port());
        let addr = SocketAddr::new(engine.addr.ip(), port);
        // HAProxy: without `timeout check`, `inter` bounds the whole check;
        // with it, the connection gets min(`timeout connect`, `inter`) and
        // the answer `timeout check` more.
        let timeout = match (&p.timeouts.check, &p.timeouts.connect) {
            (Some(c), Some(k)) => {
                inter.min(Duration::from_millis(k.value)) + Duration::from_millis(c.value)
            }
            (Some(c), None) => inter + Duration::from_millis(c.value),
            (None, _) => inter,
        };
        let check = match &httpchk {
            Some(h) => match http_check(addr, timeout, h, &expect) {
                Ok(c) => Check::Http(Box::new(c)),
                Err(e) => {
                    cx.error(s.span, e);
                    continue;
                }
            },
            None => Check::Tcp(TcpCheck::new(addr, timeout)),
        };
        out.push(ServerCheck {
            backend: p.name.to_string(),
            server: engine.name.clone(),
            check,
            settings,
        });
    }
    out
}

/// A count setting at least 1.
fn count(v: Option<u32>, default: u32) -> u32 {
    v.map_or(default, |v| v.max(1))
}

/// The HTTP check of `option httpchk` and `http-check expect`.
fn http_check(
    addr: SocketAddr,
    timeout: Duration,
    h: &HttpChk,
    expect: &Expect,
) -> Result<HttpCheck, String> {
    let mut c = HttpCheck::new(addr, timeout);
    c.method = Method::from_bytes(h.method.as_bytes())
        .map_err(|_| format!("invalid check method '{}'", h.method))?;
    c.uri = h.uri.clone();
    c.version = match h.version.as_str() {
        "HTTP/1.0" => Version::HTTP_10,
        "HTTP/1.1" => Version::HTTP_11,
        v => return Err(format!("check version '{v}' is not supported")),
    };
    for (n, v) in &h.headers {
        if n.eq_ignore_ascii_case("host") {
            c.host = Some(v.clone());
        } else {
            c.headers.push((n.clone(), v.clone()));
        }
    }
    c.expect = expect.clone();
    Ok(c)
}

/// `http-check expect status N[-M][,...] | string TEXT` (the last one).
fn http_expect(cx: &mut Ctx<'_>, p: &model::Proxy) -> Expect {
    let Some(words) = lines_of(cx, p, "http-check", Some("expect")) else {
        return Expect::Default;
    };
    match words.as_slice() {
        ["status", codes] => match status_ranges(codes) {
            Some(r) => Expect::Status(r),
            None => {
                cx.error(
                    p.span,
                    format!("'{}': bad 'http-check expect status {codes}'", p.name),
                );
                Expect::Default
            }
        },
        ["string", text] => Expect::String((*text).to_string()),
        other => {
            cx.error(
                p.span,
                format!(
                    "'{}': 'http-check expect {}' is not supported",
                    p.name,
                    other.join(" ")
                ),
            );
            Expect::Default
        }
    }
}

/// `200`, `200-399`, `200,301-302`.
pub(crate) fn status_ranges(text: &str) -> Option<Vec<std::ops::RangeInclusive<u16>>> {
    text.split(',')
        .map(|part| {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b) = (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?);
            (a <= b).then_some(a..=b)
        })
        .collect()
}

/// The words after `KEYWORD [SUB]` of the last such line of the proxy's
/// section, else of the `defaults` section it inherits from (the model
/// keeps these lines' arguments only in the tree).
fn lines_of<'a>(
    cx: &Ctx<'a>,
    p: &model::Proxy,
    keyword: &str,
    sub: Option<&str>,
) -> Option<Vec<&'a str>> {
    let loaded = cx.loaded();
    let find = |span: Span| -> Option<Vec<&'a str>> {
        let section = section_at(&loaded.tree.sections, span)?;
        section
            .lines
            .iter()
            .rev()
            .find(|l| l.word(0) == Some(keyword) && sub.is_none_or(|s| l.word(1) == Some(s)))
            .map(|l| {
                let skip = 1 + usize::from(sub.is_some());
                l.words.iter().skip(skip).map(|w| w.as_str()).collect()
            })
    };
    if let Some(found) = find(p.span) {
        return Some(found);
    }
    let parent = p.inherits.as_deref()?;
    let before = |d: &&model::Proxy| (d.span.file, d.span.offset) < (p.span.file, p.span.offset);
    let d = loaded
        .config
        .defaults
        .iter()
        .filter(before)
        .rfind(|d| d.kind == ProxyKind::Defaults && d.name.as_str() == parent)?;
    find(d.span)
}

/// The section whose header is at `span`'s line.
fn section_at(sections: &[Section], span: Span) -> Option<&Section> {
    sections.iter().find(|s| {
        let h = s.header.span();
        h.file == span.file && h.line == span.line
    })
}

/// The status of a finished check as the reports number it.
fn check_status(s: Status) -> CheckStatus {
    match s {
        Status::SockErr => CheckStatus::SockErr,
        Status::L4Ok => CheckStatus::L4Ok,
        Status::L4Timeout => CheckStatus::L4Tout,
        Status::L4Con => CheckStatus::L4Con,
        Status::L6Ok => CheckStatus::L6Ok,
        Status::L6Timeout => CheckStatus::L6Tout,
        Status::L6Rsp => CheckStatus::L6Rsp,
        Status::L7Timeout => CheckStatus::L7Tout,
        Status::L7Rsp => CheckStatus::L7Rsp,
        Status::L7Ok => CheckStatus::L7Ok,
        Status::L7OkCond => CheckStatus::L7OkC,
        Status::L7Sts => CheckStatus::L7Sts,
        Status::ProcErr => CheckStatus::ProcErr,
        Status::ProcTimeout => CheckStatus::ProcTout,
        Status::ProcOk => CheckStatus::ProcOk,
        Status::Hana => CheckStatus::Hana,
    }
}

/// Folds one finished check into a server's figures: HAProxy's health
/// counter (0 ..= rise+fall-1, up from `rise`), failures and the times it
/// went down.
fn record(fig: &mut CheckFigures, update: &lbkit_healthcheck::monitor::Update) {
    let r = &update.completed.outcome.result;
    fig.status = check_status(r.status);
    fig.code = r.code.and_then(|c| u16::try_from(c).ok());
    fig.duration_ms = u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX);
    fig.info = r.info.clone().unwrap_or_default();
    let top = fig.rise + fig.fall.saturating_sub(1);
    if matches!(fig.status.result(), 3 | 4) {
        fig.health = if fig.health + 1 >= fig.rise {
            top
        } else {
            fig.health + 1
        };
    } else {
        fig.failures += 1;
        fig.health = if fig.health > fig.rise {
            fig.health - 1
        } else {
            0
        };
    }
    let down = update
        .transitions
        .iter()
        .any(|t| matches!(t.kind, TransitionKind::Down));
    if down {
        fig.down_transitions += 1;
    }
}

/// Runs the checks until the proxy stops, applying every state change
/// through `handle`. Servers start up, as HAProxy starts them.
pub(crate) async fn run(checks: Vec<ServerCheck>, handle: Handle, quiet: bool) {
    if checks.is_empty() {
        return;
    }
    let mut monitor = Monitor::new(Options::default());
    let max_inter = checks
        .iter()
        .map(|c| c.settings.inter)
        .max()
        .unwrap_or(Duration::from_secs(2));
    let count = u32::try_from(checks.len()).unwrap_or(u32::MAX);
    let now = tokio::time::Instant::now();
    for (i, c) in checks.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let first = now + CheckedServer::first_check_offset(max_inter, index, count);
        let id = CheckId(i as u64);
        if monitor
            .add(id, c.check.clone(), c.settings.clone(), first)
            .is_err()
        {
            return;
        }
    }
    let mut figures: Vec<CheckFigures> = checks
        .iter()
        .map(|c| CheckFigures {
            rise: c.settings.rise,
            fall: c.settings.fall,
            health: c.settings.rise + c.settings.fall.saturating_sub(1),
            ..CheckFigures::default()
        })
        .collect();
    while let Some(update) = monitor.next().await {
        let Some((c, fig)) = usize::try_from(update.id.0)
            .ok()
            .and_then(|i| Some((checks.get(i)?, figures.get_mut(i)?)))
        else {
            continue;
        };
        record(fig, &update);
        let _ = handle.record_check(&c.backend, &c.server, fig.clone());
        for t in &update.transitions {
            let state = match t.kind {
                TransitionKind::Up | TransitionKind::Ready => ServerState::Up,
                TransitionKind::Down | TransitionKind::Maintenance => ServerState::Down,
                TransitionKind::Drain | TransitionKind::Stopping => ServerState::Drain,
                _ => continue,
            };
            if !quiet {
                eprintln!(
                    "[WARNING] Server {}/{} is {}. {}",
                    c.backend,
                    c.server,
                    match state {
                        ServerState::Up => "UP",
                        ServerState::Down => "DOWN",
                        _ => "DRAIN",
                    },
                    t.reason
                );
            }
            let _ = handle.set_server_state(&c.backend, &c.server, state);
        }
    }
}
