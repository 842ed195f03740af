//! TCP connect check (keepalived `TCP_CHECK`, HAProxy plain `check`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::{TcpSocket, TcpStream};

use super::{connect_error, within};
use crate::status::{CheckResult, Status};

/// Connects to `addr`, optionally from `bind`; passes when accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpCheck {
    /// Where to connect (`connect_ip`/`connect_port`, or the server).
    pub addr: SocketAddr,
    /// Local address to bind first (`bindto`, `source`).
    pub bind: Option<SocketAddr>,
    /// Limit for the whole check (`connect_timeout`, `timeout check`).
    pub timeout: Duration,
}

impl TcpCheck {
    /// A check of `addr` with a timeout.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            addr,
            bind: None,
            timeout,
        }
    }

    /// Runs the check. The connection is then closed with a reset, as
    /// HAProxy does, so checks leave no TIME_WAIT behind.
    pub async fn run(&self) -> CheckResult {
        let start = Instant::now();
        within(start, self.timeout, Status::L4Timeout, async {
            match connect(self.addr, self.bind).await {
                Ok(stream) => {
                    abort(stream);
                    CheckResult::new(Status::L4Ok, start.elapsed())
                }
                Err(e) => connect_error(start, &e),
            }
        })
        .await
    }
}

/// Opens a TCP connection, bound to `bind` first if given.
pub(crate) async fn connect(
    addr: SocketAddr,
    bind: Option<SocketAddr>,
) -> std::io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(local) = bind {
        socket.bind(local)?;
    }
    socket.connect(addr).await
}

/// Closes with RST (zero linger).
pub(crate) fn abort(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}
