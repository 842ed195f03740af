//! TLS client settings for HTTPS and TLS checks (rustls, ring provider).

use std::io;
use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Why TLS settings could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A trust anchor was rejected.
    #[error("bad CA certificate: {0}")]
    BadRoot(rustls::Error),
    /// The protocol versions could not be set up.
    #[error("TLS setup: {0}")]
    Setup(rustls::Error),
    /// The SNI name is not a valid DNS name.
    #[error("bad server name {0:?}")]
    BadName(String),
}

/// How to talk TLS to a server: whether to verify its certificate and what
/// name to send.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    config: Arc<ClientConfig>,
    sni: Option<ServerName<'static>>,
}

impl TlsOptions {
    /// Verifies the server's certificate against `roots`, for the name
    /// `sni` (sent as SNI) or else the address.
    pub fn verified(
        roots: &[CertificateDer<'static>],
        sni: Option<&str>,
    ) -> Result<Self, TlsError> {
        let mut store = RootCertStore::empty();
        for r in roots {
            store.add(r.clone()).map_err(TlsError::BadRoot)?;
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Setup)?
            .with_root_certificates(store)
            .with_no_client_auth();
        Self::finish(config, sni)
    }

    /// Accepts any certificate (keepalived's default for `SSL_GET`,
    /// HAProxy's `verify none`), still sending `sni` when given.
    pub fn unverified(sni: Option<&str>) -> Result<Self, TlsError> {
        let provider = provider();
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Setup)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth();
        Self::finish(config, sni)
    }

    fn finish(mut config: ClientConfig, sni: Option<&str>) -> Result<Self, TlsError> {
        config.enable_sni = sni.is_some();
        let sni = match sni {
            Some(name) => Some(
                ServerName::try_from(name.to_owned())
                    .map_err(|_| TlsError::BadName(name.into()))?,
            ),
            None => None,
        };
        Ok(Self {
            config: Arc::new(config),
            sni,
        })
    }

    /// Runs the handshake over `tcp`; without an SNI name the server's
    /// address stands in for certificate verification.
    pub(crate) async fn connect(
        &self,
        tcp: TcpStream,
        ip: IpAddr,
    ) -> io::Result<TlsStream<TcpStream>> {
        let name = self.sni.clone().unwrap_or(ServerName::IpAddress(ip.into()));
        TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A verifier that accepts every certificate but still checks handshake
/// signatures, so the handshake is proven by the certificate's key
/// (HAProxy's `verify none`, keepalived's `SSL_GET` default).
#[derive(Debug)]
pub struct AcceptAny(Arc<CryptoProvider>);

impl AcceptAny {
    /// Checks handshake signatures with `provider`'s algorithms.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        AcceptAny(provider)
    }
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
