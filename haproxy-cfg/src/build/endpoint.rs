//! `bind`, `server` and `default-server` lines.

use super::{bad_name_char, Env, Out};
use crate::addr::{self, Use};
use crate::diag::Diagnostic;
use crate::keywords::{BIND, SERVER};
use crate::model::{Bind, Located, Server, ServerOptions};
use crate::suggest;
use crate::tree::Line;
use crate::units::{self, TimeUnit};

/// Reads a `bind` line of proxy `section` (`frontend 'f'` style label).
pub(crate) fn bind(line: &Line, section: &str, env: &Env<'_>, out: &mut Out<'_>) -> Option<Bind> {
    let Some(list) = line.words.get(1) else {
        out.error(
            "E0101",
            line.span(),
            "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments",
            "address expected",
        );
        return None;
    };
    let mut addresses = Vec::new();
    for one in list.text.split(',') {
        match addr::parse(one, Use::Bind, env.resolve) {
            Ok(a) => addresses.push(a),
            Err(e) => {
                out.push(
                    Diagnostic::error("E0104", format!("'bind' : {e}"))
                        .at(list.span, "bad address")
                        .with_help("write `*:PORT`, `:PORT`, `ADDR:PORT`, `[IPv6]:PORT`, `ADDR:LOW-HIGH` or a UNIX socket path"),
                );
                return None;
            }
        }
    }
    let mut b = Bind {
        addresses,
        ssl: false,
        crt: Vec::new(),
        crt_list: Vec::new(),
        alpn: None,
        accept_proxy: false,
        options: Vec::new(),
        span: line.span(),
    };
    let mut i = 2;
    while let Some(w) = line.words.get(i) {
        let name = w.text.as_str();
        let Some(&(_, arity)) = crate::keywords::find(BIND, name, |b| b.0) else {
            let mut d = Diagnostic::error(
                "E0100",
                format!(
                    "'bind {}' in section '{section}': unknown keyword '{name}'",
                    list.text
                ),
            )
            .at(w.span, "unknown bind option");
            if let Some(g) = suggest::best(name, BIND.iter().map(|(n, _)| *n)) {
                d = d.with_help(format!("did you mean '{g}'?"));
            }
            out.push(d);
            return None;
        };
        let value = if arity == 1 {
            let Some(v) = line.words.get(i + 1) else {
                out.error(
                    "E0101",
                    w.span,
                    format!("'bind {}' : '{name}' expects an argument", list.text),
                    "argument expected",
                );
                return None;
            };
            Some(v)
        } else {
            None
        };
        match (name, value) {
            ("ssl", _) => b.ssl = true,
            ("accept-proxy", _) => b.accept_proxy = true,
            ("crt", Some(v)) => {
                if !(env.exists)(&v.text) {
                    out.error(
                        "E0111",
                        v.span,
                        format!("'bind {}' in section '{section}' : unable to stat SSL certificate from file '{}' : No such file or directory", list.text, v.text),
                        "no such file or directory",
                    );
                    return None;
                }
                b.crt.push(v.text.clone());
            }
            ("crt-list", Some(v)) => {
                if !(env.exists)(&v.text) {
                    out.error(
                        "E0111",
                        v.span,
                        format!("'bind {}' in section '{section}' : 'crt-list' : cannot open file '{}' : No such file or directory", list.text, v.text),
                        "no such file",
                    );
                    return None;
                }
                b.crt_list.push(v.text.clone());
            }
            ("alpn", Some(v)) => b.alpn = Some(v.text.clone()),
            ("verify", Some(v)) if !matches!(v.text.as_str(), "none" | "optional" | "required") => {
                out.error(
                    "E0103",
                    v.span,
                    format!("'bind {}' in section '{section}' : 'verify' : unknown verify method '{}', only 'none', 'optional', and 'required' are supported", list.text, v.text),
                    "none, optional or required",
                );
                return None;
            }
            _ => {}
        }
        b.options.push((name.into(), value.map(|v| v.text.clone())));
        i += 1 + usize::from(arity);
    }
    Some(b)
}

/// Reads a `server NAME ADDR [options]` line; `defaults` are the
/// `default-server` options in force.
pub(crate) fn server(
    line: &Line,
    proxy: &str,
    defaults: &ServerOptions,
    env: &Env<'_>,
    out: &mut Out<'_>,
) -> Option<Server> {
    let (Some(name), Some(address)) = (line.words.get(1), line.words.get(2)) else {
        out.error(
            "E0101",
            line.span(),
            "'server' expects <name> and <addr>[:<port>] as arguments",
            "name and address expected",
        );
        return None;
    };
    if let Some(c) = bad_name_char(&name.text) {
        out.error(
            "E0110",
            name.span,
            format!(
                "character '{c}' is not permitted in server name '{}'",
                name.text
            ),
            "bad character",
        );
        return None;
    }
    // Written out only when a diagnostic needs it.
    let label = ServerLabel {
        proxy,
        server: &name.text,
    };
    let mut opts = options(line, 3, &label, false, out)?;
    let address = match addr::parse(&address.text, Use::Server, env.resolve) {
        Ok(a) => a,
        Err(e) => {
            out.push(
                Diagnostic::error("E0104", format!("{label} : {e}"))
                    .at(address.span, "bad address")
                    .with_help("give an IP address (a name must resolve when the configuration is checked)"),
            );
            return None;
        }
    };
    opts = opts.over(defaults);
    Some(Server {
        name: Located::new(name.text.clone(), name.span),
        address,
        options: opts,
        span: line.span(),
    })
}

/// A number already checked against a 32-bit bound, as the model keeps
/// it.
fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `'server PROXY/NAME'`, as diagnostics name a server.
struct ServerLabel<'a> {
    /// The proxy's name.
    proxy: &'a str,
    /// The server's name.
    server: &'a str,
}

impl std::fmt::Display for ServerLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'server {}/{}'", self.proxy, self.server)
    }
}

/// Reads server options from word `from` on. `default_server` changes the
/// wording of unknown keywords as HAProxy does.
pub(crate) fn options(
    line: &Line,
    from: usize,
    label: &dyn std::fmt::Display,
    default_server: bool,
    out: &mut Out<'_>,
) -> Option<ServerOptions> {
    let mut o = ServerOptions::default();
    let mut i = from;
    while let Some(w) = line.words.get(i) {
        let name = w.text.as_str();
        let Some(arity) = crate::keywords::server_option_arity(name) else {
            let mut d = Diagnostic::error("E0100", format!("{label} : unknown keyword '{name}'"))
                .at(w.span, "unknown server option");
            if let Some(g) = suggest::best(name, SERVER.iter().map(|(n, _)| *n)) {
                d = d.with_help(format!("did you mean '{g}'?"));
            }
            if default_server && i == from {
                d = d.with_note("no address is expected on a 'default-server' line");
            }
            out.push(d);
            return None;
        };
        let value = if arity == 1 {
            match line.words.get(i + 1) {
                Some(v) => Some(v),
                // HAProxy reads these missing values as empty ones (0).
                None if matches!(
                    name,
                    "weight" | "maxconn" | "maxqueue" | "minconn" | "init-addr"
                ) =>
                {
                    None
                }
                None => {
                    out.error(
                        "E0101",
                        w.span,
                        format!("{label} : '{name}' expects an argument"),
                        "argument expected",
                    );
                    return None;
                }
            }
        } else {
            None
        };
        let text = value.map_or("", |v| v.text.as_str());
        let vspan = value.map_or(w.span, |v| v.span);
        let int = |out: &mut Out<'_>, max: u64| -> Option<u64> {
            if let Some(n) = units::parse_uint(text, max) {
                return Some(n);
            }
            out.error("E0103", vspan, format!("{label} : '{name}' expects an integer argument between 0 and {max} (got '{text}')"), "bad number");
            None
        };
        let time = |out: &mut Out<'_>| -> Option<u64> {
            match units::parse_time(text, TimeUnit::Ms) {
                Ok(ms) if ms > 0 => Some(ms),
                Ok(_) => {
                    out.error(
                        "E0103",
                        vspan,
                        format!("{label} : invalid value 0 for '{name}', must be > 0"),
                        "must be positive",
                    );
                    None
                }
                Err(e) => {
                    out.error(
                        "E0103",
                        vspan,
                        format!("{label} : {e} in '{name}' argument"),
                        "bad time",
                    );
                    None
                }
            }
        };
        match name {
            "check" => o.check = Some(true),
            "no-check" => o.check = Some(false),
            "backup" => o.backup = Some(true),
            "no-backup" => o.backup = Some(false),
            "ssl" => o.ssl = Some(true),
            "no-ssl" => o.ssl = Some(false),
            "check-ssl" => o.check_ssl = Some(true),
            "no-check-ssl" => o.check_ssl = Some(false),
            "send-proxy" => o.send_proxy = Some(true),
            "no-send-proxy" => o.send_proxy = Some(false),
            "agent-check" => o.agent_check = Some(true),
            "no-agent-check" => o.agent_check = Some(false),
            "disabled" => o.disabled = Some(true),
            "enabled" => o.disabled = Some(false),
            "inter" => o.inter = Some(narrow(time(out)?)),
            "fastinter" => o.rare_mut().fastinter = Some(narrow(time(out)?)),
            "downinter" => o.rare_mut().downinter = Some(narrow(time(out)?)),
            "slowstart" => {
                o.rare_mut().slowstart = Some(narrow(
                    units::parse_time(text, TimeUnit::Ms)
                        .map_err(|e| {
                            out.error(
                                "E0103",
                                vspan,
                                format!("{label} : {e} in 'slowstart' argument"),
                                "bad time",
                            );
                        })
                        .ok()?,
                ));
            }
            "rise" | "fall" => {
                let n = units::atol(text);
                if n <= 0 {
                    out.error(
                        "E0103",
                        vspan,
                        format!("{label} : '{name}' has to be > 0"),
                        "must be positive",
                    );
                    return None;
                }
                // HAProxy keeps these in an `int`.
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                if name == "rise" {
                    o.rise = Some(n);
                } else {
                    o.fall = Some(n);
                }
            }
            "weight" => {
                let n = units::atol(text);
                if !(0..=256).contains(&n) {
                    out.error(
                        "E0103",
                        vspan,
                        format!("{label} : weight of server is not within 0 and 256 ({n})"),
                        "out of range",
                    );
                    return None;
                }
                o.weight = u32::try_from(n).ok();
            }
            "maxconn" | "maxqueue" => {
                let n = if text.is_empty() {
                    0
                } else {
                    int(out, u64::from(u32::MAX))?
                };
                if name == "maxconn" {
                    o.maxconn = Some(narrow(n));
                } else {
                    o.rare_mut().maxqueue = Some(narrow(n));
                }
            }
            "port" => o.port = Some(narrow(int(out, 65535)?)),
            "agent-port" => o.rare_mut().agent_port = Some(narrow(int(out, 65535)?)),
            "id" => {
                let n = int(out, i32::MAX as u64)?;
                if n == 0 {
                    out.error(
                        "E0103",
                        vspan,
                        format!("{label} : custom id has to be > 0"),
                        "must be positive",
                    );
                    return None;
                }
                o.rare_mut().id = Some(narrow(n));
            }
            "cookie" => o.rare_mut().cookie = Some(text.into()),
            "verify" => {
                if !matches!(text, "none" | "required") {
                    out.error("E0103", vspan, format!("{label} : 'verify' : unknown verify method '{text}', only 'none' and 'required' are supported"), "none or required");
                    return None;
                }
                o.rare_mut().verify = Some(text.into());
            }
            "sni" => {
                if let Err(e) = super::acl::sample(text, false) {
                    out.error(
                        "E0109",
                        vspan,
                        format!(
                            "{label} : error detected while parsing sni expression : {}",
                            e.0
                        ),
                        "bad expression",
                    );
                    return None;
                }
                o.rare_mut().sni = Some(text.into());
            }
            _ => o
                .rare_mut()
                .other
                .push((name.into(), value.map(|v| v.text.clone()))),
        }
        i += 1 + usize::from(arity);
    }
    Some(o)
}
