//! The HTML stats page (`stats enable`, `stats uri`): HAProxy's layout —
//! the process block and legend, then per proxy a table with the Queue,
//! Session rate, Sessions, Bytes, Denied, Errors, Warnings and Server
//! column groups and a row per frontend, server and backend — plus the
//! admin form (`stats admin`) and the parsing of what it posts.

use super::cli::{AdminAction, ServerRef};
use super::info::format_uptime;
use super::snapshot::{OpState, Proxy, Server, Snapshot};
use super::stat::{backend_status, backend_weights, server_status};

/// What the `stats` directives of the section ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageOptions {
    /// `stats uri` (links are built on it).
    pub uri: String,
    /// `stats refresh`, seconds.
    pub refresh_secs: Option<u64>,
    /// `stats hide-version`.
    pub hide_version: bool,
    /// `stats admin` matched for this request: checkboxes and the action
    /// form are shown.
    pub admin: bool,
}

/// The response headers HAProxy sends with the page (`Refresh` when
/// `stats refresh` is set).
pub fn response_headers(opts: &PageOptions, csv: bool) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("cache-control", "no-cache".to_owned()),
        (
            "content-type",
            if csv { "text/plain" } else { "text/html" }.to_owned(),
        ),
    ];
    if let Some(r) = opts.refresh_secs {
        h.push(("refresh", r.to_string()));
    }
    h
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A duration as HAProxy's page shows it: `6s`, `1m2s`, `1h2m`, `1d2h`.
pub fn human_time(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// The CSS classes of the page (HAProxy's names, so its look carries over).
const STYLE: &str = "body { font-family: arial, helvetica, sans-serif; font-size: 12px; color: black; background: white;}
th,td { font-size: 10px;}
h1 { font-size: x-large; margin-bottom: 0.5em;}
h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0;}
h3 { font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040; background: #e8e8d0;}
.titre {background: #20D0D0; color: #000000; font-weight: bold; text-align: center;}
.frontend {background: #e8e8d0;}
.backend {background: #e8e8d0;}
.active_down {background: #ff9090;}
.active_going_up {background: #ffd020;}
.active_going_down {background: #ffffa0;}
.active_up {background: #c0ffc0;}
.active_nolb {background: #20a0ff;}
.active_draining {background: #20a0FF;}
.active_no_check {background: #e0e0e0;}
.backup_down {background: #ff9090;}
.backup_going_up {background: #ff80ff;}
.backup_going_down {background: #c060ff;}
.backup_up {background: #b0d0ff;}
.backup_nolb {background: #90b0e0;}
.backup_draining {background: #cc9900;}
.backup_no_check {background: #e0e0e0;}
.maintain {background: #c07820;}
table.tbl { border-collapse: collapse; border-style: none;}
table.tbl td { text-align: right; border: 1px solid gray; padding: 2px 3px; white-space: nowrap;}
table.tbl td.ac { text-align: center;}
table.tbl th { border: 1px solid gray;}
table.tbl th.pxname { background: #b00040; color: #ffff40; font-weight: bold; padding: 2px 3px; white-space: nowrap;}
table.tbl th.empty { border-style: none; background: white;}
a.px:link, a.px:visited {color: #ffff40; text-decoration: none;}
a.lfsb:link, a.lfsb:visited {color: #000000; text-decoration: none;}
";

/// The whole page.
pub fn render(snapshot: &Snapshot, opts: &PageOptions) -> String {
    let i = &snapshot.info;
    let mut o = String::new();
    o.push_str("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n\"http://www.w3.org/TR/html4/loose.dtd\">\n");
    o.push_str("<html><head><title>Statistics Report for HAProxy</title>\n");
    o.push_str("<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n");
    o.push_str(&format!(
        "<style type=\"text/css\"><!--\n{STYLE}--></style></head>\n<body>"
    ));
    if opts.hide_version {
        o.push_str("<h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy</a></h1>\n");
    } else {
        o.push_str(&format!(
            "<h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy version {}, released {}</a></h1>\n",
            esc(&i.version),
            esc(&i.release_date)
        ));
    }
    o.push_str(&format!("<h2>Statistics Report for pid {}</h2>\n", i.pid));
    o.push_str("<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n");
    o.push_str(&format!(
        "<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n<p><b>pid = </b> {} (process #1, nbproc = 1, nbthread = {})<br>\n<b>uptime = </b> {}<br>\n<b>system limits:</b> memmax = unlimited; ulimit-n = {}<br>\n<b>maxsock = </b> {}; <b>maxconn = </b> {}; <b>maxpipes = </b> 0<br>\ncurrent conns = {}; current pipes = 0/0; conn rate = {}/sec<br>\nRunning tasks: {}/{}; idle = {} %<br>\n</td>",
        i.pid, i.nbthread, format_uptime(i.uptime_sec), i.ulimit_n, i.maxsock, i.maxconn,
        i.curr_conns, i.conn_rate, i.run_queue, i.tasks, i.idle_pct
    ));
    o.push_str(&legend());
    o.push_str(&display_options(opts));
    o.push_str("</tr></table>\n");
    for px in &snapshot.proxies {
        o.push_str(&proxy_table(px, opts));
    }
    o.push_str("</body></html>\n");
    o
}

/// The colour legend.
fn legend() -> String {
    let items = [
        ("active_up", "active UP"),
        ("backup_up", "backup UP"),
        ("active_going_down", "active UP, going down"),
        ("backup_going_down", "backup UP, going down"),
        ("active_going_up", "active DOWN, going up"),
        ("backup_going_up", "backup DOWN, going up"),
        ("active_down", "active or backup DOWN"),
        ("active_no_check", "not checked"),
        ("maintain", "active or backup DOWN for maintenance (MAINT)"),
        (
            "active_draining",
            "active or backup SOFT STOPPED for maintenance",
        ),
    ];
    let mut o = String::from("<td align=\"center\" nowrap><table class=\"lgd\">");
    for pair in items.chunks(2) {
        o.push_str("<tr>");
        for (class, text) in pair {
            o.push_str(&format!(
                "<td class=\"{class}\">&nbsp;</td><td class=\"noborder\">{text} </td>"
            ));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\nNote: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>");
    o
}

/// The "Display option" links.
fn display_options(opts: &PageOptions) -> String {
    let u = esc(&opts.uri);
    let refresh = if opts.refresh_secs.is_some() {
        format!("<li><a href=\"{u};norefresh\">Disable refresh</a><br>\n")
    } else {
        String::new()
    };
    format!(
        "<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul>\n<li><a href=\"{u};up\">Hide 'DOWN' servers</a><br>\n{refresh}<li><a href=\"{u}\">Refresh now</a><br>\n<li><a href=\"{u};csv;norefresh\">CSV export</a><br>\n</ul></td>"
    )
}

/// The two header rows of a proxy table.
fn header_rows(px: &Proxy, admin: bool) -> String {
    let first = if admin && !px.servers.is_empty() {
        format!(
            "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in document.getElementsByClassName('{n}-checkbox')) document.getElementsByClassName('{n}-checkbox').item(c).checked = this.checked\"></th>",
            n = esc(&px.name)
        )
    } else {
        "<th rowspan=2></th>".to_owned()
    };
    let groups = [
        ("Queue", 3),
        ("Session rate", 3),
        ("Sessions", 6),
        ("Bytes", 2),
        ("Denied", 2),
        ("Errors", 3),
        ("Warnings", 2),
        ("Server", 9),
    ];
    let mut o = format!("<tr class=\"titre\">{first}<th rowspan=2></th>");
    for (g, n) in groups {
        o.push_str(&format!("<th colspan={n}>{g}</th>"));
    }
    o.push_str("</tr>\n<tr class=\"titre\">");
    for c in [
        "Cur", "Max", "Limit", "Cur", "Max", "Limit", "Cur", "Max", "Limit", "Total", "LbTot",
        "Last", "In", "Out", "Req", "Resp", "Req", "Conn", "Resp", "Retr", "Redis", "Status",
        "LastChk", "Wght", "Act", "Bck", "Chk", "Dwn", "Dwntme", "Thrtle",
    ] {
        o.push_str(&format!("<th>{c}</th>"));
    }
    o.push_str("\n</tr>\n");
    o
}

/// Cells as `<td>` elements.
fn tds(cells: &[String]) -> String {
    cells.iter().map(|c| format!("<td>{c}</td>")).collect()
}

/// One proxy: name banner, table, and the admin form around it.
fn proxy_table(px: &Proxy, opts: &PageOptions) -> String {
    let admin = opts.admin && px.backend.is_some() && !px.servers.is_empty();
    let name = esc(&px.name);
    let mut o = String::new();
    if admin {
        o.push_str("<form method=\"post\">");
    }
    o.push_str(&format!(
        "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a name=\"{name}\"></a><a class=px href=\"#{name}\">{name}</a></th><th class=\"empty\" width=\"90%\"></th></tr>\n</table>\n<table class=\"tbl\" width=\"100%\">\n"
    ));
    o.push_str(&header_rows(px, admin));
    if let Some(fe) = &px.frontend {
        let t = &fe.traffic;
        o.push_str(&format!(
            "<tr class=\"frontend\"><td></td><td class=ac><a name=\"{name}/Frontend\"></a><a class=lfsb href=\"#{name}/Frontend\">Frontend</a></td><td colspan=3></td>"
        ));
        o.push_str(&tds(&[
            t.rate.to_string(),
            t.rate_max.to_string(),
            fe.rate_limit.to_string(),
            t.scur.to_string(),
            t.smax.to_string(),
            fe.maxconn.to_string(),
            t.stot.to_string(),
            String::new(),
            String::new(),
            t.bytes_in.to_string(),
            t.bytes_out.to_string(),
            t.denied_req.to_string(),
            t.denied_resp.to_string(),
            t.errors_req.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]));
        o.push_str(&format!(
            "<td class=ac>{}</td><td class=ac colspan=8></td></tr>\n",
            fe.status.as_str()
        ));
    }
    if px.backend.is_some() {
        for sv in &px.servers {
            o.push_str(&server_row(px, sv, admin));
        }
    }
    if let Some(be) = &px.backend {
        let t = &be.traffic;
        let (act, bck, weight) = backend_weights(&px.servers);
        o.push_str(&format!(
            "<tr class=\"backend\"><td></td><td class=ac><a name=\"{name}/Backend\"></a><a class=lfsb href=\"#{name}/Backend\">Backend</a></td>"
        ));
        o.push_str(&tds(&[
            be.qcur.to_string(),
            be.qmax.to_string(),
            String::new(),
            t.rate.to_string(),
            t.rate_max.to_string(),
            String::new(),
            t.scur.to_string(),
            t.smax.to_string(),
            be.maxconn.to_string(),
            t.stot.to_string(),
            be.lbtot.to_string(),
            be.last_session_secs
                .map_or_else(|| "never".into(), human_time),
            t.bytes_in.to_string(),
            t.bytes_out.to_string(),
            t.denied_req.to_string(),
            t.denied_resp.to_string(),
            String::new(),
            t.errors_conn.to_string(),
            t.errors_resp.to_string(),
            t.retries.to_string(),
            t.redispatches.to_string(),
        ]));
        o.push_str(&format!(
            "<td class=ac>{} {}</td><td class=ac>&nbsp;</td><td class=ac>{weight}/{weight}</td><td class=ac>{act}</td><td class=ac>{bck}</td><td class=ac>&nbsp;</td><td>{}</td><td>{}</td><td></td></tr>\n",
            human_time(be.last_change_secs),
            backend_status(&px.servers),
            be.down_transitions,
            human_time(be.downtime_secs),
        ));
    }
    o.push_str("</table>");
    if admin {
        o.push_str(&format!(
            "Choose the action to perform on the checked servers : <select name=action><option value=\"\"></option><option value=\"ready\">Set state to READY</option><option value=\"drain\">Set state to DRAIN</option><option value=\"maint\">Set state to MAINT</option></select><input type=\"hidden\" name=\"b\" value=\"#{}\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>",
            px.id
        ));
    }
    o.push_str("<p>\n");
    o
}

/// The CSS class of a server row.
fn row_class(sv: &Server) -> &'static str {
    let status = server_status(sv);
    if sv.admin.maint() {
        return "maintain";
    }
    let kind = match status.as_str() {
        "DRAIN" => "draining",
        "no check" => "no_check",
        "NOLB" => "nolb",
        "UP" => "up",
        "DOWN" => "down",
        s if s.starts_with("UP ") => "going_down",
        _ => "going_up",
    };
    match (sv.backup, kind) {
        (false, "up") => "active_up",
        (false, "down") => "active_down",
        (false, "draining") => "active_draining",
        (false, "no_check") => "active_no_check",
        (false, "nolb") => "active_nolb",
        (false, "going_down") => "active_going_down",
        (false, _) => "active_going_up",
        (true, "up") => "backup_up",
        (true, "down") => "backup_down",
        (true, "draining") => "backup_draining",
        (true, "no_check") => "backup_no_check",
        (true, "nolb") => "backup_nolb",
        (true, "going_down") => "backup_going_down",
        (true, _) => "backup_going_up",
    }
}

/// One server row.
fn server_row(px: &Proxy, sv: &Server, admin: bool) -> String {
    let t = &sv.traffic;
    let (pn, sn) = (esc(&px.name), esc(&sv.name));
    let first = if admin {
        format!(
            "<td><input class='{pn}-checkbox' type=\"checkbox\" name=\"s\" value=\"{sn}\"></td>"
        )
    } else {
        "<td></td>".to_owned()
    };
    let mut o = format!(
        "<tr class=\"{}\">{first}<td class=ac><a name=\"{pn}/{sn}\"></a><a class=lfsb href=\"#{pn}/{sn}\">{sn}</a></td>",
        row_class(sv)
    );
    o.push_str(&tds(&[
        sv.qcur.to_string(),
        sv.qmax.to_string(),
        sv.maxqueue.map_or_else(|| "-".into(), |q| q.to_string()),
        t.rate.to_string(),
        t.rate_max.to_string(),
        String::new(),
        t.scur.to_string(),
        t.smax.to_string(),
        sv.maxconn.map_or_else(|| "-".into(), |m| m.to_string()),
        t.stot.to_string(),
        sv.lbtot.to_string(),
        sv.last_session_secs
            .map_or_else(|| "never".into(), human_time),
        t.bytes_in.to_string(),
        t.bytes_out.to_string(),
        String::new(),
        t.denied_resp.to_string(),
        String::new(),
        t.errors_conn.to_string(),
        t.errors_resp.to_string(),
        t.retries.to_string(),
        t.redispatches.to_string(),
    ]));
    let status = server_status(sv);
    let shown = if sv.op == OpState::Stopped && sv.admin.maint() {
        "MAINT".to_owned()
    } else {
        status
    };
    let check = sv.check.as_ref().filter(|c| !c.paused);
    let last_chk = check.map_or_else(
        || "&nbsp;".to_owned(),
        |c| {
            let code = c
                .code
                .filter(|_| c.status.has_code())
                .map(|c| format!("/{c}"))
                .unwrap_or_default();
            let info = if c.info.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&c.info))
            };
            format!(
                "<u> {}{code} in {}ms<div class=tips>{}{info}</div></u>",
                c.status.name(),
                c.duration_ms,
                c.status.description()
            )
        },
    );
    let (chk, dwn, dwntme) = match &sv.check {
        Some(c) => (
            c.failures.to_string(),
            c.down_transitions.to_string(),
            human_time(c.downtime_secs),
        ),
        None => ("&nbsp;".into(), "&nbsp;".into(), "&nbsp;".into()),
    };
    o.push_str(&format!(
        "<td class=ac>{} {}</td><td class=ac>{last_chk}</td><td class=ac>{}/{}</td><td class=ac>{}</td><td class=ac>{}</td><td>{chk}</td><td>{dwn}</td><td>{dwntme}</td><td class=ac>-</td></tr>\n",
        human_time(sv.last_change_secs),
        esc(&shown),
        sv.weight,
        sv.weight,
        if sv.backup { "-" } else { "Y" },
        if sv.backup { "Y" } else { "-" },
    ));
    o
}

/// Why an admin form post was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminPostError {
    /// No `b=#<id>` naming an existing backend.
    #[error("unknown backend")]
    UnknownBackend,
    /// The `action` is missing or not one haproxy-rs serves.
    #[error("unknown action")]
    UnknownAction,
}

/// Decodes `application/x-www-form-urlencoded` text.
fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The changes an admin form post asks for (`s=<server>&...&action=...&b=#<id>`),
/// servers unknown to the backend left out.
pub fn parse_admin_post(
    body: &str,
    snapshot: &Snapshot,
) -> Result<Vec<(ServerRef, AdminAction)>, AdminPostError> {
    let mut servers = Vec::new();
    let mut action = None;
    let mut backend = None;
    for pair in body.split('&').take(4096) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = url_decode(v);
        match k {
            "s" => servers.push(v),
            "action" => action = Some(v),
            "b" => backend = v.strip_prefix('#').and_then(|n| n.parse::<u32>().ok()),
            _ => {}
        }
    }
    let px = backend
        .and_then(|id| {
            snapshot
                .proxies
                .iter()
                .find(|p| p.id == id && p.backend.is_some())
        })
        .ok_or(AdminPostError::UnknownBackend)?;
    let action = match action.as_deref() {
        Some("ready") => AdminAction::Ready,
        Some("drain") => AdminAction::Drain,
        Some("maint") => AdminAction::Maint,
        _ => return Err(AdminPostError::UnknownAction),
    };
    Ok(servers
        .into_iter()
        .filter(|s| px.servers.iter().any(|sv| &sv.name == s))
        .map(|server| {
            (
                ServerRef {
                    backend: px.name.clone(),
                    server,
                },
                action,
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_time_like_haproxy() {
        assert_eq!(human_time(6), "6s");
        assert_eq!(human_time(62), "1m2s");
        assert_eq!(human_time(3720), "1h2m");
        assert_eq!(human_time(93_600), "1d2h");
    }

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("%234"), "#4");
        assert_eq!(url_decode("a+b%2"), "a b%2");
        assert_eq!(url_decode("%zz"), "%zz");
    }
}
