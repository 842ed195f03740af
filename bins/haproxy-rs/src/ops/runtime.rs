//! Running runtime API commands against a [`Snapshot`] and a [`Control`]
//! the engine implements, and the per-connection state (level, prompt
//! mode, `;`-separated commands, `quit`).

use super::cli::{
    help_message, parse_command, split_commands, AdminAction, CliError, Command, Level,
    ServerChange, ServerRef,
};
use super::info::show_info;
use super::snapshot::Snapshot;
use super::stat::{show_stat, StatOptions};
use super::state::{show_backend, show_servers_state};

/// Why the engine refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The engine has no such backend (it changed since the snapshot).
    #[error("No such backend.\n")]
    NoSuchBackend,
    /// The engine has no such server.
    #[error("No such server.\n")]
    NoSuchServer,
    /// The engine has no such frontend.
    #[error("No such frontend.\n")]
    NoSuchFrontend,
    /// The engine refused with its own message.
    #[error("{0}")]
    Refused(String),
}

/// The changes the runtime API can make; the engine implements it.
pub trait Control {
    /// `set server B/S state ...`, `enable|disable server`.
    fn set_server_admin(
        &mut self,
        target: &ServerRef,
        action: AdminAction,
    ) -> Result<(), ControlError>;
    /// `set server B/S weight ...` with the resulting absolute weight.
    fn set_server_weight(&mut self, target: &ServerRef, weight: u32) -> Result<(), ControlError>;
    /// `set maxconn server B/S N`.
    fn set_server_maxconn(&mut self, target: &ServerRef, maxconn: u64) -> Result<(), ControlError>;
    /// `set maxconn frontend F N`.
    fn set_frontend_maxconn(&mut self, frontend: &str, maxconn: u64) -> Result<(), ControlError>;
    /// `set maxconn global N`.
    fn set_global_maxconn(&mut self, maxconn: u64) -> Result<(), ControlError>;
}

/// The answer to one command, before the terminating blank line.
fn answer(
    cmd: &Command,
    level: Level,
    snap: &Snapshot,
    ctl: &mut dyn Control,
) -> Result<String, CliError> {
    match cmd {
        Command::Help(words) => {
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            Ok(help_message(&w))
        }
        Command::Prompt | Command::Quit | Command::LowerLevel(_) => Ok(String::new()),
        Command::ShowInfo => Ok(show_info(&snap.info)),
        Command::ShowStat { up_only, no_maint } => {
            let opts = StatOptions {
                show_legends: level >= Level::Operator,
            };
            Ok(filter_stat(show_stat(
                &filtered(snap, *up_only, *no_maint),
                opts,
            )))
        }
        Command::ShowServersState(be) => {
            show_servers_state(snap, be.as_deref()).map_err(|e| CliError::Message(e.to_string()))
        }
        Command::ShowBackend => Ok(show_backend(snap)),
        Command::ShowSess => Ok(show_sess(snap)),
        Command::SetServer { target, change } => {
            let initial = lookup_server(snap, target)?;
            match change.clone()? {
                ServerChange::State(a) => ctl.set_server_admin(target, a).map_err(refused)?,
                ServerChange::Weight(w) => ctl
                    .set_server_weight(target, w.apply(initial))
                    .map_err(refused)?,
            }
            Ok(String::new())
        }
        Command::SetMaxconnServer { target, value } => {
            lookup_server(snap, target)?;
            let v = value.clone()?;
            ctl.set_server_maxconn(target, v).map_err(refused)?;
            Ok(String::new())
        }
        Command::SetMaxconnFrontend { frontend, value } => {
            if snap.frontend(frontend).is_none() {
                return Err(CliError::Message("No such frontend.\n".into()));
            }
            let v = value.clone()?;
            ctl.set_frontend_maxconn(frontend, v).map_err(refused)?;
            Ok(String::new())
        }
        Command::SetMaxconnGlobal(v) => {
            let hard = snap.info.hard_maxconn;
            let v = match u64::try_from(*v) {
                Ok(0) | Err(_) => hard,
                Ok(v) if v > hard => return Err(CliError::Message("Value out of range.\n".into())),
                Ok(v) => v,
            };
            ctl.set_global_maxconn(v).map_err(refused)?;
            Ok(String::new())
        }
    }
}

/// The engine's refusal as a CLI message.
fn refused(e: ControlError) -> CliError {
    CliError::Message(e.to_string())
}

/// The server's configured weight, or HAProxy's lookup message.
fn lookup_server(snap: &Snapshot, target: &ServerRef) -> Result<u32, CliError> {
    let px = snap
        .backend(&target.backend)
        .ok_or_else(|| CliError::Message("No such backend.\n".into()))?;
    px.servers
        .iter()
        .find(|s| s.name == target.server)
        .map(|s| s.initial_weight)
        .ok_or_else(|| CliError::Message("No such server.\n".into()))
}

/// `show stat up` / `no-maint`: the snapshot without the hidden servers.
fn filtered(snap: &Snapshot, up_only: bool, no_maint: bool) -> Snapshot {
    let mut s = snap.clone();
    for px in &mut s.proxies {
        px.servers.retain(|sv| {
            let hidden_maint = no_maint && sv.admin.maint();
            let hidden_down = up_only && !sv.usable() && !sv.admin.drain();
            !hidden_maint && !hidden_down
        });
    }
    s
}

/// Identity today; the hook where `show stat` field filters would apply.
fn filter_stat(csv: String) -> String {
    csv
}

/// `show sess`: one line per stream with the leading fields of HAProxy's
/// format (`0x<id>: proto=... src=... fe=... be=... srv=... age=...`).
fn show_sess(snap: &Snapshot) -> String {
    let mut out = String::new();
    for st in &snap.streams {
        out.push_str(&format!(
            "0x{:x}: proto={} src={} fe={} be={} srv={} age={}s\n",
            st.id,
            st.proto,
            st.src,
            st.frontend,
            st.backend.as_deref().unwrap_or("<NONE>"),
            st.server.as_deref().unwrap_or("<none>"),
            st.age_secs
        ));
    }
    out
}

/// One runtime API connection: its level and prompt mode.
#[derive(Debug, Clone)]
pub struct CliConnection {
    /// The connection's current level.
    pub level: Level,
    /// Interactive (`prompt`) mode.
    pub interactive: bool,
}

/// What a line produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Bytes to send.
    pub output: String,
    /// Close the connection after sending.
    pub close: bool,
}

impl CliConnection {
    /// A connection at `level`, not interactive.
    pub fn new(level: Level) -> Self {
        Self {
            level,
            interactive: false,
        }
    }

    /// Runs one input line (`;`-separated commands) against a fixed
    /// snapshot. Outside prompt mode HAProxy closes the connection after
    /// the line.
    pub fn handle_line(&mut self, line: &str, snap: &Snapshot, ctl: &mut dyn Control) -> Reply {
        self.handle_line_with(line, &mut || snap.clone(), ctl)
    }

    /// Runs one input line, taking a fresh snapshot for each command, so
    /// that `set ...;show ...` shows the change as HAProxy does.
    pub fn handle_line_with(
        &mut self,
        line: &str,
        snapshot: &mut dyn FnMut() -> Snapshot,
        ctl: &mut dyn Control,
    ) -> Reply {
        let mut output = String::new();
        for cmd in split_commands(line) {
            let parsed = parse_command(&cmd, self.level);
            let text = match &parsed {
                Ok(Command::Quit) => {
                    return Reply {
                        output,
                        close: true,
                    }
                }
                Ok(Command::Prompt) => {
                    self.interactive = !self.interactive;
                    Ok(String::new())
                }
                Ok(Command::LowerLevel(l)) => {
                    self.level = self.level.min(*l);
                    Ok(String::new())
                }
                Ok(c) => answer(c, self.level, &snapshot(), ctl),
                Err(e) => Err(e.clone()),
            };
            match text {
                Ok(t) => output.push_str(&t),
                Err(e) => output.push_str(&e.to_string()),
            }
            output.push('\n');
        }
        if self.interactive {
            output.push_str("> ");
        }
        Reply {
            output,
            close: !self.interactive,
        }
    }
}
