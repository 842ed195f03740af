//! The receive checks of RFC 5798 §7.1 and RFC 3768 §7.1 that compare a
//! decoded packet with the local configuration of its virtual router.

use std::net::IpAddr;

use super::error::DecodeError;
use super::ip::Received;
use super::packet::TTL;
use super::repr::auth_type_of;
use crate::{Advertisement, Auth, Version};

/// Checks a received advertisement against `local`, the advertisement
/// this router would send for the same virtual router (its version, VRID,
/// authentication, interval and addresses are the configuration).
///
/// In order: TTL / hop limit 255 (skipped when `check_ttl` is false, for
/// unicast peers across a router), version, VRID, then for version 2 the
/// authentication type and password, the interval and the address list
/// (a mismatch drops the packet unless the sender is the address owner,
/// priority 255). Version 3 learns the master's interval and does not
/// drop on an address mismatch (RFC 5798 §7.1 only says to log it: see
/// [`addresses_match`]).
pub fn validate(
    received: &Received,
    local: &Advertisement,
    check_ttl: bool,
) -> Result<(), DecodeError> {
    let advert = &received.advert;
    if check_ttl && received.ttl != TTL {
        return Err(DecodeError::BadTtl(received.ttl));
    }
    if advert.version != local.version {
        return Err(DecodeError::BadVersion(version_number(advert.version)));
    }
    if advert.vrid != local.vrid {
        return Err(DecodeError::VridMismatch(advert.vrid));
    }
    if advert.version == Version::V3 {
        return Ok(());
    }
    check_auth(&advert.auth, &local.auth, received.ah.is_some())?;
    if advert.interval_cs != local.interval_cs {
        return Err(DecodeError::IntervalMismatch {
            received_cs: advert.interval_cs,
            configured_cs: local.interval_cs,
        });
    }
    if advert.priority != u8::MAX {
        if advert.addresses.len() != local.addresses.len() {
            return Err(DecodeError::AddressCountMismatch {
                received: advert.addresses.len(),
                configured: local.addresses.len(),
            });
        }
        if !addresses_match(&advert.addresses, &local.addresses) {
            return Err(DecodeError::AddressListMismatch);
        }
    }
    Ok(())
}

/// Whether two address lists hold the same addresses (in any order).
pub fn addresses_match(received: &[IpAddr], configured: &[IpAddr]) -> bool {
    received.len() == configured.len() && received.iter().all(|a| configured.contains(a))
}

/// The number of a version.
fn version_number(version: Version) -> u8 {
    match version {
        Version::V2 => 2,
        Version::V3 => 3,
    }
}

/// Version 2 authentication: same type, same password; AH must really
/// have come inside an AH header.
fn check_auth(received: &Auth, configured: &Auth, had_ah: bool) -> Result<(), DecodeError> {
    let (got, want) = (auth_type_of(received), auth_type_of(configured));
    if got != want || (*received == Auth::Ah) != had_ah {
        return Err(DecodeError::AuthTypeMismatch {
            received: got,
            configured: want,
        });
    }
    match (received, configured) {
        (Auth::Password(a), Auth::Password(b)) if a != b => Err(DecodeError::AuthFailure),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(auth: Auth) -> Advertisement {
        Advertisement {
            version: Version::V2,
            vrid: 51,
            priority: 100,
            interval_cs: 100,
            auth,
            addresses: vec![IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2])],
        }
    }

    fn received(advert: Advertisement) -> Received {
        Received {
            src: IpAddr::from([192, 0, 2, 11]),
            dst: IpAddr::from([224, 0, 0, 18]),
            ttl: 255,
            ah: None,
            advert,
        }
    }

    #[test]
    fn matching_packet_passes() {
        let mut a = v2(Auth::None);
        a.addresses.reverse();
        assert_eq!(validate(&received(a), &v2(Auth::None), true), Ok(()));
    }

    #[test]
    fn ttl_is_checked_unless_told_not_to() {
        let mut r = received(v2(Auth::None));
        r.ttl = 254;
        assert_eq!(
            validate(&r, &v2(Auth::None), true),
            Err(DecodeError::BadTtl(254))
        );
        assert_eq!(validate(&r, &v2(Auth::None), false), Ok(()));
    }

    #[test]
    fn version_and_vrid() {
        let mut a = v2(Auth::None);
        a.version = Version::V3;
        assert_eq!(
            validate(&received(a), &v2(Auth::None), true),
            Err(DecodeError::BadVersion(3))
        );
        let mut a = v2(Auth::None);
        a.vrid = 52;
        assert_eq!(
            validate(&received(a), &v2(Auth::None), true),
            Err(DecodeError::VridMismatch(52))
        );
    }

    #[test]
    fn v2_auth() {
        let local = v2(Auth::Password(*b"secret12"));
        assert_eq!(
            validate(&received(v2(Auth::None)), &local, true),
            Err(DecodeError::AuthTypeMismatch {
                received: 0,
                configured: 1
            })
        );
        assert_eq!(
            validate(&received(v2(Auth::Password(*b"secret13"))), &local, true),
            Err(DecodeError::AuthFailure)
        );
        // Auth type 2 without an AH header around it is refused.
        assert_eq!(
            validate(&received(v2(Auth::Ah)), &v2(Auth::Ah), true),
            Err(DecodeError::AuthTypeMismatch {
                received: 2,
                configured: 2
            })
        );
    }

    #[test]
    fn v2_interval_and_addresses() {
        let mut a = v2(Auth::None);
        a.interval_cs = 200;
        assert_eq!(
            validate(&received(a), &v2(Auth::None), true),
            Err(DecodeError::IntervalMismatch {
                received_cs: 200,
                configured_cs: 100
            })
        );
        let mut a = v2(Auth::None);
        a.addresses.pop();
        assert_eq!(
            validate(&received(a.clone()), &v2(Auth::None), true),
            Err(DecodeError::AddressCountMismatch {
                received: 1,
                configured: 2
            })
        );
        // The address owner is believed whatever it lists.
        a.priority = 255;
        assert_eq!(validate(&received(a), &v2(Auth::None), true), Ok(()));
        let mut a = v2(Auth::None);
        a.addresses[1] = IpAddr::from([192, 0, 2, 9]);
        assert_eq!(
            validate(&received(a), &v2(Auth::None), true),
            Err(DecodeError::AddressListMismatch)
        );
    }

    #[test]
    fn v3_learns_interval_and_tolerates_address_lists() {
        let mut local = v2(Auth::None);
        local.version = Version::V3;
        let mut a = local.clone();
        a.interval_cs = 5;
        a.addresses.pop();
        assert_eq!(validate(&received(a), &local, true), Ok(()));
    }
}
