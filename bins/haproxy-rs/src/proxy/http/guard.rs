//! The client connection as hyper sees it, with HAProxy's request timers
//! and error pages around it.
//!
//! hyper parses requests; this wrapper adds what HAProxy does and hyper
//! does not: `timeout http-request` answered with HAProxy's 408 page,
//! `timeout http-keep-alive` closing an idle connection silently, and
//! hyper's own answers to unparsable requests (bare 400/414/431) replaced
//! by HAProxy's 400 page, which HAProxy sends for all of them.

use super::errors;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Waiting for the first byte of a request.
pub(crate) const IDLE: u8 = 0;
/// Receiving a request's headers.
pub(crate) const HEAD: u8 = 1;
/// A request is being handled (the service has it).
pub(crate) const BUSY: u8 = 2;
/// The handler rejected the request the way HAProxy rejects unparsable
/// ones: the response hyper writes is replaced by the raw error page.
const REWRITE: u8 = 3;

/// Where the connection stands, shared with the request handler.
#[derive(Debug, Default)]
pub(crate) struct Phase(AtomicU8, std::sync::atomic::AtomicU16, AtomicU8);

/// What happened on a connection without a request to log it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unlogged {
    /// Nothing unusual (every request was handled, or none started).
    Nothing,
    /// The client sent bytes that never formed a request (400 sent).
    BadRequest,
    /// `timeout http-request` struck (408 sent); `true` if bytes came.
    TimedOut(bool),
    /// The client closed after sending part of a request.
    Aborted,
    /// The client closed without sending anything.
    Empty,
}

const SAW_BYTES: u8 = 1;
const SAW_BAD: u8 = 2;
const SAW_TIMEOUT: u8 = 4;
const SAW_REQUEST: u8 = 8;

impl Phase {
    /// Sets the phase.
    pub(crate) fn set(&self, phase: u8) {
        if phase == BUSY {
            self.note(SAW_REQUEST);
        }
        self.0.store(phase, Ordering::Release);
    }

    fn note(&self, flag: u8) {
        self.2.fetch_or(flag, Ordering::AcqRel);
    }

    /// What the connection did outside handled requests, once it is over.
    pub(crate) fn unlogged(&self) -> Unlogged {
        let flags = self.2.load(Ordering::Acquire);
        if flags & SAW_BAD != 0 {
            Unlogged::BadRequest
        } else if flags & SAW_TIMEOUT != 0 {
            Unlogged::TimedOut(self.get() == HEAD)
        } else if self.get() == HEAD {
            Unlogged::Aborted
        } else if flags == 0 {
            Unlogged::Empty
        } else {
            Unlogged::Nothing
        }
    }

    /// Asks for HAProxy's raw page for `status` instead of the response
    /// the handler returns (which must then close the connection).
    pub(crate) fn rewrite(&self, status: u16) {
        self.1.store(status, Ordering::Release);
        self.0.store(REWRITE, Ordering::Release);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::Acquire)
    }
}

/// The client-side request timers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timers {
    /// `timeout http-request` (else `timeout client`): the first request
    /// from the accept, later ones from their first byte.
    pub(crate) request: Option<Duration>,
    /// `timeout http-keep-alive` (else http-request, else client).
    pub(crate) keep_alive: Option<Duration>,
}

/// What the wrapper must still write before anything else.
#[derive(Debug)]
struct Pending {
    bytes: Vec<u8>,
    at: usize,
}

/// A client stream under HAProxy's request timers.
#[derive(Debug)]
pub(crate) struct ClientIo<S> {
    inner: S,
    phase: Arc<Phase>,
    seen: u8,
    first: bool,
    timers: Timers,
    sleep: Pin<Box<Sleep>>,
    armed: bool,
    /// Set once the connection is over for hyper: reads give end of stream.
    ended: bool,
    /// HAProxy's page replacing hyper's automatic answer, being written.
    page: Option<Pending>,
    /// Writes are swallowed after a replaced answer.
    swallow: bool,
    /// Whether a 408 was sent (for logs).
    pub(crate) timed_out: bool,
}

impl<S> ClientIo<S> {
    /// Wraps a connection accepted at `since`: the first request's timer
    /// runs from then.
    pub(crate) fn new(inner: S, phase: Arc<Phase>, timers: Timers, since: Instant) -> Self {
        let mut io = ClientIo {
            inner,
            phase,
            seen: IDLE,
            first: true,
            timers,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: false,
            ended: false,
            page: None,
            swallow: false,
            timed_out: false,
        };
        io.arm_from(since, timers.request);
        io
    }

    fn arm(&mut self, limit: Option<Duration>) {
        self.arm_from(Instant::now(), limit);
    }

    fn arm_from(&mut self, since: Instant, limit: Option<Duration>) {
        match limit {
            Some(d) => {
                self.sleep.as_mut().reset(since + d);
                self.armed = true;
            }
            None => self.armed = false,
        }
    }

    /// Follows the handler's phase changes and re-arms the timers.
    fn track(&mut self) {
        let now = self.phase.get();
        if now == self.seen {
            return;
        }
        match now {
            IDLE => {
                self.first = false;
                self.arm(self.timers.keep_alive);
            }
            BUSY => self.armed = false,
            _ => {}
        }
        self.seen = now;
    }
}

impl<S: AsyncWrite + Unpin> ClientIo<S> {
    /// Writes what remains of a page; `Ready(Ok)` once all is out.
    fn drain_page(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(p) = &mut self.page {
            if p.at >= p.bytes.len() {
                self.page = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &p.bytes[p.at..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => p.at += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ClientIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.ended {
            // Finish writing a 408 before hyper closes.
            return match this.drain_page(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(_) => Poll::Ready(Ok(())),
            };
        }
        this.track();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before && this.seen == IDLE {
                    this.seen = HEAD;
                    this.phase.set(HEAD);
                    this.phase.note(SAW_BYTES);
                    if !this.first {
                        this.arm(this.timers.request);
                    }
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if this.armed && this.seen != BUSY && this.sleep.as_mut().poll(cx).is_ready() {
                    this.ended = true;
                    // HAProxy answers 408 to a request that did not arrive
                    // in time, the first one even when no byte came; an
                    // idle keep-alive connection is closed silently.
                    if this.seen == HEAD || this.first {
                        this.timed_out = true;
                        this.phase.note(SAW_TIMEOUT);
                        this.page = Some(Pending {
                            bytes: errors::raw(408),
                            at: 0,
                        });
                        if this.drain_page(cx).is_pending() {
                            return Poll::Pending;
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ClientIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        this.track();
        if this.swallow || this.ended {
            return match this.drain_page(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            };
        }
        if this.seen == REWRITE {
            this.swallow = true;
            this.page = Some(Pending {
                bytes: errors::raw(this.phase.1.load(Ordering::Acquire)),
                at: 0,
            });
            return match this.drain_page(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            };
        }
        if this.seen == HEAD && is_parse_error_answer(buf) {
            // The handler has no request: this is hyper answering a
            // request it could not parse. HAProxy answers 400 to all.
            this.phase.note(SAW_BAD);
            this.swallow = true;
            this.page = Some(Pending {
                bytes: errors::raw(400),
                at: 0,
            });
            return match this.drain_page(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            };
        }
        if this.seen == IDLE && this.armed {
            this.arm(this.timers.keep_alive);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.drain_page(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.drain_page(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

/// Whether hyper is writing one of its automatic answers to an
/// unparsable request.
fn is_parse_error_answer(buf: &[u8]) -> bool {
    [b"HTTP/1.1 400 ", b"HTTP/1.1 414 ", b"HTTP/1.1 431 "]
        .iter()
        .any(|p| buf.starts_with(*p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn silent_first_connection_gets_408_after_http_request_timeout() {
        let (a, mut peer) = tokio::io::duplex(4096);
        let timers = Timers {
            request: Some(Duration::from_millis(50)),
            keep_alive: None,
        };
        let mut io = ClientIo::new(a, Arc::new(Phase::default()), timers, Instant::now());
        let mut buf = [0u8; 16];
        // The wrapper reports end of stream once the timer strikes.
        assert_eq!(io.read(&mut buf).await.ok(), Some(0));
        assert!(io.timed_out);
        drop(io);
        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.ok();
        assert!(got.starts_with(b"HTTP/1.1 408 Request Time-out\r\n"));
    }

    #[tokio::test]
    async fn hyper_error_answers_become_haproxys_400() {
        let (a, mut peer) = tokio::io::duplex(4096);
        let mut io = ClientIo::new(
            a,
            Arc::new(Phase::default()),
            Timers::default(),
            Instant::now(),
        );
        peer.write_all(b"GET /\x01 HTTP/1.1\r\n\r\n").await.ok();
        let mut buf = [0u8; 64];
        let n = io.read(&mut buf).await.ok();
        assert!(n.is_some_and(|n| n > 0));
        let n = io
            .write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n")
            .await
            .ok();
        assert_eq!(n, Some(48));
        io.shutdown().await.ok();
        drop(io);
        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.ok();
        assert_eq!(got, errors::raw(400));
    }

    #[tokio::test]
    async fn busy_connections_pass_writes_through() {
        let (a, mut peer) = tokio::io::duplex(4096);
        let phase = Arc::new(Phase::default());
        let mut io = ClientIo::new(a, Arc::clone(&phase), Timers::default(), Instant::now());
        phase.set(BUSY);
        io.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.ok();
        io.shutdown().await.ok();
        drop(io);
        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.ok();
        assert_eq!(got, b"HTTP/1.1 200 OK\r\n\r\n");
    }
}
