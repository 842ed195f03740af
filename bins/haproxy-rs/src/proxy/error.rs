//! Errors raised while building or starting a proxy.

use std::net::SocketAddr;

/// Why a proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listening socket could not be created or bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A frontend or rule names a backend that does not exist.
    #[error("proxy `{frontend}` refers to unknown backend `{backend}`")]
    UnknownBackend {
        /// The referring frontend.
        frontend: String,
        /// The missing name.
        backend: String,
    },
    /// Two backends have the same name.
    #[error("duplicate backend `{0}`")]
    DuplicateBackend(String),
    /// A server could not be added to its backend's scheduler.
    #[error("backend `{backend}`, server `{server}`: {source}")]
    Server {
        /// The backend.
        backend: String,
        /// The server.
        server: String,
        /// What the scheduler said.
        source: lbkit_sched::Error,
    },
    /// The balance algorithm could not be built.
    #[error("backend `{backend}`: {source}")]
    Balance {
        /// The backend.
        backend: String,
        /// What the scheduler said.
        source: lbkit_sched::Error,
    },
    /// A TLS certificate, key or CA file could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// A log target could not be opened.
    #[error("log target {target}: {source}")]
    Log {
        /// The target as configured.
        target: String,
        /// The system's reason.
        source: std::io::Error,
    },
}

/// Looks up a backend by name in a server-name-indexed table.
pub(crate) fn unknown_backend(frontend: &str, backend: &str) -> Error {
    Error::UnknownBackend {
        frontend: frontend.to_owned(),
        backend: backend.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_culprit() {
        let e = unknown_backend("main", "ap");
        assert_eq!(e.to_string(), "proxy `main` refers to unknown backend `ap`");
    }
}
