//! The runtime API server: `stats socket` listeners (UNIX stream sockets
//! and `ipv4@`/`ipv6@` TCP), each with its `level` and `mode`, answering
//! from an [`Engine`] through one [`CliConnection`] each.
//!
//! Like HAProxy, a connection outside prompt mode runs one line and is
//! closed; in prompt mode it runs lines until `quit`, end of input or the
//! idle timeout (`stats timeout`, 10 s by default).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};

use super::cli::{AdminAction, Level, ServerRef};
use super::runtime::{CliConnection, Control, ControlError};
use super::snapshot::Snapshot;

/// Longest accepted input line; longer lines end the connection.
pub const MAX_LINE: usize = 64 * 1024;

/// What the engine offers the runtime API: a snapshot to report from and
/// the changes it accepts (with its own interior mutability, since many
/// connections share it).
pub trait Engine: Send + Sync + 'static {
    /// The current figures.
    fn snapshot(&self) -> Snapshot;
    /// `set server ... state`, `enable`/`disable server`.
    fn set_server_admin(&self, target: &ServerRef, action: AdminAction)
        -> Result<(), ControlError>;
    /// `set server ... weight` (absolute weight).
    fn set_server_weight(&self, target: &ServerRef, weight: u32) -> Result<(), ControlError>;
    /// `set maxconn server`.
    fn set_server_maxconn(&self, target: &ServerRef, maxconn: u64) -> Result<(), ControlError>;
    /// `set maxconn frontend`.
    fn set_frontend_maxconn(&self, frontend: &str, maxconn: u64) -> Result<(), ControlError>;
    /// `set maxconn global`.
    fn set_global_maxconn(&self, maxconn: u64) -> Result<(), ControlError>;
}

/// [`Control`] over a shared [`Engine`].
struct EngineControl<'a, E: ?Sized>(&'a E);

impl<E: Engine + ?Sized> Control for EngineControl<'_, E> {
    fn set_server_admin(&mut self, t: &ServerRef, a: AdminAction) -> Result<(), ControlError> {
        self.0.set_server_admin(t, a)
    }
    fn set_server_weight(&mut self, t: &ServerRef, w: u32) -> Result<(), ControlError> {
        self.0.set_server_weight(t, w)
    }
    fn set_server_maxconn(&mut self, t: &ServerRef, m: u64) -> Result<(), ControlError> {
        self.0.set_server_maxconn(t, m)
    }
    fn set_frontend_maxconn(&mut self, f: &str, m: u64) -> Result<(), ControlError> {
        self.0.set_frontend_maxconn(f, m)
    }
    fn set_global_maxconn(&mut self, m: u64) -> Result<(), ControlError> {
        self.0.set_global_maxconn(m)
    }
}

/// Where a `stats socket` listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAddress {
    /// A UNIX stream socket path (`/path` or `unix@/path`).
    Unix(PathBuf),
    /// A TCP address (`ipv4@a:p`, `ipv6@[a]:p`, or `a:p`).
    Tcp(SocketAddr),
}

/// One `stats socket` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSpec {
    /// The address.
    pub address: SocketAddress,
    /// `mode` (octal permissions of a UNIX socket).
    pub mode: Option<u32>,
    /// `level` (`operator` when absent).
    pub level: Level,
    /// Idle time before a prompt-mode connection is closed.
    pub timeout: Duration,
}

/// Why a `stats socket` line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// No address.
    #[error("'stats socket' expects an address or a path to a UNIX socket")]
    MissingAddress,
    /// The address does not parse.
    #[error("invalid address '{0}'")]
    BadAddress(String),
    /// `mode` is not an octal number.
    #[error("'mode' expects an octal value, got '{0}'")]
    BadMode(String),
    /// `level` is not user, operator or admin.
    #[error("'level' only supports 'user', 'operator', and 'admin' (got '{0}')")]
    BadLevel(String),
    /// A keyword takes a value and has none.
    #[error("'{0}' expects a value")]
    MissingValue(String),
}

impl SocketSpec {
    /// Parses the words after `stats socket`; unknown options (`user`,
    /// `group`, `expose-fd`, ...) are skipped with their value when they
    /// take one.
    pub fn parse(words: &[&str]) -> Result<Self, SpecError> {
        let (first, rest) = words.split_first().ok_or(SpecError::MissingAddress)?;
        let address = parse_address(first)?;
        let mut spec = SocketSpec {
            address,
            mode: None,
            level: Level::Operator,
            timeout: Duration::from_secs(10),
        };
        let mut it = rest.iter();
        while let Some(kw) = it.next() {
            let mut value = || {
                it.next()
                    .copied()
                    .ok_or_else(|| SpecError::MissingValue((*kw).to_owned()))
            };
            match *kw {
                "mode" => {
                    let v = value()?;
                    spec.mode = Some(
                        u32::from_str_radix(v, 8).map_err(|_| SpecError::BadMode(v.to_owned()))?,
                    );
                }
                "level" => {
                    let v = value()?;
                    spec.level =
                        Level::from_word(v).ok_or_else(|| SpecError::BadLevel(v.to_owned()))?;
                }
                "user" | "group" | "uid" | "gid" | "expose-fd" | "name" | "process" => {
                    value()?;
                }
                _ => {}
            }
        }
        Ok(spec)
    }
}

/// `/path`, `unix@/path`, `ipv4@a:p`, `ipv6@[a]:p`, `a:p`.
fn parse_address(s: &str) -> Result<SocketAddress, SpecError> {
    let bad = || SpecError::BadAddress(s.to_owned());
    if let Some(p) = s.strip_prefix("unix@") {
        return Ok(SocketAddress::Unix(p.into()));
    }
    if s.starts_with('/') {
        return Ok(SocketAddress::Unix(s.into()));
    }
    let tcp = s
        .strip_prefix("ipv4@")
        .or_else(|| s.strip_prefix("ipv6@"))
        .or_else(|| s.strip_prefix("tcp@"))
        .unwrap_or(s);
    tcp.parse().map(SocketAddress::Tcp).map_err(|_| bad())
}

/// A bound `stats socket`.
#[derive(Debug)]
pub enum Listener {
    /// A UNIX stream socket.
    Unix(UnixListener),
    /// A TCP socket.
    Tcp(TcpListener),
}

impl Listener {
    /// The TCP address actually bound (port 0 resolved), if TCP.
    pub fn local_tcp_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(_) => None,
        }
    }
}

/// Binds a `stats socket`: a stale UNIX socket file is replaced and `mode`
/// applied to the new one.
pub async fn bind(spec: &SocketSpec) -> io::Result<Listener> {
    match &spec.address {
        SocketAddress::Unix(path) => {
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                use std::os::unix::fs::FileTypeExt;
                if meta.file_type().is_socket() {
                    std::fs::remove_file(path)?;
                }
            }
            let l = UnixListener::bind(path)?;
            if let Some(mode) = spec.mode {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            }
            Ok(Listener::Unix(l))
        }
        SocketAddress::Tcp(a) => {
            // `SO_REUSEPORT`: a new worker binds it while the one it
            // replaces still has it (master-worker reloads, `-sf`).
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(*a),
                socket2::Type::STREAM,
                Some(socket2::Protocol::TCP),
            )?;
            socket.set_reuse_address(true)?;
            socket.set_reuse_port(true)?;
            socket.set_nonblocking(true)?;
            socket.bind(&(*a).into())?;
            socket.listen(128)?;
            Ok(Listener::Tcp(TcpListener::from_std(socket.into())?))
        }
    }
}

/// Accepts connections forever, one task each.
pub async fn serve<E: Engine>(
    listener: Listener,
    spec: SocketSpec,
    engine: Arc<E>,
) -> io::Result<()> {
    loop {
        match &listener {
            Listener::Unix(l) => {
                let (stream, _) = l.accept().await?;
                let (e, s) = (engine.clone(), spec.clone());
                tokio::spawn(async move { handle(stream, s.level, s.timeout, e).await });
            }
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                let (e, s) = (engine.clone(), spec.clone());
                tokio::spawn(async move { handle(stream, s.level, s.timeout, e).await });
            }
        }
    }
}

/// Runs one connection.
pub async fn handle<S, E>(
    stream: S,
    level: Level,
    timeout: Duration,
    engine: Arc<E>,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Engine + ?Sized,
{
    let (r, mut w) = tokio::io::split(stream);
    let mut reader = BufReader::new(r);
    let mut conn = CliConnection::new(level);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = tokio::time::timeout(timeout, read_line(&mut reader, &mut line)).await;
        let n = match read {
            Ok(r) => r?,
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        let reply = conn.handle_line_with(
            text,
            &mut || engine.snapshot(),
            &mut EngineControl(engine.as_ref()),
        );
        w.write_all(reply.output.as_bytes()).await?;
        if reply.close {
            break;
        }
    }
    w.shutdown().await
}

/// Reads one line of at most [`MAX_LINE`] bytes.
async fn read_line<R: AsyncBufReadExt + Unpin>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(buf.len());
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        buf.extend_from_slice(&chunk[..take]);
        r.consume(take);
        if buf.len() > MAX_LINE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        if done {
            return Ok(buf.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_lines_parse() {
        let s = SocketSpec::parse(&["/run/h.sock", "mode", "600", "level", "admin"]);
        assert_eq!(
            s.map(|s| (s.address, s.mode, s.level)),
            Ok((
                SocketAddress::Unix("/run/h.sock".into()),
                Some(0o600),
                Level::Admin
            ))
        );
        let s = SocketSpec::parse(&["ipv4@127.0.0.1:9999", "level", "user"]);
        assert_eq!(
            s.map(|s| (s.address, s.level)),
            Ok((
                SocketAddress::Tcp(([127, 0, 0, 1], 9999).into()),
                Level::User
            ))
        );
        assert_eq!(
            SocketSpec::parse(&["/x", "level", "root"]),
            Err(SpecError::BadLevel("root".into()))
        );
        assert_eq!(
            SocketSpec::parse(&["/x", "mode", "9"]),
            Err(SpecError::BadMode("9".into()))
        );
        assert_eq!(SocketSpec::parse(&[]), Err(SpecError::MissingAddress));
        assert_eq!(
            SocketSpec::parse(&["/x"]).map(|s| s.level),
            Ok(Level::Operator)
        );
    }
}
