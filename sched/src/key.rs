//! What a scheduler may look at in a request.

use std::net::SocketAddr;
use std::time::Instant;

/// The transport protocol of a packet (IPVS `sh-port` and `mh-port` hash
/// the source port only for TCP, UDP and SCTP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// Any other IP protocol number.
    Other(u8),
}

/// The parts of a connection or request a scheduler may hash or inspect.
///
/// Everything is borrowed: building a key allocates nothing. Fill in what
/// the algorithm needs (an IPVS `sh` needs `src`, HAProxy `uri` needs
/// `uri`); a missing part makes hashing algorithms fall back the way the
/// original does.
///
/// ```
/// use lbkit_sched::RequestKey;
/// let key = RequestKey::new()
///     .src("192.0.2.7:40000".parse().unwrap())
///     .uri(b"/img/logo.png?v=2");
/// assert!(key.header.is_none());
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct RequestKey<'a> {
    /// Client (source) address and port.
    pub src: Option<SocketAddr>,
    /// Destination (virtual service) address and port, as seen in the packet.
    pub dst: Option<SocketAddr>,
    /// Transport protocol.
    pub protocol: Protocol,
    /// Firewall mark of the packet.
    pub fwmark: Option<u32>,
    /// HTTP request target as sent (path and optional `?query`).
    pub uri: Option<&'a [u8]>,
    /// Value of the header named by `balance hdr(name)` (its first occurrence).
    pub header: Option<&'a [u8]>,
    /// Value of the RDP cookie named by `balance rdp-cookie(name)`.
    pub cookie: Option<&'a [u8]>,
    /// Request body already received (`url_param ... check_post`).
    pub body: Option<&'a [u8]>,
    /// The current time, for schedulers whose state ages (IPVS lblc/lblcr).
    pub now: Option<Instant>,
}

impl<'a> RequestKey<'a> {
    /// An empty key.
    pub fn new() -> Self {
        RequestKey::default()
    }

    /// Sets the client address.
    pub fn src(mut self, src: SocketAddr) -> Self {
        self.src = Some(src);
        self
    }

    /// Sets the destination address.
    pub fn dst(mut self, dst: SocketAddr) -> Self {
        self.dst = Some(dst);
        self
    }

    /// Sets the transport protocol.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the firewall mark.
    pub fn fwmark(mut self, mark: u32) -> Self {
        self.fwmark = Some(mark);
        self
    }

    /// Sets the HTTP request target.
    pub fn uri(mut self, uri: &'a [u8]) -> Self {
        self.uri = Some(uri);
        self
    }

    /// Sets the balanced-on header's value.
    pub fn header(mut self, value: &'a [u8]) -> Self {
        self.header = Some(value);
        self
    }

    /// Sets the RDP cookie's value.
    pub fn cookie(mut self, value: &'a [u8]) -> Self {
        self.cookie = Some(value);
        self
    }

    /// Sets the request body.
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets the current time.
    pub fn now(mut self, now: Instant) -> Self {
        self.now = Some(now);
        self
    }
}
