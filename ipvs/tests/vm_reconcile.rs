//! Reconcile against the real kernel (inside the VM): a dry run changes
//! nothing, applying reaches the desired state, a second run plans
//! nothing, a weight change is one in-place edit.

#![allow(clippy::unwrap_used, clippy::panic)]

mod vm;

use lbkit_ipvs::*;
use vm::{fresh_client, in_vm, ipvsadm};

fn sa(s: &str) -> std::net::SocketAddr {
    s.parse().unwrap()
}

fn desired() -> Vec<DesiredService> {
    vec![
        DesiredService::new(
            Service::new(ServiceKey::tcp(sa("192.0.2.10:80")))
                .scheduler("wrr")
                .persistent(60),
        )
        .destination(Destination::new(sa("198.51.100.1:80")).weight(3))
        .destination(
            Destination::new(sa("198.51.100.2:80"))
                .forward(ForwardMethod::Route)
                .weight(1),
        ),
        DesiredService::new(Service::new(ServiceKey::fwmark(9)).scheduler("sh"))
            .destination(Destination::new(sa("198.51.100.3:0")).forward(ForwardMethod::Route)),
        DesiredService::new(Service::new(ServiceKey::udp(sa("[2001:db8::53]:53"))).scheduler("rr"))
            .destination(Destination::new(sa("[2001:db8::1]:53")).weight(2)),
    ]
}

/// The kernel's state with the read-only flag dropped, sorted.
fn state(c: &mut Client) -> Vec<(Service, Vec<Destination>)> {
    let mut out: Vec<(Service, Vec<Destination>)> = c
        .state()
        .unwrap()
        .into_iter()
        .map(|s| {
            let mut svc = s.service;
            svc.flags = svc.flags.without(ServiceFlags::HASHED);
            let mut d = s.destinations;
            d.sort_by_key(|d| d.addr);
            (svc, d)
        })
        .collect();
    out.sort_by_key(|(s, _)| s.key);
    out
}

fn want_state(d: &[DesiredService]) -> Vec<(Service, Vec<Destination>)> {
    let mut out: Vec<(Service, Vec<Destination>)> = d
        .iter()
        .map(|s| {
            let mut dests = s.destinations.clone();
            dests.sort_by_key(|d| d.addr);
            (s.service.clone(), dests)
        })
        .collect();
    out.sort_by_key(|(s, _)| s.key);
    out
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn reconcile_reaches_desired_state_idempotently() {
    if !in_vm("reconcile_reaches_desired_state_idempotently") {
        return;
    }
    let mut c = fresh_client();
    let want = desired();
    let dry = c.reconcile(&want, true).unwrap();
    assert_eq!(dry.ops.len(), 3 + 4, "{:?}", dry.ops);
    assert!(
        c.services().unwrap().is_empty(),
        "a dry run changed the kernel"
    );

    let applied = c.reconcile(&want, false).unwrap();
    assert_eq!(applied, dry);
    assert_eq!(state(&mut c), want_state(&want));
    let listed = ipvsadm(&["-Ln"]);
    assert!(
        listed.contains("TCP  192.0.2.10:80 wrr persistent 60"),
        "{listed}"
    );
    assert!(
        listed.contains("  -> 198.51.100.2:80              Route   1"),
        "{listed}"
    );

    let again = c.reconcile(&want, false).unwrap();
    assert!(again.is_empty(), "second run planned {:?}", again.ops);

    // A weight to 0 (quiesce) is one SET_DEST.
    let mut quiesce = want.clone();
    quiesce[0].destinations[0].weight = 0;
    let p = c.reconcile(&quiesce, false).unwrap();
    assert_eq!(
        p.ops,
        [Op::EditDest(
            quiesce[0].service.key,
            quiesce[0].destinations[0].clone()
        )]
    );
    assert!(ipvsadm(&["-Ln"]).contains("  -> 198.51.100.1:80              Masq    0"));

    // Drop a service, change a scheduler, move a destination.
    let mut next = quiesce.clone();
    next.remove(1);
    next[1].service.scheduler = "wlc".into();
    next[0].destinations.remove(1);
    next[0]
        .destinations
        .push(Destination::new(sa("198.51.100.4:80")).weight(5));
    let p = c.reconcile(&next, false).unwrap();
    let k0 = next[0].service.key;
    assert_eq!(
        p.ops,
        [
            Op::DelService(ServiceKey::fwmark(9)),
            Op::DelDest(k0, sa("198.51.100.2:80")),
            Op::AddDest(k0, Destination::new(sa("198.51.100.4:80")).weight(5)),
            Op::EditService(next[1].service.clone()),
        ]
    );
    assert_eq!(state(&mut c), want_state(&next));
    assert!(c.reconcile(&next, true).unwrap().is_empty());
    // Desired empty: everything goes.
    let p = c.reconcile(&[], false).unwrap();
    assert_eq!(p.ops.len(), 2);
    assert!(c.services().unwrap().is_empty());
}
