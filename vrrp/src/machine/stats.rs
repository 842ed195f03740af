//! Per-instance counters, as keepalived keeps them (`vrrp_stats`), and the
//! reasons a received advert is discarded.

/// Why a received advert was discarded. A discarded advert never changes
/// the instance's state or timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Discard {
    /// The packet could not be decoded (counted by the driver through
    /// [`Instance::record_discard`](super::Instance::record_discard)).
    #[error("malformed packet")]
    Malformed,
    /// Length fields disagree with the bytes received.
    #[error("packet length error")]
    Length,
    /// Bad checksum.
    #[error("checksum error")]
    Checksum,
    /// Type is not ADVERTISEMENT.
    #[error("invalid packet type")]
    Type,
    /// TTL / hop limit is not 255 (RFC 5798 §7.1; multicast only, as
    /// keepalived).
    #[error("TTL / hop limit is not 255")]
    Ttl,
    /// Version differs from the instance's.
    #[error("VRRP version mismatch")]
    Version,
    /// VRID differs from the instance's.
    #[error("VRID mismatch")]
    Vrid,
    /// Version 2 authentication type differs.
    #[error("authentication type mismatch")]
    AuthType,
    /// Version 2 password differs.
    #[error("authentication failure")]
    AuthFailure,
    /// Version 2 advert interval differs from ours (RFC 3768 §7.1).
    #[error("advert interval mismatch")]
    Interval,
    /// The address count or list differs from ours, or the source is of
    /// another family.
    #[error("virtual address list mismatch")]
    AddressList,
    /// `check_unicast_src`: the source is not a unicast peer.
    #[error("source is not a unicast peer")]
    UnicastSource,
    /// The instance is not in BACKUP or MASTER (not started, FAULT).
    #[error("instance is not active")]
    Inactive,
}

/// Counters of one instance. Names follow keepalived's `vrrp_stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Adverts that passed validation.
    pub advert_rcvd: u64,
    /// Adverts sent (one per destination counted once, as keepalived).
    pub advert_sent: u64,
    /// Transitions to MASTER.
    pub become_master: u64,
    /// Transitions out of MASTER.
    pub release_master: u64,
    /// Valid adverts of priority 0 received.
    pub pri_zero_rcvd: u64,
    /// Adverts of priority 0 sent.
    pub pri_zero_sent: u64,
    /// Undecodable packets.
    pub malformed: u64,
    /// Length errors.
    pub packet_len_err: u64,
    /// Checksum errors.
    pub chk_err: u64,
    /// Wrong packet type.
    pub invalid_type_rcvd: u64,
    /// TTL / hop limit not 255.
    pub ip_ttl_err: u64,
    /// Wrong version.
    pub vers_err: u64,
    /// Wrong VRID.
    pub vrid_err: u64,
    /// Authentication type mismatch.
    pub authtype_mismatch: u64,
    /// Password mismatch.
    pub auth_failure: u64,
    /// Version 2 interval mismatch.
    pub interval_err: u64,
    /// Address list mismatch.
    pub addr_list_err: u64,
    /// Source not a unicast peer.
    pub unicast_src_err: u64,
    /// Adverts received while not active.
    pub inactive_rcvd: u64,
}

impl Stats {
    /// Counts one discarded packet.
    pub(crate) fn count(&mut self, reason: Discard) {
        let slot = match reason {
            Discard::Malformed => &mut self.malformed,
            Discard::Length => &mut self.packet_len_err,
            Discard::Checksum => &mut self.chk_err,
            Discard::Type => &mut self.invalid_type_rcvd,
            Discard::Ttl => &mut self.ip_ttl_err,
            Discard::Version => &mut self.vers_err,
            Discard::Vrid => &mut self.vrid_err,
            Discard::AuthType => &mut self.authtype_mismatch,
            Discard::AuthFailure => &mut self.auth_failure,
            Discard::Interval => &mut self.interval_err,
            Discard::AddressList => &mut self.addr_list_err,
            Discard::UnicastSource => &mut self.unicast_src_err,
            Discard::Inactive => &mut self.inactive_rcvd,
        };
        *slot = slot.saturating_add(1);
    }

    /// Total discarded packets, all reasons.
    pub fn discarded(&self) -> u64 {
        [
            self.malformed,
            self.packet_len_err,
            self.chk_err,
            self.invalid_type_rcvd,
            self.ip_ttl_err,
            self.vers_err,
            self.vrid_err,
            self.authtype_mismatch,
            self.auth_failure,
            self.interval_err,
            self.addr_list_err,
            self.unicast_src_err,
            self.inactive_rcvd,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }
}
