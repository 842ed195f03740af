//! HMAC-MD5 (RFC 2104 over RFC 1321's MD5), for the ICV of keepalived's
//! IPsec AH mode, from RustCrypto's `md-5` and `hmac` crates. Only that:
//! MD5 is broken as a hash, and is here because the peer uses it.

use hmac::{Mac, SimpleHmac};
use md5::Md5;

/// Bytes of an MD5 digest.
pub(crate) const DIGEST_LEN: usize = 16;

/// HMAC-MD5 of `data` under `key` (keys longer than a block are hashed
/// first, as RFC 2104 says). `None` only if the crate refused the key,
/// which HMAC never does (any length is accepted).
pub(crate) fn hmac_md5(key: &[u8], data: &[u8]) -> Option<[u8; DIGEST_LEN]> {
    let mut mac = SimpleHmac::<Md5>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::Digest;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc1321_test_suite() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "d41d8cd98f00b204e9800998ecf8427e"),
            (b"a", "0cc175b9c0f1b6a831c399e269772661"),
            (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
            (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                b"abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, digest) in cases {
            assert_eq!(
                hex(&Md5::digest(input)),
                digest,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn rfc2202_hmac_md5() {
        assert_eq!(
            hex(&hmac_md5(&[0x0b; 16], b"Hi There").unwrap()),
            "9294727a3638bb1c13f48ef8158bfc9d"
        );
        assert_eq!(
            hex(&hmac_md5(b"Jefe", b"what do ya want for nothing?").unwrap()),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        // Test case 6: a key longer than a block.
        assert_eq!(
            hex(&hmac_md5(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )
            .unwrap()),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"
        );
    }
}
