//! `mode tcp`: forwarding bytes both ways, half-close by half-close, under
//! HAProxy's inactivity timeouts.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// HAProxy's default buffer size (`tune.bufsize`).
pub(crate) const BUFSIZE: usize = 16384;

/// The timeouts that apply to an established tunnel.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TunnelTimeouts {
    /// `timeout client`.
    pub(crate) client: Option<Duration>,
    /// `timeout client-fin`.
    pub(crate) client_fin: Option<Duration>,
    /// `timeout server`.
    pub(crate) server: Option<Duration>,
    /// `timeout server-fin`.
    pub(crate) server_fin: Option<Duration>,
    /// `timeout tunnel`: replaces `client` and `server` when set.
    pub(crate) tunnel: Option<Duration>,
}

/// How a tunnel ended, with HAProxy's first termination-state letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Both sides closed normally (`-`).
    Normal,
    /// The client reset or failed (`C`).
    ClientAbort,
    /// The server reset or failed (`S`).
    ServerAbort,
    /// The client side's timeout struck (`c`).
    ClientTimeout,
    /// The server side's timeout struck (`s`).
    ServerTimeout,
}

impl End {
    /// HAProxy's first termination-state character.
    pub(crate) fn code(self) -> char {
        match self {
            End::Normal => '-',
            End::ClientAbort => 'C',
            End::ServerAbort => 'S',
            End::ClientTimeout => 'c',
            End::ServerTimeout => 's',
        }
    }
}

/// What went through a tunnel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transfer {
    /// Bytes read from the client (sent to the server).
    pub(crate) from_client: u64,
    /// Bytes read from the server (sent to the client).
    pub(crate) from_server: u64,
    /// How it ended.
    pub(crate) end: End,
}

/// Shared between the two directions and the watchdog.
struct Activity {
    base: Instant,
    last_ms: AtomicU64,
    client_shut: AtomicBool,
    server_shut: AtomicBool,
    from_client: AtomicU64,
    from_server: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let now = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let now = self.base.elapsed();
        now.saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Which side a direction reads from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// One direction of a tunnel: its buffer and how far it got.
struct Direction {
    side: Side,
    buf: Box<[u8]>,
    /// The unsent bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// The reader reached its end of stream.
    read_done: bool,
    /// Bytes written since the last flush.
    need_flush: bool,
}

impl Direction {
    fn new(side: Side) -> Self {
        Direction {
            side,
            buf: vec![0u8; BUFSIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            read_done: false,
            need_flush: false,
        }
    }

    fn other(&self) -> Side {
        match self.side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// Moves bytes from `reader` to `writer` until the reader waits, then
    /// passes its end of stream on (shuts the writer's sending side).
    /// `Ready(Ok)` once that is done; `Err` names the side that failed.
    fn poll<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        reader: &mut R,
        writer: &mut W,
        act: &Activity,
    ) -> Poll<Result<(), Side>>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        loop {
            if self.start == self.end && !self.read_done {
                let mut rb = ReadBuf::new(&mut self.buf);
                match Pin::new(&mut *reader).poll_read(cx, &mut rb) {
                    Poll::Ready(Ok(())) => {
                        let n = rb.filled().len();
                        act.touch();
                        if n == 0 {
                            self.read_done = true;
                            match self.side {
                                Side::Client => act.client_shut.store(true, Ordering::Relaxed),
                                Side::Server => act.server_shut.store(true, Ordering::Relaxed),
                            }
                        } else {
                            self.start = 0;
                            self.end = n;
                            let counter = match self.side {
                                Side::Client => &act.from_client,
                                Side::Server => &act.from_server,
                            };
                            counter.fetch_add(n as u64, Ordering::Relaxed);
                        }
                    }
                    Poll::Ready(Err(_)) => return Poll::Ready(Err(self.side)),
                    Poll::Pending => {
                        if self.need_flush {
                            match Pin::new(&mut *writer).poll_flush(cx) {
                                Poll::Ready(Ok(())) => self.need_flush = false,
                                Poll::Ready(Err(_)) => return Poll::Ready(Err(self.other())),
                                Poll::Pending => {}
                            }
                        }
                        return Poll::Pending;
                    }
                }
            }
            while self.start < self.end {
                let chunk = &self.buf[self.start..self.end];
                match Pin::new(&mut *writer).poll_write(cx, chunk) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                        return Poll::Ready(Err(self.other()))
                    }
                    Poll::Ready(Ok(n)) => {
                        self.start += n;
                        self.need_flush = true;
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
            if self.read_done {
                // A writer already gone counts as shut.
                return match Pin::new(&mut *writer).poll_shutdown(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(_) => Poll::Ready(Ok(())),
                };
            }
        }
    }
}

/// The side whose timeout strikes first, and when, given which sides shut.
fn deadline(t: &TunnelTimeouts, client_shut: bool, server_shut: bool) -> Option<(Side, Duration)> {
    let client = t.tunnel.or(t.client);
    let server = t.tunnel.or(t.server);
    let client = if client_shut {
        t.client_fin.or(client)
    } else {
        client
    };
    let server = if server_shut {
        t.server_fin.or(server)
    } else {
        server
    };
    match (client, server) {
        (Some(c), Some(s)) if s < c => Some((Side::Server, s)),
        (Some(c), _) => Some((Side::Client, c)),
        (None, Some(s)) => Some((Side::Server, s)),
        (None, None) => None,
    }
}

/// Waits until the tunnel has been idle longer than its current timeout.
async fn watchdog(t: &TunnelTimeouts, act: &Activity) -> Side {
    loop {
        let shut_c = act.client_shut.load(Ordering::Relaxed);
        let shut_s = act.server_shut.load(Ordering::Relaxed);
        match deadline(t, shut_c, shut_s) {
            None => tokio::time::sleep(Duration::from_secs(1)).await,
            Some((side, limit)) => {
                let idle = act.idle();
                if idle >= limit {
                    return side;
                }
                // Re-check at least every second: a side may shut meanwhile
                // and bring a shorter fin timeout.
                let wait = (limit - idle).min(Duration::from_secs(1));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Forwards between a client and a server until both directions ended, one
/// failed, or a timeout struck.
pub(crate) async fn forward<C, S>(client: C, server: S, timeouts: TunnelTimeouts) -> Transfer
where
    C: AsyncRead + AsyncWrite + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut client, mut server) = (client, server);
    let act = Activity {
        base: Instant::now(),
        last_ms: AtomicU64::new(0),
        client_shut: AtomicBool::new(false),
        server_shut: AtomicBool::new(false),
        from_client: AtomicU64::new(0),
        from_server: AtomicU64::new(0),
    };
    // Both directions run in this one task over the unsplit streams: no
    // lock between the halves and no second task to wake.
    let mut up = Direction::new(Side::Client);
    let mut down = Direction::new(Side::Server);
    let (mut up_done, mut down_done) = (false, false);
    let both = std::future::poll_fn(|cx| {
        if !up_done {
            match up.poll(cx, &mut client, &mut server, &act) {
                Poll::Ready(Ok(())) => up_done = true,
                Poll::Ready(Err(side)) => return Poll::Ready(Err(side)),
                Poll::Pending => {}
            }
        }
        if !down_done {
            match down.poll(cx, &mut server, &mut client, &act) {
                Poll::Ready(Ok(())) => down_done = true,
                Poll::Ready(Err(side)) => return Poll::Ready(Err(side)),
                Poll::Pending => {}
            }
        }
        if up_done && down_done {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    });
    let end = tokio::select! {
        r = both => match r {
            Ok(()) => End::Normal,
            Err(Side::Client) => End::ClientAbort,
            Err(Side::Server) => End::ServerAbort,
        },
        side = watchdog(&timeouts, &act) => match side {
            Side::Client => End::ClientTimeout,
            Side::Server => End::ServerTimeout,
        },
    };
    Transfer {
        from_client: act.from_client.load(Ordering::Relaxed),
        from_server: act.from_server.load(Ordering::Relaxed),
        end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn tunnel_timeout_replaces_client_and_server() {
        let t = TunnelTimeouts {
            client: Some(S(30)),
            server: Some(S(20)),
            tunnel: Some(S(60)),
            ..TunnelTimeouts::default()
        };
        assert!(matches!(deadline(&t, false, false), Some((Side::Client, d)) if d == S(60)));
    }

    #[test]
    fn fin_timeouts_apply_once_a_side_shut() {
        let t = TunnelTimeouts {
            client: Some(S(30)),
            server: Some(S(20)),
            client_fin: Some(S(1)),
            server_fin: Some(S(2)),
            tunnel: None,
        };
        assert!(matches!(deadline(&t, false, false), Some((Side::Server, d)) if d == S(20)));
        assert!(matches!(deadline(&t, true, false), Some((Side::Client, d)) if d == S(1)));
        assert!(matches!(deadline(&t, false, true), Some((Side::Server, d)) if d == S(2)));
        assert!(deadline(&TunnelTimeouts::default(), true, true).is_none());
    }

    #[tokio::test]
    async fn half_close_travels_and_both_directions_finish() {
        let (client, mut client_peer) = tokio::io::duplex(64);
        let (server, mut server_peer) = tokio::io::duplex(64);
        let task = tokio::spawn(forward(client, server, TunnelTimeouts::default()));
        client_peer.write_all(b"ping").await.ok();
        client_peer.shutdown().await.ok();
        let mut got = Vec::new();
        server_peer.read_to_end(&mut got).await.ok();
        assert_eq!(got, b"ping");
        // The server still answers after the client's half-close.
        server_peer.write_all(b"pong!").await.ok();
        server_peer.shutdown().await.ok();
        let mut back = Vec::new();
        client_peer.read_to_end(&mut back).await.ok();
        assert_eq!(back, b"pong!");
        let t = task.await.ok();
        assert!(matches!(
            t,
            Some(Transfer {
                from_client: 4,
                from_server: 5,
                end: End::Normal
            })
        ));
    }
}
