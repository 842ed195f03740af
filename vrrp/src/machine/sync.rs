//! Sync groups (keepalived's `vrrp_sync_group`, `vrrp_sync.c`): instances
//! that change state together.
//!
//! - a member may become MASTER only if the group already is, or every
//!   other member wants to (its own down timer ran out); otherwise it stays
//!   BACKUP and waits a full Master_Down_Interval again
//!   (`vrrp_sync_can_goto_master()`);
//! - a member becoming MASTER takes the others to MASTER
//!   (`vrrp_sync_master()`); a master stepping down to BACKUP takes them
//!   to BACKUP (`vrrp_sync_backup()`);
//! - a member's tracked object failing takes every member to FAULT
//!   (`vrrp_sync_fault()`); they all come back to BACKUP only once no
//!   member has a failing object.

use std::collections::VecDeque;
use std::time::Instant;

use super::action::{Action, Reason, State};
use super::instance::{Instance, Received, UnknownTrack};
use super::stats::Discard;
use super::track::TrackStatus;

/// Something a sync group asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAction {
    /// An action of member `index` (its position in the group).
    Member {
        /// The member.
        index: usize,
        /// Its action.
        action: Action,
    },
    /// The group's own state changed (keepalived's group notify).
    GroupStateChanged {
        /// Before.
        from: State,
        /// After.
        to: State,
    },
}

/// A sync group owning its member instances.
#[derive(Debug, Clone)]
pub struct SyncGroup {
    members: Vec<Instance>,
    state: State,
    actions: VecDeque<GroupAction>,
}

impl SyncGroup {
    /// A group of these instances, all in Initialize.
    pub fn new(members: Vec<Instance>) -> Self {
        SyncGroup {
            members,
            state: State::Initialize,
            actions: VecDeque::new(),
        }
    }

    /// The group's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// A new configuration for member `index` while the group runs (see
    /// [`Instance::reconfigure`]); `Ok(false)` if there is no such member
    /// or it has to be replaced.
    pub fn reconfigure(
        &mut self,
        now: Instant,
        index: usize,
        config: super::config::Config,
    ) -> Result<bool, super::config::ConfigError> {
        let Some(m) = self.members.get_mut(index) else {
            return Ok(false);
        };
        let done = m.reconfigure(now, config)?;
        self.collect();
        Ok(done)
    }

    /// Replaces the virtual addresses of member `index` while the group
    /// runs (see [`Instance::set_virtual_addresses`]); `false` if there is
    /// no such member.
    pub fn set_virtual_addresses(
        &mut self,
        index: usize,
        addresses: Vec<std::net::IpAddr>,
    ) -> Result<bool, super::config::ConfigError> {
        let Some(m) = self.members.get_mut(index) else {
            return Ok(false);
        };
        m.set_virtual_addresses(addresses)?;
        self.collect();
        Ok(true)
    }

    /// The members, in order.
    pub fn members(&self) -> &[Instance] {
        &self.members
    }

    /// Starts every member (keepalived's `vrrp_init_state()` for groups):
    /// all FAULT if any tracked object is down; all MASTER if every member is
    /// an address owner; otherwise all BACKUP.
    pub fn startup(&mut self, now: Instant) {
        if self.state != State::Initialize {
            return;
        }
        let all_owners = self.members.iter().all(|m| m.config().priority == 255);
        let to = if self.members.iter().any(Instance::track_fault) {
            for m in &mut self.members {
                // A member without a failing object starts in BACKUP and
                // is then held in FAULT with the rest.
                m.startup(now);
                m.enter_fault(now, Reason::SyncGroup);
            }
            State::Fault
        } else if all_owners && !self.members.is_empty() {
            for m in &mut self.members {
                m.startup(now);
            }
            State::Master
        } else {
            for m in &mut self.members {
                let want_master = m.config().priority == 255
                    || m.config().initial_state == super::config::InitialState::Master;
                m.start_backup(now, want_master);
            }
            State::Backup
        };
        self.set_state(to);
        self.collect();
    }

    /// Stops every member.
    pub fn shutdown(&mut self, now: Instant) {
        for m in &mut self.members {
            m.shutdown(now);
        }
        if self.state != State::Initialize {
            self.set_state(State::Initialize);
        }
        self.collect();
    }

    /// An advert received by member `index`.
    pub fn handle_advert(
        &mut self,
        now: Instant,
        index: usize,
        rx: &Received,
    ) -> Result<(), Discard> {
        let Some(m) = self.members.get_mut(index) else {
            return Err(Discard::Vrid);
        };
        let before = m.state();
        let result = m.handle_advert(now, rx);
        self.follow(now, index, before);
        self.collect();
        result
    }

    /// Timers due at `now`, for every member.
    pub fn handle_timeout(&mut self, now: Instant) {
        for index in 0..self.members.len() {
            let may = self.may_become_master(index);
            let Some(m) = self.members.get_mut(index) else {
                continue;
            };
            let due = m.deadline_due(now);
            let before = m.state();
            m.on_timeout(now, may);
            if due {
                self.follow(now, index, before);
            }
        }
        self.collect();
    }

    /// The earliest timer of any member.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.members.iter().filter_map(Instance::poll_timeout).min()
    }

    /// The next action, oldest first.
    pub fn poll_action(&mut self) -> Option<GroupAction> {
        self.actions.pop_front()
    }

    /// Reports tracked object `track` of member `index`; [`UnknownTrack`]
    /// if either does not exist.
    pub fn set_track(
        &mut self,
        now: Instant,
        index: usize,
        track: usize,
        status: TrackStatus,
    ) -> Result<(), UnknownTrack> {
        let m = self.members.get_mut(index).ok_or(UnknownTrack(track))?;
        m.update_track(track, status)?;
        self.follow_faults(now, index);
        self.collect();
        Ok(())
    }

    /// keepalived's `vrrp_sync_can_goto_master()`.
    fn may_become_master(&self, index: usize) -> bool {
        self.state == State::Master
            || self
                .members
                .iter()
                .enumerate()
                .all(|(i, m)| i == index || m.want() == State::Master)
    }

    /// keepalived's `VRRP_TSM` table: what the others do when member
    /// `index` went from `before` to its current state.
    fn follow(&mut self, now: Instant, index: usize, before: State) {
        let Some(after) = self.members.get(index).map(Instance::state) else {
            return;
        };
        match (before, after) {
            (_, State::Master) if self.state != State::Master => {
                for (i, m) in self.members.iter_mut().enumerate() {
                    if i != index && m.state() != State::Master {
                        m.goto_master(now, Reason::SyncGroup);
                    }
                }
                self.set_state(State::Master);
            }
            (State::Master, State::Backup) if self.state != State::Backup => {
                for (i, m) in self.members.iter_mut().enumerate() {
                    if i == index {
                        continue;
                    }
                    match m.state() {
                        State::Master => m.leave_master(now, State::Backup, Reason::SyncGroup),
                        State::Fault => m.leave_fault(now, Reason::SyncGroup, false),
                        State::Backup | State::Initialize => {}
                    }
                }
                self.set_state(State::Backup);
            }
            _ => {}
        }
    }

    /// FAULT handling after a tracked object changed.
    fn follow_faults(&mut self, now: Instant, culprit: usize) {
        let any_fault = self.members.iter().any(Instance::track_fault);
        if any_fault && matches!(self.state, State::Backup | State::Master) {
            for (i, m) in self.members.iter_mut().enumerate() {
                let reason = if i == culprit {
                    Reason::TrackFault
                } else {
                    Reason::SyncGroup
                };
                m.enter_fault(now, reason);
            }
            self.set_state(State::Fault);
        } else if !any_fault && self.state == State::Fault {
            for (i, m) in self.members.iter_mut().enumerate() {
                let reason = if i == culprit {
                    Reason::TrackRecovered
                } else {
                    Reason::SyncGroup
                };
                m.leave_fault(now, reason, false);
            }
            self.set_state(State::Backup);
        }
    }

    fn set_state(&mut self, to: State) {
        let from = self.state;
        if from != to {
            self.state = to;
            self.actions
                .push_back(GroupAction::GroupStateChanged { from, to });
        }
    }

    /// Moves the members' queued actions into the group's queue.
    fn collect(&mut self) {
        for (index, m) in self.members.iter_mut().enumerate() {
            while let Some(action) = m.poll_action() {
                self.actions
                    .push_back(GroupAction::Member { index, action });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{Config, Track, TrackKind};
    use crate::Version;
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    fn member(vrid: u8, priority: u8) -> Instance {
        let mut c = Config::new(Version::V3, vrid, priority, ip(10), vec![ip(100 + vrid)]);
        c.tracks = vec![Track::new("chk", TrackKind::Script, 0)];
        Instance::new(c).unwrap()
    }

    fn group() -> SyncGroup {
        SyncGroup::new(vec![member(1, 100), member(2, 100)])
    }

    fn rx(g: &SyncGroup, index: usize, priority: u8) -> Received {
        Received {
            src: ip(20),
            ttl: 255,
            advert: g.members()[index].advert(priority),
        }
    }

    fn states(g: &SyncGroup) -> Vec<State> {
        g.members().iter().map(Instance::state).collect()
    }

    #[test]
    fn member_waits_until_all_want_master() {
        // vrrp_sync_can_goto_master(): member 0's timer runs out while
        // member 1 still hears its master: member 0 stays BACKUP.
        let t0 = Instant::now();
        let mut g = group();
        g.startup(t0);
        assert_eq!(g.state(), State::Backup);
        let t1 = t0 + Duration::from_secs(3);
        g.handle_advert(t1, 1, &rx(&g, 1, 200)).unwrap();
        let due = g.poll_timeout().unwrap();
        g.handle_timeout(due);
        assert_eq!(states(&g), vec![State::Backup, State::Backup]);
        // Member 1's master dies; its timer runs out: now both want MASTER
        // and the group goes MASTER together.
        let mut t = due;
        while g.state() != State::Master {
            t = g.poll_timeout().unwrap();
            g.handle_timeout(t);
        }
        assert_eq!(states(&g), vec![State::Master, State::Master]);
        assert!(t >= t1 + g.members()[1].master_down_interval());
        let actions: Vec<_> = std::iter::from_fn(|| g.poll_action()).collect();
        assert!(actions.contains(&GroupAction::GroupStateChanged {
            from: State::Backup,
            to: State::Master
        }));
    }

    fn mastered(t0: Instant) -> (SyncGroup, Instant) {
        let mut g = group();
        g.startup(t0);
        let mut t = t0;
        while g.state() != State::Master {
            t = g.poll_timeout().unwrap();
            g.handle_timeout(t);
        }
        (g, t)
    }

    #[test]
    fn one_member_preempted_takes_all_to_backup() {
        // vrrp_sync_backup(): MASTER -> BACKUP of one member.
        let t0 = Instant::now();
        let (mut g, t) = mastered(t0);
        g.handle_advert(t, 0, &rx(&g, 0, 200)).unwrap();
        assert_eq!(states(&g), vec![State::Backup, State::Backup]);
        assert_eq!(g.state(), State::Backup);
    }

    #[test]
    fn one_member_fault_takes_all_to_fault_and_back() {
        // vrrp_sync_fault(), then try_up_instance(): all FAULT while any
        // member's object fails, all BACKUP once none does.
        let t0 = Instant::now();
        let (mut g, t) = mastered(t0);
        g.set_track(t, 1, 0, TrackStatus::Down).unwrap();
        assert_eq!(states(&g), vec![State::Fault, State::Fault]);
        let actions: Vec<_> = std::iter::from_fn(|| g.poll_action()).collect();
        let zero_adverts = actions
            .iter()
            .filter(|a| {
                matches!(a, GroupAction::Member { action: Action::SendAdvert { advert, .. }, .. } if advert.priority == 0)
            })
            .count();
        assert_eq!(zero_adverts, 2);
        g.set_track(t, 0, 0, TrackStatus::Down).unwrap();
        g.set_track(t, 1, 0, TrackStatus::Up).unwrap();
        assert_eq!(states(&g), vec![State::Fault, State::Fault]);
        g.set_track(t, 0, 0, TrackStatus::Up).unwrap();
        assert_eq!(states(&g), vec![State::Backup, State::Backup]);
        assert_eq!(g.state(), State::Backup);
        assert_eq!(g.set_track(t, 5, 0, TrackStatus::Up), Err(UnknownTrack(0)));
    }

    #[test]
    fn shutdown_stops_all() {
        let t0 = Instant::now();
        let (mut g, t) = mastered(t0);
        g.shutdown(t);
        assert_eq!(states(&g), vec![State::Initialize, State::Initialize]);
        assert_eq!(g.poll_timeout(), None);
    }
}
