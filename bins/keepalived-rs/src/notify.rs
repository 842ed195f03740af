//! systemd's readiness protocol (`sd_notify`): `READY=1` once the
//! configuration runs, `RELOADING=1` … `READY=1` around a SIGHUP reload,
//! `STOPPING=1` on stop.
//!
//! The state goes in one datagram to the unix socket named by
//! `NOTIFY_SOCKET`: a path, or an abstract address written `@NAME`.
//! Without `NOTIFY_SOCKET` (not started by systemd) nothing is sent.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The environment variable systemd sets for `Type=notify` services.
const SOCKET_ENV: &str = "NOTIFY_SOCKET";

/// The configuration runs.
pub(crate) const READY: &str = "READY=1";
/// A reload starts.
pub(crate) const RELOADING: &str = "RELOADING=1";
/// The daemon is stopping.
pub(crate) const STOPPING: &str = "STOPPING=1";

/// Tells the service manager `state`; failures are logged, not fatal.
pub(crate) fn notify(state: &str) {
    let Some(name) = std::env::var_os(SOCKET_ENV) else {
        return;
    };
    let Some(name) = name.to_str() else {
        parent_log!("NOTIFY_SOCKET is not UTF-8; not notifying");
        return;
    };
    if let Err(e) = send(name, state) {
        parent_log!("cannot notify {name}: {e}");
    }
}

/// The address `NOTIFY_SOCKET` names.
fn address(name: &str) -> std::io::Result<SocketAddr> {
    match name.strip_prefix('@') {
        Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name.as_bytes()),
        None if name.starts_with('/') => SocketAddr::from_pathname(name),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "neither a path nor an abstract address",
        )),
    }
}

/// Sends `state` in one datagram to the socket `name`.
fn send(name: &str, state: &str) -> std::io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    socket.send_to_addr(state.as_bytes(), &address(name)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_abstract_names_are_addresses() {
        let a = address("/run/systemd/notify").unwrap();
        assert_eq!(
            a.as_pathname(),
            Some(std::path::Path::new("/run/systemd/notify"))
        );
        let a = address("@/org/freedesktop/systemd1/notify/1").unwrap();
        assert_eq!(
            a.as_abstract_name(),
            Some(&b"/org/freedesktop/systemd1/notify/1"[..])
        );
        assert!(address("relative").is_err());
        assert!(address("").is_err());
    }

    #[test]
    fn states_reach_an_abstract_socket() {
        let name = format!("ka-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let server = UnixDatagram::bind_addr(&addr).unwrap();
        send(&format!("@{name}"), READY).unwrap();
        send(&format!("@{name}"), STOPPING).unwrap();
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }
}
