//! The self-signed certificate of the HTTPS frontend: the guide's
//! `cat example.com.crt example.com.key > example.com.pem`.

use std::path::Path;

/// The name the certificate is for; the client resolves it to the VIP.
pub(crate) const NAME: &str = "example.com";

/// Writes `example.com.pem` (certificate, then key) and `ca.pem` (the
/// certificate alone, the client's trust anchor) into `dir`.
pub(crate) fn write(dir: &Path) -> Result<(), String> {
    let made = rcgen::generate_simple_self_signed(vec![NAME.to_string()])
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    let cert = made.cert.pem();
    let key = made.key_pair.serialize_pem();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("example.com.pem", format!("{cert}{key}"))?;
    write("ca.pem", cert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pem_holds_the_certificate_then_its_key() {
        let dir = std::env::temp_dir().join(format!("xtask-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write(&dir).unwrap();
        let pem = std::fs::read_to_string(dir.join("example.com.pem")).unwrap();
        let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert!(pem.contains("-----BEGIN PRIVATE KEY-----"), "{pem}");
        assert!(pem.starts_with(&ca));
    }
}
