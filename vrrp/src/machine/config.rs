//! The configuration of one VRRP instance, with keepalived's defaults, and
//! its validation.

use std::net::IpAddr;
use std::time::Duration;

use crate::{Auth, Version};

use super::track::Track;

/// The state an instance asks for at startup (keepalived's `state`).
///
/// keepalived starts every instance in BACKUP whatever this says, unless its
/// priority is 255; `Master` only shortens the first wait to one advert
/// interval plus the smallest skew (`vrrp_init_state()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialState {
    /// `state BACKUP` (the default): wait a full Master_Down_Interval.
    #[default]
    Backup,
    /// `state MASTER`: wait one advert interval plus the smallest skew.
    Master,
}

/// Gratuitous ARP / unsolicited neighbour advertisement schedule
/// (keepalived's `garp_master_*` keywords).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpConfig {
    /// `garp_master_delay`: a second burst this long after becoming master
    /// (zero: none). keepalived's default is 5 s.
    pub master_delay: Duration,
    /// `garp_master_repeat`: messages per address in each burst (default 5).
    pub master_repeat: u32,
    /// `garp_master_refresh`: repeat a burst this often while master
    /// (zero: never, the default).
    pub master_refresh: Duration,
    /// `garp_master_refresh_repeat`: messages per address in a refresh
    /// burst (default 1).
    pub master_refresh_repeat: u32,
    /// `garp_lower_prio_repeat`: messages per address sent when the master
    /// hears a lower-priority advert (default 0: none).
    pub lower_prio_repeat: u32,
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_repeat: 0,
        }
    }
}

/// Everything one VRRP instance needs to know.
///
/// Build one with [`Config::new`] and change the public fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Protocol version.
    pub version: Version,
    /// Virtual router identifier, 1–255.
    pub vrid: u8,
    /// Configured priority, 1–255 (255: the address owner).
    pub priority: u8,
    /// Advertisement interval. Version 2: whole seconds, 1–255.
    /// Version 3: a multiple of 10 ms, 10 ms–40.95 s.
    pub advert_interval: Duration,
    /// This router's own address on the LAN: the source of its adverts
    /// and the tie-breaker between equal priorities.
    pub primary_address: IpAddr,
    /// The virtual addresses, all of `primary_address`'s family.
    pub virtual_addresses: Vec<IpAddr>,
    /// Version 2 authentication; must be [`Auth::None`] for version 3.
    pub auth: Auth,
    /// State asked for at startup.
    pub initial_state: InitialState,
    /// Preempt a lower-priority master (`nopreempt` clears it).
    pub preempt: bool,
    /// `preempt_delay`: keep accepting a lower-priority master this long
    /// after first hearing it, before preempting it.
    pub preempt_delay: Duration,
    /// Accept mode: the master accepts packets for the virtual addresses
    /// even when it does not own them.
    pub accept: bool,
    /// Unicast peers; empty means multicast.
    pub unicast_peers: Vec<IpAddr>,
    /// Drop adverts whose source is not a unicast peer
    /// (`check_unicast_src`).
    pub check_unicast_src: bool,
    /// Gratuitous ARP / NA schedule.
    pub garp: GarpConfig,
    /// Adverts missed before the master is declared down (keepalived's
    /// `down_timer_adverts`, 3 in the RFCs).
    pub down_timer_adverts: u32,
    /// `lower_prio_no_advert`: the master does not answer a lower-priority
    /// advert with an advert of its own.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`: the master sends one last advert when it
    /// hears a higher priority, before stepping down.
    pub higher_prio_send_advert: bool,
    /// Tracked objects (scripts, interfaces, files, processes).
    pub tracks: Vec<Track>,
}

impl Config {
    /// A configuration with keepalived's defaults: 1 s adverts, no
    /// authentication, `state BACKUP`, preempt on, no delay, accept off,
    /// multicast, the default GARP schedule, three missed adverts.
    pub fn new(
        version: Version,
        vrid: u8,
        priority: u8,
        primary_address: IpAddr,
        virtual_addresses: Vec<IpAddr>,
    ) -> Self {
        Config {
            version,
            vrid,
            priority,
            advert_interval: Duration::from_secs(1),
            primary_address,
            virtual_addresses,
            auth: Auth::None,
            initial_state: InitialState::Backup,
            preempt: true,
            preempt_delay: Duration::ZERO,
            accept: false,
            unicast_peers: Vec::new(),
            check_unicast_src: false,
            garp: GarpConfig::default(),
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            tracks: Vec::new(),
        }
    }

    /// The configuration as keepalived runs it (`vrrp_complete_instance()`):
    /// an address owner, or an instance with `state MASTER`, always preempts
    /// and has no `preempt_delay`; `nopreempt` has no `preempt_delay`;
    /// `state MASTER` below priority 255 with IPsec AH becomes `BACKUP` (the
    /// AH sequence number must be learnt first).
    pub fn normalised(mut self) -> Self {
        if self.auth == Auth::Ah && self.priority != 255 {
            self.initial_state = InitialState::Backup;
        }
        if self.priority == 255 {
            self.preempt = true;
        }
        if self.initial_state == InitialState::Master {
            self.preempt = true;
            self.preempt_delay = Duration::ZERO;
        }
        if !self.preempt {
            self.preempt_delay = Duration::ZERO;
        }
        self
    }

    /// Checks the configuration and returns the advert interval in
    /// centiseconds.
    pub(crate) fn validate(&self) -> Result<u16, ConfigError> {
        if self.vrid == 0 {
            return Err(ConfigError::Vrid);
        }
        if self.priority == 0 {
            return Err(ConfigError::Priority);
        }
        if self.down_timer_adverts == 0 || self.down_timer_adverts > 255 {
            return Err(ConfigError::DownTimerAdverts(self.down_timer_adverts));
        }
        let v6 = self.primary_address.is_ipv6();
        if self
            .virtual_addresses
            .iter()
            .chain(&self.unicast_peers)
            .any(|a| a.is_ipv6() != v6)
        {
            return Err(ConfigError::MixedFamilies);
        }
        let longest = [
            self.preempt_delay,
            self.garp.master_delay,
            self.garp.master_refresh,
        ];
        if let Some(d) = longest.into_iter().find(|d| *d > MAX_DELAY) {
            return Err(ConfigError::Delay(d));
        }
        let centis = interval_centis(self.version, self.advert_interval)?;
        if self.version == Version::V3 {
            if self.auth != Auth::None {
                return Err(ConfigError::AuthWithV3);
            }
        } else if v6 {
            return Err(ConfigError::V2Ipv6);
        }
        Ok(centis)
    }
}

/// The longest delay accepted for `preempt_delay` and the GARP timers
/// (keepalived accepts at most 1,000 s for `preempt_delay`).
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(86_400);

/// The advert interval in centiseconds, checked against the version's range.
fn interval_centis(version: Version, interval: Duration) -> Result<u16, ConfigError> {
    let bad = ConfigError::AdvertInterval(interval);
    let nanos = interval.as_nanos();
    match version {
        Version::V2 => {
            let secs = interval.as_secs();
            if interval.subsec_nanos() != 0 || !(1..=255).contains(&secs) {
                return Err(bad);
            }
            u16::try_from(secs * 100).map_err(|_| bad)
        }
        Version::V3 => {
            const CENTI: u128 = 10_000_000;
            if nanos % CENTI != 0 || !(1..=4095).contains(&(nanos / CENTI)) {
                return Err(bad);
            }
            u16::try_from(nanos / CENTI).map_err(|_| bad)
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The VRID is 0.
    #[error("virtual router id must be 1-255")]
    Vrid,
    /// The configured priority is 0 (reserved for stepping down).
    #[error("priority must be 1-255")]
    Priority,
    /// The advert interval is outside the version's range or resolution.
    #[error("advert interval {0:?} is out of range for this VRRP version")]
    AdvertInterval(Duration),
    /// Version 3 has no authentication.
    #[error("authentication is only available with VRRP version 2")]
    AuthWithV3,
    /// Version 2 is IPv4 only.
    #[error("VRRP version 2 runs over IPv4 only")]
    V2Ipv6,
    /// Addresses of both families in one instance.
    #[error("virtual addresses, peers and the primary address must be of one family")]
    MixedFamilies,
    /// A delay longer than a day.
    #[error("delay {0:?} is longer than a day")]
    Delay(Duration),
    /// `down_timer_adverts` outside 1–255.
    #[error("down_timer_adverts {0} is out of range 1-255")]
    DownTimerAdverts(u32),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn v2_interval_is_whole_seconds() {
        // RFC 3768 §5.3.7: Adver Int is in seconds.
        assert_eq!(
            interval_centis(Version::V2, Duration::from_secs(3)),
            Ok(300)
        );
        assert!(interval_centis(Version::V2, Duration::from_millis(1500)).is_err());
        assert!(interval_centis(Version::V2, Duration::ZERO).is_err());
        assert!(interval_centis(Version::V2, Duration::from_secs(256)).is_err());
    }

    #[test]
    fn v3_interval_is_centiseconds_up_to_4095() {
        // RFC 5798 §5.2.7: 12-bit field in centiseconds.
        assert_eq!(
            interval_centis(Version::V3, Duration::from_millis(50)),
            Ok(5)
        );
        assert_eq!(
            interval_centis(Version::V3, Duration::from_millis(40950)),
            Ok(4095)
        );
        assert!(interval_centis(Version::V3, Duration::from_millis(40960)).is_err());
        assert!(interval_centis(Version::V3, Duration::from_millis(15)).is_err());
    }

    #[test]
    fn normalised_like_keepalived() {
        // vrrp_complete_instance(): nopreempt and preempt_delay are cleared
        // with state MASTER; preempt_delay is cleared with nopreempt;
        // nopreempt is cleared for the address owner.
        let mut c = Config::new(Version::V3, 1, 100, v4(1), vec![v4(100)]);
        c.preempt = false;
        c.preempt_delay = Duration::from_secs(5);
        let n = c.clone().normalised();
        assert!(!n.preempt);
        assert_eq!(n.preempt_delay, Duration::ZERO);
        c.initial_state = InitialState::Master;
        c.preempt_delay = Duration::from_secs(5);
        let n = c.clone().normalised();
        assert!(n.preempt);
        assert_eq!(n.preempt_delay, Duration::ZERO);
        c.initial_state = InitialState::Backup;
        c.priority = 255;
        assert!(c.normalised().preempt);
    }

    #[test]
    fn refuses_bad_configs() {
        let mut c = Config::new(Version::V3, 0, 100, v4(1), vec![v4(100)]);
        assert_eq!(c.validate(), Err(ConfigError::Vrid));
        c.vrid = 1;
        c.priority = 0;
        assert_eq!(c.validate(), Err(ConfigError::Priority));
        c.priority = 100;
        c.auth = Auth::Password(*b"secret\0\0");
        assert_eq!(c.validate(), Err(ConfigError::AuthWithV3));
        c.auth = Auth::None;
        c.virtual_addresses.push("2001:db8::1".parse().unwrap());
        assert_eq!(c.validate(), Err(ConfigError::MixedFamilies));
        let v6: IpAddr = "2001:db8::2".parse().unwrap();
        let c2 = Config::new(Version::V2, 1, 100, v6, vec![v6]);
        assert_eq!(c2.validate(), Err(ConfigError::V2Ipv6));
        let ok = Config::new(Version::V2, 1, 100, v4(1), vec![v4(100)]);
        assert_eq!(ok.validate(), Ok(100));
    }
}
