//! One VRRP instance: the sans-IO state machine of RFC 5798 §6.4 (RFC 3768
//! §6.4 for version 2) with keepalived 2.2.7's behaviour where the two
//! differ.

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::{Advertisement, Auth, Version};

use super::action::{Action, Destination, Notify, Reason, State, Transition};
use super::config::{Config, ConfigError, InitialState};
use super::stats::{Discard, Stats};
use super::track::{self, TrackStatus};

/// One received advert: the decoded packet plus what the IP layer said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Source address of the IP packet.
    pub src: IpAddr,
    /// IPv4 TTL or IPv6 hop limit of the packet.
    pub ttl: u8,
    /// The decoded advert.
    pub advert: Advertisement,
}

/// A tracked object index that the configuration does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no tracked object with index {0}")]
pub struct UnknownTrack(pub usize);

/// One VRRP instance (one VRID on one interface).
///
/// Drive it with [`startup`](Self::startup),
/// [`handle_advert`](Self::handle_advert), [`handle_timeout`](Self::handle_timeout),
/// [`set_track`](Self::set_track) and [`shutdown`](Self::shutdown); after each
/// call, drain [`poll_action`](Self::poll_action) and arm a timer for
/// [`poll_timeout`](Self::poll_timeout). Time is only ever passed in.
#[derive(Debug, Clone)]
pub struct Instance {
    config: Config,
    /// Our advert interval, centiseconds.
    adver_cs: u16,
    /// Master_Adver_Interval, centiseconds (version 3 learns it).
    master_adver_cs: u16,
    /// Configured priority (lowered to 254 on an owner conflict).
    base_priority: u8,
    /// Effective priority after tracking.
    priority: u8,
    /// A tracked object forces FAULT.
    track_fault: bool,
    track_status: Vec<TrackStatus>,
    state: State,
    /// keepalived's `wantstate`: what this instance would be outside any
    /// sync group.
    want: State,
    /// Backup: Master_Down_Timer. Master: Adver_Timer.
    deadline: Option<Instant>,
    garp_delay_at: Option<Instant>,
    garp_refresh_at: Option<Instant>,
    /// keepalived's `preempt_time`: until when a lower-priority master is
    /// still accepted.
    preempt_until: Option<Instant>,
    /// Reason to give if the down timer runs out.
    next_master_reason: Reason,
    /// Address and priority of the last master heard.
    master: Option<(IpAddr, u8)>,
    actions: VecDeque<Action>,
    stats: Stats,
}

impl Instance {
    /// A new instance in the Initialize state. The configuration is
    /// [normalised](Config::normalised) as keepalived does.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let config = config.normalised();
        let adver_cs = config.validate()?;
        let track_status: Vec<TrackStatus> = config.tracks.iter().map(|t| t.initial).collect();
        let base_priority = config.priority;
        let (priority, track_fault) = track::evaluate(
            base_priority,
            config
                .tracks
                .iter()
                .zip(&track_status)
                .map(|(t, s)| track::effect(t, *s)),
        );
        Ok(Instance {
            config,
            adver_cs,
            master_adver_cs: adver_cs,
            base_priority,
            priority,
            track_fault,
            track_status,
            state: State::Initialize,
            want: State::Backup,
            deadline: None,
            garp_delay_at: None,
            garp_refresh_at: None,
            preempt_until: None,
            next_master_reason: Reason::MasterDown,
            master: None,
            actions: VecDeque::new(),
            stats: Stats::default(),
        })
    }

    // ---- accessors -------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Effective priority (configured priority changed by tracking).
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Whether a tracked object currently forces FAULT.
    pub fn track_fault(&self) -> bool {
        self.track_fault
    }

    /// Address and priority of the last master heard in BACKUP.
    pub fn heard_master(&self) -> Option<(IpAddr, u8)> {
        self.master
    }

    /// Master_Adver_Interval: ours, or (version 3 in BACKUP) the master's.
    pub fn master_advert_interval(&self) -> Duration {
        centis(self.master_adver_cs)
    }

    /// Skew_Time for the effective priority.
    ///
    /// Version 2 (RFC 3768 §6.1): `(256 - Priority) / 256` seconds.
    /// Version 3 (RFC 5798 §6.1): `((256 - Priority) * Master_Adver_Interval) / 256`
    /// centiseconds. Both computed in microseconds, rounded down, as
    /// keepalived's `VRRP_TIMER_SKEW`.
    pub fn skew_time(&self) -> Duration {
        self.skew(256 - u32::from(self.priority))
    }

    /// Master_Down_Interval: `down_timer_adverts` (3) times
    /// Master_Adver_Interval plus Skew_Time.
    pub fn master_down_interval(&self) -> Duration {
        self.master_advert_interval() * self.config.down_timer_adverts + self.skew_time()
    }

    /// The advert this instance sends at `priority`.
    pub fn advert(&self, priority: u8) -> Advertisement {
        Advertisement {
            version: self.config.version,
            vrid: self.config.vrid,
            priority,
            interval_cs: self.adver_cs,
            auth: self.config.auth,
            addresses: self.config.virtual_addresses.clone(),
        }
    }

    // ---- the sans-IO interface ------------------------------------------

    /// The next action to carry out, oldest first.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.deadline, self.garp_delay_at, self.garp_refresh_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Leaves Initialize (RFC 5798 §6.4.1, keepalived's `vrrp_init_state()`).
    ///
    /// - a tracked object down: FAULT;
    /// - priority 255: MASTER at once;
    /// - otherwise BACKUP, with the down timer at Master_Down_Interval, or at
    ///   one advert interval plus the smallest skew for `state MASTER`.
    pub fn startup(&mut self, now: Instant) {
        if self.state != State::Initialize {
            return;
        }
        self.master_adver_cs = self.adver_cs;
        if self.track_fault {
            self.want = State::Fault;
            self.set_state(State::Fault, Reason::Startup);
        } else if self.base_priority == 255 {
            self.goto_master(now, Reason::AddressOwner);
        } else {
            self.start_backup(now, self.config.initial_state == InitialState::Master);
        }
    }

    /// Stops the instance: a master sends an advert of priority 0 (RFC 5798
    /// §6.4.3) and removes its addresses; all go to Initialize with the
    /// `STOP` notify event.
    pub fn shutdown(&mut self, now: Instant) {
        let _ = now;
        let from = self.state;
        if from == State::Initialize {
            return;
        }
        if from == State::Master {
            self.send_advert(0);
            self.remove_addresses();
            self.stats.release_master += 1;
        }
        self.clear_timers();
        self.state = State::Initialize;
        self.want = State::Backup;
        self.actions.push_back(Action::StateChanged(Transition {
            from,
            to: State::Initialize,
            reason: Reason::Shutdown,
            notify: Notify::Stop,
        }));
    }

    /// Takes a new configuration while running (a configuration reload:
    /// keepalived keeps an instance's state across it,
    /// `restore_vrrp_state()`). Returns `Ok(false)`, changing nothing, when
    /// the VRID, version, address family or tracked objects differ: such an
    /// instance has to be replaced.
    ///
    /// The state stays. New virtual addresses are applied as
    /// [`set_virtual_addresses`](Self::set_virtual_addresses) does; the
    /// priority, advert interval and other settings apply from now on (a
    /// new priority is reported as [`Action::PriorityChanged`]). A master
    /// sends an advert at once with its new settings, as keepalived's
    /// reloaded master does (`reload_master`).
    pub fn reconfigure(&mut self, now: Instant, config: Config) -> Result<bool, ConfigError> {
        let new = config.normalised();
        let adver_cs = new.validate()?;
        let old = &self.config;
        if new.vrid != old.vrid
            || new.version != old.version
            || new.primary_address.is_ipv6() != old.primary_address.is_ipv6()
            || new.tracks != old.tracks
        {
            return Ok(false);
        }
        self.set_virtual_addresses(new.virtual_addresses.clone())?;
        self.config = new;
        self.adver_cs = adver_cs;
        self.base_priority = self.config.priority;
        let (priority, _) = track::evaluate(
            self.base_priority,
            self.config
                .tracks
                .iter()
                .zip(&self.track_status)
                .map(|(t, s)| track::effect(t, *s)),
        );
        if priority != self.priority {
            self.set_effective_priority(priority);
        }
        if self.state == State::Master {
            self.master_adver_cs = adver_cs;
            self.advertise_now(now);
        }
        Ok(true)
    }

    /// Replaces the virtual addresses of a running instance (a
    /// configuration reload; keepalived's `clear_diff_vrrp_vip()` and
    /// `restore_vrrp_state()`). The state does not change. A master
    /// removes the addresses that went, adds the new ones and announces
    /// the new ones with one gratuitous ARP / NA burst; from now on its
    /// adverts list the new set, and received adverts are checked against it.
    pub fn set_virtual_addresses(&mut self, addresses: Vec<IpAddr>) -> Result<(), ConfigError> {
        let v6 = self.config.primary_address.is_ipv6();
        if addresses.iter().any(|a| a.is_ipv6() != v6) {
            return Err(ConfigError::MixedFamilies);
        }
        let old = std::mem::replace(&mut self.config.virtual_addresses, addresses);
        if self.state != State::Master {
            return Ok(());
        }
        let gone: Vec<IpAddr> = old
            .iter()
            .filter(|a| !self.config.virtual_addresses.contains(a))
            .copied()
            .collect();
        let added: Vec<IpAddr> = self
            .config
            .virtual_addresses
            .iter()
            .filter(|a| !old.contains(a))
            .copied()
            .collect();
        if !gone.is_empty() {
            self.actions
                .push_back(Action::RemoveAddresses { addresses: gone });
        }
        if !added.is_empty() {
            self.actions.push_back(Action::AddAddresses {
                addresses: added.clone(),
                accept: self.config.accept || self.base_priority == 255,
            });
            let repeat = self.config.garp.master_repeat;
            if repeat > 0 {
                self.actions.push_back(Action::SendGratuitous {
                    addresses: added,
                    repeat,
                });
            }
        }
        Ok(())
    }

    /// Handles one received advert.
    ///
    /// Returns why it was discarded, if it was; a discarded advert is
    /// counted in [`stats`](Self::stats) and changes nothing else.
    pub fn handle_advert(&mut self, now: Instant, rx: &Received) -> Result<(), Discard> {
        if let Err(reason) = self.check(rx) {
            self.stats.count(reason);
            return Err(reason);
        }
        self.stats.advert_rcvd += 1;
        if rx.advert.priority == 0 {
            self.stats.pri_zero_rcvd += 1;
        }
        match self.state {
            State::Backup => self.backup_rx(now, rx),
            State::Master => self.master_rx(now, rx),
            State::Initialize | State::Fault => {}
        }
        Ok(())
    }

    /// Counts a packet the driver could not decode or check.
    pub fn record_discard(&mut self, reason: Discard) {
        self.stats.count(reason);
    }

    /// Handles the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.on_timeout(now, true);
    }

    /// Reports the status of tracked object `index` (its position in
    /// [`Config::tracks`]); the effective priority and FAULT follow.
    pub fn set_track(
        &mut self,
        now: Instant,
        index: usize,
        status: TrackStatus,
    ) -> Result<(), UnknownTrack> {
        if self.update_track(index, status)? {
            if self.track_fault {
                self.enter_fault(now, Reason::TrackFault);
            } else {
                self.leave_fault(now, Reason::TrackRecovered, true);
            }
        }
        Ok(())
    }

    // ---- validation -------------------------------------------------------

    /// RFC 5798 §7.1 / RFC 3768 §7.1 checks that need the configuration, in
    /// keepalived's order (`vrrp_check_packet()`).
    fn check(&self, rx: &Received) -> Result<(), Discard> {
        let ad = &rx.advert;
        let cfg = &self.config;
        if !matches!(self.state, State::Backup | State::Master) {
            return Err(Discard::Inactive);
        }
        // keepalived checks the TTL only for multicast instances.
        if cfg.unicast_peers.is_empty() && rx.ttl != 255 {
            return Err(Discard::Ttl);
        }
        if ad.version != cfg.version {
            return Err(Discard::Version);
        }
        if ad.vrid != cfg.vrid {
            return Err(Discard::Vrid);
        }
        if cfg.version == Version::V2 {
            check_auth(cfg.auth, ad.auth)?;
            // RFC 3768 §7.1: the interval MUST match, else discard.
            if ad.interval_cs != self.adver_cs {
                return Err(Discard::Interval);
            }
        }
        if rx.src.is_ipv6() != cfg.primary_address.is_ipv6()
            || ad.addresses.len() != cfg.virtual_addresses.len()
            || !cfg
                .virtual_addresses
                .iter()
                .all(|a| ad.addresses.contains(a))
        {
            return Err(Discard::AddressList);
        }
        if cfg.check_unicast_src
            && !cfg.unicast_peers.is_empty()
            && !cfg.unicast_peers.contains(&rx.src)
        {
            return Err(Discard::UnicastSource);
        }
        Ok(())
    }

    // ---- receiving --------------------------------------------------------

    /// BACKUP (RFC 5798 §6.4.2, keepalived's `vrrp_state_backup()`).
    fn backup_rx(&mut self, now: Instant, rx: &Received) {
        let p = rx.advert.priority;
        if p == 0 {
            // The master steps down: take over after Skew_Time.
            self.deadline = Some(now + self.skew_time());
            self.next_master_reason = Reason::MasterStepDown;
            return;
        }
        let delaying =
            !self.config.preempt_delay.is_zero() && self.preempt_until.is_none_or(|t| t > now);
        if !self.config.preempt || p >= self.priority || delaying {
            if self.config.version == Version::V3 {
                // RFC 5798 §6.4.2: learn the master's interval.
                self.master_adver_cs = rx.advert.interval_cs.max(1);
            }
            self.deadline = Some(now + self.master_down_interval());
            self.master = Some((rx.src, p));
            self.next_master_reason = Reason::MasterDown;
            if !self.config.preempt_delay.is_zero() {
                if p >= self.priority {
                    self.preempt_until = None;
                } else if self.preempt_until.is_none() {
                    self.preempt_until = Some(now + self.config.preempt_delay);
                }
            }
            self.want = State::Backup;
        } else {
            // Lower priority and we preempt: ignore it; the down timer
            // keeps running and makes us master.
            self.master = Some((rx.src, p));
            self.next_master_reason = Reason::Preempted;
        }
    }

    /// MASTER (RFC 5798 §6.4.3, keepalived's `vrrp_state_master_rx()`).
    fn master_rx(&mut self, now: Instant, rx: &Received) {
        let p = rx.advert.priority;
        let cmp = rx.src.cmp(&self.config.primary_address);
        let higher = p > self.priority || (p == self.priority && cmp == Ordering::Greater);
        if p == 0 || (self.config.higher_prio_send_advert && higher) {
            // Another master stepped down: assert ourselves at once.
            self.advertise_now(now);
            if p == 0 {
                return;
            }
        }
        if p == self.priority && self.priority == 255 && cmp != Ordering::Equal {
            // Two address owners: keepalived lowers its own priority.
            self.base_priority = 254;
            self.set_effective_priority(254);
        }
        let lower = p < self.priority || (p == self.priority && cmp == Ordering::Less);
        if lower {
            // RFC: discard. keepalived answers with an advert at once to
            // force the lower master down (unless lower_prio_no_advert).
            if !self.config.lower_prio_no_advert {
                self.advertise_now(now);
            }
            let repeat = self.config.garp.lower_prio_repeat;
            if repeat > 0 && !self.config.virtual_addresses.is_empty() {
                self.gratuitous(repeat);
            }
            self.actions.push_back(Action::MasterHeardLowerPriority {
                from: rx.src,
                priority: p,
            });
        } else if p > self.priority || (p == self.priority && cmp == Ordering::Greater) {
            if self.config.version == Version::V3 {
                self.master_adver_cs = rx.advert.interval_cs.max(1);
            }
            self.master = Some((rx.src, p));
            self.leave_master(now, State::Backup, Reason::HigherPriority);
        }
        // Equal priority from our own address: nothing to do.
    }

    // ---- timers -----------------------------------------------------------

    /// Timers due at `now`; `may_become_master` is the sync group's consent
    /// (keepalived's `vrrp_sync_can_goto_master()`).
    pub(crate) fn on_timeout(&mut self, now: Instant, may_become_master: bool) {
        if self.garp_delay_at.is_some_and(|t| t <= now) {
            self.garp_delay_at = None;
            self.gratuitous(self.config.garp.master_repeat);
        }
        if self.garp_refresh_at.is_some_and(|t| t <= now) {
            self.garp_refresh_at = Some(now + self.config.garp.master_refresh);
            self.gratuitous(self.config.garp.master_refresh_repeat);
        }
        if !self.deadline_due(now) {
            return;
        }
        match self.state {
            State::Backup => {
                self.want = State::Master;
                if may_become_master {
                    self.goto_master(now, self.next_master_reason);
                } else {
                    // Held back by the group: wait a full interval again.
                    self.deadline = Some(now + self.master_down_interval());
                }
            }
            State::Master => self.advertise_now(now),
            State::Initialize | State::Fault => self.deadline = None,
        }
    }

    /// Whether the down timer or advert timer is due.
    pub(crate) fn deadline_due(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|t| t <= now)
    }

    // ---- transitions ------------------------------------------------------

    /// Initialize → BACKUP.
    pub(crate) fn start_backup(&mut self, now: Instant, want_master: bool) {
        self.want = if want_master {
            State::Master
        } else {
            State::Backup
        };
        let wait = if want_master {
            // keepalived: one advert interval to make sure no master exists.
            self.master_advert_interval() + self.skew(1)
        } else {
            self.master_down_interval()
        };
        self.deadline = Some(now + wait);
        self.next_master_reason = Reason::MasterDown;
        self.set_state(State::Backup, Reason::Startup);
    }

    /// → MASTER (keepalived's `vrrp_state_goto_master()` then
    /// `vrrp_state_become_master()`): advert first, then addresses, then
    /// gratuitous ARP / NA.
    pub(crate) fn goto_master(&mut self, now: Instant, reason: Reason) {
        if self.state == State::Master {
            return;
        }
        self.want = State::Master;
        self.master_adver_cs = self.adver_cs;
        self.preempt_until = None;
        self.master = None;
        self.send_advert(self.priority);
        self.deadline = Some(now + centis(self.adver_cs));
        let garp = self.config.garp.clone();
        if !self.config.virtual_addresses.is_empty() {
            self.actions.push_back(Action::AddAddresses {
                addresses: self.config.virtual_addresses.clone(),
                accept: self.config.accept || self.base_priority == 255,
            });
            if garp.master_repeat > 0 {
                self.gratuitous(garp.master_repeat);
            }
            if !garp.master_delay.is_zero() && garp.master_repeat > 0 {
                self.garp_delay_at = Some(now + garp.master_delay);
            }
            if !garp.master_refresh.is_zero() && garp.master_refresh_repeat > 0 {
                self.garp_refresh_at = Some(now + garp.master_refresh);
            }
        }
        self.stats.become_master += 1;
        self.set_state(State::Master, reason);
    }

    /// MASTER → BACKUP or FAULT (keepalived's `vrrp_state_leave_master()`).
    /// Going to FAULT sends priority 0 first.
    pub(crate) fn leave_master(&mut self, now: Instant, to: State, reason: Reason) {
        if self.state != State::Master {
            return;
        }
        if to == State::Fault {
            self.send_advert(0);
        }
        self.remove_addresses();
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.stats.release_master += 1;
        self.set_state(to, reason);
        if to == State::Backup {
            self.want = State::Backup;
            self.preempt_until = None;
            self.next_master_reason = Reason::MasterDown;
            self.deadline = Some(now + self.master_down_interval());
        } else {
            self.want = State::Fault;
            self.deadline = None;
        }
    }

    /// Any state → FAULT.
    pub(crate) fn enter_fault(&mut self, now: Instant, reason: Reason) {
        match self.state {
            State::Master => self.leave_master(now, State::Fault, reason),
            State::Backup => {
                self.want = State::Fault;
                self.clear_timers();
                self.set_state(State::Fault, reason);
            }
            State::Initialize | State::Fault => {}
        }
    }

    /// FAULT → BACKUP, or MASTER for an address owner when allowed
    /// (keepalived's `try_up_instance()` and `vrrp_state_leave_fault()`).
    pub(crate) fn leave_fault(&mut self, now: Instant, reason: Reason, owner_to_master: bool) {
        if self.state != State::Fault {
            return;
        }
        self.master_adver_cs = self.adver_cs;
        if owner_to_master && self.base_priority == 255 {
            self.goto_master(now, reason);
            return;
        }
        self.want = State::Backup;
        self.preempt_until = None;
        self.next_master_reason = Reason::MasterDown;
        self.deadline = Some(now + self.master_down_interval());
        self.set_state(State::Backup, reason);
    }

    /// The group's view of what this instance wants.
    pub(crate) fn want(&self) -> State {
        self.want
    }

    /// Records a tracked object's status; returns whether the FAULT
    /// condition changed.
    pub(crate) fn update_track(
        &mut self,
        index: usize,
        status: TrackStatus,
    ) -> Result<bool, UnknownTrack> {
        let slot = self
            .track_status
            .get_mut(index)
            .ok_or(UnknownTrack(index))?;
        *slot = status;
        let (priority, fault) = track::evaluate(
            self.base_priority,
            self.config
                .tracks
                .iter()
                .zip(&self.track_status)
                .map(|(t, s)| track::effect(t, *s)),
        );
        if priority != self.priority {
            self.set_effective_priority(priority);
        }
        let changed = fault != self.track_fault;
        self.track_fault = fault;
        Ok(changed && self.state != State::Initialize)
    }

    // ---- internals --------------------------------------------------------

    /// keepalived's `vrrp_set_effective_priority()`: in BACKUP the down
    /// timer moves by the change of Skew_Time.
    fn set_effective_priority(&mut self, priority: u8) {
        let old = self.priority;
        let old_skew = self.skew_time();
        self.priority = priority;
        let new_skew = self.skew_time();
        if self.state == State::Backup {
            if let Some(t) = self.deadline {
                let moved = if new_skew >= old_skew {
                    t.checked_add(new_skew - old_skew)
                } else {
                    t.checked_sub(old_skew - new_skew)
                };
                self.deadline = Some(moved.unwrap_or(t));
            }
        }
        self.actions.push_back(Action::PriorityChanged {
            from: old,
            to: priority,
        });
    }

    /// Skew for a priority difference `delta` (1–256).
    fn skew(&self, delta: u32) -> Duration {
        let micros = match self.config.version {
            Version::V2 => u64::from(delta) * 1_000_000 / 256,
            Version::V3 => u64::from(delta) * u64::from(self.master_adver_cs) * 625 / 16,
        };
        Duration::from_micros(micros)
    }

    /// Sends an advert now and restarts the advert timer.
    fn advertise_now(&mut self, now: Instant) {
        self.send_advert(self.priority);
        self.deadline = Some(now + centis(self.adver_cs));
    }

    /// Queues one advert per destination.
    fn send_advert(&mut self, priority: u8) {
        let advert = self.advert(priority);
        if self.config.unicast_peers.is_empty() {
            self.actions.push_back(Action::SendAdvert {
                advert,
                to: Destination::Multicast,
            });
        } else {
            for peer in &self.config.unicast_peers {
                self.actions.push_back(Action::SendAdvert {
                    advert: advert.clone(),
                    to: Destination::Unicast(*peer),
                });
            }
        }
        self.stats.advert_sent += 1;
        if priority == 0 {
            self.stats.pri_zero_sent += 1;
        }
    }

    fn gratuitous(&mut self, repeat: u32) {
        if repeat == 0 || self.config.virtual_addresses.is_empty() {
            return;
        }
        self.actions.push_back(Action::SendGratuitous {
            addresses: self.config.virtual_addresses.clone(),
            repeat,
        });
    }

    fn remove_addresses(&mut self) {
        if !self.config.virtual_addresses.is_empty() {
            self.actions.push_back(Action::RemoveAddresses {
                addresses: self.config.virtual_addresses.clone(),
            });
        }
    }

    fn clear_timers(&mut self) {
        self.deadline = None;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.preempt_until = None;
    }

    fn set_state(&mut self, to: State, reason: Reason) {
        let from = self.state;
        self.state = to;
        let notify = match to {
            State::Initialize => Notify::Init,
            State::Backup => Notify::Backup,
            State::Master => Notify::Master,
            State::Fault => Notify::Fault,
        };
        self.actions.push_back(Action::StateChanged(Transition {
            from,
            to,
            reason,
            notify,
        }));
    }
}

/// Version 2 authentication check (RFC 2338 §5.3.6 as keepalived keeps it).
fn check_auth(ours: Auth, theirs: Auth) -> Result<(), Discard> {
    match (ours, theirs) {
        (Auth::None, Auth::None) | (Auth::Ah, Auth::Ah) => Ok(()),
        (Auth::Password(a), Auth::Password(b)) => {
            if a == b {
                Ok(())
            } else {
                Err(Discard::AuthFailure)
            }
        }
        _ => Err(Discard::AuthType),
    }
}

fn centis(cs: u16) -> Duration {
    Duration::from_millis(u64::from(cs) * 10)
}

#[cfg(test)]
mod tests;
