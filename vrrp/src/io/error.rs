//! Errors of the driver.

use crate::wire::EncodeError;

/// Why a driver operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// A system call failed.
    #[error("{op}: {source}")]
    Sys {
        /// What was being done.
        op: &'static str,
        /// The error the kernel returned.
        source: std::io::Error,
    },
    /// No interface of that name (or it lacks what the operation needs).
    #[error("interface {name}: {reason}")]
    Interface {
        /// Interface name.
        name: String,
        /// What is missing.
        reason: &'static str,
    },
    /// An rtnetlink request failed.
    #[error("rtnetlink: {0}")]
    Netlink(String),
    /// The advertisement could not be serialised.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Wraps an `std::io::Error` with the operation that failed.
pub(crate) fn sys(op: &'static str) -> impl FnOnce(std::io::Error) -> IoError {
    move |source| IoError::Sys { op, source }
}

/// Wraps a `nix` errno with the operation that failed.
pub(crate) fn errno(op: &'static str) -> impl FnOnce(nix::errno::Errno) -> IoError {
    move |e| IoError::Sys {
        op,
        source: std::io::Error::from(e),
    }
}
