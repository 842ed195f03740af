//! TLS with rustls: termination on `bind ... ssl crt FILE|DIR [alpn ...]`
//! and `server ... ssl verify none|required [ca-file FILE] [sni NAME]`.
//!
//! A `crt` PEM holds the certificate chain and its private key, as built by
//! `cat site.crt site.key > site.pem`. A directory loads each regular file
//! in it (sorted by name). The first certificate is the default one; a
//! client's SNI name selects the first certificate valid for it (its
//! subjectAltName entries, as webpki checks them).

use super::config::{BindTls, ServerTls};
use super::error::Error;
// `verify none`: any certificate accepted, handshake signatures checked.
use lbkit_healthcheck::checkers::tls::AcceptAny;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{}: {what}", path.display()))
}

/// One certificate chain with its key, loaded from a PEM file.
#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
}

fn load_pem(path: &Path) -> Result<Loaded, Error> {
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(path, e))?;
    if chain.is_empty() {
        return Err(tls_err(path, "no certificate in file"));
    }
    let key = PrivateKeyDer::from_pem_file(path)
        .map_err(|e| tls_err(path, format!("private key: {e}")))?;
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| tls_err(path, e))?;
    Ok(Loaded {
        key: Arc::new(CertifiedKey::new(chain, signing)),
    })
}

/// The files a `crt` argument names: the file, or a directory's files.
fn pem_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| tls_err(path, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Chooses a certificate by SNI.
#[derive(Debug)]
struct SniResolver {
    certs: Vec<Loaded>,
}

impl SniResolver {
    fn find(&self, name: &str) -> Option<&Loaded> {
        let name = ServerName::try_from(name).ok()?;
        self.certs.iter().find(|c| {
            c.key.cert.first().is_some_and(|leaf| {
                webpki::EndEntityCert::try_from(leaf)
                    .is_ok_and(|ee| ee.verify_is_valid_for_subject_name(&name).is_ok())
            })
        })
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let chosen = hello
            .server_name()
            .and_then(|n| self.find(n))
            .or(self.certs.first());
        chosen.map(|c| Arc::clone(&c.key))
    }
}

/// The rustls server configuration of a TLS `bind`.
pub(crate) fn acceptor(bind: &BindTls) -> Result<Arc<ServerConfig>, Error> {
    let mut certs = Vec::new();
    for crt in &bind.crt {
        for file in pem_files(crt)? {
            certs.push(load_pem(&file)?);
        }
    }
    if certs.is_empty() {
        return Err(Error::Tls("`ssl` without any certificate".into()));
    }
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SniResolver { certs }));
    config.alpn_protocols = bind.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(Arc::new(config))
}

/// Connects TLS to a server.
#[derive(Clone, Debug)]
pub(crate) struct Connector {
    inner: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl Connector {
    /// The client side of `server ... ssl`.
    pub(crate) fn new(tls: &ServerTls, addr: SocketAddr) -> Result<Self, Error> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?;
        let config = if tls.verify {
            let mut roots = RootCertStore::empty();
            if let Some(ca) = &tls.ca_file {
                for cert in CertificateDer::pem_file_iter(ca).map_err(|e| tls_err(ca, e))? {
                    roots
                        .add(cert.map_err(|e| tls_err(ca, e))?)
                        .map_err(|e| tls_err(ca, e))?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny::new(provider())))
                .with_no_client_auth()
        };
        let name = match &tls.sni {
            Some(sni) => ServerName::try_from(sni.clone())
                .map_err(|e| Error::Tls(format!("sni {sni}: {e}")))?,
            None => ServerName::IpAddress(addr.ip().into()),
        };
        Ok(Connector {
            inner: Arc::new(config),
            name,
        })
    }

    /// Runs the handshake over a connected stream.
    pub(crate) async fn connect(
        &self,
        stream: tokio::net::TcpStream,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        tokio_rustls::TlsConnector::from(Arc::clone(&self.inner))
            .connect(self.name.clone(), stream)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_reported_with_their_path() {
        let bind = BindTls {
            crt: vec![PathBuf::from("/nonexistent/site.pem")],
            alpn: vec![],
        };
        let err = acceptor(&bind)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("/nonexistent/site.pem"), "{err}");
        let none = BindTls::default();
        assert!(acceptor(&none).is_err());
    }
}
