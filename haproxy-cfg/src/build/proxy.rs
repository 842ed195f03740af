//! Proxy sections: `defaults`, `frontend`, `backend`, `listen`; their
//! header (name, `from`), what they inherit, and their keyword lines.

use super::acl;
use super::endpoint;
use super::global::{log_target, unknown, NEGATION_MESSAGE};
use super::{bad_name_char, proxy_kind, raw, word_or_end, AclNames, Env, Out};
use crate::diag::Diagnostic;
use crate::keywords::{self, OPTIONS, OPTIONS_SPECIAL};
use crate::model::{
    Balance, Config, Cookie, HashType, Located, Mode, Proxy, ProxyKind, Rule, Timeouts, UseBackend,
};
use crate::source::Span;
use crate::suggest;
use crate::tree::{Line, Section};
use crate::units::{self, TimeError, TimeUnit};
use smol_str::SmolStr;

/// Special options that accept `no option`.
const NEGATABLE_SPECIAL: &[&str] = &[
    "redispatch",
    "http-server-close",
    "httpclose",
    "http-keep-alive",
    "accept-invalid-http-request",
    "accept-invalid-http-response",
    "http-use-htx",
];

/// Special options that only make sense with backend capability.
const BACKEND_SPECIAL: &[&str] = &[
    "httpchk",
    "ssl-hello-chk",
    "smtpchk",
    "pgsql-check",
    "redis-check",
    "mysql-check",
    "ldap-check",
    "spop-check",
    "tcp-check",
    "external-check",
    "redispatch",
];

/// The `timeout` kinds, and whether each is for the frontend side, the
/// backend side, or both.
const TIMEOUTS: &[(&str, bool, bool)] = &[
    ("client", true, false),
    ("server", false, true),
    ("connect", false, true),
    ("check", false, true),
    ("queue", false, true),
    ("http-keep-alive", true, true),
    ("http-request", true, true),
    ("tunnel", false, true),
    ("tarpit", true, true),
    ("client-fin", true, false),
    ("server-fin", false, true),
];

/// Keywords that need the frontend capability.
const FRONTEND_ONLY: &[&str] = &[
    "bind",
    "default_backend",
    "use_backend",
    "monitor-uri",
    "capture",
    "backlog",
    "monitor",
    "unique-id-format",
    "unique-id-header",
];

/// Keywords that need the backend capability.
const BACKEND_ONLY: &[&str] = &[
    "server",
    "default-server",
    "server-template",
    "balance",
    "hash-type",
    "cookie",
    "retries",
    "fullconn",
    "use-server",
    "dispatch",
    "http-reuse",
    "source",
    "http-check",
    "tcp-check",
    "hash-balance-factor",
    "http-send-name-header",
    "retry-on",
    "persist",
    "force-persist",
    "ignore-persist",
    "load-server-state-from-file",
    "server-state-file-name",
    "dynamic-cookie-key",
];

/// Keywords refused in any `defaults` section.
const NOT_IN_DEFAULTS: &[&str] = &[
    "bind",
    "server",
    "server-template",
    "use_backend",
    "use-server",
    "capture",
    "dispatch",
    "force-persist",
    "ignore-persist",
    "redirect",
    "http-send-name-header",
    "description",
    "id",
];

/// Keywords refused in an anonymous `defaults` section only.
const NOT_IN_ANONYMOUS_DEFAULTS: &[&str] = &[
    "acl",
    "http-request",
    "http-response",
    "http-after-response",
    "tcp-request",
    "tcp-response",
];

/// Error codes `errorfile` accepts.
const ERROR_CODES: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
];

/// Reads a proxy section's header and starts its proxy from the
/// `defaults` it inherits. `None` when the header is refused (its lines
/// are then refused too).
pub(crate) fn header(
    section: &Section,
    config: &Config,
    last_defaults: Option<usize>,
    out: &mut Out<'_>,
) -> Option<Proxy> {
    let kind = proxy_kind(section.kind)?;
    let h = &section.header;
    let kw = kind.keyword();
    let name = h.words.get(1);
    let reject_lines = |out: &mut Out<'_>| {
        for line in &section.lines {
            out.error(
                "E0121",
                line.words[0].span,
                "'listen' or 'defaults' expected",
                "this section's header was refused",
            );
        }
    };
    let name_text = match name {
        Some(n) => n.text.clone(),
        None if kind == ProxyKind::Defaults => SmolStr::default(),
        None => {
            out.error(
                "E0101",
                h.span(),
                format!("'{kw}' expects an <id> argument"),
                "name expected",
            );
            reject_lines(out);
            return None;
        }
    };
    if let Some(c) = bad_name_char(&name_text) {
        if let Some(n) = name {
            out.error(
                "E0110",
                n.span,
                format!("character '{c}' is not permitted in '{kw}' name '{name_text}'"),
                "bad character",
            );
        }
        reject_lines(out);
        return None;
    }
    // `from NAME` after the name; anything else is an old-style address.
    let mut from: Option<&crate::lex::Word> = None;
    match h.words.get(2).map(|w| w.text.as_str()) {
        None => {}
        Some("from") => {
            from = h.words.get(3);
            if let Some(extra) = h.words.get(4) {
                out.error(
                    "E0102",
                    extra.span,
                    format!("'{kw}' cannot handle unexpected argument '{}'", extra.text),
                    "unexpected argument",
                );
            }
        }
        Some(_) if kind == ProxyKind::Frontend || kind == ProxyKind::Listen => {
            let d = Diagnostic::error(
                "E0120",
                "please use the 'bind' keyword for listening addresses",
            )
            .at(h.words[2].span, "address on the header line")
            .with_help(format!(
                "write `{kw} {name_text}` and then `bind {}`",
                h.words[2].text
            ));
            if section.lines.is_empty() {
                let mut d = d;
                d.severity = crate::Severity::Warning;
                d.notes
                    .push("HAProxy reports this as an ALERT and drops the section".into());
                out.push(d);
            } else {
                out.push(d);
                reject_lines(out);
            }
            return None;
        }
        Some(_) => {
            out.error(
                "E0102",
                h.words[2].span,
                format!(
                    "'{kw}' cannot handle unexpected argument '{}'",
                    h.words[2].text
                ),
                "unexpected argument",
            );
        }
    }
    let base: Option<&Proxy> = match from.filter(|w| !w.text.is_empty()) {
        Some(f) => {
            let found = config.defaults.iter().rev().find(|d| d.name == f.text);
            if found.is_none() {
                out.error(
                    "E0206",
                    f.span,
                    format!(
                        "defaults section '{}' not found for {kw} '{name_text}'",
                        f.text
                    ),
                    "no defaults section of this name before here",
                );
            }
            found
        }
        None => last_defaults.and_then(|i| config.defaults.get(i)),
    };
    let mut p = match base {
        Some(d) => inherit(kind, &name_text, h.span(), d),
        None => Proxy::new(kind, name_text, h.span()),
    };
    p.span = h.span();
    Some(p)
}

/// A new proxy of `kind` with what it takes from the defaults section `d`.
pub(crate) fn inherit(kind: ProxyKind, name: &str, span: Span, d: &Proxy) -> Proxy {
    let mut p = Proxy::new(kind, name, span);
    p.inherits = Some(d.name.clone());
    if kind == ProxyKind::Defaults {
        let mut copy = d.clone();
        copy.kind = kind;
        copy.name = name.into();
        copy.span = span;
        copy.inherits = Some(d.name.clone());
        copy.acls.clear();
        copy.rules.clear();
        return copy;
    }
    p.mode = d.mode;
    p.options = d.options.clone();
    p.logs = d.logs.clone();
    p.errorfiles = d.errorfiles.clone();
    p.stats = d.stats.clone();
    let t = &d.timeouts;
    let mut nt = Timeouts::default();
    if kind.is_frontend() {
        nt.client = t.client.clone();
        nt.client_fin = t.client_fin.clone();
        nt.http_request = t.http_request.clone();
        nt.http_keep_alive = t.http_keep_alive.clone();
        nt.tarpit = t.tarpit.clone();
        p.maxconn = d.maxconn;
        p.default_backend = d.default_backend.clone();
    }
    if kind.is_backend() {
        nt.server = t.server.clone();
        nt.server_fin = t.server_fin.clone();
        nt.connect = t.connect.clone();
        nt.check = t.check.clone();
        nt.queue = t.queue.clone();
        nt.tunnel = t.tunnel.clone();
        if nt.http_request.is_none() {
            nt.http_request = t.http_request.clone();
        }
        if nt.http_keep_alive.is_none() {
            nt.http_keep_alive = t.http_keep_alive.clone();
        }
        if nt.tarpit.is_none() {
            nt.tarpit = t.tarpit.clone();
        }
        p.balance = d.balance.clone();
        p.hash_type = d.hash_type.clone();
        p.retries = d.retries;
        p.cookie = d.cookie.clone();
        p.default_server = d.default_server.clone();
    }
    p.timeouts = nt;
    p
}

/// The `frontend 'f'` wording of a proxy.
fn label(p: &Proxy) -> String {
    format!("{} '{}'", p.kind.keyword(), p.name)
}

/// Warns that a keyword is ignored for lack of capability; true when it
/// is.
fn lacks_capability(p: &Proxy, kw: &str, span: Span, out: &mut Out<'_>) -> bool {
    let (missing, cap) = if FRONTEND_ONLY.contains(&kw) && !p.kind.is_frontend() {
        (true, "frontend")
    } else if BACKEND_ONLY.contains(&kw) && !p.kind.is_backend() {
        (true, "backend")
    } else {
        (false, "")
    };
    if missing {
        out.push(
            Diagnostic::warning(
                "W0100",
                format!(
                    "'{kw}' ignored because {} has no {cap} capability",
                    label(p)
                ),
            )
            .at(span, "ignored")
            .with_help(format!("move it to a {cap} or listen section")),
        );
    }
    missing
}

/// Reads one keyword line of a proxy section.
pub(crate) fn line(
    p: &mut Proxy,
    acls: &mut AclNames,
    line: &Line,
    env: &Env<'_>,
    out: &mut Out<'_>,
) {
    let first = line.keyword();
    let negation = matches!(first, "no" | "default");
    let skip = usize::from(negation);
    let (Some(kw_word), _) = word_or_end(line, skip) else {
        return;
    };
    let kw = kw_word.text.as_str();
    if negation && kw != "option" && kw != "log" {
        out.error(
            "E0107",
            line.words[0].span,
            NEGATION_MESSAGE,
            "not supported here",
        );
        return;
    }
    if !keywords::is_proxy_keyword(kw) {
        if kw == "monitor-net" {
            out.error("E0100", kw_word.span, "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src ... }' instead", "removed keyword");
            return;
        }
        let section = p.kind.keyword();
        unknown(kw_word.span, kw, section, keywords::PROXY, out);
        return;
    }
    if p.kind == ProxyKind::Defaults {
        if NOT_IN_DEFAULTS.contains(&kw) {
            out.error(
                "E0105",
                kw_word.span,
                format!("'{kw}' not allowed in 'defaults' section"),
                "not allowed here",
            );
            return;
        }
        if kw == "stick-table" || kw == "stick" {
            out.error(
                "E0105",
                kw_word.span,
                format!("'{kw}' is not supported in 'defaults' section"),
                "not allowed here",
            );
            return;
        }
        if p.name.is_empty() && NOT_IN_ANONYMOUS_DEFAULTS.contains(&kw) {
            out.push(
                Diagnostic::error(
                    "E0105",
                    format!("'{kw}' not allowed in anonymous 'defaults' section"),
                )
                .at(kw_word.span, "not allowed here")
                .with_help(
                    "name the defaults section (`defaults NAME`) and use it with `from NAME`",
                ),
            );
            return;
        }
    }
    if lacks_capability(p, kw, kw_word.span, out) {
        return;
    }
    let span1 = word_or_end(line, skip + 1).1;
    match kw {
        "mode" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            p.mode = match line.word(1) {
                Some("http") => Mode::Http,
                Some("tcp") => Mode::Tcp,
                other => {
                    out.error(
                        "E0103",
                        span1,
                        format!("unknown proxy mode '{}'", other.unwrap_or("")),
                        "tcp or http",
                    );
                    return;
                }
            };
        }
        "timeout" => timeout(p, line, out),
        "option" => option(p, line, negation, out),
        "bind" => {
            if let Some(b) = endpoint::bind(line, p.kind.keyword(), env, out) {
                p.binds.push(b);
            }
        }
        "server" => {
            if let Some(s) = endpoint::server(line, &p.name, &p.default_server, env, out) {
                if let Some(prev) = p.server(&s.name.value) {
                    out.push(
                        Diagnostic::error(
                            "E0203",
                            format!("{}, another server named '{}' was already defined at line {}, please use distinct names", label(p), s.name.value, prev.span.line),
                        )
                        .at(s.name.span, "second server of this name")
                        .with_label(prev.name.span, "first defined here"),
                    );
                    return;
                }
                p.servers.push(s);
            }
        }
        "default-server" => {
            if let Some(o) = endpoint::options(line, 1, &"'default-server'", true, out) {
                p.default_server = o.over(&p.default_server);
            }
        }
        "acl" => {
            if let Some(a) = acl::acl_line(&line.words, line.span(), out) {
                acls.insert(a.name.value.clone());
                p.acls.push(a);
            }
        }
        "use_backend" => use_backend(p, acls, line, out),
        "default_backend" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            match line.words.get(1) {
                Some(w) => p.default_backend = Some(Located::new(w.text.clone(), w.span)),
                None => out.error(
                    "E0101",
                    span1,
                    "'default_backend' expects a backend name",
                    "name expected",
                ),
            }
        }
        "http-request"
        | "http-response"
        | "http-after-response"
        | "tcp-request"
        | "tcp-response" => {
            rule(p, acls, line, out);
        }
        "balance" => balance(p, line, out),
        "hash-type" => hash_type(p, line, out),
        "retries" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            match line.word(1) {
                Some(v) => p.retries = Some(units::atol(v)),
                None => out.error(
                    "E0101",
                    span1,
                    "'retries' expects an integer argument",
                    "integer expected",
                ),
            }
        }
        "maxconn" | "fullconn" | "backlog" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            match line.word(1) {
                Some(v) if kw == "maxconn" => {
                    p.maxconn = Some(u64::try_from(units::atol(v)).unwrap_or(0))
                }
                Some(_) => p.other.push(raw(line)),
                None => out.error(
                    "E0101",
                    span1,
                    format!("'{kw}' expects an integer argument"),
                    "integer expected",
                ),
            }
        }
        "errorfile" => errorfile(p, line, env, out),
        "stats" => stats(p, acls, line, out),
        "cookie" => cookie(p, line, out),
        "stick-table" => {
            if stick_table(line, out) {
                p.stick_table = Some(line.words[1..].iter().map(|w| w.text.clone()).collect());
            }
        }
        "stick" => {
            let what = line.word(1).unwrap_or("");
            if !matches!(what, "on" | "match" | "store-request" | "store-response") {
                out.error("E0103", span1, format!("'stick' supports 'on', 'match', 'store-request' and 'store-response' (got '{what}')"), "unknown stick rule");
                return;
            }
            if line.words.len() < 3 {
                out.error(
                    "E0101",
                    line.span(),
                    format!("'stick {what}' expects a sample expression"),
                    "expression expected",
                );
                return;
            }
            p.stick_rules.push(raw(line));
        }
        "log" => {
            if negation {
                p.logs.clear();
            } else if let Some(t) = log_target(line, 0, out) {
                p.logs.push(t);
            }
        }
        "clitimeout" | "contimeout" | "srvtimeout" => {
            let new = match kw {
                "clitimeout" => "timeout client",
                "contimeout" => "timeout connect",
                _ => "timeout server",
            };
            out.push(
                Diagnostic::error("E0100", format!("the '{kw}' directive is not supported anymore since HAProxy 2.1. Use '{new}'"))
                    .at(kw_word.span, "removed keyword")
                    .with_help(format!("write `{new} ...`")),
            );
        }
        "bind-process" => out.warning(
            "W0101",
            kw_word.span,
            "'bind-process' has no effect, is deprecated, and will be removed in version 2.7",
            "no effect",
        ),
        _ => p.other.push(raw(line)),
    }
}

/// `timeout KIND VALUE`.
fn timeout(p: &mut Proxy, line: &Line, out: &mut Out<'_>) {
    let kind = line.word(1).unwrap_or("");
    let Some(&(_, fe, be)) = TIMEOUTS.iter().find(|(n, ..)| *n == kind) else {
        let mut d = Diagnostic::error(
            "E0103",
            format!("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '{kind}')"),
        )
        .at(word_or_end(line, 1).1, "unknown timeout");
        if let Some(g) = suggest::best(kind, TIMEOUTS.iter().map(|t| t.0)) {
            d = d.with_help(format!("did you mean '{g}'?"));
        }
        out.push(d);
        return;
    };
    let (value, vspan) = word_or_end(line, 2);
    let Some(value) = value else {
        out.error(
            "E0101",
            vspan,
            format!("'timeout {kind}' expects an integer value (in milliseconds)"),
            "value expected",
        );
        return;
    };
    if let Some(extra) = line.words.get(3) {
        out.error(
            "E0102",
            extra.span,
            format!(
                "'timeout {kind}' : unexpected extra argument '{}' after value '{}'",
                extra.text, value.text
            ),
            "unexpected argument",
        );
        return;
    }
    let ms = match units::parse_time_lenient(&value.text, TimeUnit::Ms) {
        Ok((ms, trailing)) => {
            if let Some(c) = trailing {
                out.warning("W0102", value.span, format!("unexpected character '{c}' after the timer value '{}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions", value.text), "trailing characters");
            }
            ms
        }
        Err(TimeError::Overflow) => {
            out.error("E0103", value.span, format!("timer overflow in argument '{}' to 'timeout {kind}' (maximum value is 2147483647 ms or ~24.8 days)", value.text), "too large");
            return;
        }
        Err(TimeError::Underflow) => {
            out.error("E0103", value.span, format!("timer underflow in argument '{}' to 'timeout {kind}' (minimum non-null value is 1 ms)", value.text), "too small");
            return;
        }
        Err(TimeError::Unexpected(c)) => {
            out.push(
                Diagnostic::error(
                    "E0103",
                    format!("unexpected character '{c}' in 'timeout {kind}'"),
                )
                .at(value.span, "not a time")
                .with_help("write a number with an optional unit: us, ms, s, m, h, d"),
            );
            return;
        }
        Err(TimeError::Empty) => {
            out.error(
                "E0101",
                value.span,
                format!("'timeout {kind}' expects an integer value (in milliseconds)"),
                "value expected",
            );
            return;
        }
    };
    let applies = (fe && p.kind.is_frontend()) || (be && p.kind.is_backend());
    if !applies {
        let cap = if fe { "frontend" } else { "backend" };
        out.warning(
            "W0100",
            line.words[0].span.to(line.words[1].span),
            format!(
                "'timeout {kind}' will be ignored because {} has no {cap} capability",
                label(p)
            ),
            "ignored",
        );
        return;
    }
    let v = Some(Located::new(ms, value.span));
    let t = &mut p.timeouts;
    match kind {
        "client" => t.client = v,
        "client-fin" => t.client_fin = v,
        "server" => t.server = v,
        "server-fin" => t.server_fin = v,
        "connect" => t.connect = v,
        "check" => t.check = v,
        "queue" => t.queue = v,
        "http-request" => t.http_request = v,
        "http-keep-alive" => t.http_keep_alive = v,
        "tunnel" => t.tunnel = v,
        _ => t.tarpit = v,
    }
}

/// `option NAME [args]` / `no option NAME`.
fn option(p: &mut Proxy, line: &Line, negation: bool, out: &mut Out<'_>) {
    let skip = usize::from(negation);
    let (name_word, nspan) = word_or_end(line, skip + 1);
    let Some(name_word) = name_word else {
        out.error(
            "E0101",
            nspan,
            "'option' expects an option name",
            "name expected",
        );
        return;
    };
    let name = name_word.text.as_str();
    let generic = keywords::find(OPTIONS, name, |o| o.0);
    let special = keywords::has(OPTIONS_SPECIAL, name);
    if generic.is_none() && !special {
        let all = OPTIONS
            .iter()
            .map(|o| o.0)
            .chain(OPTIONS_SPECIAL.iter().copied());
        let mut d = Diagnostic::error("E0106", format!("unknown option '{name}'"))
            .at(name_word.span, "unknown option");
        if let Some(g) = suggest::best(name, all) {
            d = d.with_help(format!("did you mean '{g}'?"));
        }
        out.push(d);
        return;
    }
    if negation && generic.is_none() && !NEGATABLE_SPECIAL.contains(&name) {
        out.error(
            "E0107",
            line.words[0].span,
            format!("negation/default is not supported for option '{name}'"),
            "not supported here",
        );
        return;
    }
    let (fe, be) = match generic {
        Some((_, caps)) => (caps.contains("FE"), caps.contains("BE")),
        None => (!BACKEND_SPECIAL.contains(&name), true),
    };
    let fits = (fe && p.kind.is_frontend()) || (be && p.kind.is_backend());
    if !fits {
        let cap = if be { "backend" } else { "frontend" };
        out.warning(
            "W0100",
            name_word.span,
            format!(
                "'{name}' ignored because {} has no {cap} capability",
                label(p)
            ),
            "ignored",
        );
        return;
    }
    if generic.is_some() && out.too_many(line, skip + 2, 0) {
        return;
    }
    match name {
        "httplog" | "tcplog" | "httpslog" => {
            p.options.remove("httplog");
            p.options.remove("tcplog");
            p.options.remove("httpslog");
        }
        "httpclose" | "http-server-close" | "http-keep-alive" => {
            p.options.remove("httpclose");
            p.options.remove("http-server-close");
            p.options.remove("http-keep-alive");
        }
        _ => {}
    }
    p.options.insert(name.into(), line.keyword() != "no");
}

/// `use_backend NAME [if|unless COND]`.
fn use_backend(p: &mut Proxy, acls: &AclNames, line: &Line, out: &mut Out<'_>) {
    let Some(target) = line.words.get(1) else {
        out.error(
            "E0101",
            line.span(),
            "'use_backend' expects a backend name",
            "name expected",
        );
        return;
    };
    let condition = match line.words.get(2) {
        None => None,
        Some(w) if w.text == "if" || w.text == "unless" => {
            let Some(c) = acl::condition(&line.words[2..], acls, &"switching rule", out) else {
                return;
            };
            Some(c)
        }
        Some(w) => {
            out.error("E0113", w.span, format!("unexpected keyword '{}' after switching rule, only 'if' and 'unless' are allowed", w.text), "expected `if` or `unless`");
            return;
        }
    };
    p.use_backends.push(UseBackend {
        backend: Located::new(target.text.clone(), target.span),
        condition,
    });
}

/// True when `action` is listed in `table` (exactly, or as a `prefix*`
/// followed by a number or parentheses).
fn known_action(action: &str, table: &[&str]) -> bool {
    table.iter().any(|a| match a.strip_suffix('*') {
        Some(prefix) => action.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with('(') || rest.bytes().all(|b| b.is_ascii_digit())
        }),
        None => *a == action,
    })
}

/// `http-request ACTION ...`, `tcp-request content ACTION ...` and the
/// other rule keywords.
fn rule(p: &mut Proxy, acls: &AclNames, line: &Line, out: &mut Out<'_>) {
    let kw = line.keyword();
    let (table, keyword, action_at): (&[&str], SmolStr, usize) = match kw {
        "http-request" => (keywords::HTTP_REQ, kw.into(), 1),
        "http-response" => (keywords::HTTP_RES, kw.into(), 1),
        "http-after-response" => (keywords::HTTP_AFTER, kw.into(), 1),
        _ => {
            let sub = line.word(1).unwrap_or("");
            if sub == "inspect-delay" {
                match line.word(2).map(|v| units::parse_time(v, TimeUnit::Ms)) {
                    Some(Ok(_)) => p.other.push(raw(line)),
                    _ => out.error(
                        "E0103",
                        word_or_end(line, 2).1,
                        format!("'{kw} inspect-delay' expects a positive delay in milliseconds"),
                        "delay expected",
                    ),
                }
                return;
            }
            let table = match (kw, sub) {
                ("tcp-request", "connection") => keywords::TCP_REQ_CONN,
                ("tcp-request", "session") => keywords::TCP_REQ_SESS,
                ("tcp-request", "content") => keywords::TCP_REQ_CONT,
                ("tcp-response", "content") => keywords::TCP_RES_CONT,
                _ => {
                    let expects = if kw == "tcp-request" {
                        "'connection', 'session', 'content' or 'inspect-delay'"
                    } else {
                        "'content' or 'inspect-delay'"
                    };
                    out.error(
                        "E0103",
                        word_or_end(line, 1).1,
                        format!("'{kw}' expects {expects}, found '{sub}'"),
                        "unknown rule set",
                    );
                    return;
                }
            };
            if kw == "tcp-request"
                && (sub == "connection" || sub == "session")
                && !p.kind.is_frontend()
            {
                out.warning(
                    "W0100",
                    line.words[1].span,
                    format!(
                        "'{kw} {sub}' ignored because {} has no frontend capability",
                        label(p)
                    ),
                    "ignored",
                );
                return;
            }
            (table, SmolStr::from(format!("{kw} {sub}")), 2)
        }
    };
    let (action, aspan) = word_or_end(line, action_at);
    let Some(action) = action else {
        out.error(
            "E0101",
            aspan,
            format!("'{keyword}' expects an action"),
            "action expected",
        );
        return;
    };
    if !known_action(&action.text, table) {
        let names = table.iter().map(|a| a.trim_end_matches('*'));
        let mut d = Diagnostic::error(
            "E0108",
            format!("'{keyword}' : unknown action '{}'", action.text),
        )
        .at(action.span, "unknown action");
        if let Some(g) = suggest::best(&action.text, names) {
            d = d.with_help(format!("did you mean '{g}'?"));
        }
        out.push(d);
        return;
    }
    let rest = &line.words[action_at + 1..];
    if let Some(n) = fixed_arity(&action.text) {
        let given = rest
            .iter()
            .take_while(|w| w.text != "if" && w.text != "unless")
            .count();
        if given < n {
            out.push(
                Diagnostic::error(
                    "E0101",
                    format!("error detected in {} while parsing '{keyword} {}' rule : expects exactly {n} arguments", label(p), action.text),
                )
                .at(action.span, format!("{given} argument(s) given")),
            );
            return;
        }
        if let Some(w) = rest.get(n).filter(|w| w.text != "if" && w.text != "unless") {
            out.push(
                Diagnostic::error(
                    "E0113",
                    format!("'{keyword} {}' expects either 'if' or 'unless' followed by a condition but found '{}'", action.text, w.text),
                )
                .at(w.span, "unexpected argument")
                .with_help(format!("'{}' takes {n} argument(s); quote a value that contains spaces", action.text)),
            );
            return;
        }
    }
    let cond_at = rest
        .iter()
        .position(|w| w.text == "if" || w.text == "unless");
    let args: Vec<SmolStr> = rest[..cond_at.unwrap_or(rest.len())]
        .iter()
        .map(|w| w.text.clone())
        .collect();
    let condition = match cond_at {
        Some(i) => {
            let what = format!("an '{keyword} {}' condition", action.text);
            let Some(c) = acl::condition(&rest[i..], acls, &what, out) else {
                return;
            };
            Some(c)
        }
        None => None,
    };
    p.rules.push(Rule {
        keyword,
        action: Located::new(action.text.clone(), action.span),
        args,
        condition,
        span: line.span(),
    });
}

/// How many arguments an action with a fixed argument list takes.
fn fixed_arity(action: &str) -> Option<usize> {
    let base = action.split('(').next().unwrap_or(action);
    Some(match base {
        "set-header" | "add-header" | "replace-path" | "replace-pathq" | "replace-uri"
        | "set-timeout" => 2,
        "replace-header" | "replace-value" => 3,
        "set-path"
        | "set-pathq"
        | "set-query"
        | "set-uri"
        | "set-method"
        | "set-var"
        | "set-var-fmt"
        | "set-log-level"
        | "set-src"
        | "set-dst"
        | "set-src-port"
        | "set-dst-port"
        | "set-tos"
        | "set-mark"
        | "set-nice"
        | "cache-use"
        | "cache-store"
        | "set-priority-class"
        | "set-priority-offset"
        | "sc-set-gpt0"
        | "sc-set-gpt" => 1,
        "unset-var" | "silent-drop" | "accept" | "reject" | "disable-l7-retry"
        | "wait-for-handshake" | "sc-inc-gpc0" | "sc-inc-gpc1" | "sc-inc-gpc" => 0,
        _ => return None,
    })
}

/// `balance ALGO [args]`.
fn balance(p: &mut Proxy, line: &Line, out: &mut Out<'_>) {
    let Some(w) = line.words.get(1) else {
        return;
    };
    let (algo, arg) = match w.text.split_once('(') {
        Some((a, rest)) => (a, Some(SmolStr::from(rest.trim_end_matches(')')))),
        None => (w.text.as_str(), None),
    };
    let known = [
        "roundrobin",
        "static-rr",
        "leastconn",
        "first",
        "source",
        "uri",
        "url_param",
        "hdr",
        "rdp-cookie",
        "random",
    ];
    if !known.contains(&algo) {
        out.error(
            "E0103",
            w.span,
            "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options",
            "unknown algorithm",
        );
        return;
    }
    if algo == "url_param" && line.words.get(2).is_none() {
        out.error(
            "E0101",
            w.span,
            "'balance url_param' requires an URL parameter name",
            "parameter expected",
        );
        return;
    }
    if algo == "hdr" && arg.as_deref().is_none_or(str::is_empty) {
        out.error(
            "E0101",
            w.span,
            "'balance hdr' requires an http header field name",
            "header expected",
        );
        return;
    }
    p.balance = Some(Balance {
        algorithm: algo.into(),
        argument: arg,
        options: line.words[2..].iter().map(|w| w.text.clone()).collect(),
    });
}

/// `hash-type map-based|consistent [FUNCTION] [avalanche]`.
fn hash_type(p: &mut Proxy, line: &Line, out: &mut Out<'_>) {
    let (m, mspan) = word_or_end(line, 1);
    let method = m.map_or("", |w| w.text.as_str());
    if method != "map-based" && method != "consistent" {
        out.error(
            "E0103",
            mspan,
            "'hash-type' only supports 'consistent' and 'map-based'",
            "unknown method",
        );
        return;
    }
    let mut function = None;
    let mut avalanche = false;
    for w in &line.words[2..] {
        match w.text.as_str() {
            "sdbm" | "djb2" | "wt6" | "crc32" if function.is_none() => {
                function = Some(w.text.clone())
            }
            "avalanche" if function.is_some() => avalanche = true,
            _ => {
                out.error(
                    "E0103",
                    w.span,
                    format!("'hash-type {method}' : unknown hash function '{}'", w.text),
                    "sdbm, djb2, wt6 or crc32",
                );
                return;
            }
        }
    }
    p.hash_type = Some(HashType {
        method: method.into(),
        function,
        avalanche,
    });
}

/// `errorfile CODE FILE`.
fn errorfile(p: &mut Proxy, line: &Line, env: &Env<'_>, out: &mut Out<'_>) {
    let (Some(code), Some(file)) = (line.words.get(1), line.words.get(2)) else {
        out.error(
            "E0101",
            line.span(),
            "'errorfile' expects <status_code> and <file> as arguments",
            "code and file expected",
        );
        return;
    };
    if out.too_many(line, 1, 2) {
        return;
    }
    let status = units::atol(&code.text);
    let Some(status) = u16::try_from(status)
        .ok()
        .filter(|s| ERROR_CODES.contains(s))
    else {
        out.push(
            Diagnostic::error(
                "E0103",
                format!("errorfile : status code '{}' not handled", code.text),
            )
            .at(code.span, "not a customisable status")
            .with_help(
                "customisable: 200 400 401 403 404 405 407 408 410 413 425 429 500 501 502 503 504",
            ),
        );
        return;
    };
    if !(env.exists)(&file.text) {
        out.error(
            "E0111",
            file.span,
            format!("error opening file '{}'", file.text),
            "no such file",
        );
        return;
    }
    p.errorfiles.insert(status, file.text.clone());
}

/// `stats enable|uri|auth|refresh|admin|realm|...` in a proxy.
fn stats(p: &mut Proxy, acls: &AclNames, line: &Line, out: &mut Out<'_>) {
    let (sub, sspan) = word_or_end(line, 1);
    let arg = line.words.get(2);
    let need = |out: &mut Out<'_>, what: &str| {
        out.error(
            "E0101",
            word_or_end(line, 2).1,
            format!(
                "'stats {}' needs {what}",
                sub.map_or("", |w| w.text.as_str())
            ),
            "argument expected",
        );
    };
    match sub.map(|w| w.text.as_str()) {
        Some("enable") => p.stats.enabled = true,
        Some("uri") => match arg {
            Some(a) => {
                p.stats.enabled = true;
                p.stats.uri = Some(a.text.clone());
            }
            None => need(out, "an URI prefix"),
        },
        Some("auth") => match arg {
            Some(a) => {
                p.stats.enabled = true;
                p.stats.auth.push(a.text.clone());
            }
            None => need(out, "a user:password account"),
        },
        Some("realm") => match arg {
            Some(a) => p.stats.realm = Some(a.text.clone()),
            None => need(out, "a realm"),
        },
        Some("refresh") => match arg.map(|a| (a, units::parse_time(&a.text, TimeUnit::S))) {
            Some((_, Ok(ms))) => p.stats.refresh = Some(ms),
            Some((a, Err(e))) => out.error("E0103", a.span, format!("'stats refresh' : {e}"), "bad time"),
            None => need(out, "a refresh delay"),
        },
        Some("admin") => {
            let Some(w) = arg.filter(|w| w.text == "if" || w.text == "unless") else {
                out.error("E0101", word_or_end(line, 2).1, "'stats admin' requires either 'if' or 'unless' followed by a condition", "condition expected");
                return;
            };
            let _ = w;
            if let Some(c) = acl::condition(&line.words[2..], acls, &"a 'stats admin' rule", out) {
                p.stats.admin = Some(c);
            }
        }
        Some(
            "hide-version" | "show-legends" | "show-node" | "show-desc" | "scope" | "http-request"
            | "bind-process" | "show-modules" | "maxconn" | "timeout",
        ) => p.other.push(raw(line)),
        Some("socket") => out.error("E0105", sspan, "'stats socket' is only allowed in 'global' section", "not allowed here"),
        _ => out.error(
            "E0103",
            sspan,
            "'stats' expects 'admin', 'auth', 'enable', 'hide-version', 'http-request', 'realm', 'refresh', 'scope', 'show-desc', 'show-legends', 'show-modules', 'show-node' or 'uri'",
            "unknown stats keyword",
        ),
    }
}

/// `cookie NAME [options]`.
fn cookie(p: &mut Proxy, line: &Line, out: &mut Out<'_>) {
    let Some(name) = line.words.get(1) else {
        out.error(
            "E0101",
            line.span(),
            "'cookie' expects <cookie_name> as argument",
            "name expected",
        );
        return;
    };
    let mut options = Vec::new();
    let mut i = 2;
    while let Some(w) = line.words.get(i) {
        let t = w.text.as_str();
        match t {
            "rewrite" | "insert" | "prefix" | "indirect" | "nocache" | "postonly" | "preserve"
            | "httponly" | "secure" | "dynamic" => i += 1,
            "domain" | "maxidle" | "maxlife" | "attr" => {
                if line.words.get(i + 1).is_none() {
                    out.error(
                        "E0101",
                        w.span,
                        format!("'cookie' : '{t}' expects a value"),
                        "value expected",
                    );
                    return;
                }
                options.push(w.text.clone());
                options.push(line.words[i + 1].text.clone());
                i += 2;
                continue;
            }
            _ => {
                out.error("E0103", w.span, "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options", "unknown cookie option");
                return;
            }
        }
        options.push(w.text.clone());
    }
    p.cookie = Some(Cookie {
        name: name.text.clone(),
        options,
    });
}

/// Checks a `stick-table` line: `type` and `size` are required.
fn stick_table(line: &Line, out: &mut Out<'_>) -> bool {
    let mut i = 1;
    let mut ty = None;
    let mut size = false;
    while let Some(w) = line.words.get(i) {
        let value = line.words.get(i + 1);
        match w.text.as_str() {
            "type" => {
                let Some(v) = value.filter(|v| {
                    matches!(
                        v.text.as_str(),
                        "ip" | "ipv6" | "integer" | "string" | "binary"
                    )
                }) else {
                    out.error(
                        "E0103",
                        value.map_or(w.span, |v| v.span),
                        "stick-table: 'type' expects 'ip', 'ipv6', 'integer', 'string' or 'binary'",
                        "unknown type",
                    );
                    return false;
                };
                ty = Some(v.text.clone());
                i += 2;
                if line.word(i) == Some("len") {
                    i += 2;
                }
            }
            "size" => {
                if value.is_none_or(|v| units::parse_size(&v.text).is_err()) {
                    out.error(
                        "E0103",
                        value.map_or(w.span, |v| v.span),
                        "stick-table: 'size' expects a size",
                        "size expected",
                    );
                    return false;
                }
                size = true;
                i += 2;
            }
            "expire" => {
                if value.is_none_or(|v| units::parse_time(&v.text, TimeUnit::Ms).is_err()) {
                    out.error(
                        "E0103",
                        value.map_or(w.span, |v| v.span),
                        "stick-table: 'expire' expects a delay",
                        "delay expected",
                    );
                    return false;
                }
                i += 2;
            }
            "peers" | "store" | "srvkey" | "write-to" => i += 2,
            "nopurge" => i += 1,
            other => {
                out.error(
                    "E0103",
                    w.span,
                    format!("stick-table: unknown argument '{other}'"),
                    "unknown argument",
                );
                return false;
            }
        }
    }
    if ty.is_none() || !size {
        out.error(
            "E0101",
            line.span(),
            "stick-table: missing 'type' or 'size'",
            "type and size required",
        );
        return false;
    }
    true
}

/// End-of-section checks that need the whole section.
pub(crate) fn finish_section(p: &mut Proxy, out: &mut Out<'_>) {
    if p.kind == ProxyKind::Frontend && p.binds.is_empty() {
        out.push(
            Diagnostic::warning("W0201", format!("{} has no 'bind' directive. Please declare it as a backend if this was intended", label(p)))
                .at(p.span, "no bind")
                .with_help("add `bind :PORT`, or make it a backend"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_prefixes() {
        assert!(known_action("set-var(txn.x)", keywords::HTTP_REQ));
        assert!(known_action("track-sc0", keywords::HTTP_REQ));
        assert!(known_action("deny", keywords::HTTP_REQ));
        assert!(!known_action("set-varx", keywords::HTTP_REQ));
        assert!(!known_action("foo", keywords::HTTP_REQ));
    }
}
