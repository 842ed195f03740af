//! `mode http`: hyper parses and writes HTTP/1.1 (and HTTP/2 on TLS
//! listeners that negotiate it); this module applies HAProxy's request
//! checks, `tcp-request content` and `http-request` rules, backend
//! selection, `option forwardfor`, the connection modes and `http-response`
//! rules, reuses server connections, and turns `Connection: upgrade`
//! exchanges answered by `101` into tunnels (WebSocket).

mod body;
mod errors;
mod guard;
mod stats;

pub(crate) use body::Idle;

use super::acl::Sample;
use super::backend::{BackendRt, ConnectError};
use super::config::{
    tcp_accepts, HttpConnMode, HttpRequestAction, HttpRequestRule, HttpResponseAction,
    HttpResponseRule, Redirect, RedirectKind,
};
use super::FrontendRt;
use body::{Finish, ReqBody, ReqState, RespBody};
use bytes::Bytes;
use guard::{ClientIo, Phase, Timers, BUSY, IDLE};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lbkit_sched::haproxy::Balance;
use lbkit_sched::RequestKey;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

/// How long an HTTP/1 keep-alive connection may stay idle after a soft
/// stop before it is closed (capped by `timeout http-keep-alive`): a
/// client that sends its next request within it gets an answer with
/// `Connection: close` instead of a closed connection.
const SOFT_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The body type of every response sent to clients.
type Out = UnsyncBoxBody<Bytes, body::BoxError>;

/// Headers that concern one connection only and are never forwarded.
static HOP_BY_HOP: [HeaderName; 4] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::UPGRADE,
];

/// One client connection.
struct Conn {
    fe: Arc<FrontendRt>,
    peer: SocketAddr,
    ssl: bool,
    h2: bool,
    phase: Arc<Phase>,
    /// The tunnel an `Upgrade` (WebSocket) request turned the connection
    /// into: the connection lasts until it ends.
    tunnel: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A request a `tcp-request content` rule rejected: the connection closes
/// without an answer.
#[derive(Debug, thiserror::Error)]
#[error("rejected by a tcp-request content rule")]
struct Rejected;

/// Serves HTTP on a plain TCP connection. Until the client sends its first
/// byte the connection costs no parser and no buffer (hyper allocates its
/// buffers as soon as it polls); a client silent for `timeout
/// http-request` gets HAProxy's 408.
pub(super) async fn serve_plain(
    fe: Arc<FrontendRt>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) {
    let since = tokio::time::Instant::now();
    let t = &fe.cfg.timeouts;
    let limit = t.http_request.or(t.client);
    let readable = stream.readable();
    let ready = match limit {
        Some(limit) => tokio::time::timeout(limit, readable).await.ok(),
        None => Some(readable.await),
    };
    match ready {
        Some(Ok(())) => Box::pin(serve(fe, stream, peer, false, false, since)).await,
        Some(Err(_)) => {}
        None => {
            let _ = stream.try_write(&errors::raw(408));
            log_unhandled(&fe, peer, false, guard::Unlogged::TimedOut(false), since);
        }
    }
}

/// Serves HTTP on an accepted client connection: HTTP/2 when TLS
/// negotiated `h2`, HTTP/1.1 otherwise.
pub(super) async fn serve<S>(
    fe: Arc<FrontendRt>,
    io: S,
    peer: SocketAddr,
    ssl: bool,
    h2: bool,
    since: tokio::time::Instant,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let t = &fe.cfg.timeouts;
    let timers = Timers {
        request: t.http_request.or(t.client),
        keep_alive: t.http_keep_alive.or(t.http_request).or(t.client),
    };
    let phase = Arc::new(Phase::default());
    let conn = Arc::new(Conn {
        fe: Arc::clone(&fe),
        peer,
        ssl,
        h2,
        phase: Arc::clone(&phase),
        tunnel: Mutex::new(None),
    });
    let svc_conn = Arc::clone(&conn);
    let svc = hyper::service::service_fn(move |req| {
        let conn = Arc::clone(&svc_conn);
        async move {
            let mut answer = conn.handle(req).await;
            if !conn.h2 && *conn.fe.stopping.borrow() {
                // Soft stop: this request is the connection's last.
                if let Ok(resp) = &mut answer {
                    resp.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
            }
            let stats = &conn.fe.stats;
            crate::proxy::stats::bump(&stats.req_tot);
            if let Ok(resp) = &answer {
                stats.response(resp.status().as_u16());
            }
            answer
        }
    });
    if h2 {
        let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        b.auto_date_header(false)
            .max_concurrent_streams(100)
            .max_pending_accept_reset_streams(20)
            .max_local_error_reset_streams(Some(1024))
            .max_header_list_size(65536);
        let served = b.serve_connection(TokioIo::new(io), svc);
        tokio::pin!(served);
        let mut stopping = fe.stopping.clone();
        tokio::select! {
            _ = &mut served => return,
            _ = stopping.wait_for(|s| *s) => {}
        }
        // Soft stop: GOAWAY, the streams in progress finish.
        served.as_mut().graceful_shutdown();
        let _ = served.await;
    } else {
        let io = ClientIo::new(io, Arc::clone(&phase), timers, since);
        let mut b = hyper::server::conn::http1::Builder::new();
        b.keep_alive(true)
            .auto_date_header(false)
            .half_close(false)
            .max_buf_size(super::tcp::BUFSIZE)
            .max_headers(101)
            .header_read_timeout(None);
        let served = b.serve_connection(TokioIo::new(io), svc).with_upgrades();
        tokio::pin!(served);
        let mut stopping = fe.stopping.clone();
        let stopped = tokio::select! {
            _ = &mut served => false,
            _ = stopping.wait_for(|s| *s) => true,
        };
        if stopped {
            // Soft stop: a request in progress or arriving within the
            // grace gets `Connection: close` (added by the service); a
            // connection still idle after it is closed.
            let grace = timers
                .keep_alive
                .map_or(SOFT_STOP_GRACE, |k| k.min(SOFT_STOP_GRACE));
            if tokio::time::timeout(grace, &mut served).await.is_err() {
                served.as_mut().graceful_shutdown();
                let _ = served.await;
            }
        }
        let tunnel = conn
            .tunnel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(tunnel) = tunnel {
            let _ = tunnel.await;
        }
        log_unhandled(&fe, peer, ssl, phase.unlogged(), since);
    }
}

/// Logs what a connection did outside any handled request, as HAProxy
/// does with a `<BADREQ>` line: a request it could not parse (`PR`, 400),
/// `timeout http-request` (`cR`, 408), a client gone mid-request (`CR`,
/// 400). Connections that sent nothing are left out with `dontlognull`.
pub(super) fn log_unhandled(
    fe: &FrontendRt,
    peer: SocketAddr,
    ssl: bool,
    what: guard::Unlogged,
    since: tokio::time::Instant,
) {
    use guard::Unlogged;
    // HAProxy counts no bytes for these: its error page is not part of a
    // forwarded message.
    let (status, ts, null) = match what {
        Unlogged::Nothing => return,
        Unlogged::BadRequest => (400, ['P', 'R'], false),
        Unlogged::TimedOut(got_bytes) => (408, ['c', 'R'], !got_bytes),
        Unlogged::Aborted => (400, ['C', 'R'], false),
        Unlogged::Empty => (400, ['C', 'R'], true),
    };
    if null && fe.log.as_ref().is_some_and(|l| l.dontlognull) {
        return;
    }
    let mut ex = Exchange::new("<BADREQ>".into());
    ex.t0 = since.into_std();
    ex.started = std::time::SystemTime::now()
        .checked_sub(ex.t0.elapsed())
        .unwrap_or(ex.started);
    ex.treq = None;
    log_http(fe, peer, ssl, &ex, status, 0, ts);
}

/// A generated response with a small body.
fn full(resp: Response<Bytes>) -> Response<Out> {
    resp.map(|b| {
        if b.is_empty() {
            Empty.boxed_unsync()
        } else {
            Full::new(b)
                .map_err(|never: Infallible| match never {})
                .boxed_unsync()
        }
    })
}

/// An empty body that hyper writes with the `content-length: 0` header
/// where the response has it (hyper moves the header to the end for
/// bodies that are over before they start; HAProxy keeps it first).
struct Empty;

impl hyper::body::Body for Empty {
    type Data = Bytes;
    type Error = body::BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, body::BoxError>>> {
        std::task::Poll::Ready(None)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(0)
    }
}

/// Whether a request is done once its response is sent.
fn close_after(resp: &mut Response<Bytes>) {
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// The stronger of two connection modes (`httpclose` beats
/// `http-server-close`, which beats `http-keep-alive`).
fn stronger(a: HttpConnMode, b: HttpConnMode) -> HttpConnMode {
    use HttpConnMode::*;
    match (a, b) {
        (Close, _) | (_, Close) => Close,
        (ServerClose, _) | (_, ServerClose) => ServerClose,
        _ => KeepAlive,
    }
}

/// HAProxy's checks of the message framing that hyper leaves to us.
/// `Err(status)` rejects the request; `Ok(true)` asks to close the client
/// connection after the response (Content-Length dropped next to
/// Transfer-Encoding, as HAProxy does).
fn check_framing(headers: &mut HeaderMap) -> Result<bool, u16> {
    let te: Vec<String> = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| {
            v.to_str()
                .unwrap_or("\u{0}")
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if !te.is_empty() {
        let chunked = te.iter().filter(|c| *c == "chunked").count();
        if chunked > 1 || te.last().map(String::as_str) != Some("chunked") {
            return Err(400);
        }
        if te.len() > 1 {
            return Err(422);
        }
        if headers.contains_key(header::CONTENT_LENGTH) {
            headers.remove(header::CONTENT_LENGTH);
            return Ok(true);
        }
        return Ok(false);
    }
    // Repeated Content-Length headers with one value are merged into one
    // (hyper already refused differing ones).
    let cl: Vec<HeaderValue> = headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .cloned()
        .collect();
    if cl.len() > 1 {
        let first = cl[0].clone();
        if cl.iter().any(|v| *v != first) {
            return Err(400);
        }
        headers.insert(header::CONTENT_LENGTH, first);
    }
    Ok(false)
}

/// Removes hop-by-hop headers and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(header::CONNECTION) {
        strip_named(headers);
    }
    for n in &HOP_BY_HOP {
        headers.remove(n);
    }
}

/// Removes the headers the `Connection` header names.
fn strip_named(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
}

/// Whether a request asks to switch protocols (`Connection: upgrade` and
/// an `Upgrade` header), as a WebSocket handshake does.
fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// Applies one section's `http-response` rules to a response's headers;
/// `Err(status)` when a `deny` matched.
fn apply_response_rules(
    rules: &[HttpResponseRule],
    sample: &Sample<'_>,
    headers: &mut HeaderMap,
) -> Result<(), u16> {
    for rule in rules {
        if !rule.cond.eval(sample) {
            continue;
        }
        match &rule.action {
            HttpResponseAction::SetHeader { name, value } => {
                if let Some((n, v)) = header_pair(name, value) {
                    headers.insert(n, v);
                }
            }
            HttpResponseAction::AddHeader { name, value } => {
                if let Some((n, v)) = header_pair(name, value) {
                    headers.append(n, v);
                }
            }
            HttpResponseAction::DelHeader { name } => {
                if let Ok(n) = HeaderName::from_bytes(name.as_bytes()) {
                    headers.remove(n);
                }
            }
            HttpResponseAction::Deny { status } => return Err(*status),
            HttpResponseAction::Allow => break,
        }
    }
    Ok(())
}

/// The outcome of `http-request` rules.
enum RuleOutcome {
    /// Go on with the request.
    Continue,
    /// Answer with this; the termination state to log.
    Respond(Response<Bytes>, [char; 2]),
}

fn header_pair(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_bytes(name.as_bytes()).ok()?,
        HeaderValue::from_str(value).ok()?,
    ))
}

fn redirect(r: &Redirect, parts: &http::request::Parts, ssl: bool) -> Response<Bytes> {
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let location = match r.kind {
        RedirectKind::Location => r.target.clone(),
        RedirectKind::Prefix => {
            let prefix = r.target.trim_end_matches('/');
            format!("{prefix}{pq}")
        }
        RedirectKind::Scheme => {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or(parts.uri.authority().map(|a| a.as_str()))
                .unwrap_or("");
            let _ = ssl;
            format!("{}://{host}{pq}", r.target)
        }
    };
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::from_u16(r.code).unwrap_or(StatusCode::FOUND);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    // HAProxy marks temporary redirects as not cacheable.
    if matches!(r.code, 302 | 303 | 307) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    resp
}

fn http_return(
    status: u16,
    content_type: &Option<String>,
    body: &str,
    headers: &[(String, String)],
) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::copy_from_slice(body.as_bytes()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    for (n, v) in headers {
        if let Some((n, v)) = header_pair(n, v) {
            h.append(n, v);
        }
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Some(ct) = content_type.as_deref().filter(|_| !body.is_empty()) {
        if let Ok(v) = HeaderValue::from_str(ct) {
            h.insert(header::CONTENT_TYPE, v);
        }
    }
    resp
}

impl Conn {
    fn sample<'a>(&self, parts: &'a http::request::Parts) -> Sample<'a> {
        Sample {
            src: self.peer.ip(),
            ssl: self.ssl,
            method: Some(parts.method.as_str()),
            path: Some(parts.uri.path()),
            headers: Some(&parts.headers),
        }
    }

    /// Applies `http-request` rules in order.
    fn apply_rules(
        &self,
        rules: &[HttpRequestRule],
        parts: &mut http::request::Parts,
    ) -> RuleOutcome {
        for rule in rules {
            if !rule.cond.eval(&self.sample(parts)) {
                continue;
            }
            match &rule.action {
                HttpRequestAction::SetHeader { name, value } => {
                    if let Some((n, v)) = header_pair(name, value) {
                        parts.headers.insert(n, v);
                    }
                }
                HttpRequestAction::AddHeader { name, value } => {
                    if let Some((n, v)) = header_pair(name, value) {
                        parts.headers.append(n, v);
                    }
                }
                HttpRequestAction::DelHeader { name } => {
                    if let Ok(n) = HeaderName::from_bytes(name.as_bytes()) {
                        parts.headers.remove(n);
                    }
                }
                HttpRequestAction::Redirect(r) => {
                    return RuleOutcome::Respond(redirect(r, parts, self.ssl), ['L', 'R'])
                }
                HttpRequestAction::Return {
                    status,
                    content_type,
                    body,
                    headers,
                } => {
                    return RuleOutcome::Respond(
                        http_return(*status, content_type, body, headers),
                        ['L', 'R'],
                    )
                }
                HttpRequestAction::Deny { status } => {
                    crate::proxy::stats::bump(&self.fe.stats.denied_req);
                    return RuleOutcome::Respond(errors::response(*status), ['P', 'R']);
                }
                HttpRequestAction::Allow => break,
                HttpRequestAction::PrometheusExporter => {
                    return RuleOutcome::Respond(stats::metrics(&self.fe), ['L', 'R'])
                }
            }
        }
        RuleOutcome::Continue
    }

    /// Answers a generated response: the request is over.
    fn generated(&self, ex: &Exchange, resp: Response<Bytes>, ts: [char; 2]) -> Response<Out> {
        self.log(ex, &resp, resp.body().len() as u64, ts);
        self.phase.set(IDLE);
        full(resp)
    }

    /// Rejects a malformed request as HAProxy does: its raw error page,
    /// then the connection closes.
    fn rejected(&self, ex: &Exchange, status: u16, ts: [char; 2]) -> Response<Out> {
        crate::proxy::stats::bump(&self.fe.stats.errors_req);
        let mut resp = errors::response(status);
        close_after(&mut resp);
        self.log(ex, &resp, resp.body().len() as u64, ts);
        if !self.h2 {
            self.phase.rewrite(status);
        }
        full(resp)
    }

    /// Sends the request's `httplog` line.
    fn log<B>(&self, ex: &Exchange, resp: &Response<B>, body_bytes: u64, ts: [char; 2]) {
        log_http(
            &self.fe,
            self.peer,
            self.ssl,
            ex,
            resp.status().as_u16(),
            head_bytes(resp.status(), resp.extensions(), resp.headers()) + body_bytes,
            ts,
        );
    }

    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Out>, Rejected> {
        let mut req = req;
        let upgrade = !self.h2 && wants_upgrade(req.headers());
        let client_up = upgrade.then(|| hyper::upgrade::on(&mut req));
        self.phase.set(BUSY);
        let (mut parts, body) = req.into_parts();
        let head_in = request_head_bytes(&parts);
        self.fe.stats.bytes(head_in, 0);
        let request = if self.fe.logs_http() {
            format!("{} {} {:?}", parts.method, parts.uri, parts.version)
        } else {
            String::new()
        };
        let mut ex = Exchange::new(request);
        ex.head_in = head_in;
        let mut force_close = false;
        if !self.h2 {
            match check_framing(&mut parts.headers) {
                Ok(close) => force_close = close,
                Err(status) => return Ok(self.rejected(&ex, status, ['P', 'R'])),
            }
        }
        if !tcp_accepts(&self.fe.cfg.tcp_content, &self.sample(&parts)) {
            return Err(Rejected);
        }
        if let RuleOutcome::Respond(mut resp, ts) =
            self.apply_rules(&self.fe.cfg.http_request, &mut parts)
        {
            if force_close {
                close_after(&mut resp);
            }
            return Ok(self.generated(&ex, resp, ts));
        }
        if let Some(page) = &self.fe.cfg.stats {
            let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            if stats::wants_page(page, pq) {
                let admin = page
                    .admin
                    .as_ref()
                    .is_some_and(|c| c.eval(&self.sample(&parts)));
                let mut resp = stats::page(&self.fe, page, &parts, admin, body).await;
                if force_close {
                    close_after(&mut resp);
                }
                return Ok(self.generated(&ex, resp, ['L', 'R']));
            }
        }
        let Some(be) = self.fe.select(&self.sample(&parts)).cloned() else {
            return Ok(self.generated(&ex, errors::response(503), ['S', 'C']));
        };
        ex.backend = Some(Arc::clone(&be));
        if !tcp_accepts(&be.cfg.tcp_content, &self.sample(&parts)) {
            return Err(Rejected);
        }
        if let RuleOutcome::Respond(resp, ts) = self.apply_rules(&be.cfg.http_request, &mut parts) {
            return Ok(self.generated(&ex, resp, ts));
        }
        let mode = stronger(self.fe.cfg.http_conn_mode, be.cfg.http_conn_mode);
        let up_value = match client_up {
            Some(_) => parts.headers.get(header::UPGRADE).cloned(),
            None => None,
        };
        self.prepare(&mut parts, &be, mode, up_value);
        let state = Arc::new(ReqState::default());
        let req = Request::from_parts(parts, ReqBody::new(Some(body), Arc::clone(&state)));
        let result = self
            .forward(&be, req, mode, &state.failed, ex, client_up)
            .await;
        Ok(match result {
            Ok(mut resp) => {
                if force_close || mode == HttpConnMode::Close {
                    resp.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                resp
            }
            Err((400, ex, ts)) => self.rejected(&ex, 400, ts),
            Err((status, ex, ts)) => {
                be.stats.response(status);
                if status == 502 {
                    crate::proxy::stats::bump(&be.stats.errors_resp);
                }
                let mut resp = errors::response(status);
                // A request body left half read cannot be skipped over:
                // the connection closes, as HAProxy announces.
                if force_close || !state.complete.load(std::sync::atomic::Ordering::Acquire) {
                    close_after(&mut resp);
                }
                self.generated(&ex, resp, ts)
            }
        })
    }

    /// Rewrites the request for the server; `upgrade` keeps a protocol
    /// switch (its `Upgrade` header) going to the server.
    fn prepare(
        &self,
        parts: &mut http::request::Parts,
        be: &BackendRt,
        mode: HttpConnMode,
        upgrade: Option<HeaderValue>,
    ) {
        strip_hop_by_hop(&mut parts.headers);
        if self.h2 || parts.version == Version::HTTP_2 {
            if !parts.headers.contains_key(header::HOST) {
                if let Some(a) = parts.uri.authority() {
                    if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                        parts.headers.insert(header::HOST, v);
                    }
                }
            }
            let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            if let Ok(uri) = pq.parse::<Uri>() {
                parts.uri = uri;
            }
        }
        parts.version = Version::HTTP_11;
        if self.fe.cfg.forwardfor || be.cfg.forwardfor {
            if let Ok(v) = HeaderValue::from_str(&self.peer.ip().to_canonical().to_string()) {
                parts
                    .headers
                    .append(HeaderName::from_static("x-forwarded-for"), v);
            }
        }
        if let Some(up) = upgrade {
            parts.headers.insert(header::UPGRADE, up);
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        } else if mode != HttpConnMode::KeepAlive {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }

    /// Sends the request to a server of `be` and wraps its response;
    /// `Err` holds the error page's status and the termination state.
    async fn forward(
        &self,
        be: &Arc<BackendRt>,
        req: Request<ReqBody>,
        mode: HttpConnMode,
        failed: &AtomicBool,
        mut ex: Exchange,
        client_up: Option<hyper::upgrade::OnUpgrade>,
    ) -> Result<Response<Out>, (u16, Exchange, [char; 2])> {
        let method = req.method().clone();
        let uri = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let hdr_value = match &be.cfg.balance.balance {
            Balance::Hdr { name, .. } => req.headers().get(name.as_str()).map(|v| v.as_bytes()),
            _ => None,
        };
        let mut key = RequestKey::new().src(self.peer).uri(uri.as_bytes());
        if let Some(h) = hdr_value {
            key = key.header(h);
        }
        // Timers only matter to the log line.
        let timed = self.fe.logs_http();
        let queued = timed.then(Instant::now);
        let slot = match be.assign(&key).await {
            Ok(slot) => slot,
            Err(ConnectError::QueueTimeout) => return Err((503, ex, ['s', 'Q'])),
            Err(_) => return Err((503, ex, ['S', 'C'])),
        };
        ex.tw = queued.map(|q| q.elapsed());
        let keep = mode == HttpConnMode::KeepAlive && client_up.is_none();
        let reused = if keep {
            slot.server().idle.take()
        } else {
            None
        };
        let (mut sender, slot) = match reused {
            Some(s) => {
                ex.tc = Some(std::time::Duration::ZERO);
                (s, slot)
            }
            None => {
                let connected = Instant::now();
                // Boxed: the request future stays small (and cheap to
                // move) on the common path that reuses a connection.
                let Ok((sender, slot, retries)) = Box::pin(open_server(be, slot, &key)).await
                else {
                    return Err((503, ex, ['S', 'C']));
                };
                ex.retries = retries;
                ex.tc = Some(connected.elapsed());
                (sender, slot)
            }
        };
        ex.server = Some(slot.index());
        slot.count_bytes_in(ex.head_in);
        let asked = timed.then(Instant::now);
        let sent = sender.send_request(req);
        let result = match be.cfg.timeouts.server {
            Some(t) => match tokio::time::timeout(t, sent).await {
                Ok(r) => r,
                Err(_) => return Err((504, ex, ['s', 'H'])),
            },
            None => sent.await,
        };
        let mut resp = match result {
            Ok(resp) => resp,
            Err(_) if failed.load(std::sync::atomic::Ordering::Acquire) => {
                return Err((400, ex, ['C', 'D']))
            }
            Err(_) => return Err((502, ex, ['S', 'H'])),
        };
        ex.tr = asked.map(|a| a.elapsed());
        slot.count_response(resp.status().as_u16());
        if let Some(client_up) =
            client_up.filter(|_| resp.status() == StatusCode::SWITCHING_PROTOCOLS)
        {
            let server_up = hyper::upgrade::on(&mut resp);
            let (parts, _) = resp.into_parts();
            self.start_tunnel(be, slot, ex, &parts, client_up, server_up);
            return Ok(Response::from_parts(parts, Empty.boxed_unsync()));
        }
        let (mut parts, body) = resp.into_parts();
        let server_closes = parts
            .headers
            .get_all(header::CONNECTION)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        strip_hop_by_hop(&mut parts.headers);
        if !be.cfg.http_response.is_empty() || !self.fe.cfg.http_response.is_empty() {
            // Only what outlives the request can be fetched: the path and
            // headers are gone (their fetches do not match), as in HAProxy.
            let sample = Sample {
                src: self.peer.ip(),
                ssl: self.ssl,
                method: Some(method.as_str()),
                path: None,
                headers: None,
            };
            // The backend's rules come first, then the frontend's.
            for rules in [&be.cfg.http_response, &self.fe.cfg.http_response] {
                if let Err(status) = apply_response_rules(rules, &sample, &mut parts.headers) {
                    return Err((status, ex, ['P', 'H']));
                }
            }
        }
        let idle = Arc::clone(&slot.server().idle);
        let head = head_bytes(parts.status, &parts.extensions, &parts.headers);
        let log: Option<body::LogOnce> = if self.fe.logs_http() {
            let status = parts.status.as_u16();
            let fe = Arc::clone(&self.fe);
            let (peer, ssl) = (self.peer, self.ssl);
            Some(Box::new(move |bytes: u64, ts: [char; 2]| {
                log_http(&fe, peer, ssl, &ex, status, head + bytes, ts);
            }))
        } else {
            None
        };
        let finish = Finish {
            slot,
            reuse: (keep && !server_closes).then_some((sender, idle)),
            phase: Arc::clone(&self.phase),
            log,
            fe: Arc::clone(&self.fe),
            head,
        };
        let body = RespBody::new(body, finish, be.cfg.timeouts.server).boxed_unsync();
        Ok(Response::from_parts(parts, body))
    }
}

impl Conn {
    /// Turns the exchange into a tunnel once both sides switched protocols
    /// (`101`): bytes flow both ways under `timeout tunnel` (else `timeout
    /// client` / `timeout server`), then the request is logged with the
    /// bytes the server sent.
    fn start_tunnel(
        &self,
        be: &Arc<BackendRt>,
        slot: super::backend::Slot,
        ex: Exchange,
        parts: &http::response::Parts,
        client_up: hyper::upgrade::OnUpgrade,
        server_up: hyper::upgrade::OnUpgrade,
    ) {
        let t = super::tcp::TunnelTimeouts {
            client: self.fe.cfg.timeouts.client,
            client_fin: self.fe.cfg.timeouts.client_fin,
            server: be.cfg.timeouts.server,
            server_fin: be.cfg.timeouts.server_fin,
            tunnel: be.cfg.timeouts.tunnel,
        };
        let head = head_bytes(parts.status, &parts.extensions, &parts.headers);
        let fe = Arc::clone(&self.fe);
        let (peer, ssl) = (self.peer, self.ssl);
        let task = tokio::spawn(async move {
            let (client, server) = tokio::join!(client_up, server_up);
            let (Ok(client), Ok(server)) = (client, server) else {
                log_http(&fe, peer, ssl, &ex, 101, head, ['C', 'D']);
                return;
            };
            let done = super::tcp::forward(TokioIo::new(client), TokioIo::new(server), t).await;
            drop(slot);
            let ts = match done.end {
                super::tcp::End::Normal => ['-', '-'],
                end => [end.code(), 'D'],
            };
            log_http(&fe, peer, ssl, &ex, 101, head + done.from_server, ts);
        });
        *self.tunnel.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }
}

/// What a request's log line needs, filled in as it progresses.
struct Exchange {
    started: std::time::SystemTime,
    t0: Instant,
    request: String,
    backend: Option<Arc<BackendRt>>,
    /// Index of the server among the backend's.
    server: Option<usize>,
    tw: Option<std::time::Duration>,
    tc: Option<std::time::Duration>,
    tr: Option<std::time::Duration>,
    retries: u32,
    /// `%TR`: `None` when no complete request arrived.
    treq: Option<std::time::Duration>,
    /// The size of the request head as received on HTTP/1.1.
    head_in: u64,
}

impl Exchange {
    fn new(request: String) -> Self {
        Exchange {
            started: std::time::SystemTime::now(),
            t0: Instant::now(),
            request,
            backend: None,
            server: None,
            tw: None,
            tc: None,
            tr: None,
            retries: 0,
            treq: Some(std::time::Duration::ZERO),
            head_in: 0,
        }
    }
}

/// The size of a response head as written on HTTP/1.1, before the
/// connection layer adds its own `connection` header (HAProxy's `%B` does
/// not count that one either).
fn head_bytes(status: StatusCode, extensions: &http::Extensions, headers: &HeaderMap) -> u64 {
    let reason = extensions
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| r.as_bytes().len())
        .or(status.canonical_reason().map(str::len))
        .unwrap_or(0);
    let headers: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    ("HTTP/1.1 200 \r\n".len() + reason + headers + 2) as u64
}

/// The size of a request head as an HTTP/1.1 client writes it (request
/// line, `name: value` lines, blank line): what `bin` counts for it.
fn request_head_bytes(parts: &http::request::Parts) -> u64 {
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.to_string().len(), |p| p.as_str().len());
    let headers: usize = parts
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    (parts.method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len() + headers + 2) as u64
}

/// Sends a request's `httplog` line, when the frontend logs so.
fn log_http(
    fe: &FrontendRt,
    peer: SocketAddr,
    ssl: bool,
    ex: &Exchange,
    status: u16,
    bytes: u64,
    ts: [char; 2],
) {
    let Some(logger) = &fe.log else {
        return;
    };
    if logger.format != super::config::LogFormat::Http {
        return;
    }
    let be = ex.backend.as_deref();
    let server = be.zip(ex.server).and_then(|(b, i)| b.servers().get(i));
    let line = super::log::HttpLine {
        client: peer,
        started: ex.started,
        frontend: &fe.log_name(ssl),
        backend: be.map_or(fe.cfg.name.as_str(), |b| b.cfg.name.as_str()),
        server: server.map_or("<NOSRV>", |s| s.cfg.name.as_str()),
        treq: ex.treq,
        tw: ex.tw,
        tc: ex.tc,
        tr: ex.tr,
        ta: ex.t0.elapsed(),
        status,
        bytes,
        ts,
        counters: fe.counters(be, server, ex.retries),
        request: &ex.request,
    };
    logger.send(&line.render());
}

/// Opens a new connection to the server of `slot` (with `retries` and
/// redispatch), TLS when the server has `ssl`, then the HTTP/1.1 client;
/// the retries made on success.
async fn open_server(
    be: &Arc<BackendRt>,
    slot: super::backend::Slot,
    key: &RequestKey<'_>,
) -> Result<
    (
        hyper::client::conn::http1::SendRequest<ReqBody>,
        super::backend::Slot,
        u32,
    ),
    (),
> {
    let (stream, slot, info) = be.connect_from(slot, key).await.map_err(|_| ())?;
    let sender = match &slot.server().tls {
        Some(tls) => match tls.connect(stream).await {
            Ok(stream) => h1_handshake(stream).await,
            Err(_) => Err(503),
        },
        None => h1_handshake(stream).await,
    };
    let sender = sender.map_err(|_| ())?;
    Ok((sender, slot, info.retries))
}

/// Opens an HTTP/1.1 client connection over `io`; its driver runs in its
/// own task until the connection closes.
async fn h1_handshake<I>(io: I) -> Result<hyper::client::conn::http1::SendRequest<ReqBody>, u16>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // `writev(false)`: requests are small; one flat buffer goes out with a
    // plain `send`, cheaper in the kernel than `writev`.
    let (sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(super::tcp::BUFSIZE)
        .writev(false)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|_| 503u16)?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in list {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn framing_checks_follow_haproxy() {
        let mut h = headers(&[("content-length", "5"), ("transfer-encoding", "chunked")]);
        assert_eq!(check_framing(&mut h), Ok(true));
        assert!(!h.contains_key("content-length"));
        let mut h = headers(&[("transfer-encoding", "chunked, chunked")]);
        assert_eq!(check_framing(&mut h), Err(400));
        let mut h = headers(&[("transfer-encoding", "identity")]);
        assert_eq!(check_framing(&mut h), Err(400));
        let mut h = headers(&[("transfer-encoding", "gzip, chunked")]);
        assert_eq!(check_framing(&mut h), Err(422));
        let mut h = headers(&[("content-length", "5"), ("content-length", "5")]);
        assert_eq!(check_framing(&mut h), Ok(false));
        assert_eq!(h.get_all("content-length").iter().count(), 1);
        let mut h = headers(&[("content-length", "5"), ("content-length", "6")]);
        assert_eq!(check_framing(&mut h), Err(400));
    }

    #[test]
    fn hop_by_hop_headers_stay_behind() {
        let mut h = headers(&[
            ("connection", "close, x-secret"),
            ("x-secret", "1"),
            ("keep-alive", "5"),
            ("x-ok", "1"),
        ]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-ok"));
    }

    #[test]
    fn connection_modes_combine_to_the_stronger() {
        use HttpConnMode::*;
        assert_eq!(stronger(KeepAlive, ServerClose), ServerClose);
        assert_eq!(stronger(Close, ServerClose), Close);
        assert_eq!(stronger(KeepAlive, KeepAlive), KeepAlive);
    }
}
