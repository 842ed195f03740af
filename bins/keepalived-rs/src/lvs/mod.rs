//! The LVS side of the daemon (keepalived's checker process): the
//! configuration's virtual servers reconciled into the kernel's IPVS table
//! through lbkit-ipvs, their real servers checked with lbkit-healthcheck's
//! checkers, and the pool kept in step with the results.
//!
//! [`Lvs::start`] compiles the model, reconciles once (real servers start
//! alive unless `alpha`), and runs a task that launches each due check,
//! feeds its result to the real server's [`state`] and, when something
//! changed, logs it as keepalived does, runs `notify_up` / `notify_down` /
//! `quorum_up` / `quorum_down`, and reconciles the services it owns (the
//! plan only holds the changes: unchanged destinations are not touched).
//! [`Lvs::reload`] swaps in a new configuration in place, keeping the
//! check state of unchanged real servers; [`Lvs::shutdown`] removes every
//! service it created. SIGUSR1 writes [`Lvs::dump`] to [`DUMP_FILE`].
//!
//! Only the services this daemon's configuration names are touched:
//! other entries of the IPVS table are left alone.

pub(crate) mod compile;
mod dump;
mod state;
pub(crate) mod sync;

use compile::LvsPlan;
use lbkit_healthcheck::checkers::{Check, Outcome};
use lbkit_ipvs::{Client, CurrentService, DesiredService, Op, ServiceKey};
use lbkit_keepalived_cfg::model::Config;
use state::{Change, VsState};
use std::collections::BTreeSet;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// Where SIGUSR1 writes the state dump (keepalived's checker writes
/// `/tmp/keepalived_check.data`).
pub(crate) const DUMP_FILE: &str = "/tmp/keepalived_check.data";

/// What can go wrong with the LVS side.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The IPVS interface refused something (or is not there).
    #[error("IPVS: {0}")]
    Ipvs(#[from] lbkit_ipvs::Error),
    /// The configuration asks for an impossible table (a service or a
    /// destination twice).
    #[error("IPVS: {0}")]
    Plan(#[from] lbkit_ipvs::ReconcileError),
    /// The LVS task is gone.
    #[error("the LVS task has stopped")]
    Stopped,
}

/// A request to the LVS task.
// Reload and Dump serve the daemon's SIGHUP / state-dump handlers.
#[allow(dead_code)]
enum Command {
    /// Swap in a new plan.
    Reload(LvsPlan, oneshot::Sender<Result<(), Error>>),
    /// Describe the state.
    Dump(oneshot::Sender<String>),
    /// Remove what was created and stop.
    Shutdown(oneshot::Sender<Result<(), Error>>),
}

/// The running LVS side.
#[derive(Debug)]
pub(crate) struct Lvs {
    /// Requests to the task.
    commands: mpsc::Sender<Command>,
    /// The task.
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Reload(..) => "Reload",
            Command::Dump(_) => "Dump",
            Command::Shutdown(_) => "Shutdown",
        })
    }
}

impl Lvs {
    /// Compiles `config`'s virtual servers, reconciles the kernel's table
    /// once and starts checking. Warnings are logged.
    pub(crate) async fn start(config: &Config) -> Result<Lvs, Error> {
        let plan = compiled(config);
        let (done_tx, done_rx) = mpsc::channel(256);
        let flush_on_stop = config
            .global_defs
            .lvs_flush_on_stop
            .as_ref()
            .is_some_and(|w| {
                w.first()
                    .is_some_and(|w| w.value.eq_ignore_ascii_case("ALL"))
            });
        let mut rt = Runtime {
            flush_on_stop,
            ipvs: None,
            vss: Vec::new(),
            owned: BTreeSet::new(),
            done_tx,
            ids: state::Ids::new(seed()),
        };
        rt.globals(config)?;
        rt.install(plan, Instant::now());
        rt.sync()?;
        let (commands, rx) = mpsc::channel(8);
        let task = tokio::spawn(rt.run(rx, done_rx));
        Ok(Lvs { commands, task })
    }

    /// Applies a new configuration in place: unchanged services and
    /// destinations stay untouched, unchanged real servers keep their
    /// check state.
    #[allow(dead_code)] // for the daemon's SIGHUP reload
    pub(crate) async fn reload(&mut self, config: &Config) -> Result<(), Error> {
        let plan = compiled(config);
        let (tx, rx) = oneshot::channel();
        self.send(Command::Reload(plan, tx)).await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// A human-readable description of every virtual server, real server
    /// and checker.
    #[allow(dead_code)] // for the daemon's state dump
    pub(crate) async fn dump(&self) -> Result<String, Error> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Dump(tx)).await?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Removes every service this daemon created and stops checking.
    pub(crate) async fn shutdown(self) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Shutdown(tx)).await?;
        let result = rx.await.map_err(|_| Error::Stopped)?;
        let _ = self.task.await;
        result
    }

    async fn send(&self, c: Command) -> Result<(), Error> {
        self.commands.send(c).await.map_err(|_| Error::Stopped)
    }
}

/// Compiles and logs the warnings.
fn compiled(config: &Config) -> LvsPlan {
    let (plan, warnings) = compile::compile(config);
    for w in warnings {
        check_log!("{w}");
    }
    plan
}

/// A random seed from the clock and the process id.
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id()).rotate_left(32)) | 1
}

/// A finished check.
#[derive(Debug)]
struct Done {
    /// The real server's id.
    rs: u64,
    /// The checker's index.
    chk: usize,
    /// When the check started.
    started: Instant,
    /// Its outcome.
    outcome: Outcome,
}

/// The task's state.
struct Runtime {
    /// `lvs_flush_on_stop ALL`: flush the whole table at shutdown.
    flush_on_stop: bool,
    /// The kernel, connected when there is a service to manage.
    ipvs: Option<Client>,
    /// The virtual servers.
    vss: Vec<VsState>,
    /// The services the last reconcile left in the kernel.
    owned: BTreeSet<ServiceKey>,
    /// Where checks report.
    done_tx: mpsc::Sender<Done>,
    /// Ids and warmup randomness for new real servers.
    ids: state::Ids,
}

impl Runtime {
    /// Serves checks and requests until shutdown.
    async fn run(mut self, mut commands: mpsc::Receiver<Command>, mut done: mpsc::Receiver<Done>) {
        let mut usr1 =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).ok();
        loop {
            self.launch_due(Instant::now());
            let next = self.next_due();
            let sleep = async {
                match next {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            let usr1_recv = async {
                match usr1.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                c = commands.recv() => match c {
                    Some(Command::Reload(plan, reply)) => {
                        self.install(plan, Instant::now());
                        let _ = reply.send(self.sync());
                    }
                    Some(Command::Dump(reply)) => {
                        let _ = reply.send(dump::render(&self.vss, Instant::now()));
                    }
                    Some(Command::Shutdown(reply)) => {
                        let _ = reply.send(self.shutdown());
                        return;
                    }
                    None => {
                        let _ = self.shutdown();
                        return;
                    }
                },
                Some(d) = done.recv() => self.on_done(d),
                _ = sleep => {}
                _ = usr1_recv => {
                    let text = dump::render(&self.vss, Instant::now());
                    if let Err(e) = std::fs::write(DUMP_FILE, text) {
                        check_log!("cannot write {DUMP_FILE}: {e}");
                    }
                }
            }
        }
    }

    /// `lvs_flush` and `lvs_timeouts`, at start.
    fn globals(&mut self, config: &Config) -> Result<(), Error> {
        let flush = config
            .global_defs
            .lvs_flush
            .as_ref()
            .is_some_and(|f| f.value);
        let timeouts = sync::timeouts(config).unwrap_or_else(|e| {
            check_log!("{e}");
            None
        });
        if !flush && timeouts.is_none() {
            return Ok(());
        }
        let ipvs = match &mut self.ipvs {
            Some(c) => c,
            None => self.ipvs.insert(Client::connect()?),
        };
        if flush {
            check_log!("Flushing the IPVS table (lvs_flush)");
            ipvs.flush()?;
        }
        if let Some(t) = timeouts {
            ipvs.set_timeouts(&t)?;
        }
        Ok(())
    }

    /// Replaces the virtual servers by `plan`'s, carrying over the state
    /// of unchanged real servers; logs what a new quorum state changed.
    fn install(&mut self, plan: LvsPlan, now: Instant) {
        let old = std::mem::take(&mut self.vss);
        let (vss, changes) = state::rebuild(old, plan, &mut self.ids, now);
        self.vss = vss;
        for (v, c) in changes {
            if let Some(vs) = self.vss.get(v) {
                report(vs, &c);
            }
        }
    }

    /// The earliest due check not running yet.
    fn next_due(&self) -> Option<Instant> {
        self.vss
            .iter()
            .flat_map(|v| v.servers.iter())
            .flat_map(|s| s.checks.iter())
            .filter(|c| !c.in_flight)
            .map(|c| c.machine.next_check())
            .min()
    }

    /// Starts every check due at `now`.
    fn launch_due(&mut self, now: Instant) {
        for vs in &mut self.vss {
            for rs in &mut vs.servers {
                for (i, c) in rs.checks.iter_mut().enumerate() {
                    if c.in_flight || c.machine.next_check() > now {
                        continue;
                    }
                    let Some(plan) = rs.plan.checkers.get(i) else {
                        continue;
                    };
                    c.in_flight = true;
                    spawn_check(plan.check.clone(), rs.id, i, self.done_tx.clone());
                }
            }
        }
    }

    /// Feeds a finished check to its real server; logs, notifies and
    /// reconciles on a change.
    fn on_done(&mut self, d: Done) {
        let Some((v, r)) = self.find(d.rs) else {
            return;
        };
        let vs = &mut self.vss[v];
        let Some(plan) = vs.servers[r].plan.checkers.get(d.chk) else {
            return;
        };
        let is_misc = matches!(plan.check, Check::Misc(_));
        let keyword = plan.keyword;
        let dynamic = matches!(&plan.check, Check::Misc(m) if m.dynamic);
        let at = if is_misc { d.started } else { Instant::now() };
        let passed = d.outcome.result.passed();
        let was_up = vs.servers[r]
            .checks
            .get(d.chk)
            .is_some_and(|c| c.machine.is_up());
        let mut changes = vs.on_result(r, d.chk, at, passed);
        let is_up = vs.servers[r]
            .checks
            .get(d.chk)
            .is_some_and(|c| c.machine.is_up());
        if was_up != is_up {
            let rs = &vs.servers[r];
            let word = if is_up { "succeeded" } else { "failed" };
            check_log!(
                "{keyword} on service {} of VS {} {word} ({}).",
                rs_label(vs, rs),
                vs.plan.name,
                d.outcome.result
            );
        }
        let weight = match d.outcome.weight {
            Some(w) => Some(w),
            None if dynamic && passed => Some(vs.servers[r].plan.dest.weight),
            None => None,
        };
        if let Some(w) = weight {
            changes.extend(vs.set_weight(r, w));
        }
        report(vs, &changes);
        if !changes.is_empty() || weight.is_some() {
            if let Err(e) = self.sync() {
                check_log!("{e}");
            }
        }
    }

    /// The (virtual server, real server) indexes of real server `id`.
    fn find(&self, id: u64) -> Option<(usize, usize)> {
        self.vss
            .iter()
            .enumerate()
            .find_map(|(v, vs)| vs.servers.iter().position(|s| s.id == id).map(|r| (v, r)))
    }

    /// Brings the services this configuration names (and those it named
    /// before) to the desired state.
    fn sync(&mut self) -> Result<(), Error> {
        let desired: Vec<DesiredService> = self.vss.iter().flat_map(VsState::desired).collect();
        let wanted: BTreeSet<ServiceKey> = desired.iter().map(|d| d.service.key).collect();
        if wanted.is_empty() && self.owned.is_empty() {
            return Ok(());
        }
        let ipvs = match &mut self.ipvs {
            Some(c) => c,
            None => self.ipvs.insert(Client::connect()?),
        };
        let current: Vec<CurrentService> = ipvs
            .state()?
            .into_iter()
            .filter(|c| wanted.contains(&c.service.key) || self.owned.contains(&c.service.key))
            .collect();
        let plan = lbkit_ipvs::plan(&current, &desired)?;
        for op in &plan.ops {
            check_log!("IPVS: {op}");
        }
        let reqs: Vec<_> = plan.ops.iter().map(Op::request).collect();
        self.owned = wanted;
        ipvs.execute_batch(&reqs)?;
        Ok(())
    }

    /// Removes every service this daemon put in the kernel; with `omega`
    /// runs the down notifiers first.
    fn shutdown(&mut self) -> Result<(), Error> {
        for vs in &self.vss {
            if !vs.plan.omega {
                continue;
            }
            for rs in vs.servers.iter().filter(|s| s.alive) {
                if let Some(cmd) = &rs.plan.notify_down {
                    run_script(cmd);
                }
            }
            if let (true, Some(cmd)) = (vs.quorum_up, &vs.plan.quorum_down) {
                run_script(cmd);
            }
        }
        let mut result = Ok(());
        let keys: Vec<ServiceKey> = std::mem::take(&mut self.owned).into_iter().collect();
        let Some(ipvs) = self.ipvs.as_mut() else {
            return result;
        };
        if self.flush_on_stop {
            check_log!("Flushing the IPVS table (lvs_flush_on_stop ALL)");
            return ipvs.flush().map_err(Error::from);
        }
        for key in keys {
            check_log!("Removing Virtual Server {key}");
            match ipvs.del_service(&key) {
                Ok(()) | Err(lbkit_ipvs::Error::NoSuchService { .. }) => {}
                Err(e) => result = Err(e.into()),
            }
        }
        result
    }
}

/// Runs one check in a task of its own and reports it.
fn spawn_check(check: Check, rs: u64, chk: usize, tx: mpsc::Sender<Done>) {
    tokio::spawn(async move {
        let started = Instant::now();
        let outcome = check.run().await;
        let _ = tx
            .send(Done {
                rs,
                chk,
                started,
                outcome,
            })
            .await;
    });
}

/// Logs changes as keepalived words them and runs the scripts.
fn report(vs: &VsState, changes: &[Change]) {
    for c in changes {
        match c {
            Change::Up(r) | Change::Down(r) => {
                let Some(rs) = vs.servers.get(*r) else {
                    continue;
                };
                let up = matches!(c, Change::Up(_));
                let verb = match (up, rs.plan.inhibit) {
                    (true, true) => "Enabling",
                    (true, false) => "Adding",
                    (false, true) => "Disabling",
                    (false, false) => "Removing",
                };
                let what = match (rs.plan.inhibit, up) {
                    (true, _) => "of",
                    (false, true) => "to",
                    (false, false) => "from",
                };
                check_log!(
                    "{verb} service {} {what} VS {}",
                    rs_label(vs, rs),
                    vs.plan.name
                );
                let script = if up {
                    &rs.plan.notify_up
                } else {
                    &rs.plan.notify_down
                };
                if let Some(cmd) = script {
                    run_script(cmd);
                }
            }
            Change::QuorumGained(w) | Change::QuorumLost(w) => {
                let gained = matches!(c, Change::QuorumGained(_));
                let (q, h) = (u64::from(vs.plan.quorum), u64::from(vs.plan.hysteresis));
                if gained {
                    check_log!(
                        "Gained quorum {q}+{h}={} <= {w} for VS {}",
                        q + h,
                        vs.plan.name
                    );
                } else {
                    check_log!(
                        "Lost quorum {q}-{h}={} > {w} for VS {}",
                        q.saturating_sub(h),
                        vs.plan.name
                    );
                }
                if let (Some(s), Some(svc)) = (&vs.plan.sorry, vs.plan.services.first()) {
                    let who = compile::rs_name(&svc.key, s.destination(&svc.key, 1).addr);
                    let (verb, what) = if gained {
                        ("Removing", "from")
                    } else {
                        ("Adding", "to")
                    };
                    check_log!("{verb} sorry server {who} {what} VS {}", vs.plan.name);
                }
                let script = if gained {
                    &vs.plan.quorum_up
                } else {
                    &vs.plan.quorum_down
                };
                if let Some(cmd) = script {
                    run_script(cmd);
                }
            }
        }
    }
}

/// A real server as keepalived's logs name it (for its first service).
fn rs_label(vs: &VsState, rs: &state::RsState) -> String {
    match vs.plan.services.first() {
        Some(s) => compile::rs_name(&s.key, rs.plan.destination(&s.key).addr),
        None => rs.plan.dest.addr.to_string(),
    }
}

/// Starts a notify script (words split as keepalived does) and reaps it
/// in the background.
fn run_script(cmd: &str) {
    let words = crate::daemon::split_words(cmd);
    let Some((program, args)) = words.split_first() else {
        return;
    };
    match tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
        Err(e) => check_log!("cannot run {program}: {e}"),
    }
}
