//! ACLs, conditions, `http-request`, `http-response` and `tcp-request`
//! rules in the engine's terms.

use super::Ctx;
use haproxy_rs::proxy::config::{
    Acl, AclMatch, Condition, Fetch, HttpRequestAction, HttpRequestRule, HttpResponseAction,
    HttpResponseRule, Redirect, RedirectKind, TcpAction, TcpRule, Term,
};
use lbkit_haproxy_cfg::model::{self, AclRef};
use lbkit_haproxy_cfg::SmolStr;
use lbkit_haproxy_cfg::Span;
use std::collections::BTreeMap;

/// A proxy's named ACLs, resolved (a name on several lines matches when
/// any line does). Lines that cannot be resolved are reported once and
/// left out, so conditions using them fail to compile.
pub(crate) struct AclTable {
    named: BTreeMap<String, Acl>,
}

impl AclTable {
    /// Resolves every `acl` line of `p`.
    pub(crate) fn new(cx: &mut Ctx<'_>, p: &model::Proxy) -> Self {
        let mut named: BTreeMap<String, Acl> = BTreeMap::new();
        for a in &p.acls {
            let name = a.name.value.as_str();
            let m = acl_match(
                &a.sample.fetch,
                &a.sample.args,
                &a.sample.converters,
                &a.flags,
                &a.patterns,
            );
            match m {
                Ok(m) => named
                    .entry(name.to_string())
                    .or_insert_with(|| Acl {
                        name: name.to_string(),
                        any: Vec::new(),
                    })
                    .any
                    .push(m),
                Err(e) => cx.error(a.span, format!("acl '{name}': {e}")),
            }
        }
        AclTable { named }
    }

    /// `if|unless TERMS [or TERMS]...` in the engine's terms; `span` locates
    /// errors.
    pub(crate) fn condition(
        &self,
        cx: &mut Ctx<'_>,
        c: &model::Condition,
        span: Span,
    ) -> Option<Condition> {
        let mut any = Vec::new();
        let mut ok = true;
        for alt in &c.any_of {
            let mut all = Vec::new();
            for t in alt {
                match self.term(t) {
                    Ok(acl) => all.push(Term {
                        negate: t.negated,
                        acl,
                    }),
                    Err(e) => {
                        let at = match &t.acl {
                            AclRef::Named(n) => n.span,
                            AclRef::Anonymous(_) => span,
                        };
                        cx.error(at, e);
                        ok = false;
                    }
                }
            }
            any.push(all);
        }
        ok.then_some(Condition {
            any,
            negate: c.negated,
        })
    }

    /// One ACL reference.
    fn term(&self, t: &model::CondTerm) -> Result<Acl, String> {
        match &t.acl {
            AclRef::Named(n) => {
                let name = n.value.as_str();
                if let Some(a) = self.named.get(name) {
                    return Ok(a.clone());
                }
                predefined(name).ok_or_else(|| format!("ACL '{name}' cannot be evaluated"))
            }
            AclRef::Anonymous(words) => {
                let m = anonymous(words)?;
                Ok(Acl {
                    name: String::new(),
                    any: vec![m],
                })
            }
        }
    }
}

/// HAProxy's predefined ACLs the engine can evaluate.
fn predefined(name: &str) -> Option<Acl> {
    let one = |fetch: Fetch, patterns: &[&str]| AclMatch {
        fetch,
        ignore_case: false,
        patterns: patterns.iter().map(|p| (*p).to_string()).collect(),
    };
    let m = match name {
        "TRUE" => one(Fetch::AlwaysTrue, &[]),
        "FALSE" => one(Fetch::AlwaysFalse, &[]),
        "LOCALHOST" => one(Fetch::Src, &["127.0.0.1/8", "::1"]),
        "METH_CONNECT" => one(Fetch::Method, &["CONNECT"]),
        "METH_DELETE" => one(Fetch::Method, &["DELETE"]),
        "METH_GET" => one(Fetch::Method, &["GET", "HEAD"]),
        "METH_HEAD" => one(Fetch::Method, &["HEAD"]),
        "METH_OPTIONS" => one(Fetch::Method, &["OPTIONS"]),
        "METH_POST" => one(Fetch::Method, &["POST"]),
        "METH_PUT" => one(Fetch::Method, &["PUT"]),
        "METH_TRACE" => one(Fetch::Method, &["TRACE"]),
        _ => return None,
    };
    Some(Acl {
        name: name.to_string(),
        any: vec![m],
    })
}

/// `{ FETCH [flags] PATTERNS }` read from its words.
fn anonymous(words: &[SmolStr]) -> Result<AclMatch, String> {
    let Some(first) = words.first() else {
        return Err("empty anonymous ACL".to_string());
    };
    let (fetch, rest) = first.split_once(',').unwrap_or((first.as_str(), ""));
    if !rest.is_empty() {
        return Err(format!("converters are not supported in '{first}'"));
    }
    let (name, args) = match fetch.split_once('(') {
        Some((n, a)) => {
            let a = a
                .strip_suffix(')')
                .ok_or_else(|| format!("bad fetch '{fetch}'"))?;
            (n, a.split(',').map(SmolStr::from).collect())
        }
        None => (fetch, Vec::new()),
    };
    let mut flags = Vec::new();
    let mut i = 1;
    while let Some(w) = words.get(i) {
        if w == "--" {
            i += 1;
            break;
        }
        if !w.starts_with('-') {
            break;
        }
        flags.push(w.clone());
        if matches!(w.as_str(), "-m" | "-f" | "-u" | "-M") {
            if let Some(v) = words.get(i + 1) {
                flags.push(v.clone());
            }
            i += 1;
        }
        i += 1;
    }
    let patterns = words.get(i..).unwrap_or_default().to_vec();
    acl_match(name, &args, &[], &flags, &patterns)
}

/// One ACL line: fetch, converters, flags and patterns.
pub(crate) fn acl_match(
    fetch: &str,
    args: &[SmolStr],
    converters: &[(SmolStr, Vec<SmolStr>)],
    flags: &[SmolStr],
    patterns: &[SmolStr],
) -> Result<AclMatch, String> {
    if let Some((c, _)) = converters.first() {
        return Err(format!("converter '{c}' is not supported"));
    }
    let mut ignore_case = false;
    let mut method: Option<&str> = None;
    let mut i = 0;
    while let Some(f) = flags.get(i) {
        match f.as_str() {
            "-i" => ignore_case = true,
            "-n" | "--" => {}
            "-m" => {
                method = flags.get(i + 1).map(SmolStr::as_str);
                i += 1;
            }
            "-u" => i += 1,
            other => return Err(format!("ACL flag '{other}' is not supported")),
        }
        i += 1;
    }
    let arg = || args.first().map(SmolStr::to_string).unwrap_or_default();
    let fetch_name = fetch.strip_prefix("req.").unwrap_or(fetch);
    let f = match (fetch_name, method) {
        ("path", None | Some("str")) => Fetch::Path,
        ("path", Some("beg")) | ("path_beg", None) => Fetch::PathBeg,
        ("path", Some("end")) | ("path_end", None) => Fetch::PathEnd,
        ("path", Some("sub")) | ("path_sub", None) => Fetch::PathSub,
        ("hdr", None | Some("str")) => Fetch::Hdr(arg()),
        ("hdr", Some("beg")) | ("hdr_beg", None) => Fetch::HdrBeg(arg()),
        ("hdr", Some("end")) | ("hdr_end", None) => Fetch::HdrEnd(arg()),
        ("method", None | Some("str")) => Fetch::Method,
        ("src", None | Some("ip")) => Fetch::Src,
        ("ssl_fc", None | Some("bool")) => Fetch::SslFc,
        ("always_true", None) => Fetch::AlwaysTrue,
        ("always_false", None) => Fetch::AlwaysFalse,
        (name, None) => return Err(format!("fetch '{name}' is not supported")),
        (name, Some(m)) => return Err(format!("fetch '{name}' with '-m {m}' is not supported")),
    };
    if matches!(f, Fetch::Hdr(ref h) | Fetch::HdrBeg(ref h) | Fetch::HdrEnd(ref h) if h.is_empty())
    {
        return Err(format!("fetch '{fetch}' needs a header name"));
    }
    Ok(AclMatch {
        fetch: f,
        ignore_case,
        patterns: patterns.iter().map(SmolStr::to_string).collect(),
    })
}

/// The rule sets the engine applies; the others are reported as not
/// applied (by [`http_request_rules`]).
const HANDLED: [&str; 4] = [
    "http-request",
    "http-response",
    "tcp-request connection",
    "tcp-request content",
];

/// A proxy's rules of one set (`keyword`), with the condition of each.
fn rules_of<T>(
    cx: &mut Ctx<'_>,
    p: &model::Proxy,
    acls: &AclTable,
    keyword: &str,
    action: impl Fn(&str, &[SmolStr]) -> Result<T, String>,
) -> Vec<(T, Condition)> {
    let mut out = Vec::new();
    for r in p.rules.iter().filter(|r| r.keyword.as_str() == keyword) {
        let act = match action(r.action.value.as_str(), &r.args) {
            Ok(a) => a,
            Err(e) => {
                cx.error(r.action.span, e);
                continue;
            }
        };
        let cond = match &r.condition {
            Some(c) => acls.condition(cx, c, r.span),
            None => Some(Condition::always()),
        };
        if let Some(cond) = cond {
            out.push((act, cond));
        }
    }
    out
}

/// A proxy's `http-response` rules, in order.
pub(crate) fn http_response_rules(
    cx: &mut Ctx<'_>,
    p: &model::Proxy,
    acls: &AclTable,
) -> Vec<HttpResponseRule> {
    rules_of(cx, p, acls, "http-response", http_response_action)
        .into_iter()
        .map(|(action, cond)| HttpResponseRule { action, cond })
        .collect()
}

/// A proxy's `tcp-request connection` (`content == false`) or `tcp-request
/// content` rules, in order.
pub(crate) fn tcp_request_rules(
    cx: &mut Ctx<'_>,
    p: &model::Proxy,
    acls: &AclTable,
    content: bool,
) -> Vec<TcpRule> {
    let keyword = if content {
        "tcp-request content"
    } else {
        "tcp-request connection"
    };
    let action = |a: &str, args: &[SmolStr]| tcp_action(keyword, a, args);
    rules_of(cx, p, acls, keyword, action)
        .into_iter()
        .map(|(action, cond)| TcpRule { action, cond })
        .collect()
}

/// One `tcp-request` action: `accept` or `reject`.
fn tcp_action(keyword: &str, action: &str, args: &[SmolStr]) -> Result<TcpAction, String> {
    let act = match action {
        "accept" => TcpAction::Accept,
        "reject" => TcpAction::Reject,
        other => return Err(format!("'{keyword} {other}' is not supported")),
    };
    match args.first() {
        Some(extra) => Err(format!(
            "'{keyword} {action}' takes no argument, found '{extra}'"
        )),
        None => Ok(act),
    }
}

/// One `http-response` action and its arguments.
pub(crate) fn http_response_action(
    action: &str,
    args: &[SmolStr],
) -> Result<HttpResponseAction, String> {
    match http_request_action(action, args) {
        Ok(HttpRequestAction::SetHeader { name, value }) => {
            Ok(HttpResponseAction::SetHeader { name, value })
        }
        Ok(HttpRequestAction::AddHeader { name, value }) => {
            Ok(HttpResponseAction::AddHeader { name, value })
        }
        Ok(HttpRequestAction::DelHeader { name }) => Ok(HttpResponseAction::DelHeader { name }),
        Ok(HttpRequestAction::Allow) => Ok(HttpResponseAction::Allow),
        // `deny` answers 502 by default on the response side.
        Ok(HttpRequestAction::Deny { status }) if args.is_empty() && status == 403 => {
            Ok(HttpResponseAction::Deny { status: 502 })
        }
        Ok(HttpRequestAction::Deny { status }) => Ok(HttpResponseAction::Deny { status }),
        Ok(_) => Err(format!("'http-response {action}' is not supported")),
        Err(e) => Err(e.replace("http-request", "http-response")),
    }
}

/// A proxy's `http-request` rules, in order; rule sets the engine does not
/// apply are reported as such.
pub(crate) fn http_request_rules(
    cx: &mut Ctx<'_>,
    p: &model::Proxy,
    acls: &AclTable,
) -> Vec<HttpRequestRule> {
    let mut out = Vec::new();
    for r in &p.rules {
        if HANDLED[1..].contains(&r.keyword.as_str()) {
            continue;
        }
        if r.keyword.as_str() != "http-request" {
            cx.error(r.span, format!("'{}' rules are not supported", r.keyword));
            continue;
        }
        let action = match http_request_action(r.action.value.as_str(), &r.args) {
            Ok(a) => a,
            Err(e) => {
                cx.error(r.action.span, e);
                continue;
            }
        };
        let cond = match &r.condition {
            Some(c) => acls.condition(cx, c, r.span),
            None => Some(Condition::always()),
        };
        if let Some(cond) = cond {
            out.push(HttpRequestRule { action, cond });
        }
    }
    out
}

/// One `http-request` action and its arguments.
pub(crate) fn http_request_action(
    action: &str,
    args: &[SmolStr],
) -> Result<HttpRequestAction, String> {
    let arg = |i: usize| {
        args.get(i)
            .map(SmolStr::to_string)
            .ok_or_else(|| format!("'http-request {action}' expects more arguments"))
    };
    match action {
        "set-header" | "add-header" => {
            let (name, value) = (arg(0)?, arg(1)?);
            if value.contains('%') {
                return Err(format!(
                    "'http-request {action}': log-format values are not supported"
                ));
            }
            Ok(if action == "set-header" {
                HttpRequestAction::SetHeader { name, value }
            } else {
                HttpRequestAction::AddHeader { name, value }
            })
        }
        "del-header" => Ok(HttpRequestAction::DelHeader { name: arg(0)? }),
        "allow" => Ok(HttpRequestAction::Allow),
        "deny" => {
            let mut status = 403;
            let mut i = 0;
            while let Some(w) = args.get(i) {
                match w.as_str() {
                    "deny_status" => {
                        status = status_code(&arg(i + 1)?)?;
                        i += 2;
                    }
                    other => return Err(format!("'http-request deny {other}' is not supported")),
                }
            }
            Ok(HttpRequestAction::Deny { status })
        }
        "redirect" => redirect(args).map(HttpRequestAction::Redirect),
        "return" => http_return(args),
        "use-service" => match args.first().map(SmolStr::as_str) {
            Some("prometheus-exporter") => Ok(HttpRequestAction::PrometheusExporter),
            Some(other) => Err(format!(
                "'http-request use-service {other}' is not supported"
            )),
            None => Err("'http-request use-service' expects a service name".to_string()),
        },
        other => Err(format!("'http-request {other}' is not supported")),
    }
}

/// A status code argument.
fn status_code(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("invalid status code '{text}'"))
}

/// `redirect location|prefix|scheme TARGET [code N]`.
fn redirect(args: &[SmolStr]) -> Result<Redirect, String> {
    let kind = match args.first().map(SmolStr::as_str) {
        Some("location") => RedirectKind::Location,
        Some("prefix") => RedirectKind::Prefix,
        Some("scheme") => RedirectKind::Scheme,
        _ => return Err("'redirect' expects location, prefix or scheme".to_string()),
    };
    let target = args
        .get(1)
        .map(SmolStr::to_string)
        .ok_or_else(|| "'redirect' expects a target".to_string())?;
    let mut code = 302;
    let mut i = 2;
    while let Some(w) = args.get(i) {
        match (w.as_str(), args.get(i + 1)) {
            ("code", Some(c)) => {
                code = c
                    .parse::<u16>()
                    .ok()
                    .filter(|c| [301, 302, 303, 307, 308].contains(c))
                    .ok_or_else(|| format!("invalid redirect code '{c}'"))?;
                i += 2;
            }
            (other, _) => return Err(format!("'redirect ... {other}' is not supported")),
        }
    }
    Ok(Redirect { kind, target, code })
}

/// `return [status N] [content-type T] [string S] [hdr NAME VALUE]...`.
fn http_return(args: &[SmolStr]) -> Result<HttpRequestAction, String> {
    let mut status = 200;
    let mut content_type = None;
    let mut body = String::new();
    let mut headers = Vec::new();
    let mut i = 0;
    let need = |i: usize| {
        args.get(i)
            .map(SmolStr::to_string)
            .ok_or_else(|| "'http-request return' expects more arguments".to_string())
    };
    while let Some(w) = args.get(i) {
        match w.as_str() {
            "status" => status = status_code(&need(i + 1)?)?,
            "content-type" => content_type = Some(need(i + 1)?),
            "string" => body = need(i + 1)?,
            "hdr" => {
                headers.push((need(i + 1)?, need(i + 2)?));
                i += 1;
            }
            other => return Err(format!("'http-request return {other}' is not supported")),
        }
        i += 2;
    }
    Ok(HttpRequestAction::Return {
        status,
        content_type,
        body,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<SmolStr> {
        list.iter().map(|w| SmolStr::from(*w)).collect()
    }

    #[test]
    fn tcp_request_actions_are_accept_and_reject_only() {
        let kw = "tcp-request content";
        assert_eq!(tcp_action(kw, "accept", &[]), Ok(TcpAction::Accept));
        assert_eq!(tcp_action(kw, "reject", &[]), Ok(TcpAction::Reject));
        assert!(tcp_action(kw, "track-sc0", &words(&["src"])).is_err());
        assert!(tcp_action(kw, "reject", &words(&["now"])).is_err());
    }

    #[test]
    fn http_response_deny_defaults_to_502() {
        let deny = http_response_action("deny", &[]);
        assert!(matches!(deny, Ok(HttpResponseAction::Deny { status: 502 })));
        let deny = http_response_action("deny", &words(&["deny_status", "403"]));
        assert!(matches!(deny, Ok(HttpResponseAction::Deny { status: 403 })));
        let set = http_response_action("set-header", &words(&["X-A", "1"]));
        assert!(
            matches!(set, Ok(HttpResponseAction::SetHeader { ref name, ref value }) if name == "X-A" && value == "1")
        );
        assert!(matches!(
            http_response_action("del-header", &words(&["X-A"])),
            Ok(HttpResponseAction::DelHeader { .. })
        ));
        // Request-only actions are refused on the response side.
        let err = http_response_action("redirect", &words(&["location", "/"]));
        assert!(err.is_err_and(|e| e.contains("http-response redirect")));
    }
}
