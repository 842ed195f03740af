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
#[derive(Debug)]
pub(crate) struct ReqBody {
    inner: Option<Incoming>,
    failed: Arc<AtomicBool>,
}

impl ReqBody {
    /// Wraps a client's body; `failed` is set if reading it fails.
    pub(crate) fn new(inner: Option<Incoming>, failed: Arc<AtomicBool>) -> Self {
        ReqBody { inner, failed }
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => {
                this.failed.store(true, Ordering::Release);
                Poll::Ready(Some(Err(e)))
            }
            other => other,
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

/// What to do when a response from a server ends.
pub(crate) struct Finish {
    /// The server slot, freed at the end.
    pub(crate) slot: Slot,
    /// The connection, kept for reuse when keep-alive applies.
    pub(crate) reuse: Option<(SendRequest<ReqBody>, Arc<Idle>)>,
    /// The client connection's phase, back to idle at the end.
    pub(crate) phase: Arc<Phase>,
    /// Logs the request, given the body bytes sent and whether the body
    /// was complete.
    pub(crate) log: Option<Box<dyn FnOnce(u64, bool) + Send>>,
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
    fn done(self, bytes: u64, complete: bool) {
        // The slot is freed before the log line, whose counters (as
        // HAProxy's, written at the end of the stream) no longer count it.
        drop(self.slot);
        if let Some((sender, idle)) = self.reuse {
            idle.put(sender);
        }
        if let Some(log) = self.log {
            log(bytes, complete);
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
}

impl RespBody {
    /// Wraps a server's body.
    pub(crate) fn new(inner: Incoming, finish: Finish) -> Self {
        let mut body = RespBody {
            inner,
            finish: Some(finish),
            bytes: 0,
        };
        if body.inner.is_end_stream() {
            body.end(true);
        }
        body
    }

    fn end(&mut self, complete: bool) {
        if let Some(f) = self.finish.take() {
            f.done(self.bytes, complete);
        }
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
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
        polled
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
            f.done(self.bytes, false);
        }
    }
}
