//! The typed picture of a running proxy that every report is drawn from:
//! process figures, and per proxy its frontend, backend and servers.
//!
//! The engine fills a [`Snapshot`] from its live counters; the renderers in
//! the sibling modules only read it, so each output is a pure function.

use std::net::SocketAddr;

/// Everything `show info`, `show stat`, the stats page and the Prometheus
/// exporter report, taken at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Process-wide figures (`show info`).
    pub info: ProcessInfo,
    /// Proxies in configuration order (a `listen` section is one proxy with
    /// both a frontend and a backend).
    pub proxies: Vec<Proxy>,
    /// The streams in progress (`show sess`).
    pub streams: Vec<StreamInfo>,
}

/// One stream in progress, as `show sess` summarises it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamInfo {
    /// A unique identifier (HAProxy prints the stream's address).
    pub id: u64,
    /// `tcpv4`, `tcpv6`, `unix_stream`.
    pub proto: String,
    /// The client address, e.g. `127.0.0.1:40000`.
    pub src: String,
    /// The frontend name.
    pub frontend: String,
    /// The backend name, when one was picked.
    pub backend: Option<String>,
    /// The server name, when one was picked.
    pub server: Option<String>,
    /// Seconds since the stream started.
    pub age_secs: u64,
}

impl Snapshot {
    /// The proxy named `name` that has a backend side.
    pub fn backend(&self, name: &str) -> Option<&Proxy> {
        self.proxies
            .iter()
            .find(|p| p.name == name && p.backend.is_some())
    }

    /// The proxy named `name` that has a frontend side.
    pub fn frontend(&self, name: &str) -> Option<&Proxy> {
        self.proxies
            .iter()
            .find(|p| p.name == name && p.frontend.is_some())
    }
}

/// Process-wide figures, named after the `show info` fields they feed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    /// `Version`, e.g. `2.6.12`.
    pub version: String,
    /// `Release_date`, `YYYY/MM/DD`.
    pub release_date: String,
    /// `Nbthread`.
    pub nbthread: u32,
    /// `Pid`.
    pub pid: u32,
    /// Seconds since start (`Uptime_sec`).
    pub uptime_sec: u64,
    /// Start time, seconds since the Unix epoch (`Start_time_sec`).
    pub start_time_sec: u64,
    /// `Ulimit-n`.
    pub ulimit_n: u64,
    /// `Maxsock`.
    pub maxsock: u64,
    /// `Maxconn` (the current, runtime-settable limit).
    pub maxconn: u64,
    /// `Hard_maxconn` (the configured limit).
    pub hard_maxconn: u64,
    /// `CurrConns`.
    pub curr_conns: u64,
    /// `CumConns`.
    pub cum_conns: u64,
    /// `CumReq`.
    pub cum_req: u64,
    /// `ConnRate` (per second, current).
    pub conn_rate: u64,
    /// `ConnRateLimit`.
    pub conn_rate_limit: u64,
    /// `MaxConnRate`.
    pub max_conn_rate: u64,
    /// `SessRate`.
    pub sess_rate: u64,
    /// `SessRateLimit`.
    pub sess_rate_limit: u64,
    /// `MaxSessRate`.
    pub max_sess_rate: u64,
    /// `Tasks`.
    pub tasks: u64,
    /// `Run_queue`.
    pub run_queue: u64,
    /// `Idle_pct`.
    pub idle_pct: u64,
    /// `node` (host name unless `node` is set in `global`).
    pub node: String,
    /// `Stopping` (a soft stop is in progress).
    pub stopping: bool,
    /// `Jobs`.
    pub jobs: u64,
    /// `Unstoppable Jobs`.
    pub unstoppable_jobs: u64,
    /// `Listeners`.
    pub listeners: u64,
    /// `DroppedLogs`.
    pub dropped_logs: u64,
    /// `TotalBytesOut`.
    pub total_bytes_out: u64,
    /// `BytesOutRate`.
    pub bytes_out_rate: u64,
    /// `PoolAlloc_bytes`.
    pub pool_alloc_bytes: u64,
    /// `PoolUsed_bytes`.
    pub pool_used_bytes: u64,
    /// `Build info` / `haproxy_process_build_info{version=...}`: the full
    /// version string.
    pub build_info: String,
}

impl Default for ProcessInfo {
    fn default() -> Self {
        Self {
            version: "2.6.12".into(),
            release_date: "2023/03/28".into(),
            nbthread: 1,
            pid: 0,
            uptime_sec: 0,
            start_time_sec: 0,
            ulimit_n: 0,
            maxsock: 0,
            maxconn: 0,
            hard_maxconn: 0,
            curr_conns: 0,
            cum_conns: 0,
            cum_req: 0,
            conn_rate: 0,
            conn_rate_limit: 0,
            max_conn_rate: 0,
            sess_rate: 0,
            sess_rate_limit: 0,
            max_sess_rate: 0,
            tasks: 0,
            run_queue: 0,
            idle_pct: 100,
            node: String::new(),
            stopping: false,
            jobs: 0,
            unstoppable_jobs: 0,
            listeners: 0,
            dropped_logs: 0,
            total_bytes_out: 0,
            bytes_out_rate: 0,
            pool_alloc_bytes: 0,
            pool_used_bytes: 0,
            build_info: "2.6.12".into(),
        }
    }
}

/// The proxy mode (`mode tcp|http`), the CSV `mode` column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// `mode tcp`.
    Tcp,
    /// `mode http`.
    #[default]
    Http,
}

impl Mode {
    /// The word HAProxy prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tcp => "tcp",
            Mode::Http => "http",
        }
    }
}

/// One `frontend`, `backend` or `listen` section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Proxy {
    /// The section name (`pxname`).
    pub name: String,
    /// The proxy's numeric id (`iid`, `be_id`): `id` in the configuration,
    /// else assigned in order from 2 (1 is taken by the stats socket).
    pub id: u32,
    /// `mode`.
    pub mode: Mode,
    /// The frontend side, when the section has one.
    pub frontend: Option<Frontend>,
    /// The backend side, when the section has one.
    pub backend: Option<Backend>,
    /// The backend's servers, in configuration order.
    pub servers: Vec<Server>,
}

/// The traffic counters every row kind shares (a row uses the ones that
/// apply to it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Sessions now (`scur`).
    pub scur: u64,
    /// Highest `scur` seen (`smax`).
    pub smax: u64,
    /// Cumulated sessions (`stot`).
    pub stot: u64,
    /// Bytes received from clients (`bin`).
    pub bytes_in: u64,
    /// Bytes sent to clients (`bout`).
    pub bytes_out: u64,
    /// Requests denied by rules (`dreq`).
    pub denied_req: u64,
    /// Responses denied by rules (`dresp`).
    pub denied_resp: u64,
    /// Request errors (`ereq`).
    pub errors_req: u64,
    /// Connection errors towards servers (`econ`).
    pub errors_conn: u64,
    /// Response errors (`eresp`).
    pub errors_resp: u64,
    /// Retries (`wretr`).
    pub retries: u64,
    /// Redispatches (`wredis`).
    pub redispatches: u64,
    /// Sessions per second, current (`rate`).
    pub rate: u64,
    /// Highest `rate` seen (`rate_max`).
    pub rate_max: u64,
    /// HTTP responses by class 1xx..5xx, then other (`hrsp_*`).
    pub hrsp: [u64; 6],
    /// HTTP requests (`req_tot`).
    pub req_tot: u64,
    /// Data transfers aborted by the client (`cli_abrt`).
    pub cli_abrt: u64,
    /// Data transfers aborted by the server (`srv_abrt`).
    pub srv_abrt: u64,
    /// Header rewrite failures (`wrew`).
    pub failed_rewrites: u64,
    /// Internal errors (`eint`).
    pub internal_errors: u64,
}

/// Average and maximum times, milliseconds (`qtime` .. `ttime_max`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timings {
    /// Average queue time over the last 1024 requests.
    pub qtime: u64,
    /// Average connect time.
    pub ctime: u64,
    /// Average response time.
    pub rtime: u64,
    /// Average total time.
    pub ttime: u64,
    /// Maximum queue time.
    pub qtime_max: u64,
    /// Maximum connect time.
    pub ctime_max: u64,
    /// Maximum response time.
    pub rtime_max: u64,
    /// Maximum total time.
    pub ttime_max: u64,
}

/// Whether a frontend accepts connections (CSV `status` of a FRONTEND row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FrontendStatus {
    /// Listening.
    #[default]
    Open,
    /// Reached its `maxconn`.
    Full,
    /// Paused (`disable frontend`).
    Paused,
    /// Stopped.
    Stop,
}

impl FrontendStatus {
    /// The word HAProxy prints.
    pub fn as_str(self) -> &'static str {
        match self {
            FrontendStatus::Open => "OPEN",
            FrontendStatus::Full => "FULL",
            FrontendStatus::Paused => "PAUSED",
            FrontendStatus::Stop => "STOP",
        }
    }
}

/// The frontend side of a proxy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontend {
    /// `OPEN`, `FULL`, ...
    pub status: FrontendStatus,
    /// `maxconn` of the frontend (`slim`).
    pub maxconn: u64,
    /// `rate-limit sessions` (`rate_lim`), 0 for none.
    pub rate_limit: u64,
    /// Shared counters.
    pub traffic: Traffic,
    /// HTTP requests per second, current (`req_rate`).
    pub req_rate: u64,
    /// Highest `req_rate` seen.
    pub req_rate_max: u64,
    /// Connections per second, current (`conn_rate`).
    pub conn_rate: u64,
    /// Highest `conn_rate`.
    pub conn_rate_max: u64,
    /// Cumulated connections (`conn_tot`).
    pub conn_tot: u64,
    /// Requests answered by the proxy itself (`intercepted`).
    pub intercepted: u64,
    /// Connections denied by `tcp-request connection` (`dcon`).
    pub denied_conn: u64,
    /// Sessions denied by `tcp-request session` (`dses`).
    pub denied_sess: u64,
    /// HTTP/1 connections open now.
    pub h1_open_connections: u64,
    /// HTTP/1 connections in total.
    pub h1_total_connections: u64,
    /// HTTP/1 streams in total.
    pub h1_total_streams: u64,
    /// HTTP/1 bytes received.
    pub h1_bytes_in: u64,
    /// HTTP/1 bytes sent.
    pub h1_bytes_out: u64,
}

/// The backend side of a proxy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backend {
    /// The `balance` algorithm as HAProxy names it (`roundrobin`, ...).
    pub algo: String,
    /// Backend `fullconn`/session limit (`slim`).
    pub maxconn: u64,
    /// Requests in the backend queue now (`qcur`).
    pub qcur: u64,
    /// Highest `qcur` (`qmax`).
    pub qmax: u64,
    /// Shared counters.
    pub traffic: Traffic,
    /// Times.
    pub timings: Timings,
    /// Servers picked by the balancing algorithm (`lbtot`).
    pub lbtot: u64,
    /// Connection attempts (`connect`).
    pub connect: u64,
    /// Connection reuses (`reuse`).
    pub reuse: u64,
    /// Times the backend went down (`chkdown`).
    pub down_transitions: u64,
    /// Seconds since the last status change (`lastchg`).
    pub last_change_secs: u64,
    /// Seconds spent down (`downtime`).
    pub downtime_secs: u64,
    /// Seconds since the last session, if any (`lastsess`, -1 when none).
    pub last_session_secs: Option<u64>,
    /// HTTP/1 connections open now.
    pub h1_open_connections: u64,
    /// HTTP/1 connections in total.
    pub h1_total_connections: u64,
    /// HTTP/1 streams in total.
    pub h1_total_streams: u64,
    /// HTTP/1 bytes received.
    pub h1_bytes_in: u64,
    /// HTTP/1 bytes sent.
    pub h1_bytes_out: u64,
}

/// A server's operational state (`srv_op_state`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OpState {
    /// Down (0).
    #[default]
    Stopped,
    /// Coming up in `slowstart` (1).
    Starting,
    /// Up (2).
    Running,
    /// Up but refusing new load (`NOLB`, 3).
    Stopping,
}

impl OpState {
    /// The number `show servers state` prints.
    pub fn code(self) -> u8 {
        match self {
            OpState::Stopped => 0,
            OpState::Starting => 1,
            OpState::Running => 2,
            OpState::Stopping => 3,
        }
    }
}

/// Administrative flags (`srv_admin_state`, a bit set in HAProxy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminState {
    /// Forced into maintenance (CLI, stats page, `disable server`): 0x01.
    pub forced_maint: bool,
    /// Maintenance inherited from a tracked server: 0x02.
    pub inherited_maint: bool,
    /// `disabled` in the configuration: 0x04.
    pub config_maint: bool,
    /// Forced drain: 0x08.
    pub forced_drain: bool,
    /// Drain inherited from a tracked server: 0x10.
    pub inherited_drain: bool,
}

impl AdminState {
    /// The bit set `show servers state` prints.
    pub fn bits(self) -> u8 {
        u8::from(self.forced_maint)
            | u8::from(self.inherited_maint) << 1
            | u8::from(self.config_maint) << 2
            | u8::from(self.forced_drain) << 3
            | u8::from(self.inherited_drain) << 4
    }

    /// In maintenance, whatever the reason.
    pub fn maint(self) -> bool {
        self.forced_maint || self.inherited_maint || self.config_maint
    }

    /// Draining, whatever the reason.
    pub fn drain(self) -> bool {
        self.forced_drain || self.inherited_drain
    }
}

/// Result of the last health check, numbered as HAProxy 2.6's
/// `HCHK_STATUS_*` (which `show servers state` prints).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckStatus {
    /// No check run yet (`INI`, 1).
    #[default]
    Ini,
    /// Health analyze (`HANA`, 4).
    Hana,
    /// Socket error (`SOCKERR`, 5).
    SockErr,
    /// Layer 4 passed (`L4OK`, 6).
    L4Ok,
    /// Layer 4 timeout (`L4TOUT`, 7).
    L4Tout,
    /// Layer 4 connection problem (`L4CON`, 8).
    L4Con,
    /// Layer 6 passed (`L6OK`, 9).
    L6Ok,
    /// Layer 6 timeout (`L6TOUT`, 10).
    L6Tout,
    /// Layer 6 invalid response (`L6RSP`, 11).
    L6Rsp,
    /// Layer 7 timeout (`L7TOUT`, 12).
    L7Tout,
    /// Layer 7 invalid response (`L7RSP`, 13).
    L7Rsp,
    /// Layer 7 passed (`L7OK`, 15).
    L7Ok,
    /// Layer 7 conditionally passed (`L7OKC`, 16).
    L7OkC,
    /// Layer 7 wrong status (`L7STS`, 17).
    L7Sts,
    /// External check error (`PROCERR`, 18).
    ProcErr,
    /// External check timeout (`PROCTOUT`, 19).
    ProcTout,
    /// External check passed (`PROCOK`, 20).
    ProcOk,
}

impl CheckStatus {
    /// Every finished status, in HAProxy's order (the Prometheus `state`
    /// label values of `haproxy_server_check_status`).
    pub const FINISHED: [CheckStatus; 16] = [
        CheckStatus::Hana,
        CheckStatus::SockErr,
        CheckStatus::L4Ok,
        CheckStatus::L4Tout,
        CheckStatus::L4Con,
        CheckStatus::L6Ok,
        CheckStatus::L6Tout,
        CheckStatus::L6Rsp,
        CheckStatus::L7Tout,
        CheckStatus::L7Rsp,
        CheckStatus::L7Ok,
        CheckStatus::L7OkC,
        CheckStatus::L7Sts,
        CheckStatus::ProcErr,
        CheckStatus::ProcTout,
        CheckStatus::ProcOk,
    ];

    /// HAProxy's number for the status.
    pub fn code(self) -> u8 {
        match self {
            CheckStatus::Ini => 1,
            CheckStatus::Hana => 4,
            CheckStatus::SockErr => 5,
            CheckStatus::L4Ok => 6,
            CheckStatus::L4Tout => 7,
            CheckStatus::L4Con => 8,
            CheckStatus::L6Ok => 9,
            CheckStatus::L6Tout => 10,
            CheckStatus::L6Rsp => 11,
            CheckStatus::L7Tout => 12,
            CheckStatus::L7Rsp => 13,
            CheckStatus::L7Ok => 15,
            CheckStatus::L7OkC => 16,
            CheckStatus::L7Sts => 17,
            CheckStatus::ProcErr => 18,
            CheckStatus::ProcTout => 19,
            CheckStatus::ProcOk => 20,
        }
    }

    /// The short name (`L7OK`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Ini => "INI",
            CheckStatus::Hana => "HANA",
            CheckStatus::SockErr => "SOCKERR",
            CheckStatus::L4Ok => "L4OK",
            CheckStatus::L4Tout => "L4TOUT",
            CheckStatus::L4Con => "L4CON",
            CheckStatus::L6Ok => "L6OK",
            CheckStatus::L6Tout => "L6TOUT",
            CheckStatus::L6Rsp => "L6RSP",
            CheckStatus::L7Tout => "L7TOUT",
            CheckStatus::L7Rsp => "L7RSP",
            CheckStatus::L7Ok => "L7OK",
            CheckStatus::L7OkC => "L7OKC",
            CheckStatus::L7Sts => "L7STS",
            CheckStatus::ProcErr => "PROCERR",
            CheckStatus::ProcTout => "PROCTOUT",
            CheckStatus::ProcOk => "PROCOK",
        }
    }

    /// The sentence the `check_desc` column carries.
    pub fn description(self) -> &'static str {
        match self {
            CheckStatus::Ini => "Initializing",
            CheckStatus::Hana => "Health analyze",
            CheckStatus::SockErr => "Socket error",
            CheckStatus::L4Ok => "Layer4 check passed",
            CheckStatus::L4Tout => "Layer4 timeout",
            CheckStatus::L4Con => "Layer4 connection problem",
            CheckStatus::L6Ok => "Layer6 check passed",
            CheckStatus::L6Tout => "Layer6 timeout",
            CheckStatus::L6Rsp => "Layer6 invalid response",
            CheckStatus::L7Tout => "Layer7 timeout",
            CheckStatus::L7Rsp => "Layer7 invalid response",
            CheckStatus::L7Ok => "Layer7 check passed",
            CheckStatus::L7OkC => "Layer7 check conditionally passed",
            CheckStatus::L7Sts => "Layer7 wrong status",
            CheckStatus::ProcErr => "External check error",
            CheckStatus::ProcTout => "External check timeout",
            CheckStatus::ProcOk => "External check passed",
        }
    }

    /// The check result class (`srv_check_result`): 0 unknown, 1 neutral,
    /// 2 failed, 3 passed, 4 conditionally passed.
    pub fn result(self) -> u8 {
        match self {
            CheckStatus::Ini => 0,
            CheckStatus::L4Ok | CheckStatus::L6Ok | CheckStatus::L7Ok | CheckStatus::ProcOk => 3,
            CheckStatus::L7OkC => 4,
            _ => 2,
        }
    }

    /// A finished check (duration is meaningful).
    pub fn finished(self) -> bool {
        self != CheckStatus::Ini
    }

    /// A layer-7 status that carries a response code.
    pub fn has_code(self) -> bool {
        matches!(
            self,
            CheckStatus::L7Ok | CheckStatus::L7OkC | CheckStatus::L7Sts
        )
    }
}

/// A server's health check, when `check` is set on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// Paused (the server is in maintenance): counters stay, results are
    /// hidden.
    pub paused: bool,
    /// Last result.
    pub status: CheckStatus,
    /// Response code of the last layer-7 check.
    pub code: Option<u16>,
    /// Duration of the last check, milliseconds.
    pub duration_ms: u64,
    /// Extra text of the last check (`last_chk`), e.g. `Connection refused`.
    pub info: String,
    /// `rise`.
    pub rise: u32,
    /// `fall`.
    pub fall: u32,
    /// Health counter: 0 .. rise+fall-1; `>= rise` means up.
    pub health: u32,
    /// Failed checks (`chkfail`).
    pub failures: u64,
    /// Transitions to down (`chkdown`).
    pub down_transitions: u64,
    /// Seconds spent down (`downtime`).
    pub downtime_secs: u64,
    /// The check port, when it differs from the server's (`port`).
    pub port: Option<u16>,
}

/// One `server` line of a backend.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Server {
    /// `svname`.
    pub name: String,
    /// `sid`, `srv_id`.
    pub id: u32,
    /// The address, when it is an IP address.
    pub addr: Option<SocketAddr>,
    /// A `backup` server.
    pub backup: bool,
    /// Operational state.
    pub op: OpState,
    /// Administrative flags.
    pub admin: AdminState,
    /// Current user weight (`weight`, `uweight`, `srv_uweight`).
    pub weight: u32,
    /// Weight from the configuration (`srv_iweight`).
    pub initial_weight: u32,
    /// `maxconn` (`slim`), when set.
    pub maxconn: Option<u64>,
    /// `maxqueue` (`qlimit`), when set.
    pub maxqueue: Option<u64>,
    /// Requests queued for this server now.
    pub qcur: u64,
    /// Highest `qcur`.
    pub qmax: u64,
    /// Shared counters.
    pub traffic: Traffic,
    /// Times.
    pub timings: Timings,
    /// Times picked by the balancing algorithm (`lbtot`).
    pub lbtot: u64,
    /// Connection attempts (`connect`).
    pub connect: u64,
    /// Connection reuses (`reuse`).
    pub reuse: u64,
    /// Seconds since the last state change (`lastchg`).
    pub last_change_secs: u64,
    /// Seconds since the last session (`lastsess`), `None` when never.
    pub last_session_secs: Option<u64>,
    /// Idle connections now (`srv_icur`).
    pub idle_conn_cur: u64,
    /// Safe idle connections now.
    pub safe_conn_cur: u64,
    /// Connections in use now.
    pub used_conn_cur: u64,
    /// Estimated connections needed.
    pub need_conn_est: u64,
    /// The health check, when configured.
    pub check: Option<Check>,
    /// `cookie` value, when set.
    pub cookie: Option<String>,
}

impl Server {
    /// The server receives new traffic: up, not in maintenance, not
    /// draining, weight above zero.
    pub fn usable(&self) -> bool {
        matches!(self.op, OpState::Running | OpState::Starting)
            && !self.admin.maint()
            && !self.admin.drain()
            && self.weight > 0
    }
}
