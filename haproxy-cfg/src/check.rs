//! Whole-configuration checks `haproxy -c` makes once every section is
//! read: references between proxies, names, ports, certificates,
//! timeouts.

use crate::addr::{Host, Port};
use crate::diag::Diagnostic;
use crate::model::{Config, Located, Mode, Proxy, ProxyKind};
use crate::source::Span;
use crate::suggest;
use smol_str::SmolStr;
use std::collections::HashMap;

/// Proxies by name, hashed with FNV-1a (short names; see
/// [`crate::build::AclNames`]).
type ByName<'a> = HashMap<&'a str, &'a Summary, std::hash::BuildHasherDefault<crate::build::Fnv1a>>;

/// What the whole-configuration checks read of one frontend, backend or
/// listen, taken from it once it is built: a check that needs only the
/// verdict keeps this and drops the proxy.
#[derive(Clone, Debug)]
pub(crate) struct Summary {
    /// What kind.
    kind: ProxyKind,
    /// The name.
    name: SmolStr,
    /// The header line.
    span: Span,
    /// `mode`.
    mode: Mode,
    /// The `defaults` section inherited from.
    inherits: Option<SmolStr>,
    /// `default_backend` then each `use_backend`, with their keyword.
    targets: Vec<(&'static str, Located<SmolStr>)>,
    /// Each server's name, and whether it has a health or agent check
    /// (what `track` needs of it).
    servers: Vec<(SmolStr, bool)>,
    /// Servers with `track TARGET`: name, where the name is, target.
    tracks: Vec<(SmolStr, Span, SmolStr)>,
    /// `track-sc*` rules: the action and the `table` argument, if any.
    track_rules: Vec<(Located<SmolStr>, Option<SmolStr>)>,
    /// A `stick-table` is declared.
    stick_table: bool,
    /// Listening addresses of `bind` lines.
    pub(crate) listeners: usize,
    /// What the checks of this proxy alone find (servers, binds,
    /// timeouts), in that order.
    own: Vec<Diagnostic>,
}

impl Summary {
    /// What the checks need of `p`, with the findings of the checks that
    /// look at `p` alone.
    pub(crate) fn of(p: &Proxy) -> Summary {
        let mut targets = Vec::new();
        if p.kind.is_frontend() {
            targets.reserve_exact(p.use_backends.len() + 1);
            if let Some(d) = &p.default_backend {
                targets.push(("default_backend", d.clone()));
            }
            for u in &p.use_backends {
                targets.push(("use_backend", u.backend.clone()));
            }
        }
        let mut servers = Vec::with_capacity(p.servers.len());
        let mut tracks = Vec::new();
        for s in &p.servers {
            let checked = s.options.check == Some(true) || s.options.agent_check == Some(true);
            servers.push((s.name.value.clone(), checked));
            if let Some((_, Some(target))) =
                s.options.rare().other.iter().find(|(k, _)| k == "track")
            {
                tracks.push((s.name.value.clone(), s.name.span, target.clone()));
            }
        }
        let track_rules = p
            .rules
            .iter()
            .filter(|r| r.action.value.starts_with("track-sc"))
            .map(|r| {
                let table = r
                    .args
                    .iter()
                    .position(|a| a == "table")
                    .and_then(|i| r.args.get(i + 1))
                    .cloned();
                (r.action.clone(), table)
            })
            .collect();
        let mut own = Vec::new();
        server_checks(p, &mut own);
        binds(p, &mut own);
        timeouts(p, &mut own);
        Summary {
            kind: p.kind,
            name: p.name.clone(),
            span: p.span,
            mode: p.mode,
            inherits: p.inherits.clone(),
            targets,
            servers,
            tracks,
            track_rules,
            stick_table: p.stick_table.is_some(),
            listeners: p.binds.iter().map(|b| b.addresses.len()).sum(),
            own,
        }
    }

    /// The first server of this name: whether it is checked.
    fn server_checked(&self, name: &str) -> Option<bool> {
        self.servers
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, checked)| checked)
    }
}

/// Runs every check.
pub(crate) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    let proxies: Vec<Summary> = config.proxies.iter().map(Summary::of).collect();
    check_summaries(config, &proxies, diags);
}

/// Runs every check, the proxies (frontends, backends, listens) given by
/// their summaries, in configuration order.
pub(crate) fn check_summaries(config: &Config, proxies: &[Summary], diags: &mut Vec<Diagnostic>) {
    duplicate_proxies(proxies, diags);
    programs(config, diags);
    defaults_with_rules(config, proxies, diags);
    let mut by_name = ByName::with_capacity_and_hasher(proxies.len(), Default::default());
    for p in proxies.iter().filter(|p| p.kind.is_backend()) {
        by_name.entry(p.name.as_str()).or_insert(p);
    }
    for p in proxies {
        backends_exist(proxies, &by_name, p, diags);
        tracks(&by_name, p, diags);
        diags.extend(p.own.iter().cloned());
        tracked_tables(proxies, p, diags);
    }
}

/// True when `global` asks for master-worker mode (then `haproxy -c`
/// does not complain about a lack of listeners).
pub(crate) fn master_worker(config: &Config) -> bool {
    config
        .global
        .other
        .iter()
        .any(|l| l.words.first().is_some_and(|w| w == "master-worker"))
}

/// `program` sections need `master-worker` in `global`.
fn programs(config: &Config, diags: &mut Vec<Diagnostic>) {
    if master_worker(config) {
        return;
    }
    if let Some(p) = config.others.iter().find(|o| o.keyword == "program") {
        diags.push(
            Diagnostic::error(
                "E0207",
                "Can't use a 'program' section without master worker mode",
            )
            .at(p.span, "needs master-worker")
            .with_help("add `master-worker` to the global section"),
        );
    }
}

/// A `defaults` section with rules may serve frontends or backends, not
/// both.
fn defaults_with_rules(config: &Config, proxies: &[Summary], diags: &mut Vec<Diagnostic>) {
    for d in config
        .defaults
        .iter()
        .filter(|d| !d.rules.is_empty() && !d.name.is_empty())
    {
        let users = proxies.iter().filter(|p| {
            p.inherits.as_deref() == Some(d.name.as_str()) && p.kind != ProxyKind::Listen
        });
        let mut first_kind = None;
        for p in users {
            match first_kind {
                None => first_kind = Some(p.kind),
                Some(k) if k != p.kind => {
                    diags.push(
                        Diagnostic::error(
                            "E0208",
                            "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules",
                        )
                        .at(p.span, "inherits rules meant for the other side")
                        .with_label(d.span, "defaults section with rules")
                        .with_help("use one defaults section for frontends and another for backends"),
                    );
                    break;
                }
                Some(_) => {}
            }
        }
    }
}

/// `track-sc*` needs a stick table: the proxy's own, or the one named by
/// `table`.
fn tracked_tables(proxies: &[Summary], p: &Summary, diags: &mut Vec<Diagnostic>) {
    for (action, named) in &p.track_rules {
        let table = named.as_ref().map_or(p.name.as_str(), SmolStr::as_str);
        let found = proxies.iter().any(|q| q.name == table && q.stick_table);
        if !found {
            diags.push(
                Diagnostic::error(
                    "E0209",
                    format!(
                        "Proxy '{}': unable to find table '{table}' referenced by {}",
                        p.name, action.value
                    ),
                )
                .at(action.span, "no such stick table")
                .with_help("declare a `stick-table` in this proxy or name one with `table NAME`"),
            );
        }
    }
}

/// The number of listening sockets: `bind` lines of frontends and
/// listens, and `stats socket` lines.
pub(crate) fn listeners(config: &Config) -> usize {
    config
        .proxies
        .iter()
        .map(|p| p.binds.iter().map(|b| b.addresses.len()).sum::<usize>())
        .sum::<usize>()
        + config.global.stats_sockets.len()
}

/// Two frontends (or two backends) of one name; a listen counts as both.
fn duplicate_proxies(proxies: &[Summary], diags: &mut Vec<Diagnostic>) {
    let n = proxies.len();
    let mut frontends = ByName::with_capacity_and_hasher(n, Default::default());
    let mut backends = ByName::with_capacity_and_hasher(n, Default::default());
    for p in proxies {
        let mut clash = None;
        if p.kind.is_frontend() {
            clash = clash.or(frontends.get(p.name.as_str()).copied());
        }
        if p.kind.is_backend() {
            clash = clash.or(backends.get(p.name.as_str()).copied());
        }
        if let Some(q) = clash {
            diags.push(
                Diagnostic::error(
                    "E0202",
                    format!(
                        "{} '{}' has the same name as {} '{}' declared at line {}",
                        p.kind.keyword(),
                        p.name,
                        q.kind.keyword(),
                        q.name,
                        q.span.line
                    ),
                )
                .at(p.span, "second proxy of this name")
                .with_label(q.span, "first declared here")
                .with_help("give each frontend and each backend its own name"),
            );
            continue;
        }
        if p.kind.is_frontend() {
            frontends.insert(&p.name, p);
        }
        if p.kind.is_backend() {
            backends.insert(&p.name, p);
        }
    }
}

/// `default_backend` and `use_backend` name an existing backend of a
/// compatible mode.
fn backends_exist(
    proxies: &[Summary],
    by_name: &ByName<'_>,
    p: &Summary,
    diags: &mut Vec<Diagnostic>,
) {
    for (kw, target) in &p.targets {
        if target.value.contains('%') {
            continue;
        }
        let Some(&b) = by_name.get(target.value.as_str()) else {
            let names = proxies
                .iter()
                .filter(|b| b.kind.is_backend())
                .map(|b| b.name.as_str());
            let mut d = Diagnostic::error(
                "E0200",
                format!(
                    "Proxy '{}': unable to find required {kw}: '{}'",
                    p.name, target.value
                ),
            )
            .at(target.span, "no backend of this name");
            if let Some(g) = suggest::best(&target.value, names) {
                d = d.with_help(format!("did you mean '{g}'?"));
            }
            diags.push(d);
            continue;
        };
        if p.mode == Mode::Http && b.mode != Mode::Http {
            let which = if *kw == "default_backend" {
                "as its default backend"
            } else {
                "in a 'use_backend' rule"
            };
            diags.push(
                Diagnostic::error(
                    "E0201",
                    format!(
                        "http {} '{}' tries to use incompatible tcp {} '{}' {which} (see 'mode')",
                        p.kind.keyword(),
                        p.name,
                        b.kind.keyword(),
                        b.name
                    ),
                )
                .at(target.span, "a tcp backend")
                .with_label(b.span, "declared here without `mode http`")
                .with_help("set `mode http` in the backend too"),
            );
        }
    }
}

/// Servers with `check` need a port; cookies need HTTP.
fn server_checks(p: &Proxy, diags: &mut Vec<Diagnostic>) {
    for s in &p.servers {
        let inet = !matches!(s.address.host, Host::Path(_));
        let no_port = matches!(s.address.port, Port::None | Port::Offset(_));
        if s.options.check == Some(true) && inet && no_port && s.options.port.is_none() {
            diags.push(
                Diagnostic::error(
                    "E0204",
                    format!(
                        "{} '{}': server '{}' has neither service port nor check port",
                        p.kind.keyword(),
                        p.name,
                        s.name.value
                    ),
                )
                .at(s.name.span, "checked without a port")
                .with_help("give the address a port (`ADDR:PORT`) or add `port N`"),
            );
        }
        if s.options.rare().cookie.is_some() && p.mode != Mode::Http {
            diags.push(
                Diagnostic::warning(
                    "W0202",
                    format!(
                        "{} '{}' : ignoring cookie for server '{}' as HTTP mode is disabled",
                        p.kind.keyword(),
                        p.name,
                        s.name.value
                    ),
                )
                .at(s.name.span, "cookie ignored"),
            );
        }
    }
}

/// `track [PROXY/]SERVER` names a server that is checked.
fn tracks(by_name: &ByName<'_>, p: &Summary, diags: &mut Vec<Diagnostic>) {
    for (name, name_span, target) in &p.tracks {
        let (proxy, server) = target
            .split_once('/')
            .unwrap_or((p.name.as_str(), target.as_str()));
        let found = by_name.get(proxy).and_then(|q| q.server_checked(server));
        let message = match found {
            None => format!("'server {}/{}' : unable to find required server '{target}' for tracking", p.name, name),
            Some(false) => format!(
                "'server {}/{}' : unable to use {proxy}/{server} for tracking as it does not have any check nor agent enabled",
                p.name, name
            ),
            Some(true) => continue,
        };
        diags.push(
            Diagnostic::error("E0210", message)
                .at(*name_span, "tracks an unchecked or missing server")
                .with_help("add `check` to the tracked server"),
        );
    }
}

/// `ssl` on a bind needs a certificate.
fn binds(p: &Proxy, diags: &mut Vec<Diagnostic>) {
    for b in &p.binds {
        if b.ssl && b.crt.is_empty() && b.crt_list.is_empty() {
            diags.push(
                Diagnostic::error(
                    "E0205",
                    format!(
                        "Proxy '{}': no SSL certificate specified for bind (use 'crt')",
                        p.name
                    ),
                )
                .at(b.span, "`ssl` without `crt`")
                .with_help("add `crt /path/to/cert.pem`"),
            );
        }
    }
}

/// The timeouts HAProxy warns about when missing.
fn timeouts(p: &Proxy, diags: &mut Vec<Diagnostic>) {
    if p.kind == ProxyKind::Defaults {
        return;
    }
    let t = &p.timeouts;
    let mut missing = Vec::new();
    if p.kind.is_frontend() && t.client.as_ref().is_none_or(|v| v.value == 0) {
        missing.push("'client'");
    }
    if p.kind.is_backend() {
        if t.connect.as_ref().is_none_or(|v| v.value == 0) {
            missing.push("'connect'");
        }
        if t.server.as_ref().is_none_or(|v| v.value == 0) {
            missing.push("'server'");
        }
    }
    if missing.is_empty() {
        return;
    }
    diags.push(
        Diagnostic::warning(
            "W0200",
            format!("missing timeouts for {} '{}'", p.kind.keyword(), p.name),
        )
        .at(p.span, "timeouts not set")
        .with_help(format!(
            "set {} in this section or in its defaults",
            missing.join(", ")
        ))
        .with_note("while not properly invalid, you will certainly encounter various problems with such a configuration"),
    );
}
