//! Errors: malformed kernel messages, and kernel answers mapped to
//! variants a caller can match on.

use std::net::SocketAddr;

use crate::codec::Command;
use crate::model::ServiceKey;

/// A message or attribute that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An attribute header whose length is impossible.
    #[error("attribute {kind}: length {len} with {available} bytes left")]
    BadAttrLength {
        /// Attribute type.
        kind: u16,
        /// Length in its header.
        len: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A payload shorter than its type needs.
    #[error("attribute {kind}: payload of {got} bytes, needs {need}")]
    ShortPayload {
        /// Attribute type.
        kind: u16,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// A string attribute that is not UTF-8.
    #[error("attribute {kind}: string is not UTF-8")]
    BadString {
        /// Attribute type.
        kind: u16,
    },
    /// A required attribute is missing.
    #[error("{what}: missing {attr}")]
    Missing {
        /// The object being decoded.
        what: &'static str,
        /// The attribute's name.
        attr: &'static str,
    },
    /// A value outside what the kernel defines.
    #[error("{what}: unknown value {value}")]
    UnknownValue {
        /// The field.
        what: &'static str,
        /// The value seen.
        value: u32,
    },
    /// An IPVS command number this crate does not know.
    #[error("unknown IPVS command {0}")]
    UnknownCommand(u8),
    /// A netlink or generic-netlink header that does not parse.
    #[error("malformed netlink message: {0}")]
    Netlink(String),
}

/// An IPVS operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The generic netlink family "IPVS" does not exist: the `ip_vs`
    /// module is not loaded (or the kernel lacks IPVS).
    #[error("IPVS is not available: no generic netlink family \"IPVS\" (load the ip_vs module)")]
    NotLoaded,
    /// The kernel refused: the caller lacks `CAP_NET_ADMIN`.
    #[error("{op:?}: permission denied (needs CAP_NET_ADMIN)")]
    PermissionDenied {
        /// The operation.
        op: Command,
    },
    /// Adding a service that exists.
    #[error("service {key} already exists")]
    ServiceExists {
        /// The service.
        key: ServiceKey,
    },
    /// The service named does not exist.
    #[error("no such service {key} ({op:?})")]
    NoSuchService {
        /// The operation.
        op: Command,
        /// The service.
        key: ServiceKey,
    },
    /// Adding a destination that exists.
    #[error("destination {addr} of service {service} already exists")]
    DestinationExists {
        /// The service.
        service: ServiceKey,
        /// The destination.
        addr: SocketAddr,
    },
    /// The destination named does not exist.
    #[error("no such destination {addr} in service {service} ({op:?})")]
    NoSuchDestination {
        /// The operation.
        op: Command,
        /// The service.
        service: ServiceKey,
        /// The destination.
        addr: SocketAddr,
    },
    /// The scheduler (or the persistence engine, the kernel answers the
    /// same) is not known to the kernel.
    #[error("scheduler `{scheduler}`{} not found", pe.as_ref().map(|p| format!(" or persistence engine `{p}`")).unwrap_or_default())]
    InvalidScheduler {
        /// The scheduler asked for.
        scheduler: String,
        /// The persistence engine asked for, if any.
        pe: Option<String>,
    },
    /// Any other errno from the kernel.
    #[error("{op:?}: kernel error: {}", std::io::Error::from_raw_os_error(*errno))]
    Kernel {
        /// The operation.
        op: Command,
        /// The positive errno.
        errno: i32,
    },
    /// The socket failed.
    #[error("netlink socket: {0}")]
    Socket(String),
    /// The desired state is contradictory.
    #[error(transparent)]
    Reconcile(#[from] crate::reconcile::ReconcileError),
    /// A reply did not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}
