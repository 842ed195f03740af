//! The proxy engine: listeners, `mode tcp` and `mode http` proxying,
//! balancing through lbkit-sched, limits, queues and timeouts as HAProxy
//! applies them.
//!
//! The caller owns the tokio runtime (the daemon runs a current-thread
//! runtime for `nbthread 1`, else one worker per thread) and hands a resolved [`config::Config`] to [`run`], or to
//! [`Proxy::bind`] then [`Proxy::serve`] to learn the bound addresses and
//! get a [`Handle`] for run-time changes (server state and weight).
//!
//! ```no_run
//! use haproxy_rs::proxy::{self, config::*};
//! # async fn demo() -> Result<(), proxy::Error> {
//! let mut backend = Backend::new("app", Mode::Tcp);
//! backend.servers.push(Server::new("s1", 1, "127.0.0.1:8080".parse().unwrap()));
//! let frontend = Frontend {
//!     name: "main".into(),
//!     binds: vec![Bind::plain("127.0.0.1:5000".parse().unwrap())],
//!     default_backend: Some("app".into()),
//!     ..Frontend::default()
//! };
//! let config = Config { frontends: vec![frontend], backends: vec![backend], ..Config::default() };
//! proxy::run(config, std::future::pending()).await
//! # }
//! ```

mod acl;
mod backend;
pub mod config;
mod error;
mod http;
mod log;
mod report;
mod stats;
mod tcp;
mod tls;

use backend::BackendRt;
use config::{Bind, Condition, Config, Frontend, Mode};
pub use error::Error;
use lbkit_sched::RequestKey;
pub use lbkit_sched::ServerState;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// A TLS listener's rustls configuration.
type TlsConfig = Arc<rustls::ServerConfig>;

/// A frontend at run time, with its backends resolved.
#[derive(Debug)]
struct FrontendRt {
    cfg: Frontend,
    default_backend: Option<Arc<BackendRt>>,
    use_backends: Vec<(Condition, Arc<BackendRt>)>,
    maxconn: Option<Arc<Semaphore>>,
    /// The `maxconn` in force (the configured one until changed).
    maxconn_now: AtomicU32,
    log: Option<log::Logger>,
    /// Connections on this frontend.
    conns: AtomicU32,
    /// Connections on the whole proxy.
    active: Arc<AtomicU32>,
    /// Its counters.
    stats: stats::Counters,
    /// The reports' view of the whole proxy (the stats page and the
    /// Prometheus exporter read it), set once bound.
    report: std::sync::OnceLock<std::sync::Weak<report::Shared>>,
    /// Turns true on a soft stop: connections end after their current
    /// request.
    stopping: tokio::sync::watch::Receiver<bool>,
}

/// Counts a connection on its frontend and the process while alive.
struct ConnCount(Arc<FrontendRt>);

impl ConnCount {
    fn new(fe: &Arc<FrontendRt>) -> Self {
        let now = fe.conns.fetch_add(1, Ordering::AcqRel) + 1;
        fe.active.fetch_add(1, Ordering::AcqRel);
        fe.stats.session(u64::from(now));
        ConnCount(Arc::clone(fe))
    }
}

impl Drop for ConnCount {
    fn drop(&mut self) {
        self.0.conns.fetch_sub(1, Ordering::AcqRel);
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl FrontendRt {
    /// The log counters for a connection or request on `be` / `server`.
    fn counters(
        &self,
        be: Option<&BackendRt>,
        server: Option<&backend::ServerRt>,
        retries: u32,
    ) -> log::Counters {
        log::Counters {
            ac: self.active.load(Ordering::Acquire),
            fc: self.conns.load(Ordering::Acquire),
            bc: be.map_or(0, BackendRt::current),
            sc: server.map_or(0, backend::ServerRt::current),
            rc: retries,
            sq: 0,
            bq: be.map_or(0, BackendRt::queued),
        }
    }

    /// Whether the `tcp-request connection` rules let a new connection
    /// from `peer` in (TLS is not negotiated yet: `ssl_fc` is false).
    fn connection_accepted(&self, peer: SocketAddr) -> bool {
        let sample = acl::Sample {
            src: peer.ip(),
            ssl: false,
            method: None,
            path: None,
            headers: None,
        };
        config::tcp_accepts(&self.cfg.tcp_connection, &sample)
    }

    /// Whether requests are logged with `option httplog`.
    fn logs_http(&self) -> bool {
        self.log
            .as_ref()
            .is_some_and(|l| l.format == config::LogFormat::Http)
    }

    /// The frontend name as logs show it (`~` for TLS connections).
    fn log_name(&self, ssl: bool) -> String {
        if ssl {
            format!("{}~", self.cfg.name)
        } else {
            self.cfg.name.clone()
        }
    }

    /// The backend the rules choose for this sample, else the default.
    fn select(&self, sample: &acl::Sample<'_>) -> Option<&Arc<BackendRt>> {
        self.use_backends
            .iter()
            .find(|(cond, _)| cond.eval(sample))
            .map(|(_, b)| b)
            .or(self.default_backend.as_ref())
    }
}

/// Changes a running proxy: server states and weights, as health checks
/// and the runtime API do.
#[derive(Clone, Debug)]
pub struct Handle {
    backends: Arc<HashMap<String, Arc<BackendRt>>>,
    runtime: tokio::runtime::Handle,
    /// What the reports read: every frontend and backend in order.
    shared: Arc<report::Shared>,
    /// Announces a soft stop to every connection.
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    /// Client connections open on the whole proxy.
    active: Arc<AtomicU32>,
}

/// Why a run-time change was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// No backend or server by that name.
    #[error("no server `{backend}/{server}`")]
    UnknownServer {
        /// The backend's name.
        backend: String,
        /// The server's name.
        server: String,
    },
    /// The scheduler refused the change (a weight out of range).
    #[error("{0}")]
    Refused(#[from] lbkit_sched::Error),
}

/// A server's run-time figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerStatus {
    /// Up, down or drain.
    pub state: ServerState,
    /// Connections currently open to it.
    pub current: u32,
}

impl Handle {
    /// Starts a soft stop (HAProxy's SIGUSR1): every HTTP/1 response from
    /// now on carries `Connection: close`, HTTP/2 connections get a GOAWAY,
    /// idle keep-alive connections close after a short grace; TCP
    /// connections run to their end. The listeners are closed by the end
    /// of [`Proxy::serve`].
    pub fn soft_stop(&self) {
        self.stop.send_replace(true);
    }

    /// The client connections open on the whole proxy.
    pub fn connections(&self) -> u32 {
        self.active.load(Ordering::Acquire)
    }

    fn find(&self, backend: &str, server: &str) -> Result<(&Arc<BackendRt>, usize), HandleError> {
        let unknown = || HandleError::UnknownServer {
            backend: backend.to_owned(),
            server: server.to_owned(),
        };
        let be = self.backends.get(backend).ok_or_else(unknown)?;
        let index = be
            .servers()
            .iter()
            .position(|s| s.cfg.name == server)
            .ok_or_else(unknown)?;
        Ok((be, index))
    }

    /// Marks a server up, down (takes nothing new) or drain (keeps its
    /// connections, takes no new ones). When every active server is down
    /// the backup servers take over. A server with `slowstart` coming back
    /// up from down ramps its weight up over that time.
    pub fn set_server_state(
        &self,
        backend: &str,
        server: &str,
        state: ServerState,
    ) -> Result<(), HandleError> {
        let (be, index) = self.find(backend, server)?;
        let before = be.set_state(index, state)?;
        let ramp = be.servers()[index].cfg.slowstart.filter(|d| !d.is_zero());
        if let (Some(ramp), ServerState::Down, ServerState::Up) = (ramp, before, state) {
            be.set_slowstart(index, std::time::Duration::ZERO, ramp)?;
            self.runtime.spawn(slowstart(Arc::clone(be), index, ramp));
        }
        Ok(())
    }

    /// Changes a server's weight (0..=256; 0 takes nothing new).
    pub fn set_server_weight(
        &self,
        backend: &str,
        server: &str,
        weight: u32,
    ) -> Result<(), HandleError> {
        let (be, index) = self.find(backend, server)?;
        Ok(be.set_weight(index, weight)?)
    }

    /// Puts a server into maintenance (`maint`), drain, or back to
    /// `ready` (clearing both), as the runtime API and the stats page do;
    /// health checks keep running underneath.
    pub fn set_server_admin(
        &self,
        backend: &str,
        server: &str,
        admin: AdminState,
    ) -> Result<(), HandleError> {
        let (be, index) = self.find(backend, server)?;
        be.set_admin_state(index, admin)?;
        Ok(())
    }

    /// The figures every report is drawn from, now.
    pub fn snapshot(&self) -> crate::ops::snapshot::Snapshot {
        self.shared.snapshot()
    }

    /// Sets a server's `maxconn` (0: no limit); queued requests are
    /// woken to try again.
    pub fn set_server_maxconn(
        &self,
        backend: &str,
        server: &str,
        maxconn: u32,
    ) -> Result<(), HandleError> {
        let (be, index) = self.find(backend, server)?;
        be.set_maxconn(index, maxconn);
        Ok(())
    }

    /// Records the result of a server's health check, as the stats page,
    /// `show stat` and `show servers state` report it.
    pub fn record_check(
        &self,
        backend: &str,
        server: &str,
        check: crate::ops::snapshot::Check,
    ) -> Result<(), HandleError> {
        let (be, index) = self.find(backend, server)?;
        *be.servers()[index]
            .check
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(check);
        Ok(())
    }

    /// Changes a frontend's `maxconn` (it must have one: a limit cannot
    /// be added at run time). Lowering it waits for connections in excess
    /// to end.
    pub fn set_frontend_maxconn(&self, frontend: &str, maxconn: u32) -> Result<(), LimitError> {
        let fe = self
            .shared
            .frontend(frontend)
            .ok_or(LimitError::UnknownFrontend)?;
        let sem = fe.maxconn.as_ref().ok_or(LimitError::Unlimited)?;
        resize(sem, &fe.maxconn_now, maxconn, &self.runtime)
    }

    /// Changes the global `maxconn` (it must be set in the configuration).
    pub fn set_global_maxconn(&self, maxconn: u32) -> Result<(), LimitError> {
        let (sem, now) = self.shared.global();
        let sem = sem.ok_or(LimitError::Unlimited)?;
        resize(sem, now, maxconn, &self.runtime)
    }

    /// A server's state and current connection count.
    pub fn server_status(&self, backend: &str, server: &str) -> Result<ServerStatus, HandleError> {
        let (be, index) = self.find(backend, server)?;
        let s = &be.servers()[index];
        Ok(ServerStatus {
            state: s.state(),
            current: s.current(),
        })
    }
}

/// Why a connection limit was not changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitError {
    /// No frontend by that name.
    #[error("no such frontend")]
    UnknownFrontend,
    /// The limit was not set in the configuration.
    #[error("no limit is configured to change")]
    Unlimited,
    /// Zero or above what a semaphore holds.
    #[error("value out of range")]
    OutOfRange,
}

/// Grows or shrinks a limit's semaphore to `new` permits; permits in use
/// beyond the new limit are withdrawn as they come back.
fn resize(
    sem: &Arc<Semaphore>,
    now: &AtomicU32,
    new: u32,
    runtime: &tokio::runtime::Handle,
) -> Result<(), LimitError> {
    if new == 0 || new as usize > Semaphore::MAX_PERMITS {
        return Err(LimitError::OutOfRange);
    }
    let old = now.swap(new, Ordering::AcqRel);
    if new > old {
        sem.add_permits((new - old) as usize);
    } else if new < old {
        let excess = (old - new) as usize;
        let left = excess - sem.forget_permits(excess);
        if left > 0 {
            let sem = Arc::clone(sem);
            let left = u32::try_from(left).unwrap_or(u32::MAX);
            runtime.spawn(async move {
                if let Ok(p) = sem.acquire_many_owned(left).await {
                    p.forget();
                }
            });
        }
    }
    Ok(())
}

/// An administrative state set at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminState {
    /// Neither in maintenance nor draining.
    Ready,
    /// Keeps its connections, takes no new ones.
    Drain,
    /// Takes no traffic at all.
    Maint,
    /// Leaves a forced maintenance, keeping a drain.
    Enable,
}

/// Walks a server through its `slowstart` ramp, one step per second, as
/// HAProxy's timer task does; stops early if the server goes down again.
async fn slowstart(be: Arc<BackendRt>, index: usize, ramp: std::time::Duration) {
    let started = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        if be.servers()[index].state() != ServerState::Up {
            return;
        }
        let elapsed = started.elapsed();
        if be.set_slowstart(index, elapsed, ramp).is_err() || elapsed >= ramp {
            return;
        }
    }
}

/// A proxy whose sockets are bound, ready to serve.
#[derive(Debug)]
pub struct Proxy {
    listeners: Vec<(TcpListener, Arc<FrontendRt>, Option<TlsConfig>)>,
    global: Option<Arc<Semaphore>>,
    handle: Handle,
}

fn limit(maxconn: u32) -> Option<Arc<Semaphore>> {
    (maxconn > 0).then(|| Arc::new(Semaphore::new(maxconn as usize)))
}

/// Binds one listening socket as HAProxy does on Linux: `SO_REUSEADDR` and
/// `SO_REUSEPORT` (a new process binds next to the one it replaces, see
/// `-sf`), dual-stack IPv6 as the system's default, backlog = the
/// frontend's `maxconn`.
fn bind(b: &Bind, backlog: u32) -> Result<TcpListener, Error> {
    let err = |source| Error::Bind {
        addr: b.addr,
        source,
    };
    TcpListener::from_std(listen(b.addr, backlog)?).map_err(err)
}

/// The listening sockets handed over by a previous process (HAProxy's
/// `expose-fd listeners`), by address: [`Proxy::bind_inherited`] takes
/// them instead of binding anew.
pub type Inherited = HashMap<SocketAddr, std::net::TcpListener>;

/// The `(address, backlog)` of every listener `config` asks for.
pub fn listen_addrs(config: &Config) -> Vec<(SocketAddr, u32)> {
    config
        .frontends
        .iter()
        .flat_map(|fe| {
            let backlog = if fe.maxconn > 0 { fe.maxconn } else { 1024 };
            fe.binds.iter().map(move |b| (b.addr, backlog))
        })
        .collect()
}

/// Binds one non-blocking listening socket on `addr` as [`Proxy::bind`]
/// does (`SO_REUSEADDR`, `SO_REUSEPORT`, `backlog`).
pub fn listen(addr: SocketAddr, backlog: u32) -> Result<std::net::TcpListener, Error> {
    let err = |source| Error::Bind { addr, source };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(err)?;
    socket.set_reuse_address(true).map_err(err)?;
    socket.set_reuse_port(true).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    socket.bind(&addr.into()).map_err(err)?;
    let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
    socket.listen(backlog).map_err(err)?;
    Ok(socket.into())
}

impl Proxy {
    /// Checks the configuration, builds backends and schedulers and binds
    /// every listener. Must be called inside a tokio runtime.
    pub fn bind(config: Config) -> Result<Proxy, Error> {
        Proxy::bind_inherited(config, &mut Inherited::new())
    }

    /// [`Proxy::bind`], taking the listening sockets of `inherited` for
    /// their addresses (each used once) and binding the others.
    pub fn bind_inherited(config: Config, inherited: &mut Inherited) -> Result<Proxy, Error> {
        let mut backends = HashMap::new();
        let mut backend_order = Vec::new();
        for b in config.backends {
            let name = b.name.clone();
            backend_order.push(name.clone());
            let rt = Arc::new(BackendRt::new(b)?);
            if backends.insert(name.clone(), rt).is_some() {
                return Err(Error::DuplicateBackend(name));
            }
        }
        let lookup = |fe: &str, name: &str| {
            backends
                .get(name)
                .cloned()
                .ok_or_else(|| error::unknown_backend(fe, name))
        };
        let mut listeners = Vec::new();
        let mut frontends = Vec::new();
        let active = Arc::new(AtomicU32::new(0));
        let (stop, stopping) = tokio::sync::watch::channel(false);
        for fe in config.frontends {
            let default_backend = match &fe.default_backend {
                Some(name) => Some(lookup(&fe.name, name)?),
                None => None,
            };
            let use_backends = fe
                .use_backends
                .iter()
                .map(|u| Ok((u.cond.clone(), lookup(&fe.name, &u.backend)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            let backlog = if fe.maxconn > 0 { fe.maxconn } else { 1024 };
            let binds = fe.binds.clone();
            let rt = Arc::new(FrontendRt {
                maxconn: limit(fe.maxconn),
                maxconn_now: AtomicU32::new(fe.maxconn),
                log: log::Logger::open(&fe.log)?,
                cfg: fe,
                default_backend,
                use_backends,
                conns: AtomicU32::new(0),
                active: Arc::clone(&active),
                stats: stats::Counters::default(),
                report: std::sync::OnceLock::new(),
                stopping: stopping.clone(),
            });
            frontends.push(Arc::clone(&rt));
            for b in &binds {
                let tls = match &b.tls {
                    Some(t) => Some(tls::acceptor(t)?),
                    None => None,
                };
                let listener = match inherited.remove(&b.addr) {
                    Some(l) => {
                        let err = |source| Error::Bind {
                            addr: b.addr,
                            source,
                        };
                        l.set_nonblocking(true).map_err(err)?;
                        TcpListener::from_std(l).map_err(err)?
                    }
                    None => bind(b, backlog)?,
                };
                listeners.push((listener, Arc::clone(&rt), tls));
            }
        }
        let order: Vec<Arc<BackendRt>> = backend_order
            .iter()
            .filter_map(|n| backends.get(n).cloned())
            .collect();
        let global = limit(config.global.maxconn);
        let shared_active = Arc::clone(&active);
        let shared = report::Shared::new(
            frontends,
            order,
            active,
            (global.clone(), config.global.maxconn),
            listeners.len(),
        );
        let shared = Arc::new(shared);
        shared.link();
        let active = Arc::clone(&shared_active);
        Ok(Proxy {
            listeners,
            global,
            handle: Handle {
                backends: Arc::new(backends),
                runtime: tokio::runtime::Handle::current(),
                shared,
                stop: Arc::new(stop),
                active,
            },
        })
    }

    /// The bound addresses, per frontend name, in configuration order.
    pub fn local_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.listeners
            .iter()
            .filter_map(|(l, fe, _)| Some((fe.cfg.name.clone(), l.local_addr().ok()?)))
            .collect()
    }

    /// A handle for run-time changes.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Accepts and serves connections until `shutdown` completes, then stops
    /// listening (connections in progress are ended with the runtime).
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        let mut tasks = JoinSet::new();
        for (listener, fe, tls) in self.listeners {
            tasks.spawn(accept_loop(listener, fe, tls, self.global.clone()));
        }
        shutdown.await;
        tasks.shutdown().await;
    }
}

/// Binds the configuration and serves it until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    Proxy::bind(config)?.serve(shutdown).await;
    Ok(())
}

async fn permit(sem: &Option<Arc<Semaphore>>) -> Option<OwnedSemaphorePermit> {
    match sem {
        Some(s) => Arc::clone(s).acquire_owned().await.ok(),
        None => None,
    }
}

/// Accepts while the frontend's `maxconn` allows: above it connections
/// wait in the kernel's backlog, as with HAProxy. The global `maxconn` is
/// taken right after accepting (a listener shares it with the others and
/// cannot hold it while idle): at most one accepted connection per listener
/// waits for it.
async fn accept_loop(
    listener: TcpListener,
    fe: Arc<FrontendRt>,
    tls: Option<TlsConfig>,
    global: Option<Arc<Semaphore>>,
) {
    loop {
        let f = permit(&fe.maxconn).await;
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => {
                // Out of descriptors or a transient error: breathe, retry.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        if !fe.cfg.tcp_connection.is_empty() && !fe.connection_accepted(peer) {
            // `tcp-request connection reject`: closed at once, not logged.
            stats::bump(&fe.stats.denied_conn);
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let g = permit(&global).await;
        let fe = Arc::clone(&fe);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permits = (g, f);
            let _count = ConnCount::new(&fe);
            match (tls, fe.cfg.mode) {
                // Boxed: the task of an idle connection stays small.
                (None, Mode::Tcp) => Box::pin(serve_tcp(fe, stream, peer, false)).await,
                (None, Mode::Http) => http::serve_plain(fe, stream, peer).await,
                (Some(tls), mode) => serve_tls(fe, tls, stream, peer, mode).await,
            }
        });
    }
}

/// How long a TLS handshake may take: `timeout client` (HAProxy applies
/// the client timeout to the handshake), 10 s when unset.
fn handshake_limit(fe: &FrontendRt) -> std::time::Duration {
    fe.cfg
        .timeouts
        .client
        .unwrap_or(std::time::Duration::from_secs(10))
}

/// A connection on a TLS listener: handshake, then HTTP/2 when ALPN chose
/// `h2`, HTTP/1.1 otherwise, or a tunnel in `mode tcp`.
async fn serve_tls(
    fe: Arc<FrontendRt>,
    tls: TlsConfig,
    stream: TcpStream,
    peer: SocketAddr,
    mode: Mode,
) {
    let since = tokio::time::Instant::now();
    let limit = handshake_limit(&fe);
    let accept = TlsAcceptor::from(tls).accept(stream);
    let Ok(Ok(stream)) = tokio::time::timeout(limit, accept).await else {
        return;
    };
    match mode {
        Mode::Tcp => Box::pin(serve_tcp(fe, stream, peer, true)).await,
        Mode::Http => {
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            Box::pin(http::serve(fe, stream, peer, true, h2, since)).await;
        }
    }
}

/// One `mode tcp` connection: pick a server, connect, forward, log.
async fn serve_tcp<S>(fe: Arc<FrontendRt>, client: S, peer: SocketAddr, ssl: bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let accepted = std::time::SystemTime::now();
    let t0 = std::time::Instant::now();
    let sample = acl::Sample {
        src: peer.ip(),
        ssl,
        method: None,
        path: None,
        headers: None,
    };
    if !config::tcp_accepts(&fe.cfg.tcp_content, &sample) {
        tcp_log(
            &fe,
            None,
            None,
            peer,
            ssl,
            accepted,
            t0,
            None,
            0,
            0,
            ['P', 'R'],
        );
        return;
    }
    let Some(be) = fe.select(&sample).cloned() else {
        return;
    };
    if !config::tcp_accepts(&be.cfg.tcp_content, &sample) {
        tcp_log(
            &fe,
            Some(&be),
            None,
            peer,
            ssl,
            accepted,
            t0,
            None,
            0,
            0,
            ['P', 'R'],
        );
        return;
    }
    let key = RequestKey::new().src(peer);
    let (server, slot, info) = match be.connect(&key).await {
        Ok(c) => c,
        Err(e) => {
            let ts = match e {
                backend::ConnectError::QueueTimeout => ['s', 'Q'],
                _ => ['S', 'C'],
            };
            tcp_log(
                &fe,
                Some(&be),
                None,
                peer,
                ssl,
                accepted,
                t0,
                None,
                0,
                0,
                ts,
            );
            return;
        }
    };
    let t = tcp::TunnelTimeouts {
        client: fe.cfg.timeouts.client,
        client_fin: fe.cfg.timeouts.client_fin,
        server: be.cfg.timeouts.server,
        server_fin: be.cfg.timeouts.server_fin,
        tunnel: be.cfg.timeouts.tunnel,
    };
    let transfer = match slot.server().tls.clone() {
        Some(c) => match c.connect(server).await {
            Ok(server) => tcp::forward(client, server, t).await,
            Err(_) => return,
        },
        None => tcp::forward(client, server, t).await,
    };
    let ts = match transfer.end {
        tcp::End::Normal => ['-', '-'],
        end => [end.code(), 'D'],
    };
    fe.stats.bytes(transfer.from_client, transfer.from_server);
    be.stats.bytes(transfer.from_client, transfer.from_server);
    slot.server()
        .stats
        .bytes(transfer.from_client, transfer.from_server);
    // Logged once the server connection is released, as HAProxy does.
    let server = slot.server().cfg.name.clone();
    drop(slot);
    tcp_log(
        &fe,
        Some(&be),
        Some((&server, &info)),
        peer,
        ssl,
        accepted,
        t0,
        Some(transfer.from_server),
        transfer.from_client,
        info.retries,
        ts,
    );
}

/// Sends the `tcplog` line of a finished connection.
#[allow(clippy::too_many_arguments)]
fn tcp_log(
    fe: &FrontendRt,
    be: Option<&BackendRt>,
    conn: Option<(&str, &backend::ConnectInfo)>,
    peer: SocketAddr,
    ssl: bool,
    accepted: std::time::SystemTime,
    t0: std::time::Instant,
    to_client: Option<u64>,
    from_client: u64,
    retries: u32,
    ts: [char; 2],
) {
    let Some(logger) = &fe.log else {
        return;
    };
    if logger.format != config::LogFormat::Tcp || (logger.dontlognull && from_client == 0) {
        return;
    }
    let name = conn.map(|(name, _)| name);
    let server = name.and_then(|n| be?.servers().iter().find(|s| s.cfg.name == n));
    let line = log::TcpLine {
        client: peer,
        accepted,
        frontend: &fe.log_name(ssl),
        backend: be.map_or(fe.cfg.name.as_str(), |b| b.cfg.name.as_str()),
        server: name.unwrap_or("<NOSRV>"),
        tw: conn.map(|(_, i)| i.queue_time),
        tc: conn.map(|(_, i)| i.connect_time),
        tt: t0.elapsed(),
        bytes: to_client.unwrap_or(0),
        ts,
        counters: fe.counters(be, server, retries),
    };
    logger.send(&line.render());
}
