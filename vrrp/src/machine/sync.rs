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

    /// Reports tracked object `track` of member `index`.
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
