//! The sans-IO VRRP state machine.
//!
//! An [`Instance`] is one virtual router (one VRID on one interface) as
//! RFC 5798 §6 (version 3) and RFC 3768 §6 (version 2) describe it, with
//! keepalived 2.2.7's extensions: tracked objects changing the priority or
//! forcing FAULT, `preempt_delay`, the gratuitous ARP / NA schedule, unicast
//! peers, notify events. A [`SyncGroup`] owns instances that move together.
//!
//! Nothing here reads a clock, a socket or a file. The driver:
//!
//! 1. calls [`Instance::startup`] once;
//! 2. feeds each decoded advert to [`Instance::handle_advert`] with the
//!    packet's source address and TTL ([`Received`]);
//! 3. calls [`Instance::handle_timeout`] when [`Instance::poll_timeout`]'s
//!    instant has come;
//! 4. after every call, carries out each [`Action`] from
//!    [`Instance::poll_action`] in order;
//! 5. reports tracked objects with [`Instance::set_track`], and stops with
//!    [`Instance::shutdown`] (which sends priority 0 when master).
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use std::time::{Duration, Instant};
//! use lbkit_vrrp::machine::{Action, Config, Instance, State};
//! use lbkit_vrrp::Version;
//!
//! let me = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
//! let vip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100));
//! let mut vr = Instance::new(Config::new(Version::V3, 51, 100, me, vec![vip]))?;
//! let start = Instant::now();
//! vr.startup(start);
//! assert_eq!(vr.state(), State::Backup);
//! // Nobody else speaks: after Master_Down_Interval we are master.
//! let t = vr.poll_timeout().unwrap();
//! assert_eq!(t - start, Duration::from_secs(3) + vr.skew_time());
//! vr.handle_timeout(t);
//! assert_eq!(vr.state(), State::Master);
//! assert!(matches!(vr.poll_action(), Some(Action::StateChanged(_)))); // -> BACKUP
//! assert!(matches!(vr.poll_action(), Some(Action::SendAdvert { .. })));
//! # Ok::<(), lbkit_vrrp::machine::ConfigError>(())
//! ```
//!
//! ## Where keepalived is followed rather than the RFC
//!
//! - Startup: only priority 255 goes straight to MASTER. `state MASTER`
//!   starts in BACKUP and waits one advert interval plus the smallest skew
//!   (RFC 5798 §6.4.1 would become master at once). Here an address owner
//!   always starts MASTER, as the RFC says; keepalived keeps one configured
//!   with an explicit `state BACKUP` in BACKUP.
//! - Configurations are [normalised](Config::normalised) as keepalived
//!   does: no `nopreempt` for the owner or with `state MASTER`, no
//!   `preempt_delay` with `nopreempt` or `state MASTER`.
//! - A master hearing a lower priority answers with an advert at once
//!   (the RFC discards it); `lower_prio_no_advert` restores the RFC.
//! - A master hearing priority 0 sends an advert at once.
//! - Two address owners: the master lowers its own priority to 254.
//! - `preempt_delay`: after first hearing a lower-priority master, a backup
//!   keeps accepting its adverts for that long, then preempts.
//! - The TTL is checked only for multicast instances.
//! - Version 3 keeps the learned Master_Adver_Interval at least 1 cs, so a
//!   zero interval in a packet cannot make the down timer zero.
//! - The GARP refresh runs on its own timer (keepalived checks it when it
//!   sends an advert, so it can be one advert interval late).
//! - A master's advert timer restarts only when it sends an advert
//!   (keepalived also restarts it after discarding a bad packet).

mod action;
mod config;
mod instance;
mod stats;
mod sync;
mod track;

pub use action::{Action, Destination, Notify, Reason, State, Transition};
pub use config::{Config, ConfigError, GarpConfig, InitialState};
pub use instance::{Instance, Received, UnknownTrack};
pub use stats::{Discard, Stats};
pub use sync::{GroupAction, SyncGroup};
pub use track::{Track, TrackKind, TrackStatus};
