//! The engine seen by the reports: a [`Snapshot`] drawn from the live
//! counters and the configuration, for the runtime API, the stats page and
//! the Prometheus exporter.

use super::backend::{BackendRt, ServerRt, ADMIN_DRAIN, ADMIN_MAINT};
use super::config::Mode;
use super::stats::{get, Counters};
use super::FrontendRt;
use crate::ops::cli::{AdminAction, ServerRef};
use crate::ops::runtime::ControlError;
use crate::ops::snapshot::{
    self, AdminState, Backend, Frontend, OpState, ProcessInfo, Snapshot, Traffic,
};
use lbkit_sched::ServerState;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// What every report reads, shared by the handles.
#[derive(Debug)]
pub(super) struct Shared {
    frontends: Vec<Arc<FrontendRt>>,
    backends: Vec<Arc<BackendRt>>,
    active: Arc<AtomicU32>,
    global: Option<Arc<Semaphore>>,
    global_now: AtomicU32,
    hard_maxconn: u64,
    listeners: u64,
    started: Instant,
    start_time_sec: u64,
}

impl Shared {
    /// The reports' view of a bound proxy.
    pub(super) fn new(
        frontends: Vec<Arc<FrontendRt>>,
        backends: Vec<Arc<BackendRt>>,
        active: Arc<AtomicU32>,
        (global, maxconn): (Option<Arc<Semaphore>>, u32),
        listeners: usize,
    ) -> Self {
        Shared {
            frontends,
            backends,
            active,
            global,
            global_now: AtomicU32::new(maxconn),
            hard_maxconn: u64::from(maxconn),
            listeners: listeners as u64,
            started: Instant::now(),
            start_time_sec: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// Lets every frontend reach this view (weakly: the view holds them).
    pub(super) fn link(self: &Arc<Self>) {
        for fe in &self.frontends {
            let _ = fe.report.set(Arc::downgrade(self));
        }
    }

    /// Applies a change of administrative state; false when the server
    /// is unknown or the change was refused.
    pub(super) fn set_admin(&self, backend: &str, server: &str, admin: super::AdminState) -> bool {
        let Some(be) = self.backends.iter().find(|b| b.cfg.name == backend) else {
            return false;
        };
        let Some(index) = be.servers().iter().position(|s| s.cfg.name == server) else {
            return false;
        };
        be.set_admin_state(index, admin).is_ok()
    }

    /// The frontend named `name`.
    pub(super) fn frontend(&self, name: &str) -> Option<&Arc<FrontendRt>> {
        self.frontends.iter().find(|f| f.cfg.name == name)
    }

    /// The global limit and its value in force.
    pub(super) fn global(&self) -> (Option<&Arc<Semaphore>>, &AtomicU32) {
        (self.global.as_ref(), &self.global_now)
    }

    /// The figures now.
    pub(super) fn snapshot(&self) -> Snapshot {
        let mut proxies: Vec<snapshot::Proxy> = Vec::new();
        for fe in &self.frontends {
            let p = proxy_entry(&mut proxies, &fe.cfg.name, fe.cfg.mode);
            p.frontend = Some(frontend(fe));
        }
        for be in &self.backends {
            let p = proxy_entry(&mut proxies, &be.cfg.name, be.cfg.mode);
            p.backend = Some(backend(be));
            p.servers = be.servers().iter().map(server).collect();
        }
        for (i, p) in proxies.iter_mut().enumerate() {
            // HAProxy numbers proxies from 2 in order (1 is its stats socket).
            p.id = u32::try_from(i + 2).unwrap_or(u32::MAX);
        }
        let cum_conns: u64 = self.frontends.iter().map(|f| get(&f.stats.stot)).sum();
        let cum_req: u64 = self.frontends.iter().map(|f| get(&f.stats.req_tot)).sum();
        let total_bytes_out: u64 = self.frontends.iter().map(|f| get(&f.stats.bytes_out)).sum();
        let curr = u64::from(self.active.load(Ordering::Relaxed));
        let info = ProcessInfo {
            pid: std::process::id(),
            uptime_sec: self.started.elapsed().as_secs(),
            start_time_sec: self.start_time_sec,
            maxconn: u64::from(self.global_now.load(Ordering::Relaxed)),
            hard_maxconn: self.hard_maxconn,
            curr_conns: curr,
            cum_conns,
            cum_req,
            jobs: curr + self.listeners,
            listeners: self.listeners,
            total_bytes_out,
            node: hostname(),
            ..ProcessInfo::default()
        };
        Snapshot {
            info,
            proxies,
            streams: Vec::new(),
        }
    }
}

/// The host name, as `node` defaults to.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The proxy entry named `name`, added at the end when new.
fn proxy_entry<'a>(
    proxies: &'a mut Vec<snapshot::Proxy>,
    name: &str,
    mode: Mode,
) -> &'a mut snapshot::Proxy {
    let index = match proxies.iter().position(|p| p.name == name) {
        Some(i) => i,
        None => {
            proxies.push(snapshot::Proxy {
                name: name.to_owned(),
                mode: match mode {
                    Mode::Tcp => snapshot::Mode::Tcp,
                    Mode::Http => snapshot::Mode::Http,
                },
                ..snapshot::Proxy::default()
            });
            proxies.len() - 1
        }
    };
    &mut proxies[index]
}

/// The shared counters of a row.
fn traffic(c: &Counters, scur: u64) -> Traffic {
    Traffic {
        scur,
        smax: get(&c.smax),
        stot: get(&c.stot),
        bytes_in: get(&c.bytes_in),
        bytes_out: get(&c.bytes_out),
        denied_req: get(&c.denied_req),
        errors_req: get(&c.errors_req),
        errors_conn: get(&c.errors_conn),
        errors_resp: get(&c.errors_resp),
        retries: get(&c.retries),
        redispatches: get(&c.redispatches),
        hrsp: c.hrsp(),
        req_tot: get(&c.req_tot),
        ..Traffic::default()
    }
}

fn frontend(fe: &FrontendRt) -> Frontend {
    let scur = u64::from(fe.conns.load(Ordering::Relaxed));
    Frontend {
        maxconn: u64::from(fe.maxconn_now.load(Ordering::Relaxed)),
        traffic: traffic(&fe.stats, scur),
        conn_tot: get(&fe.stats.stot),
        denied_conn: get(&fe.stats.denied_conn),
        ..Frontend::default()
    }
}

fn backend(be: &BackendRt) -> Backend {
    let mut traffic = traffic(&be.stats, u64::from(be.current()));
    // Requests are counted where they arrive; a backend's are the
    // responses its servers (or the proxy on its behalf) gave.
    traffic.req_tot = traffic.hrsp.iter().sum();
    Backend {
        algo: be
            .cfg
            .balance
            .balance
            .to_string()
            .split_whitespace()
            .next()
            .unwrap_or("roundrobin")
            .to_owned(),
        qcur: u64::from(be.queued()),
        traffic,
        lbtot: get(&be.stats.lbtot),
        connect: get(&be.stats.lbtot),
        ..Backend::default()
    }
}

fn server(s: &ServerRt) -> snapshot::Server {
    let admin = s.admin();
    let op = match (s.health(), s.state()) {
        (ServerState::Down, _) => OpState::Stopped,
        (_, ServerState::Drain) if admin & ADMIN_DRAIN == 0 => OpState::Stopping,
        _ => OpState::Running,
    };
    let mut traffic = traffic(&s.stats, u64::from(s.current()));
    traffic.req_tot = traffic.hrsp.iter().sum();
    snapshot::Server {
        name: s.cfg.name.clone(),
        id: s.cfg.id,
        addr: Some(s.cfg.addr),
        backup: s.cfg.backup,
        op,
        admin: AdminState {
            forced_maint: admin & ADMIN_MAINT != 0,
            config_maint: s.cfg.disabled && admin & ADMIN_MAINT == 0,
            forced_drain: admin & ADMIN_DRAIN != 0,
            ..AdminState::default()
        },
        weight: s.weight(),
        initial_weight: s.cfg.weight,
        maxconn: (s.maxconn() > 0).then_some(u64::from(s.maxconn())),
        traffic,
        lbtot: get(&s.stats.lbtot),
        connect: get(&s.stats.lbtot),
        last_change_secs: s
            .last_change
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
            .as_secs(),
        check: s
            .check
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .map(|mut c| {
                c.paused = admin & ADMIN_MAINT != 0;
                c
            }),
        ..snapshot::Server::default()
    }
}

/// The runtime API's changes, applied through the handle.
impl crate::ops::socket::Engine for super::Handle {
    fn snapshot(&self) -> Snapshot {
        super::Handle::snapshot(self)
    }

    fn set_server_admin(
        &self,
        target: &ServerRef,
        action: AdminAction,
    ) -> Result<(), ControlError> {
        let admin = match action {
            AdminAction::Ready => super::AdminState::Ready,
            AdminAction::Drain => super::AdminState::Drain,
            AdminAction::Maint => super::AdminState::Maint,
            AdminAction::Enable => super::AdminState::Enable,
        };
        super::Handle::set_server_admin(self, &target.backend, &target.server, admin)
            .map_err(control_error)
    }

    fn set_server_weight(&self, target: &ServerRef, weight: u32) -> Result<(), ControlError> {
        super::Handle::set_server_weight(self, &target.backend, &target.server, weight)
            .map_err(control_error)
    }

    fn set_server_maxconn(&self, target: &ServerRef, maxconn: u64) -> Result<(), ControlError> {
        let maxconn = u32::try_from(maxconn)
            .map_err(|_| ControlError::Refused("Value out of range.\n".into()))?;
        super::Handle::set_server_maxconn(self, &target.backend, &target.server, maxconn)
            .map_err(control_error)
    }

    fn set_frontend_maxconn(&self, frontend: &str, maxconn: u64) -> Result<(), ControlError> {
        let maxconn = u32::try_from(maxconn).unwrap_or(u32::MAX);
        super::Handle::set_frontend_maxconn(self, frontend, maxconn).map_err(limit_error)
    }

    fn set_global_maxconn(&self, maxconn: u64) -> Result<(), ControlError> {
        let maxconn = u32::try_from(maxconn).unwrap_or(u32::MAX);
        super::Handle::set_global_maxconn(self, maxconn).map_err(limit_error)
    }
}

/// The runtime API's message for a limit left as it was.
fn limit_error(e: super::LimitError) -> ControlError {
    match e {
        super::LimitError::UnknownFrontend => ControlError::NoSuchFrontend,
        super::LimitError::Unlimited => ControlError::Refused(
            "No maxconn is configured there: it cannot be set at run time.\n".into(),
        ),
        _ => ControlError::Refused("Value out of range.\n".into()),
    }
}

/// The runtime API's message for a refused change.
fn control_error(e: super::HandleError) -> ControlError {
    match e {
        super::HandleError::UnknownServer { .. } => ControlError::NoSuchServer,
        other => ControlError::Refused(format!("{other}\n")),
    }
}
