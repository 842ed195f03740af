//! The tokio driver (feature `io`): raw VRRP sockets, virtual addresses
//! through rtnetlink, gratuitous ARP and unsolicited NA.
//!
//! The pieces are separate so a daemon can run many instances on one
//! socket per interface and family, and sync groups whose members sit on
//! several of them:
//!
//! - [`Interface`]: index, MAC and source addresses of an interface;
//! - [`VrrpSocket`]: the raw `IPPROTO_VRRP` socket (IPv4 or IPv6),
//!   group joined, bound to the interface, TTL / hop limit 255;
//! - [`Demux`]: routes received adverts to instances by VRID after the
//!   RFC receive checks, counting every drop by reason;
//! - [`VipTable`]: adds and removes virtual addresses;
//! - [`Announcer`]: gratuitous ARP and unsolicited NA;
//! - [`Router`]: runs state machines over one or more sockets (links)
//!   and carries out their actions with the pieces above; [`TrackUpdate`]s fed to it while it
//!   runs move its instances' effective priorities.
//!
//! Everything works in the network namespace of the calling thread.

mod announce;
mod demux;
mod error;
mod iface;
mod runner;
mod socket;
mod vip;

pub use announce::Announcer;
pub use demux::{Demux, DropCounters};
pub use error::IoError;
pub use iface::Interface;
pub use runner::{
    discard_of, Control, Event, Router, TrackUpdate, CONTROL_QUEUE, EVENT_QUEUE, TRACK_QUEUE,
};
pub use socket::VrrpSocket;
pub use vip::{Vip, VipTable};
