//! The daemon-wide settings the VRRP plan does not carry: `global_defs`
//! (router id, notify FIFOs, SMTP alerts) and which instances and groups
//! send alert mail. Read again on every reload.

use lbkit_keepalived_cfg::model::{self, RawNode};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// keepalived's default `smtp_connect_timeout`.
const SMTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings for the running daemon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `router_id`, default the host name.
    pub(crate) router_id: String,
    /// Global `smtp_alert` (`None`: unset).
    pub(crate) smtp_alert: Option<bool>,
    /// Global `smtp_alert_vrrp` (`None`: unset).
    pub(crate) smtp_alert_vrrp: Option<bool>,
    /// Where alert mail goes, when it goes.
    pub(crate) smtp: Option<Smtp>,
    /// Instances whose state changes are mailed.
    pub(crate) mail_instances: HashSet<String>,
    /// Sync groups whose state changes are mailed.
    pub(crate) mail_groups: HashSet<String>,
    /// `notify_fifo` (every process's events).
    pub(crate) notify_fifo: Option<Fifo>,
    /// `vrrp_notify_fifo` (VRRP events only).
    pub(crate) vrrp_notify_fifo: Option<Fifo>,
    /// `vrrp_version`, default 2.
    pub(crate) vrrp_version: u8,
    /// `script_user` / `enable_script_security` and the scripts refused.
    pub(crate) security: crate::security::Policy,
    /// Virtual address labels (`label eth0:1`) by instance name.
    pub(crate) labels: HashMap<String, Vec<(IpAddr, String)>>,
}

/// A notify FIFO and the script keepalived starts to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fifo {
    /// The FIFO's path (created when missing).
    pub(crate) path: PathBuf,
    /// `*_fifo_script`: started with the FIFO's path as its argument.
    pub(crate) script: Option<String>,
}

/// The SMTP settings of `global_defs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Smtp {
    /// `smtp_server` host.
    pub(crate) host: String,
    /// Its port (25 unless given).
    pub(crate) port: u16,
    /// `smtp_helo_name`, default the host name.
    pub(crate) helo: String,
    /// `notification_email_from`, default `keepalived@HOSTNAME`.
    pub(crate) from: String,
    /// `notification_email`.
    pub(crate) to: Vec<String>,
    /// `smtp_connect_timeout`.
    pub(crate) connect_timeout: Duration,
}

impl Settings {
    /// The settings of a configuration.
    pub(crate) fn of(cfg: &model::Config) -> Self {
        let g = &cfg.global_defs;
        let host = host_name();
        let smtp_alert = g.smtp_alert.as_ref().map(|b| b.value);
        let smtp_alert_vrrp = g.smtp_alert_vrrp.as_ref().map(|b| b.value);
        // keepalived: an instance's own smtp_alert wins; otherwise
        // smtp_alert_vrrp, otherwise smtp_alert decides.
        let default_alert = smtp_alert_vrrp.or(smtp_alert).unwrap_or(false);
        let mail_instances = cfg
            .vrrp_instances
            .iter()
            .filter(|i| i.smtp_alert.as_ref().map_or(default_alert, |b| b.value))
            .map(|i| i.name.value.clone())
            .collect();
        let mail_groups = cfg
            .vrrp_sync_groups
            .iter()
            .filter(|s| s.smtp_alert.as_ref().map_or(default_alert, |b| b.value))
            .map(|s| s.name.value.clone())
            .collect();
        let smtp = g.smtp_server.as_ref().map(|s| Smtp {
            host: s.value.host.clone(),
            port: s.value.port.unwrap_or(25),
            helo: g
                .smtp_helo_name
                .as_ref()
                .map_or_else(|| host.clone(), |h| h.value.clone()),
            from: g
                .notification_email_from
                .as_ref()
                .map_or_else(|| format!("keepalived@{host}"), |f| f.value.clone()),
            to: g
                .notification_email
                .iter()
                .map(|e| e.value.clone())
                .collect(),
            connect_timeout: g
                .smtp_connect_timeout
                .as_ref()
                .map_or(SMTP_CONNECT_TIMEOUT, |t| t.value),
        });
        Settings {
            router_id: g
                .router_id
                .as_ref()
                .map_or_else(|| host.clone(), |r| r.value.clone()),
            smtp_alert,
            smtp_alert_vrrp,
            smtp,
            mail_instances,
            mail_groups,
            notify_fifo: fifo(&g.other, "notify_fifo"),
            vrrp_notify_fifo: fifo(&g.other, "vrrp_notify_fifo"),
            vrrp_version: g.vrrp_version.as_ref().map_or(2, |v| v.value),
            security: crate::security::Policy::default(),
            labels: labels(cfg),
        }
    }

    /// The settings of a configuration, with the script policy worked out
    /// for every script `plan` runs (logging what keepalived logs).
    pub(crate) fn with_plan(cfg: &model::Config, plan: &crate::compile::Plan) -> Self {
        let mut s = Settings::of(cfg);
        let mut commands: Vec<String> = plan.scripts.iter().map(|x| x.command.clone()).collect();
        for r in &plan.routers {
            for u in &r.units {
                match u {
                    crate::compile::UnitPlan::Single(ip) => {
                        notify_commands(&ip.notify, &mut commands)
                    }
                    crate::compile::UnitPlan::Group {
                        members, notify, ..
                    } => {
                        notify_commands(notify, &mut commands);
                        for ip in members {
                            notify_commands(&ip.notify, &mut commands);
                        }
                    }
                }
            }
        }
        for f in [&s.notify_fifo, &s.vrrp_notify_fifo].into_iter().flatten() {
            if let Some(c) = &f.script {
                commands.push(c.clone());
            }
        }
        commands.sort_unstable();
        commands.dedup();
        s.security = crate::security::policy(&cfg.global_defs, commands.iter().map(String::as_str));
        s
    }
}

/// The labelled virtual addresses of each instance.
fn labels(cfg: &model::Config) -> HashMap<String, Vec<(IpAddr, String)>> {
    cfg.vrrp_instances
        .iter()
        .map(|i| {
            let labelled = i
                .virtual_ipaddress
                .iter()
                .filter_map(|v| {
                    let label = v.value.options().label.as_ref()?;
                    Some((v.value.addr.value.addr, label.value.clone()))
                })
                .collect();
            (i.name.value.clone(), labelled)
        })
        .collect()
}

/// Adds the commands of a set of notify scripts to `out`.
fn notify_commands(n: &crate::compile::NotifyPlan, out: &mut Vec<String>) {
    for c in [&n.master, &n.backup, &n.fault, &n.stop, &n.any]
        .into_iter()
        .flatten()
    {
        out.push(c.clone());
    }
}

/// `KEYWORD PATH [USER [GROUP]]` and `KEYWORD_script CMD [USER [GROUP]]`.
fn fifo(other: &[RawNode], keyword: &str) -> Option<Fifo> {
    let script_keyword = format!("{keyword}_script");
    let find = |k: &str| {
        other
            .iter()
            .rev()
            .find(|n| n.keyword.value == k)
            .and_then(|n| n.args.first())
            .map(|a| a.value.clone())
    };
    Some(Fifo {
        path: PathBuf::from(find(keyword)?),
        script: find(&script_keyword),
    })
}

/// The host name (`uname -n`).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        let loaded =
            lbkit_keepalived_cfg::load_str("t.conf", text, &lbkit_keepalived_cfg::Options::new());
        Settings::of(&loaded.config)
    }

    #[test]
    fn smtp_and_fifos_come_from_global_defs() {
        let s = settings(
            "global_defs {
  router_id lb1
  notification_email {
    ops@example.com
  }
  notification_email_from lb1@example.com
  smtp_server 127.0.0.1 2525
  smtp_connect_timeout 3
  vrrp_notify_fifo /run/k.fifo
  vrrp_notify_fifo_script /usr/local/bin/reader
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
  smtp_alert
  virtual_ipaddress {
    192.0.2.1
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.2
  }
}
",
        );
        assert_eq!(s.router_id, "lb1");
        let smtp = s.smtp.unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port), ("127.0.0.1", 2525));
        assert_eq!(smtp.from, "lb1@example.com");
        assert_eq!(smtp.to, ["ops@example.com"]);
        assert_eq!(smtp.connect_timeout, Duration::from_secs(3));
        // Only A asked for mail (no global smtp_alert).
        assert!(s.mail_instances.contains("A") && !s.mail_instances.contains("B"));
        let fifo = s.vrrp_notify_fifo.unwrap();
        assert_eq!(fifo.path, PathBuf::from("/run/k.fifo"));
        assert_eq!(fifo.script.as_deref(), Some("/usr/local/bin/reader"));
        assert!(s.notify_fifo.is_none());
        assert_eq!(s.vrrp_version, 2);
    }
}
