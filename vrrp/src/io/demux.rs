//! Many instances on one socket: received adverts go to the instance of
//! their VRID after the receive checks, and every drop is counted by
//! reason, like keepalived's per-instance statistics.

use std::collections::HashMap;

use crate::wire::{self, DecodeError, Received};
use crate::Advertisement;

/// Drop counters, one per reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounters {
    /// TTL / hop limit not 255 (`ip_ttl_err`).
    pub ttl: u64,
    /// Wrong or unknown version.
    pub version: u64,
    /// Bad checksum.
    pub checksum: u64,
    /// Truncated or inconsistent lengths (`packet_len_err`).
    pub length: u64,
    /// Type other than ADVERTISEMENT (`invalid_type_rcvd`).
    pub kind: u64,
    /// Unknown authentication type (`invalid_authtype`).
    pub auth_type: u64,
    /// Authentication type differs from ours (`authtype_mismatch`).
    pub auth_type_mismatch: u64,
    /// Wrong password (`auth_failure`).
    pub auth_failure: u64,
    /// Address count or list differs (`addr_list_err`).
    pub address_list: u64,
    /// Version 2 interval differs (`advert_interval_err`).
    pub interval: u64,
    /// Malformed IP / AH header, or not VRRP.
    pub ip: u64,
    /// Unacceptable source or destination address.
    pub address: u64,
    /// No instance for the VRID.
    pub vrid: u64,
}

impl DropCounters {
    /// Counts one drop.
    pub fn record(&mut self, reason: &DecodeError) {
        let counter = match reason {
            DecodeError::BadTtl(_) => &mut self.ttl,
            DecodeError::BadVersion(_) => &mut self.version,
            DecodeError::BadChecksum { .. } => &mut self.checksum,
            DecodeError::Truncated { .. } | DecodeError::BadLength { .. } => &mut self.length,
            DecodeError::BadType(_) => &mut self.kind,
            DecodeError::BadAuthType(_) => &mut self.auth_type,
            DecodeError::AuthTypeMismatch { .. } => &mut self.auth_type_mismatch,
            DecodeError::AuthFailure => &mut self.auth_failure,
            DecodeError::AddressCountMismatch { .. } | DecodeError::AddressListMismatch => {
                &mut self.address_list
            }
            DecodeError::IntervalMismatch { .. } => &mut self.interval,
            DecodeError::BadIpHeader(_) | DecodeError::NotVrrp(_) | DecodeError::BadAh(_) => {
                &mut self.ip
            }
            DecodeError::BadAddress(_) => &mut self.address,
            DecodeError::VridMismatch(_) => &mut self.vrid,
        };
        *counter += 1;
    }

    /// Total drops.
    pub fn total(&self) -> u64 {
        self.ttl
            + self.version
            + self.checksum
            + self.length
            + self.kind
            + self.auth_type
            + self.auth_type_mismatch
            + self.auth_failure
            + self.address_list
            + self.interval
            + self.ip
            + self.address
            + self.vrid
    }
}

/// One instance's receive side.
#[derive(Debug, Clone)]
struct Slot {
    local: Advertisement,
    check_ttl: bool,
    accepted: u64,
    drops: DropCounters,
}

/// Routes received packets to instances by VRID.
#[derive(Debug, Clone, Default)]
pub struct Demux {
    slots: HashMap<u8, Slot>,
    /// Drops that belong to no instance (undecodable, unknown VRID).
    unattributed: DropCounters,
}

impl Demux {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the instance whose own advert is `local` (its version,
    /// VRID, auth, interval and addresses are what packets are checked
    /// against). `check_ttl` is false only for unicast peers that are
    /// routed.
    pub fn insert(&mut self, local: Advertisement, check_ttl: bool) {
        let slot = Slot {
            local,
            check_ttl,
            accepted: 0,
            drops: DropCounters::default(),
        };
        self.slots.insert(slot.local.vrid, slot);
    }

    /// Checks one received packet: the VRID and the decoded advert when
    /// it is for a known instance and passes its checks; `None` (after
    /// counting the reason) otherwise.
    pub fn accept(&mut self, packet: Result<Received, DecodeError>) -> Option<(u8, Received)> {
        let received = match packet {
            Ok(r) => r,
            Err(reason) => {
                self.unattributed.record(&reason);
                return None;
            }
        };
        let vrid = received.advert.vrid;
        let Some(slot) = self.slots.get_mut(&vrid) else {
            self.unattributed.record(&DecodeError::VridMismatch(vrid));
            return None;
        };
        match wire::validate(&received, &slot.local, slot.check_ttl) {
            Ok(()) => {
                slot.accepted += 1;
                Some((vrid, received))
            }
            Err(reason) => {
                slot.drops.record(&reason);
                None
            }
        }
    }

    /// Drops counted for the instance of `vrid`.
    pub fn drops(&self, vrid: u8) -> Option<DropCounters> {
        self.slots.get(&vrid).map(|s| s.drops)
    }

    /// Adverts accepted for the instance of `vrid`.
    pub fn accepted(&self, vrid: u8) -> Option<u64> {
        self.slots.get(&vrid).map(|s| s.accepted)
    }

    /// Drops that could not be given to an instance.
    pub fn unattributed(&self) -> DropCounters {
        self.unattributed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Auth, Version};
    use std::net::IpAddr;

    fn local(vrid: u8) -> Advertisement {
        Advertisement {
            version: Version::V2,
            vrid,
            priority: 100,
            interval_cs: 100,
            auth: Auth::Password(*b"secret12"),
            addresses: vec![IpAddr::from([192, 0, 2, 1])],
        }
    }

    fn received(advert: Advertisement, ttl: u8) -> Received {
        Received {
            src: IpAddr::from([192, 0, 2, 12]),
            dst: IpAddr::from([224, 0, 0, 18]),
            ttl,
            ah: None,
            advert,
        }
    }

    #[test]
    fn routes_by_vrid_and_counts_per_reason() {
        let mut demux = Demux::new();
        demux.insert(local(51), true);
        demux.insert(local(52), true);
        assert_eq!(
            demux.accept(Ok(received(local(52), 255))).map(|(v, _)| v),
            Some(52)
        );
        assert!(demux.accept(Ok(received(local(51), 64))).is_none());
        let mut wrong = local(51);
        wrong.auth = Auth::Password(*b"secret13");
        assert!(demux.accept(Ok(received(wrong, 255))).is_none());
        assert!(demux.accept(Ok(received(local(9), 255))).is_none());
        assert!(demux
            .accept(Err(DecodeError::Truncated { len: 3 }))
            .is_none());

        let d51 = demux.drops(51).unwrap();
        assert_eq!((d51.ttl, d51.auth_failure, d51.total()), (1, 1, 2));
        assert_eq!(demux.accepted(52), Some(1));
        assert_eq!(demux.accepted(51), Some(0));
        let u = demux.unattributed();
        assert_eq!((u.vrid, u.length, u.total()), (1, 1, 2));
    }
}
