//! The crate's errors.

use crate::ServerId;
use std::fmt;

/// Which family of algorithms a name was looked up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// The Linux kernel's IPVS schedulers (`lb_algo`, `ipvsadm -s`).
    Ipvs,
    /// HAProxy's `balance` algorithms.
    Haproxy,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ipvs => "IPVS scheduler",
            Family::Haproxy => "HAProxy balance algorithm",
        })
    }
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// Why a scheduler could not be built or changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The algorithm name is not one the family knows.
    #[error("unknown {family} `{name}`{}", did_you_mean(suggestion))]
    UnknownAlgorithm {
        /// Where the name was looked up.
        family: Family,
        /// The name as written.
        name: String,
        /// A known name close to it.
        suggestion: Option<&'static str>,
    },
    /// The algorithm's arguments are wrong.
    #[error("invalid arguments for `{algorithm}`: {reason}")]
    InvalidArgument {
        /// The algorithm.
        algorithm: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A weight outside what the original accepts.
    #[error("weight {weight} of server {id} is out of range (0..={max})")]
    WeightOutOfRange {
        /// The server.
        id: ServerId,
        /// The weight asked for.
        weight: u32,
        /// The largest weight accepted.
        max: u32,
    },
    /// IPVS: a lower threshold above the upper one (the kernel says ERANGE).
    #[error("lower threshold {lower} of server {id} is above its upper threshold {upper}")]
    ThresholdOrder {
        /// The server.
        id: ServerId,
        /// The upper threshold.
        upper: u32,
        /// The lower threshold.
        lower: u32,
    },
    /// A server with this id is already in the set.
    #[error("server {0} is already in the set")]
    DuplicateServer(ServerId),
    /// No server with this id is in the set.
    #[error("no server {0} in the set")]
    UnknownServer(ServerId),
    /// The algorithm cannot hold more servers (HAProxy roundrobin: 4095 active).
    #[error("`{algorithm}` takes at most {limit} servers")]
    TooManyServers {
        /// The algorithm.
        algorithm: &'static str,
        /// Its limit.
        limit: usize,
    },
    /// The algorithm hashes server addresses and this server has none.
    #[error("server {id} needs an address for `{algorithm}`")]
    AddressRequired {
        /// The server.
        id: ServerId,
        /// The algorithm.
        algorithm: &'static str,
    },
}

/// Why `pick` found no server. Neither the kernel nor HAProxy panics here:
/// they refuse the connection (IPVS) or queue / return 503 (HAProxy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PickError {
    /// The set has no server at all.
    #[error("the server set is empty")]
    Empty,
    /// Every server is down, drained, weight 0 or overloaded.
    #[error("no server is available")]
    Unavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        let e = Error::UnknownAlgorithm {
            family: Family::Ipvs,
            name: "wlcc".into(),
            suggestion: Some("wlc"),
        };
        assert_eq!(
            e.to_string(),
            "unknown IPVS scheduler `wlcc` (did you mean `wlc`?)"
        );
    }
}
