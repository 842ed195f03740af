//! `show servers state` (format version 1, as `server-state-file` reads it)
//! and `show backend`.

use super::snapshot::{Proxy, Server, Snapshot};

/// The version line and the column header of `show servers state`.
pub const SERVERS_STATE_HEADER: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state \
srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status \
srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id \
srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr \
srv_agent_addr srv_agent_port\n";

/// Why `show servers state <backend>` failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// No backend has that name.
    #[error("Can't find backend.\n")]
    NoSuchBackend,
}

/// The `show servers state [backend]` answer.
pub fn show_servers_state(
    snapshot: &Snapshot,
    backend: Option<&str>,
) -> Result<String, StateError> {
    let mut out = String::from(SERVERS_STATE_HEADER);
    match backend {
        Some(name) => {
            let px = snapshot.backend(name).ok_or(StateError::NoSuchBackend)?;
            push_proxy(&mut out, px);
        }
        None => {
            for px in snapshot.proxies.iter().filter(|p| p.backend.is_some()) {
                push_proxy(&mut out, px);
            }
        }
    }
    Ok(out)
}

/// One line per server of `px`.
fn push_proxy(out: &mut String, px: &Proxy) {
    for sv in &px.servers {
        out.push_str(&server_line(px, sv));
        out.push('\n');
    }
}

/// The check state bits: configured 0x02, enabled 0x04, paused 0x08.
/// A server disabled in the configuration has its (absent) check paused.
fn check_state_bits(sv: &Server) -> u8 {
    let paused_cfg = if sv.admin.maint() { 0x08 } else { 0 };
    match &sv.check {
        Some(c) => 0x02 | 0x04 | if c.paused { 0x08 } else { 0 },
        None => paused_cfg,
    }
}

/// One `show servers state` line.
pub fn server_line(px: &Proxy, sv: &Server) -> String {
    let (addr, port) = match sv.addr {
        Some(a) => (a.ip().to_string(), a.port()),
        None => ("-".to_owned(), 0),
    };
    let (status, result, health) = match &sv.check {
        Some(c) => (c.status.code(), c.status.result(), c.health),
        None => (
            1,
            0,
            if sv.usable() || sv.admin.drain() {
                2
            } else {
                0
            },
        ),
    };
    let check_port = sv.check.as_ref().and_then(|c| c.port).unwrap_or(0);
    format!(
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 0 0 - {} - 0 {} - - 0",
        px.id,
        px.name,
        sv.id,
        sv.name,
        addr,
        sv.op.code(),
        sv.admin.bits(),
        sv.weight,
        sv.initial_weight,
        sv.last_change_secs,
        status,
        result,
        health,
        check_state_bits(sv),
        port,
        check_port,
    )
}

/// The `show backend` answer: `# name`, one backend per line, blank line.
pub fn show_backend(snapshot: &Snapshot) -> String {
    let mut out = String::from("# name\n");
    for px in snapshot.proxies.iter().filter(|p| p.backend.is_some()) {
        out.push_str(&px.name);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::snapshot::Backend;

    #[test]
    fn unknown_backend_is_haproxys_message() {
        let snap = Snapshot::default();
        assert_eq!(
            show_servers_state(&snap, Some("nope")).map_err(|e| e.to_string()),
            Err("Can't find backend.\n".to_owned())
        );
    }

    #[test]
    fn show_backend_lists_backends_only() {
        let snap = Snapshot {
            proxies: vec![
                Proxy {
                    name: "fe".into(),
                    ..Default::default()
                },
                Proxy {
                    name: "be".into(),
                    backend: Some(Backend::default()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(show_backend(&snap), "# name\nbe\n");
    }
}
