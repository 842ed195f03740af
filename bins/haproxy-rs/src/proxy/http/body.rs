//! Bodies crossing the proxy: the client's request body (noting whether it
//! failed, to answer 400 as HAProxy does on a bad chunk) and the server's
//! response body (giving the server connection back to the pool and
//! freeing the server slot when it ends).

use super::guard::{Phase, IDLE};
use crate::proxy::backend::Slot;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The error type of bodies crossing the proxy.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An inactivity timer on one side of a body transfer.
#[derive(Debug)]
struct IdleTimer {
    limit: Option<Duration>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl IdleTimer {
    /// A timer that costs nothing until the transfer first has to wait
    /// (most bodies are over in the first poll).
    fn new(limit: Option<Duration>) -> Self {
        IdleTimer { limit, sleep: None }
    }

    /// Data moved: the timer starts again.
    fn touch(&mut self) {
        if let (Some(limit), Some(sleep)) = (self.limit, self.sleep.as_mut()) {
            sleep.as_mut().reset(Instant::now() + limit);
        }
    }

    /// Whether the side stayed idle too long (registers the waker). The
    /// first wait arms the timer.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        use std::future::Future;
        let Some(limit) = self.limit else {
            return false;
        };
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        sleep.as_mut().poll(cx).is_ready()
    }
}

/// A side stayed idle longer than its timeout.
#[derive(Debug, thiserror::Error)]
#[error("{0} timeout during the body")]
pub(crate) struct BodyTimeout(&'static str);

/// Most idle connections kept per server.
const MAX_IDLE: usize = 64;

/// Idle keep-alive connections to one server.
#[derive(Debug, Default)]
pub(crate) struct Idle(Mutex<Vec<SendRequest<ReqBody>>>);

impl Idle {
    /// An idle connection still usable, if any.
    pub(crate) fn take(&self) -> Option<SendRequest<ReqBody>> {
        let mut idle = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(s) = idle.pop() {
            if s.is_ready() && !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    /// Keeps a connection for a later request.
    fn put(&self, sender: SendRequest<ReqBody>) {
        let mut idle = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE && !sender.is_closed() {
            idle.push(sender);
        }
    }
}

/// The request body on its way to the server.
///
/// A client that stalls in the middle of its body is not timed out here:
/// as in HAProxy 2.6, the request is then waiting for the server, and
/// `timeout server` ends it with a 504.
#[derive(Debug)]
pub(crate) struct ReqBody {
    inner: Option<Incoming>,
    state: Arc<ReqState>,
}

/// What became of a request body.
#[derive(Debug, Default)]
pub(crate) struct ReqState {
    /// Reading it failed (a bad chunk, a client gone).
    pub(crate) failed: AtomicBool,
    /// It was read to its end.
    pub(crate) complete: AtomicBool,
}

impl ReqBody {
    /// Wraps a client's body, recording its fate in `state`.
    pub(crate) fn new(inner: Option<Incoming>, state: Arc<ReqState>) -> Self {
        if inner.as_ref().is_none_or(Body::is_end_stream) {
            state.complete.store(true, Ordering::Release);
        }
        ReqBody { inner, state }
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => {
                this.state.failed.store(true, Ordering::Release);
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(other) => {
                let ended = match &other {
                    None => true,
                    Some(_) => this.inner.as_ref().is_none_or(Body::is_end_stream),
                };
                if ended {
                    this.state.complete.store(true, Ordering::Release);
                }
                Poll::Ready(other.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

/// Writes a request's log line once its response ended, given the body
/// bytes sent and the termination state.
pub(crate) type LogOnce = Box<dyn FnOnce(u64, [char; 2]) + Send>;

/// What to do when a response from a server ends.
pub(crate) struct Finish {
    /// The server slot, freed at the end.
    pub(crate) slot: Slot,
    /// The connection, kept for reuse when keep-alive applies.
    pub(crate) reuse: Option<(SendRequest<ReqBody>, Arc<Idle>)>,
    /// The client connection's phase, back to idle at the end.
    pub(crate) phase: Arc<Phase>,
    /// Logs the request, given the body bytes sent and the termination
    /// state.
    pub(crate) log: Option<LogOnce>,
    /// The frontend, whose counters take the bytes sent.
    pub(crate) fe: Arc<crate::proxy::FrontendRt>,
    /// The size of the response head, counted with the body.
    pub(crate) head: u64,
}

impl std::fmt::Debug for Finish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finish")
            .field("slot", &self.slot)
            .field("reuse", &self.reuse.is_some())
            .finish_non_exhaustive()
    }
}

impl Finish {
    fn done(self, bytes: u64, ts: [char; 2]) {
        // The slot is freed before the log line, whose counters (as
        // HAProxy's, written at the end of the stream) no longer count it.
        self.fe.stats.bytes(0, self.head + bytes);
        self.slot.count_bytes(self.head + bytes);
        drop(self.slot);
        if let Some((sender, idle)) = self.reuse {
            idle.put(sender);
        }
        if let Some(log) = self.log {
            log(bytes, ts);
        }
        self.phase.set(IDLE);
    }
}

/// A response body from a server.
#[derive(Debug)]
pub(crate) struct RespBody {
    inner: Incoming,
    finish: Option<Finish>,
    bytes: u64,
    timer: IdleTimer,
}

impl RespBody {
    /// Wraps a server's body; `timeout` (`timeout server`) bounds the
    /// server's silences.
    pub(crate) fn new(inner: Incoming, finish: Finish, timeout: Option<Duration>) -> Self {
        let mut body = RespBody {
            inner,
            finish: Some(finish),
            bytes: 0,
            timer: IdleTimer::new(timeout),
        };
        if body.inner.is_end_stream() {
            body.end(true);
        }
        body
    }

    fn end(&mut self, complete: bool) {
        self.end_as(if complete { ['-', '-'] } else { ['C', 'D'] });
    }

    fn end_as(&mut self, ts: [char; 2]) {
        if let Some(f) = self.finish.take() {
            f.done(self.bytes, ts);
        }
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if polled.is_pending() {
            if this.timer.expired(cx) {
                if let Some(f) = &mut this.finish {
                    f.reuse = None;
                }
                this.end_as(['s', 'D']);
                return Poll::Ready(Some(Err(Box::new(BodyTimeout("server")))));
            }
            return Poll::Pending;
        }
        this.timer.touch();
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                this.bytes += data.len() as u64;
            }
        }
        match &polled {
            Poll::Ready(None) => this.end(true),
            Poll::Ready(Some(Err(_))) => {
                // A broken connection is not reused.
                if let Some(f) = &mut this.finish {
                    f.reuse = None;
                }
                this.end(false);
            }
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.end(true),
            _ => {}
        }
        polled.map(|o| o.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RespBody {
    fn drop(&mut self) {
        if let Some(mut f) = self.finish.take() {
            // Dropped before its end (the client went away): the server
            // connection is in an unknown state and is closed.
            f.reuse = None;
            f.done(self.bytes, ['C', 'D']);
        }
    }
}
