//! The runner: drives state machines over one socket and carries out
//! their actions (adverts, virtual addresses, gratuitous ARP / NA).
//!
//! A [`Router`] owns the [`Instance`]s of one interface and address
//! family, the [`VrrpSocket`] they share, a [`VipTable`] and an
//! [`Announcer`]. [`Router::run`] loops until its shutdown future
//! completes:
//!
//! - a received packet that decodes goes to the instance of its VRID
//!   ([`Instance::handle_advert`] runs the receive checks and counts what
//!   it discards); one that does not decode is counted as a
//!   [`Discard`] on the router's only instance, or, with several
//!   instances, in [`Router::unattributed`] (the VRID cannot be trusted);
//! - the earliest [`Instance::poll_timeout`] is slept until, then
//!   [`Instance::handle_timeout`] runs;
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

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::announce::Announcer;
use super::demux::DropCounters;
use super::error::IoError;
use super::socket::VrrpSocket;
use super::vip::{Vip, VipTable};
use crate::machine::{Action, Destination, Discard, Instance, Received, Transition};
use crate::wire::{self, DecodeError};

/// Events reported to the caller of [`Router::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Carrying out an action failed; the router keeps running (as
    /// keepalived logs and carries on).
    ActionFailed {
        /// The instance's VRID.
        vrid: u8,
        /// What went wrong.
        error: String,
    },
}

/// Events queued for a slow reader before newer ones are dropped (and
/// counted in [`Router::events_dropped`]).
pub const EVENT_QUEUE: usize = 256;

/// One instance and what the runner keeps beside it.
#[derive(Debug)]
struct Member {
    instance: Instance,
    /// Prefix lengths of the virtual addresses.
    vips: Vec<Vip>,
}

/// The instances of one interface and family, with their socket.
#[derive(Debug)]
pub struct Router {
    socket: Arc<VrrpSocket>,
    table: VipTable,
    announcer: Announcer,
    members: Vec<Member>,
    events: Option<mpsc::Sender<Event>>,
    events_dropped: u64,
    unattributed: DropCounters,
}

impl Router {
    /// A router sending and receiving on `socket`, with its own rtnetlink
    /// socket and announcer on the socket's interface (opened in the
    /// calling thread's network namespace).
    pub fn new(socket: VrrpSocket) -> Result<Self, IoError> {
        let announcer = Announcer::open(socket.interface())?;
        Ok(Router {
            socket: Arc::new(socket),
            table: VipTable::open()?,
            announcer,
            members: Vec::new(),
            events: None,
            events_dropped: 0,
            unattributed: DropCounters::default(),
        })
    }

    /// Adds an instance (in Initialize; [`run`](Self::run) starts it).
    /// `vips` gives the prefix lengths of its virtual addresses. An
    /// instance whose VRID is already here replaces the old one.
    pub fn add(&mut self, instance: Instance, vips: Vec<Vip>) {
        let vrid = instance.config().vrid;
        self.members.retain(|m| m.instance.config().vrid != vrid);
        self.members.push(Member { instance, vips });
    }

    /// A channel on which the router reports [`Event`]s (at most
    /// [`EVENT_QUEUE`] waiting). Replaces any earlier one.
    pub fn subscribe(&mut self) -> mpsc::Receiver<Event> {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        self.events = Some(tx);
        rx
    }

    /// The instances.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.members.iter().map(|m| &m.instance)
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
        for m in &mut self.members {
            m.instance.startup(now);
        }
        self.carry_out().await;
        let result = loop {
            let wake = self.next_timeout();
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                packet = self.socket.recv() => match packet {
                    Ok(packet) => self.received(packet),
                    Err(e) => break Err(e),
                },
                () = sleep_until(wake) => self.timeouts(),
            }
            self.carry_out().await;
        };
        let now = Instant::now();
        for m in &mut self.members {
            m.instance.shutdown(now);
        }
        self.carry_out().await;
        result
    }

    /// The earliest instant any instance wants [`Instance::handle_timeout`].
    fn next_timeout(&self) -> Option<Instant> {
        self.members
            .iter()
            .filter_map(|m| m.instance.poll_timeout())
            .min()
    }

    /// Runs the timers that are due.
    fn timeouts(&mut self) {
        let now = Instant::now();
        for m in &mut self.members {
            if m.instance.poll_timeout().is_some_and(|t| t <= now) {
                m.instance.handle_timeout(now);
            }
        }
    }

    /// Gives one received packet to its instance, or counts why not.
    fn received(&mut self, packet: Result<wire::Received, DecodeError>) {
        let now = Instant::now();
        let received = match packet {
            Ok(r) => r,
            Err(reason) => {
                if let [only] = self.members.as_mut_slice() {
                    only.instance.record_discard(discard_of(&reason));
                } else {
                    self.unattributed.record(&reason);
                }
                return;
            }
        };
        let vrid = received.advert.vrid;
        let Some(member) = self
            .members
            .iter_mut()
            .find(|m| m.instance.config().vrid == vrid)
        else {
            self.unattributed.record(&DecodeError::VridMismatch(vrid));
            return;
        };
        let rx = Received {
            src: received.src,
            ttl: received.ttl,
            advert: received.advert,
        };
        // A discard is counted in the instance's stats; nothing else to do.
        let _ = member.instance.handle_advert(now, &rx);
    }

    /// Carries out every pending action of every instance, in order.
    async fn carry_out(&mut self) {
        for i in 0..self.members.len() {
            while let Some(action) = self
                .members
                .get_mut(i)
                .and_then(|m| m.instance.poll_action())
            {
                let Some(member) = self.members.get(i) else {
                    break;
                };
                let vrid = member.instance.config().vrid;
                let vips = resolve(&member.vips, &action);
                if let Err(error) = self.perform(vrid, action, &vips).await {
                    self.emit(Event::ActionFailed {
                        vrid,
                        error: error.to_string(),
                    });
                }
            }
        }
    }

    /// Carries out one action; `vips` are its addresses with prefixes.
    async fn perform(&mut self, vrid: u8, action: Action, vips: &[Vip]) -> Result<(), IoError> {
        let ifindex = self.socket.interface().index;
        match action {
            Action::SendAdvert { advert, to } => {
                let dst = match to {
                    Destination::Multicast => group(&self.socket),
                    Destination::Unicast(peer) => peer,
                };
                self.socket.send(&advert, dst).await?;
            }
            Action::AddAddresses { .. } => {
                for vip in vips {
                    self.table.add(ifindex, *vip)?;
                }
            }
            Action::RemoveAddresses { .. } => {
                for vip in vips {
                    self.table.remove(ifindex, *vip)?;
                }
            }
            Action::SendGratuitous { addresses, repeat } => {
                for _ in 0..repeat {
                    for addr in &addresses {
                        match addr {
                            IpAddr::V4(a) => self.announcer.gratuitous_arp(*a)?,
                            IpAddr::V6(a) => self.announcer.unsolicited_na(*a)?,
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
