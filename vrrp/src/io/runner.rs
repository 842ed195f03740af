//! The runner: drives state machines over one socket and carries out
//! their actions (adverts, virtual addresses, gratuitous ARP / NA).
//!
//! A [`Router`] owns the [`Instance`]s (alone, or in [`SyncGroup`]s)
//! of one or more links: a link is a [`VrrpSocket`] (one interface and
//! address family) with the [`Announcer`] of its interface. Every
//! instance is bound to one link ([`Router::bind`]; link 0 unless told),
//! so the members of one sync group may sit on different interfaces and
//! families and still move together, as keepalived's sync groups do. A
//! [`VipTable`] adds the addresses, on the instance's interface or on the
//! one named for an address ([`Router::set_devices`], keepalived's
//! `dev`). [`Router::run`] loops until its shutdown future completes:
//!
//! - a received packet that decodes goes to the instance of its VRID
//!   bound to the link it came in on (VRIDs are unique within a router);
//!   ([`Instance::handle_advert`] runs the receive checks and counts what
//!   it discards); one that does not decode is counted as a
//!   [`Discard`] on the router's only instance, or, with several
//!   instances (or a sync group), in [`Router::unattributed`] (the VRID of
//!   a packet that does not decode cannot be trusted);
//! - the earliest [`Instance::poll_timeout`] is slept until, then
//!   [`Instance::handle_timeout`] runs;
//! - a [`TrackUpdate`] sent on the channel of [`Router::tracker`] (a
//!   tracked script, interface or file changed) goes to
//!   [`Instance::set_track`] (or [`SyncGroup::set_track`] for a group
//!   member), so the effective priority, or FAULT, follows it while the
//!   router runs;
//! - every [`Action`] is carried out in order, and transitions and
//!   priority changes are reported as [`Event`]s on a channel;
//! - on shutdown every instance is [shut down](Instance::shutdown): a
//!   master sends its priority-0 advert and removes its addresses before
//!   `run` returns.
//!
//! The machine's [`Action::AddAddresses`] lists bare addresses; the
//! prefix length of each is kept here, given with [`Vip`] when the
//! instance is added (an address added without one gets /32 or /128, as
//! keepalived does).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::announce::Announcer;
use super::demux::DropCounters;
use super::error::IoError;
use super::iface::Interface;
use super::socket::VrrpSocket;
use super::vip::{Vip, VipTable};
use crate::machine::{
    Action, Config, ConfigError, Destination, Discard, GroupAction, Instance, Received, State,
    SyncGroup, TrackStatus, Transition, UnknownTrack,
};
use crate::wire::{self, DecodeError};

/// Events reported to the caller of [`Router::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An instance changed state (its notify event).
    StateChanged {
        /// The instance's VRID.
        vrid: u8,
        /// The transition.
        transition: Transition,
    },
    /// An instance's effective priority changed (tracking).
    PriorityChanged {
        /// The instance's VRID.
        vrid: u8,
        /// Before.
        from: u8,
        /// After.
        to: u8,
    },
    /// A sync group changed state (keepalived's group notify).
    GroupStateChanged {
        /// The VRIDs of its members.
        vrids: Vec<u8>,
        /// Before.
        from: State,
        /// After.
        to: State,
    },
    /// Carrying out an action failed; the router keeps running (as
    /// keepalived logs and carries on).
    ActionFailed {
        /// The instance's VRID.
        vrid: u8,
        /// What went wrong.
        error: String,
    },
    /// A [`TrackUpdate`] named a VRID this router does not have, or a
    /// tracked object its instance does not have; it was ignored.
    UnknownTrack {
        /// The VRID of the update.
        vrid: u8,
        /// The tracked object index of the update.
        index: usize,
    },
}

/// A tracked object's new status, for the instance of `vrid` on a
/// running [`Router`] (see [`Router::tracker`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackUpdate {
    /// The instance's VRID.
    pub vrid: u8,
    /// The object's position in the instance's
    /// [`Config::tracks`](crate::machine::Config::tracks).
    pub index: usize,
    /// Its status now.
    pub status: TrackStatus,
}

/// A change to the instances of a running [`Router`], or a question
/// about them, sent on the channel of [`Router::control`]. Messages are
/// handled in order, between packets and timers, so a
/// [`Snapshot`](Control::Snapshot) answered means every earlier message
/// has been carried out.
#[derive(Debug)]
#[non_exhaustive]
pub enum Control {
    /// Adds an instance (anything with its VRID is shut down and removed
    /// first) and starts it.
    Add {
        /// The instance, in Initialize.
        instance: Box<Instance>,
        /// Its virtual addresses with prefixes.
        vips: Vec<Vip>,
    },
    /// Adds a sync group (anything with a member's VRID is shut down and
    /// removed first) and starts it.
    AddGroup {
        /// The group, its members in Initialize.
        group: SyncGroup,
        /// Each member's virtual addresses with prefixes.
        vips: Vec<Vec<Vip>>,
    },
    /// Shuts down the instance of `vrid`, or the whole sync group it is a
    /// member of (a master sends priority 0 and removes its addresses), and
    /// drops it.
    Remove {
        /// The VRID.
        vrid: u8,
    },
    /// Replaces the virtual addresses of the instance of `vrid` in place
    /// ([`Instance::set_virtual_addresses`]): no state change.
    SetVips {
        /// The VRID.
        vrid: u8,
        /// The new addresses with prefixes.
        vips: Vec<Vip>,
    },
    /// Copies of every instance (sync group members included), with their
    /// state, priority and counters.
    Snapshot(oneshot::Sender<Vec<Instance>>),
    /// Replaces the address labels (see [`Router::set_labels`]).
    Labels(HashMap<IpAddr, String>),
    /// Replaces the links instances are bound to (see [`Router::bind`]):
    /// VRID to link index. Send it before the instances it names.
    Links(HashMap<u8, usize>),
    /// Replaces the interfaces of addresses that do not go on their
    /// instance's interface (see [`Router::set_devices`]).
    Devices(HashMap<IpAddr, Interface>),
    /// A new configuration for the instance of `vrid`, applied in place
    /// ([`Instance::reconfigure`]): no state change. One that cannot be
    /// applied so (another version, family or tracked objects) is reported
    /// as [`Event::ActionFailed`] and changes nothing.
    Reconfigure {
        /// The VRID.
        vrid: u8,
        /// The new configuration.
        config: Box<Config>,
        /// Its virtual addresses with prefixes.
        vips: Vec<Vip>,
    },
}

/// Control messages queued for the router before senders wait.
pub const CONTROL_QUEUE: usize = 64;

/// Events queued for a slow reader before newer ones are dropped (and
/// counted in [`Router::events_dropped`]).
pub const EVENT_QUEUE: usize = 256;

/// Track updates queued for the router before senders wait.
pub const TRACK_QUEUE: usize = 64;

/// An instance, or a sync group, and the prefix lengths of their
/// virtual addresses.
#[derive(Debug)]
enum Unit {
    /// An instance on its own.
    Single {
        /// The instance (boxed: it is much larger than a group's handle).
        instance: Box<Instance>,
        /// Its virtual addresses with prefixes.
        vips: Vec<Vip>,
    },
    /// Instances that move together.
    Group {
        /// The group.
        group: SyncGroup,
        /// Each member's virtual addresses with prefixes, in member order.
        vips: Vec<Vec<Vip>>,
    },
}

impl Unit {
    /// The instances, in order.
    fn instances(&self) -> &[Instance] {
        match self {
            Unit::Single { instance, .. } => std::slice::from_ref(instance),
            Unit::Group { group, .. } => group.members(),
        }
    }

    /// The index of the member of `vrid`.
    fn member(&self, vrid: u8) -> Option<usize> {
        self.instances()
            .iter()
            .position(|i| i.config().vrid == vrid)
    }

    fn startup(&mut self, now: Instant) {
        match self {
            Unit::Single { instance, .. } => instance.startup(now),
            Unit::Group { group, .. } => group.startup(now),
        }
    }

    fn shutdown(&mut self, now: Instant) {
        match self {
            Unit::Single { instance, .. } => instance.shutdown(now),
            Unit::Group { group, .. } => group.shutdown(now),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Unit::Single { instance, .. } => instance.poll_timeout(),
            Unit::Group { group, .. } => group.poll_timeout(),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Unit::Single { instance, .. } => instance.handle_timeout(now),
            Unit::Group { group, .. } => group.handle_timeout(now),
        }
    }

    /// New virtual addresses for member `index`; `false` if there is none.
    fn set_vips(&mut self, index: usize, new: Vec<Vip>) -> Result<bool, ConfigError> {
        let addresses: Vec<IpAddr> = new.iter().map(|v| v.addr).collect();
        self.change(index, new, |unit| match unit {
            Unit::Single { instance, .. } => {
                instance.set_virtual_addresses(addresses).map(|()| true)
            }
            Unit::Group { group, .. } => group.set_virtual_addresses(index, addresses),
        })
    }

    /// A new configuration for member `index`; `false` if there is none
    /// or it cannot be applied in place.
    fn reconfigure(
        &mut self,
        now: Instant,
        index: usize,
        config: Config,
        new: Vec<Vip>,
    ) -> Result<bool, ConfigError> {
        self.change(index, new, |unit| match unit {
            Unit::Single { instance, .. } => instance.reconfigure(now, config),
            Unit::Group { group, .. } => group.reconfigure(now, index, config),
        })
    }

    /// Applies `f` to member `index` and, when it did something, makes
    /// `new` the member's prefixed addresses. The prefixes of the
    /// addresses that go are kept until the next change, for the removal
    /// the machine asks for.
    fn change(
        &mut self,
        index: usize,
        new: Vec<Vip>,
        f: impl FnOnce(&mut Unit) -> Result<bool, ConfigError>,
    ) -> Result<bool, ConfigError> {
        let Some(before) = self
            .instances()
            .get(index)
            .map(|i| i.config().virtual_addresses.clone())
        else {
            return Ok(false);
        };
        if !f(self)? {
            return Ok(false);
        }
        let slot = match self {
            Unit::Single { vips, .. } => Some(vips),
            Unit::Group { vips, .. } => vips.get_mut(index),
        };
        if let Some(vips) = slot {
            let going: Vec<Vip> = vips
                .iter()
                .filter(|v| before.contains(&v.addr) && !new.iter().any(|n| n.addr == v.addr))
                .copied()
                .collect();
            *vips = new;
            vips.extend(going);
        }
        Ok(true)
    }

    /// Tracked object `track` of member `index` is now `status`.
    fn set_track(
        &mut self,
        now: Instant,
        index: usize,
        track: usize,
        status: TrackStatus,
    ) -> Result<(), UnknownTrack> {
        match self {
            Unit::Single { instance, .. } => instance.set_track(now, track, status),
            Unit::Group { group, .. } => group.set_track(now, index, track, status),
        }
    }

    /// An accepted packet for member `index`. A discard is counted in the
    /// instance's stats; nothing else to do.
    fn handle_advert(&mut self, now: Instant, index: usize, rx: &Received) {
        let _ = match self {
            Unit::Single { instance, .. } => instance.handle_advert(now, rx),
            Unit::Group { group, .. } => group.handle_advert(now, index, rx),
        };
    }

    /// The next action with the VRID and the prefixed addresses of the
    /// member it belongs to, or the group's own state change.
    fn poll_action(&mut self) -> Option<Pending> {
        match self {
            Unit::Single { instance, vips } => {
                let action = instance.poll_action()?;
                let vrid = instance.config().vrid;
                let vips = resolve(vips, &action);
                Some(Pending::Member { vrid, action, vips })
            }
            Unit::Group { group, vips } => match group.poll_action()? {
                GroupAction::Member { index, action } => {
                    let vrid = group.members().get(index).map_or(0, |m| m.config().vrid);
                    let configured = vips.get(index).map_or(&[][..], Vec::as_slice);
                    let vips = resolve(configured, &action);
                    Some(Pending::Member { vrid, action, vips })
                }
                GroupAction::GroupStateChanged { from, to } => {
                    Some(Pending::Event(Event::GroupStateChanged {
                        vrids: group.members().iter().map(|m| m.config().vrid).collect(),
                        from,
                        to,
                    }))
                }
            },
        }
    }
}

/// One thing to carry out.
#[derive(Debug)]
enum Pending {
    /// A member's action.
    Member {
        /// The member's VRID.
        vrid: u8,
        /// The action.
        action: Action,
        /// Its addresses with prefixes (add / remove only).
        vips: Vec<Vip>,
    },
    /// An event to report as it is.
    Event(Event),
}

/// One socket of a router and the announcer of its interface.
#[derive(Debug)]
struct Link {
    /// The socket.
    socket: Arc<VrrpSocket>,
    /// Gratuitous ARP / NA on the socket's interface.
    announcer: Announcer,
}

/// The instances of one or more interfaces and families, with their
/// sockets.
#[derive(Debug)]
pub struct Router {
    links: Vec<Link>,
    bindings: HashMap<u8, usize>,
    devices: HashMap<IpAddr, Interface>,
    device_announcers: HashMap<u32, Announcer>,
    table: VipTable,
    units: Vec<Unit>,
    events: Option<mpsc::Sender<Event>>,
    events_dropped: u64,
    unattributed: DropCounters,
    tracks: Option<mpsc::Receiver<TrackUpdate>>,
    controls: Option<mpsc::Receiver<Control>>,
    labels: HashMap<IpAddr, String>,
}

impl Router {
    /// A router sending and receiving on `socket` (its link 0), with its
    /// own rtnetlink socket and announcer on the socket's interface
    /// (opened in the calling thread's network namespace).
    pub fn new(socket: VrrpSocket) -> Result<Self, IoError> {
        let announcer = Announcer::open(socket.interface())?;
        Ok(Router {
            links: vec![Link {
                socket: Arc::new(socket),
                announcer,
            }],
            bindings: HashMap::new(),
            devices: HashMap::new(),
            device_announcers: HashMap::new(),
            table: VipTable::open()?,
            units: Vec::new(),
            events: None,
            events_dropped: 0,
            unattributed: DropCounters::default(),
            tracks: None,
            controls: None,
            labels: HashMap::new(),
        })
    }

    /// Adds an instance (in Initialize; [`run`](Self::run) starts it).
    /// `vips` gives the prefix lengths of its virtual addresses. Anything
    /// already here with the same VRID is removed first (a whole sync
    /// group, if the VRID is one of its members').
    pub fn add(&mut self, instance: Instance, vips: Vec<Vip>) {
        self.remove_vrid(instance.config().vrid);
        self.units.push(Unit::Single {
            instance: Box::new(instance),
            vips,
        });
    }

    /// Adds a sync group (in Initialize; [`run`](Self::run) starts it);
    /// its members may be bound to different links ([`bind`](Self::bind)). `vips[i]` gives the
    /// prefix lengths of member `i`'s virtual addresses. Anything already
    /// here with a member's VRID is removed first.
    pub fn add_group(&mut self, group: SyncGroup, vips: Vec<Vec<Vip>>) {
        for member in group.members() {
            self.remove_vrid(member.config().vrid);
        }
        self.units.push(Unit::Group { group, vips });
    }

    /// Adds another socket (another interface, family or AH key) and
    /// returns its link index for [`bind`](Self::bind). Opens an
    /// announcer on the socket's interface. Only before
    /// [`run`](Self::run): a running router keeps the links it started
    /// with.
    pub fn add_link(&mut self, socket: VrrpSocket) -> Result<usize, IoError> {
        let announcer = Announcer::open(socket.interface())?;
        self.links.push(Link {
            socket: Arc::new(socket),
            announcer,
        });
        Ok(self.links.len() - 1)
    }

    /// The number of links.
    pub fn links(&self) -> usize {
        self.links.len()
    }

    /// Binds the instance of `vrid` (now or added later) to link `link`:
    /// it sends its adverts on that socket, hears only what arrives there,
    /// and its addresses go on that interface. An unbound VRID, or one
    /// bound to a link the router does not have, uses link 0.
    pub fn bind(&mut self, vrid: u8, link: usize) {
        self.bindings.insert(vrid, link);
    }

    /// Interfaces for virtual addresses that do not go on their
    /// instance's interface (keepalived's `192.0.2.1/24 dev eth1`): the
    /// address is added there and announced there. Replaces the earlier
    /// map.
    pub fn set_devices(&mut self, devices: HashMap<IpAddr, Interface>) {
        self.devices = devices;
    }

    /// The link of the instance of `vrid`.
    fn link_of(&self, vrid: u8) -> usize {
        self.bindings
            .get(&vrid)
            .copied()
            .filter(|l| *l < self.links.len())
            .unwrap_or(0)
    }

    /// Drops the unit that has `vrid`.
    fn remove_vrid(&mut self, vrid: u8) {
        self.units.retain(|u| u.member(vrid).is_none());
    }

    /// A channel on which the router reports [`Event`]s (at most
    /// [`EVENT_QUEUE`] waiting). Replaces any earlier one.
    pub fn subscribe(&mut self) -> mpsc::Receiver<Event> {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        self.events = Some(tx);
        rx
    }

    /// A channel on which to report tracked objects' status while
    /// [`run`](Self::run) runs (at most [`TRACK_QUEUE`] waiting). Each
    /// [`TrackUpdate`] is applied to its instance in turn and the actions
    /// that follow (a new priority in the adverts, FAULT, a takeover) are
    /// carried out; an update for a VRID or index the router does not have
    /// is reported as [`Event::UnknownTrack`]. Replaces any earlier channel;
    /// once every sender is dropped the router just stops listening.
    ///
    /// Updates sent before `run` starts are applied after the instances
    /// start up.
    pub fn tracker(&mut self) -> mpsc::Sender<TrackUpdate> {
        let (tx, rx) = mpsc::channel(TRACK_QUEUE);
        self.tracks = Some(rx);
        tx
    }

    /// A channel on which to change the instances while
    /// [`run`](Self::run) runs (at most [`CONTROL_QUEUE`] waiting): add,
    /// remove, new virtual addresses, snapshots (see [`Control`]).
    /// Replaces any earlier channel; once every sender is dropped the
    /// router just stops listening. Messages sent before `run` starts are
    /// handled after the instances start up.
    pub fn control(&mut self) -> mpsc::Sender<Control> {
        let (tx, rx) = mpsc::channel(CONTROL_QUEUE);
        self.controls = Some(rx);
        tx
    }

    /// Labels for virtual addresses (`192.0.2.1/24 label eth0:1`): an
    /// address listed here is added with its label (IPv4 only). Replaces
    /// the earlier labels; addresses already added keep theirs.
    pub fn set_labels(&mut self, labels: HashMap<IpAddr, String>) {
        self.labels = labels;
    }

    /// The instances, sync group members included.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.units.iter().flat_map(Unit::instances)
    }

    /// Undecodable packets (with several instances) and packets for a
    /// VRID no instance has.
    pub fn unattributed(&self) -> DropCounters {
        self.unattributed
    }

    /// Events dropped because the reader did not keep up.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    /// Runs every instance until `shutdown` completes, then shuts them
    /// down (masters send priority 0 and remove their addresses) and
    /// returns. Returns early only if the socket fails.
    pub async fn run<F: Future<Output = ()>>(&mut self, shutdown: F) -> Result<(), IoError> {
        tokio::pin!(shutdown);
        let now = Instant::now();
        for u in &mut self.units {
            u.startup(now);
        }
        self.carry_out().await;
        let result = loop {
            let wake = self.next_timeout();
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                (link, packet) = recv_any(&self.links) => match packet {
                    Ok(packet) => self.received(link, packet),
                    Err(e) => break Err(e),
                },
                () = sleep_until(wake) => self.timeouts(),
                update = next_update(&mut self.tracks) => match update {
                    Some(update) => self.track(update),
                    None => self.tracks = None,
                },
                control = next_update(&mut self.controls) => match control {
                    Some(control) => self.apply(control).await,
                    None => self.controls = None,
                },
            }
            self.carry_out().await;
        };
        let now = Instant::now();
        for u in &mut self.units {
            u.shutdown(now);
        }
        self.carry_out().await;
        result
    }

    /// Carries out one [`Control`] message.
    async fn apply(&mut self, control: Control) {
        let now = Instant::now();
        match control {
            Control::Add { instance, vips } => {
                self.stop_vrid(instance.config().vrid).await;
                self.units.push(Unit::Single { instance, vips });
                self.start_last(now);
            }
            Control::AddGroup { group, vips } => {
                let vrids: Vec<u8> = group.members().iter().map(|m| m.config().vrid).collect();
                for vrid in vrids {
                    self.stop_vrid(vrid).await;
                }
                self.units.push(Unit::Group { group, vips });
                self.start_last(now);
            }
            Control::Remove { vrid } => self.stop_vrid(vrid).await,
            Control::SetVips { vrid, vips } => {
                let result = self.on_member(vrid, |unit, index| unit.set_vips(index, vips));
                self.report_change(vrid, result);
            }
            Control::Reconfigure { vrid, config, vips } => {
                let result = self.on_member(vrid, |unit, index| {
                    unit.reconfigure(now, index, *config, vips)
                });
                self.report_change(vrid, result);
            }
            Control::Snapshot(reply) => {
                let _ = reply.send(self.instances().cloned().collect());
            }
            Control::Labels(labels) => self.labels = labels,
            Control::Links(bindings) => self.bindings = bindings,
            Control::Devices(devices) => self.devices = devices,
        }
    }

    /// Runs `f` on the unit holding `vrid` with the member's index;
    /// `Ok(false)` when there is none.
    fn on_member(
        &mut self,
        vrid: u8,
        f: impl FnOnce(&mut Unit, usize) -> Result<bool, ConfigError>,
    ) -> Result<bool, ConfigError> {
        match self
            .units
            .iter_mut()
            .find_map(|u| u.member(vrid).map(|index| (u, index)))
        {
            Some((unit, index)) => f(unit, index),
            None => Ok(false),
        }
    }

    /// Reports a change that could not be made.
    fn report_change(&mut self, vrid: u8, result: Result<bool, ConfigError>) {
        match result {
            Ok(true) => {}
            Ok(false) => self.emit(Event::ActionFailed {
                vrid,
                error: "cannot be changed in place".to_owned(),
            }),
            Err(e) => self.emit(Event::ActionFailed {
                vrid,
                error: e.to_string(),
            }),
        }
    }

    /// Starts the unit added last.
    fn start_last(&mut self, now: Instant) {
        if let Some(u) = self.units.last_mut() {
            u.startup(now);
        }
    }

    /// Shuts down the unit holding `vrid`, carries out what that asks
    /// (priority 0, addresses removed, the STOP event) and drops it.
    async fn stop_vrid(&mut self, vrid: u8) {
        let Some(at) = self.units.iter().position(|u| u.member(vrid).is_some()) else {
            return;
        };
        if let Some(u) = self.units.get_mut(at) {
            u.shutdown(Instant::now());
        }
        self.carry_out().await;
        if at < self.units.len() {
            self.units.remove(at);
        }
    }

    /// The earliest instant any instance wants [`Instance::handle_timeout`].
    fn next_timeout(&self) -> Option<Instant> {
        self.units.iter().filter_map(Unit::poll_timeout).min()
    }

    /// Runs the timers that are due.
    fn timeouts(&mut self) {
        let now = Instant::now();
        for u in &mut self.units {
            if u.poll_timeout().is_some_and(|t| t <= now) {
                u.handle_timeout(now);
            }
        }
    }

    /// Applies one tracked object's status to its instance.
    fn track(&mut self, update: TrackUpdate) {
        let now = Instant::now();
        let TrackUpdate {
            vrid,
            index,
            status,
        } = update;
        let applied = self
            .units
            .iter_mut()
            .find_map(|u| u.member(vrid).map(|member| (u, member)))
            .is_some_and(|(unit, member)| unit.set_track(now, member, index, status).is_ok());
        if !applied {
            self.emit(Event::UnknownTrack { vrid, index });
        }
    }

    /// Gives one packet received on `link` to its instance, or counts
    /// why not.
    fn received(&mut self, link: usize, packet: Result<wire::Received, DecodeError>) {
        let now = Instant::now();
        let received = match packet {
            Ok(r) => r,
            Err(reason) => {
                let alone = self.links.len() == 1;
                match self.units.as_mut_slice() {
                    [Unit::Single { instance, .. }] if alone => {
                        instance.record_discard(discard_of(&reason));
                    }
                    _ => self.unattributed.record(&reason),
                }
                return;
            }
        };
        let vrid = received.advert.vrid;
        // An advert for a VRID bound to another link is not for us: the
        // same VRID may be another router's on this link's network.
        let found = if self.link_of(vrid) == link {
            self.units
                .iter_mut()
                .find_map(|u| u.member(vrid).map(|index| (u, index)))
        } else {
            None
        };
        let Some((unit, index)) = found else {
            self.unattributed.record(&DecodeError::VridMismatch(vrid));
            return;
        };
        let rx = Received {
            src: received.src,
            ttl: received.ttl,
            advert: received.advert,
        };
        unit.handle_advert(now, index, &rx);
    }

    /// Carries out every pending action of every instance, in order.
    async fn carry_out(&mut self) {
        for i in 0..self.units.len() {
            while let Some(pending) = self.units.get_mut(i).and_then(Unit::poll_action) {
                match pending {
                    Pending::Event(event) => self.emit(event),
                    Pending::Member { vrid, action, vips } => {
                        if let Err(error) = self.perform(vrid, action, &vips).await {
                            self.emit(Event::ActionFailed {
                                vrid,
                                error: error.to_string(),
                            });
                        }
                    }
                }
            }
        }
    }

    /// Carries out one action; `vips` are its addresses with prefixes.
    async fn perform(&mut self, vrid: u8, action: Action, vips: &[Vip]) -> Result<(), IoError> {
        let link = self.link_of(vrid);
        match action {
            Action::SendAdvert { advert, to } => {
                let Some(l) = self.links.get(link) else {
                    return Ok(());
                };
                let dst = match to {
                    Destination::Multicast => group(&l.socket),
                    Destination::Unicast(peer) => peer,
                };
                l.socket.send(&advert, dst).await?;
            }
            Action::AddAddresses { .. } => {
                for vip in vips {
                    let ifindex = self.ifindex_of(link, vip.addr);
                    let label = self.labels.get(&vip.addr).map(String::as_str);
                    self.table.add_labeled(ifindex, *vip, label)?;
                }
            }
            Action::RemoveAddresses { .. } => {
                for vip in vips {
                    let ifindex = self.ifindex_of(link, vip.addr);
                    self.table.remove(ifindex, *vip)?;
                }
            }
            Action::SendGratuitous { addresses, repeat } => {
                for _ in 0..repeat {
                    for addr in &addresses {
                        let announcer = self.announcer_of(link, *addr)?;
                        match addr {
                            IpAddr::V4(a) => announcer.gratuitous_arp(*a)?,
                            IpAddr::V6(a) => announcer.unsolicited_na(*a)?,
                        }
                    }
                }
            }
            Action::StateChanged(transition) => {
                self.emit(Event::StateChanged { vrid, transition });
            }
            Action::PriorityChanged { from, to } => {
                self.emit(Event::PriorityChanged { vrid, from, to });
            }
            Action::MasterHeardLowerPriority { .. } => {}
        }
        Ok(())
    }

    /// The interface index `addr` goes on for an instance on `link`: its
    /// own device if it has one, else the link's interface.
    fn ifindex_of(&self, link: usize, addr: IpAddr) -> u32 {
        match self.devices.get(&addr) {
            Some(dev) => dev.index,
            None => self
                .links
                .get(link)
                .map_or(0, |l| l.socket.interface().index),
        }
    }

    /// The announcer for `addr` of an instance on `link`: the one of the
    /// address's own device (opened the first time), else the link's.
    fn announcer_of(&mut self, link: usize, addr: IpAddr) -> Result<&Announcer, IoError> {
        if let Some(dev) = self.devices.get(&addr) {
            let on_link = self
                .links
                .iter()
                .find(|l| l.socket.interface().index == dev.index);
            if let Some(l) = on_link {
                return Ok(&l.announcer);
            }
            let announcer = match self.device_announcers.entry(dev.index) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(Announcer::open(dev)?),
            };
            return Ok(announcer);
        }
        match self.links.get(link).or(self.links.first()) {
            Some(l) => Ok(&l.announcer),
            None => Err(IoError::Interface {
                name: String::new(),
                reason: "the router has no link",
            }),
        }
    }

    /// Queues an event for the subscriber, if any.
    fn emit(&mut self, event: Event) {
        if let Some(tx) = &self.events {
            if tx.try_send(event).is_err() {
                self.events_dropped += 1;
            }
        }
    }
}

/// The VRRP group of the socket's family.
fn group(socket: &VrrpSocket) -> IpAddr {
    match socket.source() {
        IpAddr::V4(_) => IpAddr::V4(wire::MULTICAST_V4),
        IpAddr::V6(_) => IpAddr::V6(wire::MULTICAST_V6),
    }
}

/// The addresses of an add / remove action with their prefix lengths:
/// the configured one, or the full length of the family.
fn resolve(configured: &[Vip], action: &Action) -> Vec<Vip> {
    let addresses = match action {
        Action::AddAddresses { addresses, .. } | Action::RemoveAddresses { addresses } => addresses,
        _ => return Vec::new(),
    };
    addresses
        .iter()
        .map(|addr| {
            configured
                .iter()
                .find(|v| v.addr == *addr)
                .copied()
                .unwrap_or(Vip {
                    addr: *addr,
                    prefix_len: full_prefix(*addr),
                })
        })
        .collect()
}

/// /32 for IPv4, /128 for IPv6.
fn full_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// The next packet on any link, with the link's index. Cancel-safe: a
/// socket's receive takes a packet only once it is ready.
async fn recv_any(links: &[Link]) -> (usize, Result<Result<wire::Received, DecodeError>, IoError>) {
    type Recv<'a> = Pin<
        Box<dyn Future<Output = Result<Result<wire::Received, DecodeError>, IoError>> + Send + 'a>,
    >;
    let mut pending: Vec<Recv<'_>> = links
        .iter()
        .map(|l| Box::pin(l.socket.recv()) as Recv<'_>)
        .collect();
    if pending.is_empty() {
        return std::future::pending().await;
    }
    std::future::poll_fn(|cx| {
        for (i, f) in pending.iter_mut().enumerate() {
            if let Poll::Ready(got) = f.as_mut().poll(cx) {
                return Poll::Ready((i, got));
            }
        }
        Poll::Pending
    })
    .await
}

/// The next message on an optional channel, or never when there is none.
async fn next_update<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`, or forever when there is no timer.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The machine's discard reason for a packet the codec refused.
pub fn discard_of(reason: &DecodeError) -> Discard {
    match reason {
        DecodeError::BadTtl(_) => Discard::Ttl,
        DecodeError::BadVersion(_) => Discard::Version,
        DecodeError::BadChecksum { .. } => Discard::Checksum,
        DecodeError::Truncated { .. } | DecodeError::BadLength { .. } => Discard::Length,
        DecodeError::BadType(_) => Discard::Type,
        DecodeError::BadAuthType(_) | DecodeError::AuthTypeMismatch { .. } => Discard::AuthType,
        DecodeError::AuthFailure => Discard::AuthFailure,
        DecodeError::AddressCountMismatch { .. }
        | DecodeError::AddressListMismatch
        | DecodeError::BadAddress(_) => Discard::AddressList,
        DecodeError::IntervalMismatch { .. } => Discard::Interval,
        DecodeError::VridMismatch(_) => Discard::Vrid,
        DecodeError::BadIpHeader(_) | DecodeError::NotVrrp(_) | DecodeError::BadAh(_) => {
            Discard::Malformed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// An instance of `vrid`, priority 100, tracking two scripts: index 0
    /// with weight 2, index 1 with weight -10.
    fn tracked(vrid: u8) -> Instance {
        use crate::machine::{Config, Track, TrackKind};
        let ip = |last| IpAddr::V4(Ipv4Addr::new(192, 0, 2, last));
        let mut c = Config::new(crate::Version::V3, vrid, 100, ip(10), vec![ip(vrid)]);
        c.tracks = vec![
            Track::new("a", TrackKind::Script, 2),
            Track::new("b", TrackKind::Script, -10),
        ];
        Instance::new(c).unwrap()
    }

    fn priorities(unit: &Unit) -> Vec<u8> {
        unit.instances().iter().map(Instance::priority).collect()
    }

    #[test]
    fn track_updates_reach_the_member_and_object_they_name() {
        let t0 = Instant::now();
        let mut single = Unit::Single {
            instance: Box::new(tracked(1)),
            vips: Vec::new(),
        };
        single.startup(t0);
        while single.poll_action().is_some() {}
        // Both up: 100 + 2.
        assert_eq!(priorities(&single), [102]);
        single.set_track(t0, 0, 0, TrackStatus::Down).unwrap();
        assert_eq!(priorities(&single), [100]);
        single.set_track(t0, 0, 1, TrackStatus::Down).unwrap();
        assert_eq!(priorities(&single), [90]);
        let mut changes = Vec::new();
        while let Some(p) = single.poll_action() {
            if let Pending::Member {
                vrid,
                action: Action::PriorityChanged { from, to },
                ..
            } = p
            {
                changes.push((vrid, from, to));
            }
        }
        assert_eq!(changes, [(1, 102, 100), (1, 100, 90)]);
        assert_eq!(
            single.set_track(t0, 0, 2, TrackStatus::Down),
            Err(UnknownTrack(2))
        );

        // In a group the member index picks the instance, the track index
        // the object.
        let mut group = Unit::Group {
            group: SyncGroup::new(vec![tracked(7), tracked(8)]),
            vips: vec![Vec::new(), Vec::new()],
        };
        group.startup(t0);
        assert_eq!(group.member(8), Some(1));
        group.set_track(t0, 1, 1, TrackStatus::Down).unwrap();
        assert_eq!(priorities(&group), [102, 92]);
        group.set_track(t0, 1, 1, TrackStatus::Up).unwrap();
        assert_eq!(priorities(&group), [102, 102]);
        assert!(group.set_track(t0, 2, 0, TrackStatus::Down).is_err());
    }

    #[test]
    fn a_group_member_is_reconfigured_in_place() {
        let t0 = Instant::now();
        let ip = |last| IpAddr::V4(Ipv4Addr::new(192, 0, 2, last));
        let vip = |last, prefix_len| Vip {
            addr: ip(last),
            prefix_len,
        };
        let mut group = Unit::Group {
            group: SyncGroup::new(vec![tracked(7), tracked(8)]),
            vips: vec![vec![vip(7, 24)], vec![vip(8, 24)]],
        };
        group.startup(t0);
        while group.poll_action().is_some() {}
        // Member 1 gets priority 90 and the address .9 instead of .8.
        let mut c = group.instances()[1].config().clone();
        c.priority = 90;
        c.virtual_addresses = vec![ip(9)];
        let done = group.reconfigure(t0, 1, c, vec![vip(9, 25)]).unwrap();
        assert!(done);
        assert_eq!(priorities(&group), [102, 92]);
        assert_eq!(group.instances()[1].state(), State::Backup);
        // The new prefix is used from now on; the old one is kept for the
        // removal a master would have asked for.
        let Unit::Group { vips, .. } = &group else {
            unreachable!()
        };
        assert_eq!(vips[1], [vip(9, 25), vip(8, 24)]);
        // Another VRID cannot be taken in place.
        let mut other = group.instances()[1].config().clone();
        other.vrid = 99;
        assert!(!group.reconfigure(t0, 1, other, Vec::new()).unwrap());
    }

    #[test]
    fn codec_errors_map_to_keepalived_counters() {
        assert_eq!(discard_of(&DecodeError::BadTtl(64)), Discard::Ttl);
        assert_eq!(
            discard_of(&DecodeError::BadChecksum {
                found: 1,
                expected: 2
            }),
            Discard::Checksum
        );
        assert_eq!(
            discard_of(&DecodeError::Truncated { len: 3 }),
            Discard::Length
        );
        assert_eq!(discard_of(&DecodeError::AuthFailure), Discard::AuthFailure);
        assert_eq!(discard_of(&DecodeError::BadType(2)), Discard::Type);
        assert_eq!(discard_of(&DecodeError::NotVrrp(6)), Discard::Malformed);
    }

    #[test]
    fn prefixes_come_from_the_configuration_or_are_full() {
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let c: IpAddr = "2001:db8::1".parse().unwrap();
        let configured = [Vip {
            addr: a,
            prefix_len: 24,
        }];
        let action = Action::AddAddresses {
            addresses: vec![a, b, c],
            accept: false,
        };
        let got: Vec<u8> = resolve(&configured, &action)
            .iter()
            .map(|v| v.prefix_len)
            .collect();
        assert_eq!(got, [24, 32, 128]);
        let send = Action::SendGratuitous {
            addresses: vec![a],
            repeat: 1,
        };
        assert!(resolve(&configured, &send).is_empty());
    }
}
