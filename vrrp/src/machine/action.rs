//! What the state machine asks its driver to do, and why its state changed.

use std::net::IpAddr;

use crate::Advertisement;

/// An instance's VRRP state (RFC 5798 §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not started, or stopped.
    Initialize,
    /// Watching the master.
    Backup,
    /// Forwarding for the virtual addresses.
    Master,
    /// A tracked object failed (keepalived's extension).
    Fault,
}

impl State {
    /// keepalived's name of the state, as passed to notify scripts.
    pub fn keepalived_name(self) -> &'static str {
        match self {
            State::Initialize => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }
}

/// The notify event of a transition, with keepalived's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `INIT`.
    Init,
    /// `BACKUP`.
    Backup,
    /// `MASTER`.
    Master,
    /// `FAULT`.
    Fault,
    /// `STOP`: the instance was shut down.
    Stop,
}

impl Notify {
    /// keepalived's name, as passed to `notify` scripts.
    pub fn as_str(self) -> &'static str {
        match self {
            Notify::Init => "INIT",
            Notify::Backup => "BACKUP",
            Notify::Master => "MASTER",
            Notify::Fault => "FAULT",
            Notify::Stop => "STOP",
        }
    }
}

/// Why a transition happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Startup into BACKUP (or FAULT).
    Startup,
    /// Priority 255: the address owner becomes master at once.
    AddressOwner,
    /// No advert was accepted for Master_Down_Interval.
    MasterDown,
    /// The master stepped down (priority 0) and Skew_Time passed.
    MasterStepDown,
    /// The master was preempted: our priority is higher than the adverts
    /// heard (which were discarded), so the down timer ran out.
    Preempted,
    /// A master heard a higher priority (or an equal one from a higher
    /// address).
    HigherPriority,
    /// A tracked object failed.
    TrackFault,
    /// The failing tracked objects recovered.
    TrackRecovered,
    /// Another member of the sync group moved.
    SyncGroup,
    /// [`shutdown`](super::Instance::shutdown) was called.
    Shutdown,
}

/// One state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Previous state.
    pub from: State,
    /// New state.
    pub to: State,
    /// Why.
    pub reason: Reason,
    /// The notify event to run (keepalived's `notify` scripts and FIFO).
    pub notify: Notify,
}

/// Where an advert goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// 224.0.0.18 or ff02::12, TTL / hop limit 255.
    Multicast,
    /// One unicast peer.
    Unicast(IpAddr),
}

/// Something the driver must do. Carry them out in the order returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this advert.
    SendAdvert {
        /// The advert (its priority is 0 when stepping down).
        advert: Advertisement,
        /// Where to send it.
        to: Destination,
    },
    /// Add the virtual addresses to the interface.
    AddAddresses {
        /// The addresses.
        addresses: Vec<IpAddr>,
        /// Accept mode (or address owner): accept packets sent to them.
        /// When false keepalived installs a rule dropping such packets.
        accept: bool,
    },
    /// Remove the virtual addresses from the interface.
    RemoveAddresses {
        /// The addresses.
        addresses: Vec<IpAddr>,
    },
    /// Send gratuitous ARPs (IPv4) or unsolicited neighbour adverts (IPv6)
    /// for these addresses, `repeat` times each.
    SendGratuitous {
        /// The addresses.
        addresses: Vec<IpAddr>,
        /// Messages per address.
        repeat: u32,
    },
    /// The state changed: run the notify event.
    StateChanged(Transition),
    /// The effective priority changed (tracking).
    PriorityChanged {
        /// Before.
        from: u8,
        /// After.
        to: u8,
    },
    /// The master heard a lower-priority advert (keepalived's
    /// `notify_master_rx_lower_pri`).
    MasterHeardLowerPriority {
        /// Sender.
        from: IpAddr,
        /// Its priority.
        priority: u8,
    },
}
