//! The daemon: runs the compiled VRRP instances on lbkit-vrrp's tokio
//! driver until SIGTERM / SIGINT, logs their transitions on standard
//! error and runs their notify scripts with keepalived's arguments.
//!
//! One [`Router`] runs per interface, address family and AH key, or per
//! set of them when a sync group spans several (one socket each); the
//! daemon adds, removes and changes its instances through the router's
//! control channel, so that a reload (SIGHUP, see [`crate::reload`])
//! leaves the unchanged ones running.
//!
//! `vrrp_script`s and tracked interfaces run as tasks of their own; each
//! change of their status goes to every instance that tracks them (its
//! router's tracker channel), which moves the effective priority or the
//! FAULT state while the router runs.
//!
//! SIGHUP reloads the configuration ([`crate::reload`] says what changes);
//! SIGUSR1 / SIGUSR2 write `keepalived.data` / `keepalived.stats`
//! ([`crate::dump`]). State changes also go to the notify FIFOs
//! ([`crate::fifo`]) and, with `smtp_alert`, by mail ([`crate::smtp`]);
//! scripts run under [`crate::security`]'s policy.
//!
//! On SIGTERM every router shuts down: a master sends its priority-0
//! advert and removes its virtual addresses, then the process exits 0.

use crate::compile::{
    self, InstancePlan, LinkPlan, NotifyPlan, Plan, RouterPlan, ScriptPlan, UnitPlan,
};
use crate::config::Request;
use crate::dump::{self, InstanceView, RouterView};
use crate::fifo::Fifos;
use crate::reload::{self, Step, UnitSpec};
use crate::settings::Settings;
use crate::smtp;
use crate::track;
use lbkit_vrrp::io::{Control, Event, Interface, Router, TrackUpdate, Vip, VrrpSocket};
use lbkit_vrrp::machine::{Instance, State, SyncGroup, TrackKind, TrackStatus};
use lbkit_vrrp::wire::Family;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{AbortHandle, JoinSet};

/// How the daemon logs, where it writes its pid and how it reloads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options<'a> {
    /// `-D`: the reason of each transition too.
    pub(crate) detail: bool,
    /// `-p FILE`.
    pub(crate) pid_file: Option<&'a Path>,
    /// The configuration (for its virtual servers and `lvs_sync_daemon`).
    pub(crate) config: Option<&'a lbkit_keepalived_cfg::model::Config>,
    /// Run the VRRP instances (not with `-C` alone).
    pub(crate) vrrp: bool,
    /// Run the virtual servers (not with `-P` alone).
    pub(crate) lvs: bool,
    /// How to read the configuration again on SIGHUP.
    pub(crate) source: Source,
}

/// Where the configuration comes from, to read it again on SIGHUP.
#[derive(Debug, Clone, Default)]
pub(crate) struct Source {
    /// `-f FILE`.
    pub(crate) path: PathBuf,
    /// `-i ID`.
    pub(crate) config_id: Option<String>,
    /// `--strict`.
    pub(crate) strict: bool,
}

/// Runs `plan` until SIGTERM or SIGINT; returns the exit status.
pub(crate) fn run(plan: Plan, settings: Settings, warnings: &str, opts: &Options<'_>) -> u8 {
    if !warnings.is_empty() {
        eprint!("{warnings}");
    }
    if let Some(path) = opts.pid_file {
        if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
            parent_log!("cannot write pid file {}: {e}", path.display());
            return crate::status::FATAL;
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let status = match runtime {
        Ok(rt) => match rt.block_on(serve_with_lvs(plan, settings, opts)) {
            Ok(()) => 0,
            Err(e) => {
                vrrp_log!("{e}");
                crate::status::FATAL
            }
        },
        Err(e) => {
            parent_log!("tokio: {e}");
            crate::status::FATAL
        }
    };
    if let Some(path) = opts.pid_file {
        let _ = std::fs::remove_file(path);
    }
    status
}

/// The LVS side (virtual servers, checkers) started before the VRRP
/// routers and shut down after them: its IPVS services are removed.
async fn serve_with_lvs(plan: Plan, settings: Settings, opts: &Options<'_>) -> Result<(), String> {
    let vrrp = !plan.routers.is_empty();
    if let (true, Some(config)) = (vrrp, opts.config) {
        crate::lvs::sync::configure(config);
    }
    let mut lvs = match opts.config.filter(|_| opts.lvs) {
        Some(config) => match crate::lvs::Lvs::start(config).await {
            Ok(lvs) => Some(lvs),
            // Like keepalived's checker process failing: VRRP carries on.
            Err(e) if vrrp => {
                check_log!("{e}; virtual servers not run");
                None
            }
            Err(e) => return Err(e.to_string()),
        },
        None => None,
    };
    let result = serve(plan, settings, opts, &mut lvs).await;
    if vrrp {
        crate::lvs::sync::stop();
    }
    if let Some(lvs) = lvs {
        if let Err(e) = lvs.shutdown().await {
            check_log!("{e}");
        }
    }
    result
}

/// What the event reporter of one router needs of an instance.
#[derive(Debug, Clone)]
struct InstanceName {
    /// Its name.
    name: String,
    /// Its notify scripts.
    notify: NotifyPlan,
    /// Its effective priority, as last reported.
    priority: u8,
}

/// Names and notify scripts of one router's instances and groups, by
/// VRID; shared by the daemon (which changes them on reload) and the
/// router's event reporter.
#[derive(Debug, Default)]
struct Names {
    /// VRID → instance.
    instances: HashMap<u8, InstanceName>,
    /// Member VRIDs → group name and notify scripts.
    groups: Vec<(Vec<u8>, String, NotifyPlan)>,
    /// Instances removed by the last reload, whose last events may still
    /// be on their way.
    retired: HashMap<u8, InstanceName>,
}

/// Where state changes go besides the log and the notify scripts: the
/// notify FIFOs and SMTP alerts.
#[derive(Debug, Default)]
struct Notifier {
    /// The running configuration's settings.
    settings: Settings,
    /// The open notify FIFOs.
    fifos: Fifos,
    /// The state last mailed for each instance (`I:NAME`) and group
    /// (`G:NAME`): keepalived mails a state once.
    mailed: HashMap<String, String>,
}

impl Notifier {
    /// Takes the settings of a (re)loaded configuration.
    fn update(&mut self, settings: Settings) {
        self.fifos.update(&settings);
        self.settings = settings;
    }

    /// An instance entered `state`.
    fn instance(&mut self, name: &str, state: &str, priority: u8) {
        self.fifos.instance(name, state, priority);
        if self.settings.mail_instances.contains(name) {
            if let Some(alert) = smtp::instance_alert(&self.settings.router_id, name, state) {
                self.mail(format!("I:{name}"), state, alert);
            }
        }
    }

    /// A sync group entered `state`.
    fn group(&mut self, name: &str, state: &str) {
        self.fifos.group(name, state);
        if self.settings.mail_groups.contains(name) {
            if let Some(alert) = smtp::group_alert(&self.settings.router_id, name, state) {
                self.mail(format!("G:{name}"), state, alert);
            }
        }
    }

    /// Sends an alert in the background, unless this state was mailed
    /// last or there is nowhere to send it.
    fn mail(&mut self, key: String, state: &str, alert: smtp::Alert) {
        if self.mailed.get(&key).is_some_and(|s| s == state) {
            return;
        }
        self.mailed.insert(key, state.to_owned());
        let Some(server) = self.settings.smtp.clone() else {
            return;
        };
        if server.to.is_empty() {
            return;
        }
        tokio::spawn(async move {
            match smtp::send(&server, &alert).await {
                Ok(()) => vrrp_log!("SMTP alert successfully sent."),
                Err(e) => vrrp_log!(
                    "Error sending SMTP alert to [{}]:{}: {e}",
                    server.host,
                    server.port
                ),
            }
        });
    }
}

/// Locks a mutex, poisoned or not (the data is plain names).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where one tracked object's status goes: every (router, VRID, track
/// index) that tracks it.
#[derive(Debug)]
struct Subscription {
    /// A script or an interface.
    kind: TrackKind,
    /// Its name.
    name: String,
    /// Router tracker channels, with VRID and track index.
    targets: Vec<(mpsc::Sender<TrackUpdate>, u8, usize)>,
}

/// Every tracked object (a handful: a list is enough).
#[derive(Debug, Default)]
struct Subscribers(Vec<Subscription>);

impl Subscribers {
    /// The subscription of an object, if any instance tracks it.
    fn get(&self, kind: TrackKind, name: &str) -> Option<&Subscription> {
        self.0.iter().find(|s| s.kind == kind && s.name == name)
    }

    /// Adds a target for an object.
    fn add(
        &mut self,
        kind: TrackKind,
        name: String,
        target: (mpsc::Sender<TrackUpdate>, u8, usize),
    ) {
        match self.0.iter_mut().find(|s| s.kind == kind && s.name == name) {
            Some(s) => s.targets.push(target),
            None => self.0.push(Subscription {
                kind,
                name,
                targets: vec![target],
            }),
        }
    }
}

/// The tracked objects' tasks and their last known status.
#[derive(Debug)]
struct Tracking {
    /// Who gets each object's changes (replaced on reload).
    subscribers: Arc<Mutex<Subscribers>>,
    /// Last status reported for each object (`true`: up).
    statuses: Arc<Mutex<Vec<(TrackKind, String, bool)>>>,
    /// Running script tasks, with the settings they run with.
    scripts: Vec<(ScriptPlan, AbortHandle)>,
    /// Running interface pollers.
    interfaces: Vec<(String, AbortHandle)>,
    /// Where the tasks report.
    tx: mpsc::Sender<track::Change>,
}

impl Tracking {
    /// No tasks yet; starts the task that forwards changes to instances.
    fn start() -> Self {
        let (tx, mut rx) = mpsc::channel::<track::Change>(64);
        let subscribers = Arc::new(Mutex::new(Subscribers::default()));
        let statuses = Arc::new(Mutex::new(Vec::new()));
        let (subs, stats) = (subscribers.clone(), statuses.clone());
        tokio::spawn(async move {
            while let Some(change) = rx.recv().await {
                log_change(&change);
                remember(&stats, &change);
                let targets = match lock(&subs).get(change.kind, &change.name) {
                    Some(s) => s.targets.clone(),
                    None => continue,
                };
                let status = track_status(change.up);
                for (router, vrid, index) in targets {
                    let update = TrackUpdate {
                        vrid,
                        index,
                        status,
                    };
                    // A router that has stopped no longer listens.
                    let _ = router.send(update).await;
                }
            }
        });
        Tracking {
            subscribers,
            statuses,
            scripts: Vec::new(),
            interfaces: Vec::new(),
            tx,
        }
    }

    /// Runs the scripts and pollers `subscribers` needs (unchanged ones
    /// keep running with their status), stops the others, and makes
    /// `subscribers` current.
    fn update(&mut self, scripts: &[ScriptPlan], subscribers: Subscribers) {
        // Scripts refused by script security are not run (keepalived
        // drops them from the instances that track them).
        let wanted: Vec<&ScriptPlan> = scripts
            .iter()
            .filter(|s| subscribers.get(TrackKind::Script, &s.name).is_some())
            .filter(|s| crate::security::launch(&s.command).is_some())
            .collect();
        let mut kept = Vec::new();
        for (plan, task) in std::mem::take(&mut self.scripts) {
            if wanted.contains(&&plan) {
                kept.push((plan, task));
            } else {
                task.abort();
                // A script whose settings changed keeps its last status:
                // its new task starts from it.
                if wanted.iter().all(|w| w.name != plan.name) {
                    forget(&self.statuses, TrackKind::Script, &plan.name);
                }
            }
        }
        for plan in wanted {
            if kept.iter().all(|(p, _)| p != plan) {
                let up = self
                    .status(TrackKind::Script, &plan.name)
                    .unwrap_or(!plan.init_fail);
                let task = tokio::spawn(track::run_script(plan.clone(), up, self.tx.clone()));
                kept.push((plan.clone(), task.abort_handle()));
            }
        }
        self.scripts = kept;
        let wanted: Vec<String> = subscribers
            .0
            .iter()
            .filter(|s| s.kind == TrackKind::Interface)
            .map(|s| s.name.clone())
            .collect();
        let mut kept = Vec::new();
        for (name, task) in std::mem::take(&mut self.interfaces) {
            if wanted.contains(&name) {
                kept.push((name, task));
            } else {
                task.abort();
                forget(&self.statuses, TrackKind::Interface, &name);
            }
        }
        for name in wanted {
            if kept.iter().all(|(n, _)| *n != name) {
                let task = tokio::spawn(track::poll_interface(
                    name.clone(),
                    std::time::Duration::from_millis(100),
                    self.tx.clone(),
                ));
                kept.push((name, task.abort_handle()));
            }
        }
        self.interfaces = kept;
        *lock(&self.subscribers) = subscribers;
    }

    /// The last status of an object, if one was reported.
    fn status(&self, kind: TrackKind, name: &str) -> Option<bool> {
        lock(&self.statuses)
            .iter()
            .find(|(k, n, _)| *k == kind && n == name)
            .map(|(_, _, up)| *up)
    }
}

/// Records an object's last status.
fn remember(statuses: &Mutex<Vec<(TrackKind, String, bool)>>, change: &track::Change) {
    let mut all = lock(statuses);
    match all
        .iter_mut()
        .find(|(k, n, _)| *k == change.kind && *n == change.name)
    {
        Some(entry) => entry.2 = change.up,
        None => all.push((change.kind, change.name.clone(), change.up)),
    }
}

/// Drops an object's last status (its task stopped).
fn forget(statuses: &Mutex<Vec<(TrackKind, String, bool)>>, kind: TrackKind, name: &str) {
    lock(statuses).retain(|(k, n, _)| !(*k == kind && n == name));
}

/// Up or down.
fn track_status(up: bool) -> TrackStatus {
    if up {
        TrackStatus::Up
    } else {
        TrackStatus::Down
    }
}

/// One running router and what runs on it.
#[derive(Debug)]
struct RunningRouter {
    /// The interface.
    interface: String,
    /// IPv4 or IPv6.
    family: Family,
    /// IPsec AH key.
    ah_key: Option<[u8; 8]>,
    /// Its other links (sync groups across interfaces).
    extra: Vec<LinkPlan>,
    /// Each link's source address (the instances' default primary).
    sources: Vec<IpAddr>,
    /// Changes to its instances.
    control: mpsc::Sender<Control>,
    /// Tracked objects' status for its instances.
    tracker: mpsc::Sender<TrackUpdate>,
    /// Ends its run.
    stop: watch::Sender<bool>,
    /// What its event reporter needs.
    names: Arc<Mutex<Names>>,
    /// Its units, as configured.
    units: Vec<UnitSpec>,
}

impl RunningRouter {
    /// Whether it runs the units of `rp`.
    fn serves(&self, rp: &RouterPlan) -> bool {
        self.interface == rp.interface
            && self.family == rp.family
            && self.ah_key == rp.ah_key
            && self.extra == rp.extra
    }

    /// Sends a control message; the router ended if it cannot take it.
    async fn send(&self, control: Control) -> Result<(), String> {
        self.control
            .send(control)
            .await
            .map_err(|_| format!("{}: the VRRP router has stopped", self.interface))
    }

    /// Copies of its instances, once every earlier control message has
    /// been carried out.
    async fn snapshot(&self) -> Result<Vec<Instance>, String> {
        let (tx, rx) = oneshot::channel();
        self.send(Control::Snapshot(tx)).await?;
        rx.await
            .map_err(|_| format!("{}: the VRRP router has stopped", self.interface))
    }
}

/// An instance or sync group built and ready to add.
#[derive(Debug)]
enum Built {
    /// An instance on its own.
    Single(Box<Instance>, Vec<Vip>),
    /// A sync group.
    Group(SyncGroup, Vec<Vec<Vip>>),
}

impl Built {
    /// Each member's configuration and prefixed addresses.
    fn into_members(self) -> Vec<(lbkit_vrrp::machine::Config, Vec<Vip>)> {
        match self {
            Built::Single(instance, vips) => vec![(instance.config().clone(), vips)],
            Built::Group(group, vips) => group
                .members()
                .iter()
                .map(|m| m.config().clone())
                .zip(vips)
                .collect(),
        }
    }

    /// The control message that adds it.
    fn into_control(self) -> Control {
        match self {
            Built::Single(instance, vips) => Control::Add { instance, vips },
            Built::Group(group, vips) => Control::AddGroup { group, vips },
        }
    }
}

/// The names a unit brings.
#[derive(Debug, Default)]
struct UnitNames {
    /// VRID → instance.
    instances: Vec<(u8, InstanceName)>,
    /// The group: member VRIDs, name, notify scripts.
    group: Option<(Vec<u8>, String, NotifyPlan)>,
}

/// Everything that runs.
#[derive(Debug)]
struct Daemon {
    /// `-D`.
    detail: bool,
    /// The routers.
    routers: Vec<RunningRouter>,
    /// Their tasks.
    tasks: JoinSet<Result<(), String>>,
    /// Scripts and interfaces.
    tracking: Tracking,
    /// `global_defs` and mail settings.
    settings: Settings,
    /// The `vrrp_script`s of the running configuration.
    scripts: Vec<ScriptPlan>,
    /// Notify FIFOs and SMTP alerts.
    notifier: Arc<Mutex<Notifier>>,
}

/// One router's part of a reload, prepared before anything changes.
#[derive(Debug)]
struct Prepared {
    /// Index into the running routers, or a router to start.
    at: Target,
    /// The diff against what runs there.
    diff: reload::Diff,
    /// The new units' specs.
    specs: Vec<UnitSpec>,
    /// For each new unit that starts, restarts or changes: the built unit.
    built: Vec<Option<Built>>,
    /// Names of every new unit.
    names: Vec<UnitNames>,
    /// Each new instance's link.
    links: HashMap<u8, usize>,
    /// Addresses on another interface than their instance's.
    devices: HashMap<IpAddr, Interface>,
}

/// What instances must share to be on one router.
#[derive(Debug, Clone)]
struct RouterKey {
    /// The interface.
    interface: String,
    /// IPv4 or IPv6.
    family: Family,
    /// IPsec AH key.
    ah_key: Option<[u8; 8]>,
    /// Its other links.
    extra: Vec<LinkPlan>,
}

/// Where a router's units go.
#[derive(Debug)]
enum Target {
    /// A router that runs now.
    Running(usize),
    /// A new router, opened, not yet running.
    New(Box<Router>, RouterKey, Vec<IpAddr>),
}

impl Daemon {
    /// Nothing running yet.
    fn new(detail: bool) -> Self {
        Daemon {
            detail,
            routers: Vec::new(),
            tasks: JoinSet::new(),
            tracking: Tracking::start(),
            settings: Settings::default(),
            scripts: Vec::new(),
            notifier: Arc::new(Mutex::new(Notifier::default())),
        }
    }

    /// Makes `plan` what runs: at start everything starts; on reload only
    /// what changed (see [`crate::reload`]). Nothing changes if any new
    /// router or instance cannot be set up.
    async fn apply(&mut self, plan: Plan, settings: Settings) -> Result<(), String> {
        let mut prepared = Vec::new();
        for rp in plan.routers {
            prepared.push(self.prepare(rp)?);
        }
        // The new instances' first events go to the new FIFOs and mail
        // settings.
        crate::security::install(settings.security.clone());
        lock(&self.notifier).update(settings.clone());
        // Routers whose interface and family no longer have instances.
        let gone: Vec<usize> = (0..self.routers.len())
            .filter(|i| {
                !prepared
                    .iter()
                    .any(|p| matches!(p.at, Target::Running(at) if at == *i))
            })
            .collect();
        // Removals first, as keepalived does.
        for &i in &gone {
            if let Some(r) = self.routers.get(i) {
                retire_all(r);
                for unit in &r.units {
                    for vrid in unit.vrids() {
                        r.send(Control::Remove { vrid }).await?;
                    }
                }
                r.snapshot().await?;
                let _ = r.stop.send(true);
            }
        }
        let mut next = Vec::new();
        let mut fresh = Vec::new();
        for p in prepared {
            let (router, added) = self.carry_out(p, &settings).await?;
            fresh.push((next.len(), added));
            next.push(router);
        }
        // What is left in the old list are stand-ins and the routers that
        // were told to stop.
        self.routers = next;
        self.subscribe(&plan.scripts);
        self.send_known_statuses(&fresh).await;
        self.settings = settings;
        self.scripts = plan.scripts;
        Ok(())
    }

    /// Works out and builds one router's part of `plan`, changing nothing.
    fn prepare(&self, rp: RouterPlan) -> Result<Prepared, String> {
        let specs: Vec<UnitSpec> = rp.units.iter().map(UnitSpec::of).collect();
        let (at, sources, diff) = match self.routers.iter().position(|r| r.serves(&rp)) {
            Some(i) => {
                let r = &self.routers[i];
                let diff = reload::diff(&r.units, &specs);
                (Target::Running(i), r.sources.clone(), diff)
            }
            None => {
                let (router, sources) = open(&rp)?;
                let diff = reload::diff(&[], &specs);
                let key = RouterKey {
                    interface: rp.interface.clone(),
                    family: rp.family,
                    ah_key: rp.ah_key,
                    extra: rp.extra.clone(),
                };
                let at = Target::New(Box::new(router), key, sources.clone());
                (at, sources, diff)
            }
        };
        let mut links = HashMap::new();
        let mut devices = HashMap::new();
        for m in specs.iter().flat_map(|u| &u.members) {
            links.insert(m.config.vrid, m.link);
            for (addr, dev) in &m.devices {
                let iface = Interface::lookup(dev).map_err(|e| format!("{dev}: {e}"))?;
                devices.insert(*addr, iface);
            }
        }
        let mut built = Vec::new();
        let mut names = Vec::new();
        for (unit, step) in rp.units.into_iter().zip(&diff.steps) {
            let (b, n) = build_unit(unit, &sources)?;
            names.push(n);
            built.push(match step {
                Step::Keep { changed, .. } if changed.is_empty() => None,
                _ => Some(b),
            });
        }
        Ok(Prepared {
            at,
            diff,
            specs,
            built,
            names,
            links,
            devices,
        })
    }

    /// Carries out one router's part of a reload; returns the router and
    /// the indices of the units that (re)started.
    async fn carry_out(
        &mut self,
        p: Prepared,
        settings: &Settings,
    ) -> Result<(RunningRouter, Vec<usize>), String> {
        let router = match p.at {
            Target::Running(i) => {
                let r = self
                    .routers
                    .get_mut(i)
                    .ok_or_else(|| "lost a router".to_owned())?;
                // Take it out, leaving a stopped stand-in behind.
                std::mem::replace(r, placeholder(r))
            }
            Target::New(router, key, sources) => self.spawn(*router, key, sources),
        };
        rename(&router, &p.diff, p.names);
        // Labels before any address is added.
        let labels = p
            .specs
            .iter()
            .flat_map(|u| &u.members)
            .filter_map(|m| settings.labels.get(&m.name))
            .flatten()
            .cloned()
            .collect();
        router.send(Control::Labels(labels)).await?;
        // Links and address interfaces before any instance they name is
        // added (an instance kept in place keeps its link).
        router.send(Control::Links(p.links)).await?;
        router.send(Control::Devices(p.devices)).await?;
        // Gone units first, then restarts, then the rest.
        for &i in &p.diff.removed {
            if let Some(unit) = router.units.get(i) {
                for vrid in unit.vrids() {
                    router.send(Control::Remove { vrid }).await?;
                }
            }
        }
        let mut added = Vec::new();
        for (i, (step, built)) in p.diff.steps.iter().zip(p.built).enumerate() {
            match step {
                Step::Keep { changed, .. } => {
                    let members = built.map(Built::into_members).unwrap_or_default();
                    for (i, (config, vips)) in members.into_iter().enumerate() {
                        if changed.contains(&i) {
                            let vrid = config.vrid;
                            let config = Box::new(config);
                            router
                                .send(Control::Reconfigure { vrid, config, vips })
                                .await?;
                        }
                    }
                }
                Step::Restart { old } => {
                    if let Some(unit) = router.units.get(*old) {
                        for vrid in unit.vrids() {
                            router.send(Control::Remove { vrid }).await?;
                        }
                    }
                    if let Some(b) = built {
                        router.send(b.into_control()).await?;
                        added.push(i);
                    }
                }
                Step::Start => {
                    if let Some(b) = built {
                        router.send(b.into_control()).await?;
                        added.push(i);
                    }
                }
            }
        }
        // Every message carried out before the reload goes on.
        router.snapshot().await?;
        let router = RunningRouter {
            units: p.specs,
            ..router
        };
        Ok((router, added))
    }

    /// Starts a router's run and its event reporter.
    fn spawn(&mut self, mut router: Router, key: RouterKey, sources: Vec<IpAddr>) -> RunningRouter {
        let control = router.control();
        let tracker = router.tracker();
        let events = router.subscribe();
        let names = Arc::new(Mutex::new(Names::default()));
        tokio::spawn(report(
            events,
            names.clone(),
            self.notifier.clone(),
            self.detail,
        ));
        let (stop, mut stopped) = watch::channel(false);
        self.tasks.spawn(async move {
            let until = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            router.run(until).await.map_err(|e| e.to_string())
        });
        RunningRouter {
            interface: key.interface,
            family: key.family,
            ah_key: key.ah_key,
            extra: key.extra,
            sources,
            control,
            tracker,
            stop,
            names,
            units: Vec::new(),
        }
    }

    /// Rebuilds who gets each tracked object's changes, and runs the
    /// scripts and pollers that needs.
    fn subscribe(&mut self, scripts: &[ScriptPlan]) {
        let mut subscribers = Subscribers::default();
        for r in &self.routers {
            for unit in &r.units {
                for m in &unit.members {
                    for (index, t) in m.config.tracks.iter().enumerate() {
                        subscribers.add(
                            t.kind,
                            t.name.clone(),
                            (r.tracker.clone(), m.config.vrid, index),
                        );
                    }
                }
            }
        }
        self.tracking.update(scripts, subscribers);
    }

    /// Tells the units that just (re)started the last known status of
    /// what they track (unchanged units already know it).
    async fn send_known_statuses(&self, fresh: &[(usize, Vec<usize>)]) {
        for (at, units) in fresh {
            let Some(r) = self.routers.get(*at) else {
                continue;
            };
            for unit in units.iter().filter_map(|u| r.units.get(*u)) {
                for m in &unit.members {
                    for (index, t) in m.config.tracks.iter().enumerate() {
                        let Some(up) = self.tracking.status(t.kind, &t.name) else {
                            continue;
                        };
                        let update = TrackUpdate {
                            vrid: m.config.vrid,
                            index,
                            status: track_status(up),
                        };
                        let _ = r.tracker.send(update).await;
                    }
                }
            }
        }
    }

    /// Copies of every router's instances with their names, addresses
    /// and interface.
    async fn snapshot(&self) -> Vec<RouterView> {
        let mut out = Vec::new();
        for r in &self.routers {
            let Ok(instances) = r.snapshot().await else {
                continue;
            };
            let names = lock(&r.names);
            let members: Vec<&reload::MemberSpec> =
                r.units.iter().flat_map(|u| &u.members).collect();
            let views = instances
                .into_iter()
                .map(|instance| {
                    let vrid = instance.config().vrid;
                    let spec = members.iter().find(|m| m.config.vrid == vrid);
                    let interface = match spec.map_or(0, |m| m.link) {
                        0 => r.interface.clone(),
                        n => r
                            .extra
                            .get(n - 1)
                            .map_or_else(|| r.interface.clone(), |l| l.interface.clone()),
                    };
                    InstanceView {
                        name: names
                            .instances
                            .get(&vrid)
                            .map(|n| n.name.clone())
                            .unwrap_or_default(),
                        interface,
                        vips: spec.map(|m| m.vips.clone()).unwrap_or_default(),
                        primary_given: spec.is_some_and(|m| m.primary_given),
                        labels: spec
                            .and_then(|m| self.settings.labels.get(&m.name))
                            .cloned()
                            .unwrap_or_default(),
                        instance,
                    }
                })
                .collect();
            out.push(RouterView {
                instances: views,
                groups: names
                    .groups
                    .iter()
                    .map(|(vrids, name, _)| (name.clone(), vrids.clone()))
                    .collect(),
            });
        }
        out
    }

    /// SIGUSR1: writes `keepalived.data`. (The other subsystems' dumps,
    /// when they exist, are written next to it where SIGUSR1 is handled
    /// in [`serve`].)
    async fn dump_data(&self) {
        let routers = self.snapshot().await;
        let scripts: Vec<(ScriptPlan, Option<bool>)> = self
            .scripts
            .iter()
            .map(|s| (s.clone(), self.tracking.status(TrackKind::Script, &s.name)))
            .collect();
        let text = dump::data(&self.settings, &routers, &scripts);
        report_dump(dump::write("keepalived.data", &text));
    }

    /// SIGUSR2: writes `keepalived.stats`.
    async fn dump_stats(&self) {
        let routers = self.snapshot().await;
        let instances: Vec<(String, Instance)> = routers
            .into_iter()
            .flat_map(|r| r.instances)
            .map(|v| (v.name, v.instance))
            .collect();
        report_dump(dump::write("keepalived.stats", &dump::stats(&instances)));
    }

    /// Ends every router's run (masters send priority 0 and remove their
    /// addresses) and waits for them.
    async fn stop(&mut self) -> Result<(), String> {
        for r in &self.routers {
            let _ = r.stop.send(true);
        }
        let mut result = Ok(());
        while let Some(done) = self.tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(e) => result = Err(e.to_string()),
            }
        }
        result
    }
}

/// Gives the router's event reporter the names of the new plan before
/// its units change: instances that go (removed, or restarted under
/// another VRID) move to `retired` so that their last events still find
/// their names; kept instances keep their last reported priority.
fn rename(router: &RunningRouter, diff: &reload::Diff, new: Vec<UnitNames>) {
    let kept: Vec<u8> = diff
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Keep { old, .. } => router.units.get(*old),
            _ => None,
        })
        .flat_map(UnitSpec::vrids)
        .collect();
    let mut names = lock(&router.names);
    let old = std::mem::take(&mut names.instances);
    names.retired.clear();
    names.groups.clear();
    for unit in new {
        for (vrid, mut n) in unit.instances {
            if kept.contains(&vrid) {
                if let Some(before) = old.get(&vrid) {
                    n.priority = before.priority;
                }
            }
            names.instances.insert(vrid, n);
        }
        if let Some(g) = unit.group {
            names.groups.push(g);
        }
    }
    for (vrid, n) in old {
        if !names.instances.contains_key(&vrid) {
            names.retired.insert(vrid, n);
        }
    }
}

/// Logs a dump file that could not be written, as keepalived does.
fn report_dump(result: std::io::Result<PathBuf>) {
    if let Err(e) = result {
        vrrp_log!("Can't open dump file: {e}");
    }
}

/// A stand-in left in a router's slot while a reload moves it (it takes
/// no messages).
fn placeholder(r: &RunningRouter) -> RunningRouter {
    let (control, _) = mpsc::channel(1);
    let (tracker, _) = mpsc::channel(1);
    let (stop, _) = watch::channel(true);
    RunningRouter {
        interface: r.interface.clone(),
        family: r.family,
        ah_key: r.ah_key,
        extra: r.extra.clone(),
        sources: r.sources.clone(),
        control,
        tracker,
        stop,
        names: Arc::new(Mutex::new(Names::default())),
        units: Vec::new(),
    }
}

/// Marks a unit's instances as removed by the reload: their last events
/// still find their names, and their stop is reported as keepalived
/// reports a deleted instance.
fn retire(router: &RunningRouter, unit: &UnitSpec) {
    let mut names = lock(&router.names);
    for vrid in unit.vrids() {
        if let Some(n) = names.instances.remove(&vrid) {
            names.retired.insert(vrid, n);
        }
    }
}

/// [`retire`] for every unit of a router.
fn retire_all(router: &RunningRouter) {
    for unit in &router.units {
        retire(router, unit);
    }
}

/// Opens every router, runs them until a stop signal, then shuts them
/// down; SIGHUP reloads the configuration.
async fn serve(
    plan: Plan,
    settings: Settings,
    opts: &Options<'_>,
    lvs: &mut Option<crate::lvs::Lvs>,
) -> Result<(), String> {
    let mut daemon = Daemon::new(opts.detail);
    daemon.apply(plan, settings).await?;
    crate::notify::notify(crate::notify::READY);
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut usr1 = signal(SignalKind::user_defined1()).map_err(|e| e.to_string())?;
    let mut usr2 = signal(SignalKind::user_defined2()).map_err(|e| e.to_string())?;
    let mut failed = None;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => reload(&mut daemon, opts, lvs).await,
            // The LVS side writes its own dump (`lvs::DUMP_FILE`) on SIGUSR1.
            _ = usr1.recv() => daemon.dump_data().await,
            _ = usr2.recv() => daemon.dump_stats().await,
            Some(done) = daemon.tasks.join_next() => match done {
                // A router whose instances all went stops quietly.
                Ok(Ok(())) => {}
                other => {
                    failed = Some(other);
                    break;
                }
            },
        }
    }
    crate::notify::notify(crate::notify::STOPPING);
    vrrp_log!("Stopping");
    let mut result = match failed {
        Some(Ok(Err(e))) => Err(e),
        Some(Err(e)) => Err(e.to_string()),
        _ => Ok(()),
    };
    if let Err(e) = daemon.stop().await {
        result = Err(e);
    }
    // Let the event reporters print the last transitions and start scripts.
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    vrrp_log!("Stopped");
    result
}

/// SIGHUP: reads and checks the configuration again; an invalid one is
/// reported and the running one stays as it is.
async fn reload(daemon: &mut Daemon, opts: &Options<'_>, lvs: &mut Option<crate::lvs::Lvs>) {
    crate::notify::notify(crate::notify::RELOADING);
    reload_config(daemon, opts, lvs).await;
    crate::notify::notify(crate::notify::READY);
}

/// Reads, checks and applies the configuration again (see [`reload()`]).
async fn reload_config(daemon: &mut Daemon, opts: &Options<'_>, lvs: &mut Option<crate::lvs::Lvs>) {
    vrrp_log!("Reloading");
    let source = &opts.source;
    let req = Request {
        path: &source.path,
        config_id: source.config_id.as_deref(),
        strict: source.strict,
    };
    let (plan, settings, config) = match load_plan(&req) {
        Ok(loaded) => loaded,
        Err(text) => {
            eprint!("{text}");
            vrrp_log!("the new configuration has errors; the running one is kept");
            return;
        }
    };
    // `-C` alone runs no VRRP instance, before or after a reload.
    let plan = if opts.vrrp { plan } else { Plan::default() };
    if let Err(e) = daemon.apply(plan, settings).await {
        vrrp_log!("reload failed: {e}; the running configuration is kept");
        return;
    }
    // The LVS side follows, after the VRRP instances have been updated.
    if opts.vrrp {
        crate::lvs::sync::configure(&config);
    }
    if let Some(lvs) = lvs.as_mut() {
        if let Err(e) = lvs.reload(&config).await {
            check_log!("reload failed: {e}");
        }
    } else if opts.lvs && !config.virtual_servers.is_empty() {
        match crate::lvs::Lvs::start(&config).await {
            Ok(started) => *lvs = Some(started),
            Err(e) => check_log!("{e}; virtual servers not run"),
        }
    }
    vrrp_log!("Reload finished");
}

/// Loads, checks and compiles the configuration; the rendered
/// diagnostics when it cannot run (warnings are printed on the way).
fn load_plan(
    req: &Request<'_>,
) -> Result<(Plan, Settings, lbkit_keepalived_cfg::model::Config), String> {
    let loaded = req.load()?;
    let fatal = loaded.diagnostics.iter().any(|d| {
        d.severity == lbkit_keepalived_cfg::Severity::Error
            && !crate::status::DAEMON_RUNS_CODES.contains(&d.code)
    });
    if fatal {
        return Err(loaded.render());
    }
    if !loaded.diagnostics.is_empty() {
        eprint!("{}", loaded.render());
    }
    let (plan, warnings) = prepare(&loaded)?;
    if !warnings.is_empty() {
        eprint!("{warnings}");
    }
    let settings = Settings::with_plan(&loaded.config, &plan);
    Ok((plan, settings, loaded.config))
}

/// Logs a tracked object's change as keepalived does.
fn log_change(change: &track::Change) {
    match change.kind {
        TrackKind::Script => {
            let word = if change.up { "succeeded" } else { "failed" };
            vrrp_log!("VRRP_Script({}) {word}", change.name);
        }
        _ => {
            let state = if change.up { "UP" } else { "DOWN" };
            vrrp_log!("Interface {} is {state}", change.name);
        }
    }
}

/// The sockets and (empty) router of a plan's links, with each socket's
/// source address.
fn open(rp: &RouterPlan) -> Result<(Router, Vec<IpAddr>), String> {
    let first = LinkPlan {
        interface: rp.interface.clone(),
        family: rp.family,
        ah_key: rp.ah_key,
    };
    let socket = open_socket(&first)?;
    let mut sources = vec![socket.source()];
    let mut router = Router::new(socket).map_err(|e| format!("{}: {e}", rp.interface))?;
    for link in &rp.extra {
        let socket = open_socket(link)?;
        sources.push(socket.source());
        router
            .add_link(socket)
            .map_err(|e| format!("{}: {e}", link.interface))?;
    }
    Ok((router, sources))
}

/// The VRRP socket of one link.
fn open_socket(link: &LinkPlan) -> Result<VrrpSocket, String> {
    let name = &link.interface;
    let iface = Interface::lookup(name).map_err(|e| format!("{name}: {e}"))?;
    match link.ah_key {
        Some(key) => VrrpSocket::open_ah(&iface, key),
        None => VrrpSocket::open(&iface, link.family),
    }
    .map_err(|e| format!("{name}: {e}"))
}

/// Builds one unit's machines, their primary addresses filled in from
/// the sources of their links.
fn build_unit(unit: UnitPlan, sources: &[IpAddr]) -> Result<(Built, UnitNames), String> {
    let mut names = UnitNames::default();
    let source = |ip: &InstancePlan| {
        sources
            .get(ip.link)
            .or(sources.first())
            .copied()
            .ok_or_else(|| format!("({}) its router has no socket", ip.name))
    };
    match unit {
        UnitPlan::Single(ip) => {
            let (instance, vips) = build(source(&ip)?, ip, &mut names)?;
            Ok((Built::Single(Box::new(instance), vips), names))
        }
        UnitPlan::Group {
            name,
            members,
            notify,
        } => {
            let mut instances = Vec::new();
            let mut vips = Vec::new();
            for ip in members {
                let (instance, v) = build(source(&ip)?, ip, &mut names)?;
                instances.push(instance);
                vips.push(v);
            }
            let vrids = instances.iter().map(|i| i.config().vrid).collect();
            names.group = Some((vrids, name, notify));
            Ok((Built::Group(SyncGroup::new(instances), vips), names))
        }
    }
}

/// One machine instance, its primary address filled in.
fn build(
    source: IpAddr,
    ip: InstancePlan,
    names: &mut UnitNames,
) -> Result<(Instance, Vec<Vip>), String> {
    let mut config = ip.config;
    if !ip.primary_given {
        config.primary_address = source;
    }
    let vrid = config.vrid;
    let instance = Instance::new(config).map_err(|e| format!("({}) {e}", ip.name))?;
    // The effective priority: tracked objects' weights included.
    let priority = instance.priority();
    names.instances.push((
        vrid,
        InstanceName {
            name: ip.name,
            notify: ip.notify,
            priority,
        },
    ));
    Ok((instance, ip.vips))
}

/// Logs each event as keepalived words it and runs the notify scripts.
async fn report(
    mut events: mpsc::Receiver<Event>,
    names: Arc<Mutex<Names>>,
    notifier: Arc<Mutex<Notifier>>,
    detail: bool,
) {
    while let Some(event) = events.recv().await {
        match event {
            Event::StateChanged { vrid, transition } => {
                let (found, deleted) = {
                    let names = lock(&names);
                    match names.instances.get(&vrid) {
                        Some(n) => (Some(n.clone()), false),
                        None => (names.retired.get(&vrid).cloned(), true),
                    }
                };
                let Some(n) = found else {
                    continue;
                };
                let state_name = transition.to.keepalived_name();
                crate::lvs::sync::on_vrrp_state(&n.name, state_name);
                if detail {
                    vrrp_log!(
                        "({}) Entering {state_name} STATE ({:?})",
                        n.name,
                        transition.reason
                    );
                } else {
                    vrrp_log!("({}) Entering {state_name} STATE", n.name);
                }
                // keepalived reports an instance a reload removed as FAULT
                // (`clear_diff_vrrp()`), not as stopped.
                let state = if deleted && transition.to == State::Initialize {
                    "FAULT"
                } else {
                    transition.notify.as_str()
                };
                notify_all(&n.notify, "INSTANCE", &n.name, state, n.priority);
                lock(&notifier).instance(&n.name, state, n.priority);
            }
            Event::PriorityChanged { vrid, from, to } => {
                let name = {
                    let mut names = lock(&names);
                    names.instances.get_mut(&vrid).map(|n| {
                        n.priority = to;
                        n.name.clone()
                    })
                };
                if let Some(name) = name {
                    vrrp_log!("({name}) Changing effective priority from {from} to {to}");
                }
            }
            Event::GroupStateChanged { vrids, to, .. } => {
                let group = lock(&names)
                    .groups
                    .iter()
                    .find(|g| g.0 == vrids)
                    .map(|g| (g.1.clone(), g.2.clone()));
                let Some((name, notify)) = group else {
                    continue;
                };
                vrrp_log!(
                    "VRRP_Group({name}) Syncing instances to {} state",
                    to.keepalived_name()
                );
                notify_all(&notify, "GROUP", &name, to.keepalived_name(), 0);
                lock(&notifier).group(&name, to.keepalived_name());
            }
            Event::ActionFailed { vrid, error } => {
                let name = lock(&names)
                    .instances
                    .get(&vrid)
                    .map_or_else(|| "?".to_owned(), |n| n.name.clone());
                vrrp_log!("({name}) error: {error}");
            }
            other => vrrp_log!("{other:?}"),
        }
    }
}

/// The state's own script, then `notify` with TYPE NAME STATE PRIORITY.
fn notify_all(notify: &NotifyPlan, kind: &str, name: &str, state: &str, priority: u8) {
    let own = match state {
        "MASTER" => notify.master.as_deref(),
        "BACKUP" => notify.backup.as_deref(),
        "FAULT" => notify.fault.as_deref(),
        "STOP" => notify.stop.as_deref(),
        _ => None,
    };
    if let Some(cmd) = own {
        spawn_script(cmd, &[]);
    }
    if let Some(cmd) = notify.any.as_deref() {
        let prio = priority.to_string();
        spawn_script(cmd, &[kind, name, state, &prio]);
    }
}

/// Starts a script (its command line split into words, quotes honoured)
/// with `extra` arguments appended; reaps it in the background.
pub(crate) fn spawn_script(cmd: &str, extra: &[&str]) {
    let words = split_words(cmd);
    let Some((program, args)) = words.split_first() else {
        return;
    };
    let Some(user) = crate::security::launch(cmd) else {
        return;
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .args(extra)
        .stdin(std::process::Stdio::null());
    crate::security::run_as(&mut command, user);
    let child = command.spawn();
    match child {
        Ok(mut child) => {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
        Err(e) => vrrp_log!("cannot run {program}: {e}"),
    }
}

/// Splits a command line into words: blanks separate, single and double
/// quotes group, a backslash escapes the next character.
pub(crate) fn split_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Compiles a loaded configuration for [`run`]: the plan and the rendered
/// warnings, or the rendered errors.
pub(crate) fn prepare(loaded: &lbkit_keepalived_cfg::Loaded) -> Result<(Plan, String), String> {
    let render = |diags: &[lbkit_keepalived_cfg::Diagnostic]| {
        diags
            .iter()
            .map(|d| d.render(&loaded.sources))
            .collect::<String>()
    };
    match compile::compile(&loaded.config) {
        Ok((plan, warnings)) => Ok((plan, render(&warnings))),
        Err(errors) => Err(render(&errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_keepalived() {
        assert_eq!(split_words("/bin/a b  c"), ["/bin/a", "b", "c"]);
        assert_eq!(
            split_words("/bin/a 'b c' \"d e\""),
            ["/bin/a", "b c", "d e"]
        );
        assert_eq!(split_words(r"/bin/a b\ c ''"), ["/bin/a", "b c", ""]);
        assert!(split_words("   ").is_empty());
    }
}
