//! `global_defs` settings of the IPVS table as a whole: `lvs_timeouts`,
//! `lvs_flush`, and `lvs_sync_daemon`, the kernel's connection-sync
//! daemon that follows one VRRP instance (master daemon while the
//! instance is MASTER, backup daemon otherwise, none after shutdown), as
//! keepalived's VRRP process drives it.

use lbkit_ipvs::{Client, Daemon, DaemonState, Timeouts};
use lbkit_keepalived_cfg::model::Config;
use std::net::IpAddr;
use std::sync::Mutex;

/// `lvs_sync_daemon IF INSTANCE [id N] [maxlen N] [port N] [ttl N]
/// [group ADDR]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncPlan {
    /// The VRRP instance it follows.
    pub(crate) instance: String,
    /// The daemon's settings (its state is set when it starts).
    pub(crate) daemon: Daemon,
}

/// Reads `lvs_sync_daemon`; the sync id defaults to the instance's
/// `virtual_router_id`.
pub(crate) fn sync_plan(config: &Config) -> Result<Option<SyncPlan>, String> {
    let Some(words) = &config.global_defs.lvs_sync_daemon else {
        return Ok(None);
    };
    let words: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
    let [interface, instance, rest @ ..] = words.as_slice() else {
        return Err("lvs_sync_daemon needs an interface and a VRRP instance".into());
    };
    let vrid = config
        .vrrp_instances
        .iter()
        .find(|i| i.name.value == *instance)
        .ok_or_else(|| format!("lvs_sync_daemon: no vrrp_instance {instance}"))?
        .virtual_router_id
        .as_ref()
        .map_or(0, |v| u32::from(v.value));
    let mut daemon = Daemon::new(DaemonState::Backup, interface, vrid);
    let mut it = rest.iter();
    while let Some(key) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("lvs_sync_daemon: {key} needs a value"))?;
        let bad = || format!("lvs_sync_daemon: {key} {value} is invalid");
        match *key {
            "id" => {
                daemon.sync_id = value.parse::<u8>().map_err(|_| bad())?.into();
            }
            "maxlen" => daemon.max_len = Some(value.parse().map_err(|_| bad())?),
            "port" => daemon.mcast_port = Some(value.parse().map_err(|_| bad())?),
            "ttl" => daemon.mcast_ttl = Some(value.parse().map_err(|_| bad())?),
            "group" => daemon.mcast_group = Some(value.parse::<IpAddr>().map_err(|_| bad())?),
            _ => return Err(format!("lvs_sync_daemon: unknown option {key}")),
        }
    }
    Ok(Some(SyncPlan {
        instance: (*instance).to_string(),
        daemon,
    }))
}

/// `lvs_timeouts [tcp N] [tcpfin N] [udp N]` (0: unchanged).
pub(crate) fn timeouts(config: &Config) -> Result<Option<Timeouts>, String> {
    let Some(words) = &config.global_defs.lvs_timeouts else {
        return Ok(None);
    };
    let mut t = Timeouts::default();
    let mut it = words.iter().map(|w| w.value.as_str());
    while let Some(key) = it.next() {
        let value: u32 = it
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("lvs_timeouts: {key} needs a number of seconds"))?;
        match key {
            "tcp" => t.tcp = value,
            "tcpfin" => t.tcp_fin = value,
            "udp" => t.udp = value,
            _ => return Err(format!("lvs_timeouts: unknown option {key}")),
        }
    }
    Ok(Some(t))
}

/// The sync daemon configured now, if any (set by the daemon at start and
/// reload, read when a VRRP instance changes state).
static SYNC: Mutex<Option<SyncPlan>> = Mutex::new(None);

/// Records the configuration's `lvs_sync_daemon` (logged when invalid).
pub(crate) fn configure(config: &Config) {
    let plan = match sync_plan(config) {
        Ok(p) => p,
        Err(e) => {
            vrrp_log!("{e}");
            None
        }
    };
    if let Ok(mut s) = SYNC.lock() {
        *s = plan;
    }
}

/// Called on each VRRP state change: the instance the sync daemon
/// follows entering MASTER starts the master daemon (backup stopped);
/// entering any other state starts the backup daemon (master stopped).
pub(crate) fn on_vrrp_state(instance: &str, state: &str) {
    let plan = match SYNC.lock() {
        Ok(s) => s.clone(),
        Err(_) => None,
    };
    let Some(plan) = plan.filter(|p| p.instance == instance) else {
        return;
    };
    let role = if state == "MASTER" {
        DaemonState::Master
    } else {
        DaemonState::Backup
    };
    if let Err(e) = set_role(&plan, Some(role)) {
        vrrp_log!("lvs_sync_daemon: {e}");
    }
}

/// Stops the sync daemons this configuration runs (at shutdown).
pub(crate) fn stop() {
    let plan = SYNC.lock().ok().and_then(|s| s.clone());
    if let Some(plan) = plan {
        if let Err(e) = set_role(&plan, None) {
            vrrp_log!("lvs_sync_daemon: {e}");
        }
    }
}

/// Runs the daemon in `role` only (none: both stopped).
fn set_role(plan: &SyncPlan, role: Option<DaemonState>) -> Result<(), lbkit_ipvs::Error> {
    let mut c = Client::connect()?;
    let running = c.daemons()?;
    for d in &running {
        if Some(d.state) != role {
            c.stop_daemon(d.state)?;
        }
    }
    if let Some(role) = role {
        let mut want = plan.daemon.clone();
        want.state = role;
        if !running.iter().any(|d| d.state == role) {
            c.start_daemon(&want)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_keepalived_cfg::{load_str, Options};

    fn config(global: &str) -> Config {
        let text = format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {{\n 192.0.2.1\n }}\n}}\n"
        );
        load_str("t.conf", &text, &Options::new()).config
    }

    #[test]
    fn sync_daemon_defaults_its_id_to_the_vrid() {
        let p = sync_plan(&config("lvs_sync_daemon eth0 VI_1"))
            .unwrap()
            .unwrap();
        assert_eq!(p.instance, "VI_1");
        assert_eq!(p.daemon, Daemon::new(DaemonState::Backup, "eth0", 51));
        let p = sync_plan(&config(
            "lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82",
        ))
        .unwrap()
        .unwrap();
        let want = Daemon::new(DaemonState::Backup, "eth1", 7)
            .max_len(1400)
            .port(8849)
            .ttl(2)
            .group("224.0.0.82".parse().unwrap());
        assert_eq!(p.daemon, want);
        assert!(sync_plan(&config("lvs_sync_daemon eth0 NOPE")).is_err());
        assert_eq!(sync_plan(&config("")).unwrap(), None);
    }

    #[test]
    fn timeouts_read_each_word_pair() {
        let t = timeouts(&config("lvs_timeouts tcp 900 udp 30"))
            .unwrap()
            .unwrap();
        assert_eq!(
            t,
            Timeouts {
                tcp: 900,
                tcp_fin: 0,
                udp: 30
            }
        );
    }
}
