//! One scheduler type for both families, built from the line a user wrote.

use crate::error::Family;
use crate::{haproxy, ipvs, Error, PickError, RequestKey, ServerConfig, ServerId, ServerState};

/// An IPVS scheduler or an HAProxy balancer, chosen by a configuration line.
///
/// ```
/// use lbkit_sched::{RequestKey, Scheduler, ServerConfig, ServerId};
///
/// let mut lvs = Scheduler::from_config("lb_algo wlc")?;
/// let mut web = Scheduler::from_config("balance uri len 12")?;
/// for id in 1..=3 {
///     lvs.add(ServerId(id), ServerConfig::new(1))?;
///     web.add(ServerId(id), ServerConfig::new(1))?;
/// }
/// let server = web.pick(&RequestKey::new().uri(b"/index.html"))?;
/// assert!((1..=3).contains(&server.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
// One per service or backend, long-lived: size is irrelevant, while boxing
// would add an indirection to every pick.
#[allow(clippy::large_enum_variant)]
pub enum Scheduler {
    /// A kernel IPVS scheduler.
    Ipvs(ipvs::Scheduler),
    /// An HAProxy balance algorithm.
    Haproxy(haproxy::Balancer),
}

const KEYWORDS: [&str; 3] = ["lb_algo", "lvs_sched", "balance"];

impl Scheduler {
    /// Builds a scheduler from a configuration line: keepalived's
    /// `lb_algo NAME` / `lvs_sched NAME`, or HAProxy's `balance ALGO ARGS`.
    pub fn from_config(line: &str) -> Result<Self, Error> {
        let line = line.trim();
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match keyword {
            "lb_algo" | "lvs_sched" => Scheduler::ipvs(args),
            "balance" => Scheduler::haproxy(args),
            other => Err(Error::InvalidArgument {
                algorithm: "config line",
                reason: match crate::suggest::closest(other, &KEYWORDS) {
                    Some(s) => format!("expected `lb_algo`, `lvs_sched` or `balance`, found `{other}` (did you mean `{s}`?)"),
                    None => format!("expected `lb_algo`, `lvs_sched` or `balance`, found `{other}`"),
                },
            }),
        }
    }

    /// An IPVS scheduler by kernel name (`"wlc"`).
    pub fn ipvs(name: &str) -> Result<Self, Error> {
        ipvs::Scheduler::from_name(name).map(Scheduler::Ipvs)
    }

    /// An HAProxy balancer from `balance` arguments (`"uri len 12"`).
    pub fn haproxy(args: &str) -> Result<Self, Error> {
        let config = haproxy::BalancerConfig::from_balance(args)?;
        haproxy::Balancer::new(config).map(Scheduler::Haproxy)
    }

    /// Which family the scheduler belongs to.
    pub fn family(&self) -> Family {
        match self {
            Scheduler::Ipvs(_) => Family::Ipvs,
            Scheduler::Haproxy(_) => Family::Haproxy,
        }
    }

    /// Adds a server.
    pub fn add(&mut self, id: ServerId, cfg: ServerConfig) -> Result<(), Error> {
        match self {
            Scheduler::Ipvs(s) => s.add(id, cfg),
            Scheduler::Haproxy(b) => b.add(id, cfg),
        }
    }

    /// Removes a server.
    pub fn remove(&mut self, id: ServerId) -> Result<(), Error> {
        match self {
            Scheduler::Ipvs(s) => s.remove(id),
            Scheduler::Haproxy(b) => b.remove(id),
        }
    }

    /// Changes a server's weight.
    pub fn set_weight(&mut self, id: ServerId, weight: u32) -> Result<(), Error> {
        match self {
            Scheduler::Ipvs(s) => s.set_weight(id, weight),
            Scheduler::Haproxy(b) => b.set_weight(id, weight),
        }
    }

    /// Sets a server up, down or drained.
    pub fn set_state(&mut self, id: ServerId, state: ServerState) -> Result<(), Error> {
        match self {
            Scheduler::Ipvs(s) => s.set_state(id, state),
            Scheduler::Haproxy(b) => b.set_state(id, state),
        }
    }

    /// A connection was assigned to the server.
    pub fn connection_opened(&mut self, id: ServerId) -> Result<(), Error> {
        match self {
            Scheduler::Ipvs(s) => s.connection_opened(id),
            Scheduler::Haproxy(b) => b.connection_opened(id),
        }
    }

    /// A connection of the server ended.
    pub fn connection_closed(&mut self, id: ServerId) -> Result<(), Error> {
        match self {
            Scheduler::Ipvs(s) => s.connection_closed(id),
            Scheduler::Haproxy(b) => b.connection_closed(id),
        }
    }

    /// The server the original would pick for this request.
    pub fn pick(&mut self, key: &RequestKey<'_>) -> Result<ServerId, PickError> {
        match self {
            Scheduler::Ipvs(s) => s.pick(key),
            Scheduler::Haproxy(b) => b.pick(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_choose_the_family() {
        assert_eq!(
            Scheduler::from_config("lb_algo wlc").map(|s| s.family()),
            Ok(Family::Ipvs)
        );
        assert!(matches!(
            Scheduler::from_config("lb_algo wlcc"),
            Err(Error::UnknownAlgorithm {
                suggestion: Some("wlc"),
                ..
            })
        ));
        let err = Scheduler::from_config("balanse roundrobin").unwrap_err();
        assert!(err.to_string().contains("did you mean `balance`"), "{err}");
    }
}
