//! `show stat` and the stats page's `;csv`: HAProxy 2.6's CSV, its header
//! and its 128 columns (the 2.6 general fields, then the `-` marker and the
//! SSL, HTTP/2 and HTTP/1 module fields), in HAProxy's order.
//!
//! Which cells a row fills depends on the row kind (FRONTEND, BACKEND,
//! server) and on the configuration (mode, checks, limits), exactly as the
//! golden files captured from HAProxy 2.6 show.

use std::fmt::Display;

use super::snapshot::{Backend, Frontend, Mode, Proxy, Server, Snapshot};

/// The CSV column names, in order.
pub const STAT_FIELDS: [&str; 128] = [
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "scur",
    "smax",
    "slim",
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "lastchg",
    "downtime",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "rate",
    "rate_lim",
    "rate_max",
    "check_status",
    "check_code",
    "check_duration",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "hanafail",
    "req_rate",
    "req_rate_max",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "lastsess",
    "last_chk",
    "last_agt",
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "agent_status",
    "agent_code",
    "agent_duration",
    "check_desc",
    "agent_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "agent_rise",
    "agent_fall",
    "agent_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "conn_rate",
    "conn_rate_max",
    "conn_tot",
    "intercepted",
    "dcon",
    "dses",
    "wrew",
    "connect",
    "reuse",
    "cache_lookups",
    "cache_hits",
    "srv_icur",
    "src_ilim",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "eint",
    "idle_conn_cur",
    "safe_conn_cur",
    "used_conn_cur",
    "need_conn_est",
    "uweight",
    "agg_server_status",
    "agg_server_check_status",
    "agg_check_status",
    "-",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
    "h2_headers_rcvd",
    "h2_data_rcvd",
    "h2_settings_rcvd",
    "h2_rst_stream_rcvd",
    "h2_goaway_rcvd",
    "h2_detected_conn_protocol_errors",
    "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp",
    "h2_goaway_resp",
    "h2_open_connections",
    "h2_backend_open_streams",
    "h2_total_connections",
    "h2_backend_total_streams",
    "h1_open_connections",
    "h1_open_streams",
    "h1_total_connections",
    "h1_total_streams",
    "h1_bytes_in",
    "h1_bytes_out",
    "h1_spliced_bytes_in",
    "h1_spliced_bytes_out",
];

/// The HTTP/2 module columns (zero for frontends and backends, empty for
/// servers).
const H2_FIELDS: std::ops::Range<usize> = 107..120;

/// The HTTP/1 module columns.
const H1_FIELDS: std::ops::Range<usize> = 120..128;

/// What a reader may see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatOptions {
    /// Show the legends: server addresses and balancing algorithms
    /// (HAProxy shows them on the CLI from level operator up, and on the
    /// stats page with `stats show-legends`).
    pub show_legends: bool,
}

/// The row kind (`type` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A FRONTEND row (0).
    Frontend,
    /// A BACKEND row (1).
    Backend,
    /// A server row (2).
    Server,
}

/// One CSV row: a cell per [`STAT_FIELDS`] entry, empty when HAProxy
/// leaves it empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRow {
    /// The row kind.
    pub kind: RowKind,
    /// The cells.
    pub cells: Vec<String>,
}

impl StatRow {
    /// An empty row of `kind` for proxy `px` and service `sv`.
    fn new(kind: RowKind, px: &str, sv: &str) -> Self {
        let mut cells = vec![String::new(); STAT_FIELDS.len()];
        cells[0] = px.to_owned();
        cells[1] = sv.to_owned();
        cells[103] = "-".into();
        Self { kind, cells }
    }

    /// The cell of column `name`, if the column exists.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = STAT_FIELDS.iter().position(|f| *f == name)?;
        self.cells.get(i).map(String::as_str)
    }

    /// Fills column `name` (names are the constants above, so the lookup
    /// always succeeds; an unknown name is ignored).
    fn put(&mut self, name: &str, value: impl Display) {
        if let Some(i) = STAT_FIELDS.iter().position(|f| *f == name) {
            self.cells[i] = value.to_string();
        }
    }

    /// Fills several columns with zero.
    fn zero(&mut self, names: &[&str]) {
        for n in names {
            self.put(n, 0);
        }
    }

    /// The CSV line, with HAProxy's trailing comma.
    pub fn to_csv(&self) -> String {
        let mut line = String::new();
        for c in &self.cells {
            line.push_str(&csv_escape(c));
            line.push(',');
        }
        line
    }
}

/// HAProxy's CSV quoting: a cell holding a comma, quote or line break is
/// quoted, quotes doubled.
fn csv_escape(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The header line (`# pxname,svname,...,`).
pub fn csv_header() -> String {
    let mut h = String::from("# ");
    for f in STAT_FIELDS {
        h.push_str(f);
        h.push(',');
    }
    h
}

/// The `show stat` answer: header and one line per row (the runtime API
/// adds the final blank line).
pub fn show_stat(snapshot: &Snapshot, opts: StatOptions) -> String {
    let mut out = csv_header();
    out.push('\n');
    for row in rows(snapshot, opts) {
        out.push_str(&row.to_csv());
        out.push('\n');
    }
    out
}

/// Every row in HAProxy's order: per proxy, FRONTEND, then the servers,
/// then BACKEND.
pub fn rows(snapshot: &Snapshot, opts: StatOptions) -> Vec<StatRow> {
    let pid = 1;
    let mut out = Vec::new();
    for px in &snapshot.proxies {
        if let Some(fe) = &px.frontend {
            out.push(frontend_row(px, fe, pid));
        }
        if let Some(be) = &px.backend {
            for sv in &px.servers {
                out.push(server_row(px, sv, pid, opts));
            }
            out.push(backend_row(px, be, pid, opts));
        }
    }
    out
}

/// The FRONTEND row of `px`.
fn frontend_row(px: &Proxy, fe: &Frontend, pid: u32) -> StatRow {
    let t = &fe.traffic;
    let mut r = StatRow::new(RowKind::Frontend, &px.name, "FRONTEND");
    r.put("scur", t.scur);
    r.put("smax", t.smax);
    r.put("slim", fe.maxconn);
    r.put("stot", t.stot);
    r.put("bin", t.bytes_in);
    r.put("bout", t.bytes_out);
    r.put("dreq", t.denied_req);
    r.put("dresp", t.denied_resp);
    r.put("ereq", t.errors_req);
    r.put("status", fe.status.as_str());
    r.put("pid", pid);
    r.put("iid", px.id);
    r.put("sid", 0);
    r.put("type", 0);
    r.put("rate", t.rate);
    r.put("rate_lim", fe.rate_limit);
    r.put("rate_max", t.rate_max);
    if px.mode == Mode::Http {
        put_hrsp(&mut r, t.hrsp);
    }
    r.put("req_rate", fe.req_rate);
    r.put("req_rate_max", fe.req_rate_max);
    r.put("req_tot", t.req_tot);
    r.zero(&["comp_in", "comp_out", "comp_byp", "comp_rsp"]);
    r.put("mode", px.mode.as_str());
    r.put("conn_rate", fe.conn_rate);
    r.put("conn_rate_max", fe.conn_rate_max);
    r.put("conn_tot", fe.conn_tot);
    r.put("intercepted", fe.intercepted);
    r.put("dcon", fe.denied_conn);
    r.put("dses", fe.denied_sess);
    r.put("wrew", t.failed_rewrites);
    r.zero(&["cache_lookups", "cache_hits"]);
    r.put("eint", t.internal_errors);
    put_ssl_zero(&mut r);
    put_modules(
        &mut r,
        [
            fe.h1_open_connections,
            0,
            fe.h1_total_connections,
            fe.h1_total_streams,
            fe.h1_bytes_in,
            fe.h1_bytes_out,
            0,
            0,
        ],
    );
    r
}

/// The BACKEND row of `px`.
fn backend_row(px: &Proxy, be: &Backend, pid: u32, opts: StatOptions) -> StatRow {
    let t = &be.traffic;
    let mut r = StatRow::new(RowKind::Backend, &px.name, "BACKEND");
    let (act, bck, weight) = backend_weights(&px.servers);
    r.put("qcur", be.qcur);
    r.put("qmax", be.qmax);
    r.put("scur", t.scur);
    r.put("smax", t.smax);
    r.put("slim", be.maxconn);
    r.put("stot", t.stot);
    r.put("bin", t.bytes_in);
    r.put("bout", t.bytes_out);
    r.put("dreq", t.denied_req);
    r.put("dresp", t.denied_resp);
    r.put("econ", t.errors_conn);
    r.put("eresp", t.errors_resp);
    r.put("wretr", t.retries);
    r.put("wredis", t.redispatches);
    r.put("status", backend_status(&px.servers));
    r.put("weight", weight);
    r.put("act", act);
    r.put("bck", bck);
    r.put("chkdown", be.down_transitions);
    r.put("lastchg", be.last_change_secs);
    if !px.servers.is_empty() {
        r.put("downtime", be.downtime_secs);
    }
    r.put("pid", pid);
    r.put("iid", px.id);
    r.put("sid", 0);
    r.put("lbtot", be.lbtot);
    r.put("type", 1);
    r.put("rate", t.rate);
    r.put("rate_max", t.rate_max);
    if px.mode == Mode::Http {
        put_hrsp(&mut r, t.hrsp);
        r.put("req_tot", t.req_tot);
    }
    r.put("cli_abrt", t.cli_abrt);
    r.put("srv_abrt", t.srv_abrt);
    r.zero(&["comp_in", "comp_out", "comp_byp", "comp_rsp"]);
    r.put("lastsess", last_session(be.last_session_secs));
    put_timings(&mut r, &be.timings);
    r.put("mode", px.mode.as_str());
    if opts.show_legends {
        r.put("algo", &be.algo);
    }
    r.put("wrew", t.failed_rewrites);
    r.put("connect", be.connect);
    r.put("reuse", be.reuse);
    if px.mode == Mode::Http {
        r.zero(&["cache_lookups", "cache_hits"]);
    }
    r.put("eint", t.internal_errors);
    r.put("uweight", weight);
    r.zero(&[
        "agg_server_status",
        "agg_server_check_status",
        "agg_check_status",
    ]);
    put_ssl_zero(&mut r);
    put_modules(
        &mut r,
        [
            be.h1_open_connections,
            0,
            be.h1_total_connections,
            be.h1_total_streams,
            be.h1_bytes_in,
            be.h1_bytes_out,
            0,
            0,
        ],
    );
    r
}

/// A server row.
fn server_row(px: &Proxy, sv: &Server, pid: u32, opts: StatOptions) -> StatRow {
    let t = &sv.traffic;
    let mut r = StatRow::new(RowKind::Server, &px.name, &sv.name);
    r.put("qcur", sv.qcur);
    r.put("qmax", sv.qmax);
    r.put("scur", t.scur);
    r.put("smax", t.smax);
    if let Some(m) = sv.maxconn {
        r.put("slim", m);
    }
    r.put("stot", t.stot);
    r.put("bin", t.bytes_in);
    r.put("bout", t.bytes_out);
    r.put("dresp", t.denied_resp);
    r.put("econ", t.errors_conn);
    r.put("eresp", t.errors_resp);
    r.put("wretr", t.retries);
    r.put("wredis", t.redispatches);
    r.put("status", server_status(sv));
    r.put("weight", sv.weight);
    r.put("act", u8::from(!sv.backup));
    r.put("bck", u8::from(sv.backup));
    if let Some(c) = &sv.check {
        r.put("chkfail", c.failures);
        r.put("chkdown", c.down_transitions);
        r.put("downtime", c.downtime_secs);
    }
    r.put("lastchg", sv.last_change_secs);
    if let Some(q) = sv.maxqueue {
        r.put("qlimit", q);
    }
    r.put("pid", pid);
    r.put("iid", px.id);
    r.put("sid", sv.id);
    r.put("lbtot", sv.lbtot);
    r.put("type", 2);
    r.put("rate", t.rate);
    r.put("rate_max", t.rate_max);
    if let Some(c) = sv.check.as_ref().filter(|c| !c.paused) {
        r.put("check_status", c.status.name());
        if c.status.has_code() {
            if let Some(code) = c.code {
                r.put("check_code", code);
            }
        }
        if c.status.finished() {
            r.put("check_duration", c.duration_ms);
        }
        r.put("check_desc", c.status.description());
        r.put("check_rise", c.rise);
        r.put("check_fall", c.fall);
        r.put("check_health", c.health);
    }
    if px.mode == Mode::Http {
        put_hrsp(&mut r, t.hrsp);
        r.put("req_tot", t.req_tot);
    }
    r.put("cli_abrt", t.cli_abrt);
    r.put("srv_abrt", t.srv_abrt);
    r.put("lastsess", last_session(sv.last_session_secs));
    if let Some(c) = &sv.check {
        r.put("last_chk", &c.info);
    }
    put_timings(&mut r, &sv.timings);
    if opts.show_legends {
        if let Some(a) = sv.addr {
            r.put("addr", a);
        }
    }
    if let Some(c) = &sv.cookie {
        r.put("cookie", c);
    }
    r.put("mode", px.mode.as_str());
    r.put("wrew", t.failed_rewrites);
    r.put("connect", sv.connect);
    r.put("reuse", sv.reuse);
    r.put("srv_icur", sv.idle_conn_cur);
    r.put("eint", t.internal_errors);
    r.put("idle_conn_cur", sv.idle_conn_cur);
    r.put("safe_conn_cur", sv.safe_conn_cur);
    r.put("used_conn_cur", sv.used_conn_cur);
    r.put("need_conn_est", sv.need_conn_est);
    r.put("uweight", sv.weight);
    put_ssl_zero(&mut r);
    r
}

/// The six `hrsp_*` cells.
fn put_hrsp(r: &mut StatRow, hrsp: [u64; 6]) {
    let names = [
        "hrsp_1xx",
        "hrsp_2xx",
        "hrsp_3xx",
        "hrsp_4xx",
        "hrsp_5xx",
        "hrsp_other",
    ];
    for (n, v) in names.iter().zip(hrsp) {
        r.put(n, v);
    }
}

/// The eight time cells.
fn put_timings(r: &mut StatRow, t: &super::snapshot::Timings) {
    r.put("qtime", t.qtime);
    r.put("ctime", t.ctime);
    r.put("rtime", t.rtime);
    r.put("ttime", t.ttime);
    r.put("qtime_max", t.qtime_max);
    r.put("ctime_max", t.ctime_max);
    r.put("rtime_max", t.rtime_max);
    r.put("ttime_max", t.ttime_max);
}

/// The SSL module cells (lbkit reports no SSL session cache figures yet).
fn put_ssl_zero(r: &mut StatRow) {
    r.zero(&["ssl_sess", "ssl_reused_sess", "ssl_failed_handshake"]);
}

/// The HTTP/2 module cells (zero) and the HTTP/1 module cells.
fn put_modules(r: &mut StatRow, h1: [u64; 8]) {
    for i in H2_FIELDS {
        r.cells[i] = "0".into();
    }
    for (i, v) in H1_FIELDS.zip(h1) {
        r.cells[i] = v.to_string();
    }
}

/// `lastsess`: seconds, or -1 when there never was a session.
fn last_session(secs: Option<u64>) -> String {
    secs.map_or_else(|| "-1".into(), |s| s.to_string())
}

/// Active and backup usable server counts and the backend weight: the
/// active servers' weights, or the backups' when no active one is usable.
pub fn backend_weights(servers: &[Server]) -> (u64, u64, u64) {
    let act = servers.iter().filter(|s| !s.backup && s.usable()).count() as u64;
    let bck = servers.iter().filter(|s| s.backup && s.usable()).count() as u64;
    let sum = |backup: bool| -> u64 {
        servers
            .iter()
            .filter(|s| s.backup == backup && s.usable())
            .map(|s| u64::from(s.weight))
            .sum()
    };
    let weight = if act > 0 { sum(false) } else { sum(true) };
    (act, bck, weight)
}

/// `UP` when the backend has a usable server (or no server at all, like a
/// stats-only `listen`), else `DOWN`.
pub fn backend_status(servers: &[Server]) -> &'static str {
    if servers.is_empty() || servers.iter().any(Server::usable) {
        "UP"
    } else {
        "DOWN"
    }
}

/// A server's `status` cell: `MAINT`, `DRAIN`, `no check`, `UP`, `DOWN`,
/// `NOLB`, or a transition such as `UP 1/3` / `DOWN 1/2`.
pub fn server_status(sv: &Server) -> String {
    if sv.admin.maint() {
        return "MAINT".into();
    }
    if sv.admin.drain() {
        return "DRAIN".into();
    }
    let check = sv.check.as_ref().filter(|c| !c.paused);
    match (sv.op, check) {
        (OpState::Running | OpState::Starting, None) => "no check".into(),
        (OpState::Running | OpState::Starting, Some(c)) => {
            let top = (c.rise + c.fall).saturating_sub(1);
            if c.health < top {
                format!("UP {}/{}", c.health.saturating_sub(c.rise) + 1, c.fall)
            } else {
                "UP".into()
            }
        }
        (OpState::Stopping, _) => "NOLB".into(),
        (OpState::Stopped, Some(c)) if c.health > 0 => format!("DOWN {}/{}", c.health, c.rise),
        (OpState::Stopped, _) => "DOWN".into(),
    }
}

use super::snapshot::OpState;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_128_names_and_the_module_marker() {
        assert_eq!(STAT_FIELDS.len(), 128);
        assert_eq!(STAT_FIELDS[103], "-");
        assert_eq!(STAT_FIELDS[H2_FIELDS.start], "h2_headers_rcvd");
        assert_eq!(STAT_FIELDS[H1_FIELDS.start], "h1_open_connections");
        assert!(csv_header().starts_with("# pxname,svname,qcur,"));
        assert!(csv_header().ends_with("h1_spliced_bytes_out,"));
    }

    #[test]
    fn csv_cells_with_commas_are_quoted() {
        assert_eq!(csv_escape("a,b"), "\"a,b\"");
        assert_eq!(csv_escape("x\"y"), "\"x\"\"y\"");
        assert_eq!(csv_escape("plain"), "plain");
    }

    #[test]
    fn server_status_transitions() {
        let mut sv = Server {
            op: OpState::Running,
            weight: 1,
            check: Some(super::super::snapshot::Check {
                rise: 2,
                fall: 3,
                health: 4,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(server_status(&sv), "UP");
        if let Some(c) = sv.check.as_mut() {
            c.health = 3;
        }
        assert_eq!(server_status(&sv), "UP 2/3");
        sv.op = OpState::Stopped;
        if let Some(c) = sv.check.as_mut() {
            c.health = 1;
        }
        assert_eq!(server_status(&sv), "DOWN 1/2");
        sv.admin.forced_drain = true;
        assert_eq!(server_status(&sv), "DRAIN");
        sv.admin.config_maint = true;
        assert_eq!(server_status(&sv), "MAINT");
        sv.admin = Default::default();
        sv.check = None;
        sv.op = OpState::Running;
        assert_eq!(server_status(&sv), "no check");
    }
}
