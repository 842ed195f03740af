//! Desired state → the kernel's state: a diff that yields the fewest
//! operations, in an order the kernel accepts, editing what can be edited
//! in place (a weight change is one `SET_DEST`, so the destination's
//! connections survive).
//!
//! [`plan`] is pure; [`Client::reconcile`](crate::Client::reconcile)
//! reads the kernel's state, plans, and applies (or only returns the plan
//! on a dry run).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;

use crate::codec::Request;
use crate::model::*;

/// A service with the destinations it should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredService {
    /// The service's settings.
    pub service: Service,
    /// Its destinations.
    pub destinations: Vec<Destination>,
}

impl DesiredService {
    /// A service without destinations.
    pub fn new(service: Service) -> Self {
        DesiredService {
            service,
            destinations: Vec::new(),
        }
    }

    /// Adds a destination.
    pub fn destination(mut self, d: Destination) -> Self {
        self.destinations.push(d);
        self
    }
}

/// A service as it is in the kernel, with its destinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentService {
    /// The service as reported.
    pub service: Service,
    /// Its destinations as reported.
    pub destinations: Vec<Destination>,
}

/// One change to the kernel's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Add a service.
    AddService(Service),
    /// Change a service's settings in place.
    EditService(Service),
    /// Delete a service (and with it its destinations).
    DelService(ServiceKey),
    /// Add a destination.
    AddDest(ServiceKey, Destination),
    /// Change a destination's settings in place.
    EditDest(ServiceKey, Destination),
    /// Delete a destination.
    DelDest(ServiceKey, SocketAddr),
}

impl Op {
    /// The request that performs it.
    pub fn request(&self) -> Request {
        match self {
            Op::AddService(s) => Request::new_service(s),
            Op::EditService(s) => Request::set_service(s),
            Op::DelService(k) => Request::del_service(k),
            Op::AddDest(k, d) => Request::new_dest(k, d),
            Op::EditDest(k, d) => Request::set_dest(k, d),
            Op::DelDest(k, a) => Request::del_dest(k, *a),
        }
    }
}

impl fmt::Display for Op {
    /// Like the ipvsadm command that would do the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::AddService(s) => write!(f, "add service {} {}", s.key, s.scheduler),
            Op::EditService(s) => write!(f, "edit service {} {}", s.key, s.scheduler),
            Op::DelService(k) => write!(f, "delete service {k}"),
            Op::AddDest(k, d) => write!(
                f,
                "add destination {} to {k} ({} weight {})",
                d.addr,
                d.forward.name(),
                d.weight
            ),
            Op::EditDest(k, d) => write!(
                f,
                "edit destination {} of {k} ({} weight {})",
                d.addr,
                d.forward.name(),
                d.weight
            ),
            Op::DelDest(k, a) => write!(f, "delete destination {a} of {k}"),
        }
    }
}

/// The operations that turn the current state into the desired one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// In the order they must run.
    pub ops: Vec<Op>,
}

impl Plan {
    /// Whether nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A desired state that cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The same service twice.
    #[error("service {0} is listed twice")]
    DuplicateService(ServiceKey),
    /// The same destination twice in a service.
    #[error("destination {addr} is listed twice in service {service}")]
    DuplicateDestination {
        /// The service.
        service: ServiceKey,
        /// The destination.
        addr: SocketAddr,
    },
}

/// The settings of a service that the kernel lets a user choose (its
/// read-only `HASHED` flag left out).
fn settable(s: &Service) -> Service {
    let mut s = s.clone();
    s.flags = s.flags.without(ServiceFlags::HASHED);
    s
}

/// The diff from `current` to `desired`: services gone are deleted first
/// (their destinations with them), then services kept are edited and
/// their destinations deleted, edited, added; then new services are
/// added, each followed by its destinations.
pub fn plan(
    current: &[CurrentService],
    desired: &[DesiredService],
) -> Result<Plan, ReconcileError> {
    let mut wanted: HashMap<ServiceKey, &DesiredService> = HashMap::new();
    for d in desired {
        if wanted.insert(d.service.key, d).is_some() {
            return Err(ReconcileError::DuplicateService(d.service.key));
        }
        let mut seen = HashSet::new();
        for dest in &d.destinations {
            if !seen.insert(dest.addr) {
                return Err(ReconcileError::DuplicateDestination {
                    service: d.service.key,
                    addr: dest.addr,
                });
            }
        }
    }
    let have: HashMap<ServiceKey, &CurrentService> =
        current.iter().map(|c| (c.service.key, c)).collect();
    let mut ops = Vec::new();
    for c in current {
        if !wanted.contains_key(&c.service.key) {
            ops.push(Op::DelService(c.service.key));
        }
    }
    for d in desired {
        let key = d.service.key;
        let Some(c) = have.get(&key) else {
            continue;
        };
        if settable(&c.service) != settable(&d.service) {
            ops.push(Op::EditService(settable(&d.service)));
        }
        diff_destinations(key, &c.destinations, &d.destinations, &mut ops);
    }
    for d in desired {
        if have.contains_key(&d.service.key) {
            continue;
        }
        ops.push(Op::AddService(settable(&d.service)));
        for dest in &d.destinations {
            ops.push(Op::AddDest(d.service.key, dest.clone()));
        }
    }
    Ok(Plan { ops })
}

/// Deletes, then in-place edits, then additions of one service's
/// destinations.
fn diff_destinations(
    key: ServiceKey,
    have: &[Destination],
    want: &[Destination],
    ops: &mut Vec<Op>,
) {
    let have_by: BTreeMap<SocketAddr, &Destination> = have.iter().map(|d| (d.addr, d)).collect();
    let want_addrs: HashSet<SocketAddr> = want.iter().map(|d| d.addr).collect();
    for d in have {
        if !want_addrs.contains(&d.addr) {
            ops.push(Op::DelDest(key, d.addr));
        }
    }
    for d in want {
        match have_by.get(&d.addr) {
            Some(h) if *h == d => {}
            Some(_) => ops.push(Op::EditDest(key, d.clone())),
            None => {}
        }
    }
    for d in want {
        if !have_by.contains_key(&d.addr) {
            ops.push(Op::AddDest(key, d.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn web() -> DesiredService {
        DesiredService::new(Service::new(ServiceKey::tcp(sa("192.0.2.10:80"))).scheduler("wrr"))
            .destination(Destination::new(sa("198.51.100.1:80")).weight(3))
            .destination(Destination::new(sa("198.51.100.2:80")).weight(1))
    }

    /// The kernel's view of a desired service (it adds HASHED).
    fn as_kernel(d: &DesiredService) -> CurrentService {
        CurrentService {
            service: d.service.clone().flags(ServiceFlags::HASHED),
            destinations: d.destinations.clone(),
        }
    }

    #[test]
    fn from_empty_adds_service_then_destinations() {
        let p = plan(&[], &[web()]).unwrap();
        let key = web().service.key;
        assert_eq!(
            p.ops,
            [
                Op::AddService(web().service),
                Op::AddDest(key, web().destinations[0].clone()),
                Op::AddDest(key, web().destinations[1].clone()),
            ]
        );
    }

    #[test]
    fn same_state_plans_nothing() {
        let p = plan(&[as_kernel(&web())], &[web()]).unwrap();
        assert!(p.is_empty(), "{:?}", p.ops);
    }

    #[test]
    fn weight_change_is_one_edit_in_place() {
        let mut want = web();
        want.destinations[1].weight = 0;
        let p = plan(&[as_kernel(&web())], &[want.clone()]).unwrap();
        assert_eq!(
            p.ops,
            [Op::EditDest(want.service.key, want.destinations[1].clone())]
        );
    }

    #[test]
    fn scheduler_change_edits_the_service() {
        let mut want = web();
        want.service.scheduler = "lc".into();
        let p = plan(&[as_kernel(&web())], &[want.clone()]).unwrap();
        assert_eq!(p.ops, [Op::EditService(want.service)]);
    }

    #[test]
    fn removals_come_first_and_a_gone_service_takes_its_destinations() {
        let other = DesiredService::new(Service::new(ServiceKey::fwmark(5)))
            .destination(Destination::new(sa("198.51.100.9:0")));
        let mut want = web();
        want.destinations.remove(0);
        want.destinations
            .push(Destination::new(sa("198.51.100.3:80")).weight(2));
        let p = plan(&[as_kernel(&other), as_kernel(&web())], &[want.clone()]).unwrap();
        let key = want.service.key;
        assert_eq!(
            p.ops,
            [
                Op::DelService(ServiceKey::fwmark(5)),
                Op::DelDest(key, sa("198.51.100.1:80")),
                Op::AddDest(key, Destination::new(sa("198.51.100.3:80")).weight(2)),
            ]
        );
    }

    #[test]
    fn duplicates_are_refused() {
        assert_eq!(
            plan(&[], &[web(), web()]),
            Err(ReconcileError::DuplicateService(web().service.key))
        );
        let twice = web().destination(Destination::new(sa("198.51.100.1:80")));
        assert!(matches!(
            plan(&[], &[twice]),
            Err(ReconcileError::DuplicateDestination { .. })
        ));
    }

    #[test]
    fn forward_method_change_is_an_edit() {
        let mut want = web();
        want.destinations[0].forward = ForwardMethod::Route;
        let p = plan(&[as_kernel(&web())], &[want.clone()]).unwrap();
        assert_eq!(
            p.ops,
            [Op::EditDest(want.service.key, want.destinations[0].clone())]
        );
    }
}
