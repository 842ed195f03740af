//! The daemon's log, through `tracing`.
//!
//! Every line the daemon logs is a `tracing` event whose target is the
//! keepalived process that would have logged it (`Keepalived_vrrp`,
//! `Keepalived_healthcheckers`, `Keepalived`). Two layers take them:
//!
//! - the console (`-l`): `Keepalived_vrrp: MESSAGE` on standard error, the
//!   lines the daemon always printed;
//! - syslog (unless `-G`): one RFC 3164 datagram per line to `/dev/log`
//!   (or to the path in `KEEPALIVED_RS_SYSLOG_SOCKET`), tagged with the
//!   target as ident and the daemon's pid, in the `-S` facility. On a
//!   systemd machine `/dev/log` is journald's, so this is the journal too.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The environment variable naming another syslog socket than `/dev/log`.
pub(crate) const SOCKET_ENV: &str = "KEEPALIVED_RS_SYSLOG_SOCKET";

/// The syslog socket used when [`SOCKET_ENV`] is not set.
const DEFAULT_SOCKET: &str = "/dev/log";

/// The longest message sent to syslog, in bytes (longer ones are cut).
const MAX_MESSAGE: usize = 4096;

/// Logs as keepalived's VRRP process.
macro_rules! vrrp_log {
    ($($arg:tt)*) => { ::tracing::info!(target: "Keepalived_vrrp", $($arg)*) };
}

/// Logs as keepalived's checker process.
macro_rules! check_log {
    ($($arg:tt)*) => { ::tracing::info!(target: "Keepalived_healthcheckers", $($arg)*) };
}

/// Logs as keepalived's parent process.
macro_rules! parent_log {
    ($($arg:tt)*) => { ::tracing::info!(target: "Keepalived", $($arg)*) };
}

/// Where the daemon's log goes, from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setup {
    /// `-l`: on standard error.
    pub(crate) console: bool,
    /// Not `-G`: to syslog.
    pub(crate) syslog: bool,
    /// `-S`: the syslog facility's code (3, daemon, by default).
    pub(crate) facility: u8,
}

/// `daemon`, keepalived's default facility.
pub(crate) const DAEMON: u8 = 3;

/// The facility code of a `-S` argument as keepalived reads it: `0`..`7`
/// or `local0`..`local7`, `user` or `daemon`.
pub(crate) fn facility(name: &str) -> Option<u8> {
    let local = name.strip_prefix("local").unwrap_or(name);
    match (name, local.parse::<u8>()) {
        ("user", _) => Some(1),
        ("daemon", _) => Some(DAEMON),
        (_, Ok(n)) if n <= 7 && local.len() == 1 => Some(16 + n),
        _ => None,
    }
}

/// Installs the daemon's log as the process's `tracing` subscriber.
pub(crate) fn install(setup: &Setup) {
    let console = setup.console.then_some(Console);
    let syslog = setup.syslog.then(|| {
        let path = std::env::var_os(SOCKET_ENV)
            .map_or_else(|| PathBuf::from(DEFAULT_SOCKET), PathBuf::from);
        Syslog::new(path, setup.facility, std::process::id())
    });
    let subscriber = tracing_subscriber::registry().with(console).with(syslog);
    // Only fails when one is installed already: that one stays.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Whether `event` is a line of the log: the daemon's own (its targets
/// are keepalived's process names), or a warning or error of a library.
fn logged(event: &Event<'_>) -> bool {
    let meta = event.metadata();
    meta.target().starts_with("Keepalived") || *meta.level() <= Level::WARN
}

/// The text of an event's `message` field.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

/// The message of `event`.
fn message(event: &Event<'_>) -> String {
    let mut m = Message::default();
    event.record(&mut m);
    m.0
}

/// The console layer: `TARGET: MESSAGE` lines on standard error.
#[derive(Debug, Clone, Copy)]
struct Console;

impl<S: Subscriber> Layer<S> for Console {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !logged(event) {
            return;
        }
        let line = format!("{}: {}\n", event.metadata().target(), message(event));
        // One write per line, so lines of concurrent events do not mix.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// The syslog layer: RFC 3164 datagrams to a local socket.
#[derive(Debug)]
struct Syslog {
    /// The socket's path.
    path: PathBuf,
    /// The facility code.
    facility: u8,
    /// The pid in each line's tag.
    pid: u32,
    /// The connected socket, once connected.
    socket: Mutex<Option<UnixDatagram>>,
}

impl Syslog {
    /// A layer sending to `path`; it connects on the first line.
    fn new(path: PathBuf, facility: u8, pid: u32) -> Self {
        Syslog {
            path,
            facility,
            pid,
            socket: Mutex::new(None),
        }
    }

    /// Sends one line, connecting (again) when needed; a syslog that is
    /// not there loses the line, as syslog(3) does.
    fn send(&self, line: &[u8]) {
        let mut socket = self
            .socket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = socket.as_ref() {
            if s.send(line).is_ok() {
                return;
            }
        }
        // Not connected yet, or the syslog daemon was restarted.
        *socket = UnixDatagram::unbound()
            .ok()
            .filter(|s| s.connect(&self.path).is_ok());
        if let Some(s) = socket.as_ref() {
            let _ = s.send(line);
        }
    }
}

impl<S: Subscriber> Layer<S> for Syslog {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !logged(event) {
            return;
        }
        let meta = event.metadata();
        let line = rfc3164(
            self.facility,
            *meta.level(),
            meta.target(),
            self.pid,
            &message(event),
        );
        self.send(line.as_bytes());
    }
}

/// The syslog severity of a `tracing` level.
fn severity(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One RFC 3164 line as a local program sends it to `/dev/log`:
/// `<PRI>TAG[PID]: MESSAGE`. The header's timestamp and host name are
/// left out: the local syslog daemon (journald, rsyslog) stamps what it
/// receives on its socket with its own clock and name.
fn rfc3164(facility: u8, level: Level, ident: &str, pid: u32, message: &str) -> String {
    let pri = u16::from(facility) * 8 + u16::from(severity(level));
    let mut end = message.len().min(MAX_MESSAGE);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    // A line per datagram: a newline inside would start a bogus line.
    let text = message.get(..end).unwrap_or_default().replace('\n', " ");
    format!("<{pri}>{ident}[{pid}]: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities_are_keepalived_s() {
        assert_eq!(facility("daemon"), Some(3));
        assert_eq!(facility("user"), Some(1));
        assert_eq!(facility("local0"), Some(16));
        assert_eq!(facility("local7"), Some(23));
        assert_eq!(facility("5"), Some(21));
        assert_eq!(facility("local8"), None);
        assert_eq!(facility("8"), None);
        assert_eq!(facility("07"), None);
        assert_eq!(facility("kern"), None);
        assert_eq!(facility(""), None);
    }

    #[test]
    fn lines_carry_priority_ident_and_pid() {
        // daemon.info = 3 * 8 + 6; local1.err = 17 * 8 + 3.
        assert_eq!(
            rfc3164(
                3,
                Level::INFO,
                "Keepalived_vrrp",
                42,
                "(VI_1) Entering MASTER STATE"
            ),
            "<30>Keepalived_vrrp[42]: (VI_1) Entering MASTER STATE"
        );
        assert_eq!(
            rfc3164(17, Level::ERROR, "Keepalived_healthcheckers", 7, "x"),
            "<139>Keepalived_healthcheckers[7]: x"
        );
        assert_eq!(rfc3164(23, Level::DEBUG, "K", 1, "a\nb"), "<191>K[1]: a b");
    }

    #[test]
    fn long_messages_are_cut_on_a_character() {
        let long = "é".repeat(MAX_MESSAGE);
        let line = rfc3164(3, Level::INFO, "K", 1, &long);
        let text = line.strip_prefix("<30>K[1]: ").unwrap();
        assert_eq!(text.len(), MAX_MESSAGE);
        assert!(text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_layer_sends_one_datagram_per_event() {
        let dir = std::env::temp_dir().join(format!("ka-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let subscriber = tracing_subscriber::registry().with(Syslog::new(path, 16, 99));
        tracing::subscriber::with_default(subscriber, || {
            vrrp_log!("({}) Entering BACKUP STATE", "VI_1");
            check_log!("Removing service");
            // A library's chatter stays out; its warnings go in.
            tracing::debug!(target: "lbkit_vrrp::io", "sent an advert");
            tracing::warn!(target: "lbkit_vrrp::io", "send failed");
        });
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"<134>Keepalived_vrrp[99]: (VI_1) Entering BACKUP STATE"
        );
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"<134>Keepalived_healthcheckers[99]: Removing service"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
