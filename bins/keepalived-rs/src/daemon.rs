//! The daemon: runs the compiled VRRP instances on lbkit-vrrp's tokio
//! driver until SIGTERM / SIGINT, logs their transitions on standard
//! error and runs their notify scripts with keepalived's arguments.
//!
//! `vrrp_script`s and tracked interfaces run as tasks of their own; each
//! change of their status goes to every instance that tracks them (its
//! router's tracker channel), which moves the effective priority or the
//! FAULT state while the router runs.
//!
//! On SIGTERM every router shuts down: a master sends its priority-0
//! advert and removes its virtual addresses, then the process exits 0.

use crate::compile::{self, InstancePlan, NotifyPlan, Plan, RouterPlan, ScriptPlan, UnitPlan};
use crate::track;
use lbkit_vrrp::io::{Event, Interface, Router, TrackUpdate, VrrpSocket};
use lbkit_vrrp::machine::{Instance, SyncGroup, TrackKind, TrackStatus};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch};

/// How the daemon logs and where it writes its pid.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options<'a> {
    /// `-D`: the reason of each transition too.
    pub(crate) detail: bool,
    /// `-p FILE`.
    pub(crate) pid_file: Option<&'a Path>,
    /// The configuration (for its virtual servers and `lvs_sync_daemon`).
    pub(crate) config: Option<&'a lbkit_keepalived_cfg::model::Config>,
    /// Run the virtual servers (not with `-P`).
    pub(crate) lvs: bool,
}

/// Runs `plan` until SIGTERM or SIGINT; returns the exit status.
pub(crate) fn run(plan: Plan, warnings: &str, opts: &Options<'_>) -> u8 {
    if !warnings.is_empty() {
        eprint!("{warnings}");
    }
    if let Some(path) = opts.pid_file {
        if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
            eprintln!("Keepalived: cannot write pid file {}: {e}", path.display());
            return crate::status::FATAL;
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let status = match runtime {
        Ok(rt) => match rt.block_on(serve_with_lvs(plan, opts)) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("Keepalived_vrrp: {e}");
                crate::status::FATAL
            }
        },
        Err(e) => {
            eprintln!("Keepalived: tokio: {e}");
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
async fn serve_with_lvs(plan: Plan, opts: &Options<'_>) -> Result<(), String> {
    let vrrp = !plan.routers.is_empty();
    if let (true, Some(config)) = (vrrp, opts.config) {
        crate::lvs::sync::configure(config);
    }
    let lvs = match opts.config.filter(|_| opts.lvs) {
        Some(config) => match crate::lvs::Lvs::start(config).await {
            Ok(lvs) => Some(lvs),
            // Like keepalived's checker process failing: VRRP carries on.
            Err(e) if vrrp => {
                eprintln!("Keepalived_healthcheckers: {e}; virtual servers not run");
                None
            }
            Err(e) => return Err(e.to_string()),
        },
        None => None,
    };
    let result = serve(plan, opts.detail).await;
    if vrrp {
        crate::lvs::sync::stop();
    }
    if let Some(lvs) = lvs {
        if let Err(e) = lvs.shutdown().await {
            eprintln!("Keepalived_healthcheckers: {e}");
        }
    }
    result
}

/// Names and notify scripts of one router's instances and groups, by VRID.
#[derive(Debug, Default)]
struct Names {
    /// VRID → instance name, notify scripts, current priority.
    instances: HashMap<u8, (String, NotifyPlan, u8)>,
    /// Member VRIDs → group name and notify scripts.
    groups: Vec<(Vec<u8>, String, NotifyPlan)>,
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

/// Opens every router, runs them until a stop signal, then shuts them down.
async fn serve(plan: Plan, detail: bool) -> Result<(), String> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut subscribers = Subscribers::default();
    let mut routers = Vec::new();
    for rp in plan.routers {
        let (mut router, names) = open(rp)?;
        subscribe_tracks(&mut router, &mut subscribers);
        routers.push((router, names));
    }
    start_tracking(&plan.scripts, subscribers);
    for (mut router, names) in routers {
        let events = router.subscribe();
        let names = Arc::new(names);
        tokio::spawn(report(events, names, detail));
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            let until = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            router.run(until).await.map_err(|e| e.to_string())
        });
    }
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut failed = None;
    tokio::select! {
        _ = term.recv() => eprintln!("Keepalived_vrrp: Stopping"),
        _ = int.recv() => eprintln!("Keepalived_vrrp: Stopping"),
        Some(done) = tasks.join_next() => failed = Some(done),
    }
    let _ = stop_tx.send(true);
    let mut result = match failed {
        Some(Ok(Err(e))) => Err(e),
        Some(Err(e)) => Err(e.to_string()),
        _ => Ok(()),
    };
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(e.to_string()),
        }
    }
    // Let the event reporters print the last transitions and start scripts.
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    eprintln!("Keepalived_vrrp: Stopped");
    result
}

/// Records, for each object the router's instances track, the router's
/// tracker channel with the VRID and track index.
fn subscribe_tracks(router: &mut Router, subscribers: &mut Subscribers) {
    let mut wanted = Vec::new();
    for instance in router.instances() {
        let config = instance.config();
        for (index, t) in config.tracks.iter().enumerate() {
            wanted.push((t.kind, t.name.clone(), config.vrid, index));
        }
    }
    if wanted.is_empty() {
        return;
    }
    let tracker = router.tracker();
    for (kind, name, vrid, index) in wanted {
        subscribers.add(kind, name, (tracker.clone(), vrid, index));
    }
}

/// Starts the script and interface trackers; logs each change and sends
/// it to every instance that tracks the object.
fn start_tracking(scripts: &[ScriptPlan], subscribers: Subscribers) {
    if subscribers.0.is_empty() {
        return;
    }
    let (tx, mut rx) = mpsc::channel::<track::Change>(64);
    for script in scripts {
        if subscribers.get(TrackKind::Script, &script.name).is_some() {
            tokio::spawn(track::run_script(
                script.clone(),
                !script.init_fail,
                tx.clone(),
            ));
        }
    }
    for s in &subscribers.0 {
        if s.kind == TrackKind::Interface {
            tokio::spawn(track::poll_interface(
                s.name.clone(),
                std::time::Duration::from_millis(100),
                tx.clone(),
            ));
        }
    }
    drop(tx);
    tokio::spawn(async move {
        while let Some(change) = rx.recv().await {
            log_change(&change);
            let status = if change.up {
                TrackStatus::Up
            } else {
                TrackStatus::Down
            };
            let Some(s) = subscribers.get(change.kind, &change.name) else {
                continue;
            };
            for (router, vrid, index) in &s.targets {
                let update = TrackUpdate {
                    vrid: *vrid,
                    index: *index,
                    status,
                };
                // A router that has stopped no longer listens.
                let _ = router.send(update).await;
            }
        }
    });
}

/// Logs a tracked object's change as keepalived does.
fn log_change(change: &track::Change) {
    match change.kind {
        TrackKind::Script => {
            let word = if change.up { "succeeded" } else { "failed" };
            eprintln!("Keepalived_vrrp: VRRP_Script({}) {word}", change.name);
        }
        _ => {
            let state = if change.up { "UP" } else { "DOWN" };
            eprintln!("Keepalived_vrrp: Interface {} is {state}", change.name);
        }
    }
}

/// The socket and router of one interface, with its instances added.
fn open(rp: RouterPlan) -> Result<(Router, Names), String> {
    let iface = Interface::lookup(&rp.interface).map_err(|e| format!("{}: {e}", rp.interface))?;
    let socket = match rp.ah_key {
        Some(key) => VrrpSocket::open_ah(&iface, key),
        None => VrrpSocket::open(&iface, rp.family),
    }
    .map_err(|e| format!("{}: {e}", rp.interface))?;
    let source = socket.source();
    let mut router = Router::new(socket).map_err(|e| format!("{}: {e}", rp.interface))?;
    let mut names = Names::default();
    for unit in rp.units {
        match unit {
            UnitPlan::Single(ip) => {
                let (instance, vips) = build(ip, source, &mut names)?;
                router.add(instance, vips);
            }
            UnitPlan::Group {
                name,
                members,
                notify,
            } => {
                let mut instances = Vec::new();
                let mut vips = Vec::new();
                for ip in members {
                    let (instance, v) = build(ip, source, &mut names)?;
                    instances.push(instance);
                    vips.push(v);
                }
                let vrids = instances.iter().map(|i| i.config().vrid).collect();
                names.groups.push((vrids, name, notify));
                router.add_group(SyncGroup::new(instances), vips);
            }
        }
    }
    Ok((router, names))
}

/// One machine instance, its primary address filled in.
fn build(
    ip: InstancePlan,
    source: std::net::IpAddr,
    names: &mut Names,
) -> Result<(Instance, Vec<lbkit_vrrp::io::Vip>), String> {
    let mut config = ip.config;
    if !ip.primary_given {
        config.primary_address = source;
    }
    let vrid = config.vrid;
    let instance = Instance::new(config).map_err(|e| format!("({}) {e}", ip.name))?;
    // The effective priority: tracked objects' weights included.
    let priority = instance.priority();
    names
        .instances
        .insert(vrid, (ip.name.clone(), ip.notify, priority));
    Ok((instance, ip.vips))
}

/// Logs each event as keepalived words it and runs the notify scripts.
async fn report(mut events: tokio::sync::mpsc::Receiver<Event>, names: Arc<Names>, detail: bool) {
    let mut priorities: HashMap<u8, u8> = names
        .instances
        .iter()
        .map(|(vrid, (_, _, p))| (*vrid, *p))
        .collect();
    while let Some(event) = events.recv().await {
        match event {
            Event::StateChanged { vrid, transition } => {
                let Some((name, notify, _)) = names.instances.get(&vrid) else {
                    continue;
                };
                let state = transition.notify.as_str();
                if detail {
                    eprintln!(
                        "Keepalived_vrrp: ({name}) Entering {} STATE ({:?})",
                        transition.to.keepalived_name(),
                        transition.reason
                    );
                } else {
                    eprintln!(
                        "Keepalived_vrrp: ({name}) Entering {} STATE",
                        transition.to.keepalived_name()
                    );
                }
                let priority = priorities.get(&vrid).copied().unwrap_or(0);
                notify_all(notify, "INSTANCE", name, state, priority);
                crate::lvs::sync::on_vrrp_state(name, transition.to.keepalived_name());
            }
            Event::PriorityChanged { vrid, from, to } => {
                priorities.insert(vrid, to);
                if let Some((name, _, _)) = names.instances.get(&vrid) {
                    eprintln!(
                        "Keepalived_vrrp: ({name}) Changing effective priority from {from} to {to}"
                    );
                }
            }
            Event::GroupStateChanged { vrids, to, .. } => {
                let Some((_, name, notify)) = names.groups.iter().find(|g| g.0 == vrids) else {
                    continue;
                };
                eprintln!(
                    "Keepalived_vrrp: VRRP_Group({name}) Syncing instances to {} state",
                    to.keepalived_name()
                );
                notify_all(notify, "GROUP", name, to.keepalived_name(), 0);
            }
            Event::ActionFailed { vrid, error } => {
                let name = names.instances.get(&vrid).map_or("?", |n| n.0.as_str());
                eprintln!("Keepalived_vrrp: ({name}) error: {error}");
            }
            other => eprintln!("Keepalived_vrrp: {other:?}"),
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
fn spawn_script(cmd: &str, extra: &[&str]) {
    let words = split_words(cmd);
    let Some((program, args)) = words.split_first() else {
        return;
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .args(extra)
        .stdin(std::process::Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
        Err(e) => eprintln!("Keepalived_vrrp: cannot run {program}: {e}"),
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
