//! Netlink attributes as bytes: a bounds-checked reader and a writer that
//! lays them out like libnl (4-byte aligned, zero padding).

use crate::error::DecodeError;

/// Bit set in `nla_type` on a nested attribute.
pub(crate) const NLA_F_NESTED: u16 = 0x8000;
/// Bits of `nla_type` that hold flags rather than the type.
const NLA_TYPE_MASK: u16 = 0x3fff;
/// Size of `struct nlattr`.
const NLA_HDRLEN: usize = 4;

/// Rounds `len` up to the netlink alignment (4).
pub(crate) fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Iterates over the attributes in `bytes`, yielding `(type, payload)` with
/// the flag bits cleared; a malformed header ends it with an error.
#[derive(Debug, Clone)]
pub(crate) struct AttrIter<'a> {
    rest: &'a [u8],
}

impl<'a> AttrIter<'a> {
    /// Reads the attributes in `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        AttrIter { rest: bytes }
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Result<(u16, &'a [u8]), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HDRLEN {
            // Trailing bytes shorter than a header are padding.
            self.rest = &[];
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > self.rest.len() {
            let available = self.rest.len();
            self.rest = &[];
            return Some(Err(DecodeError::BadAttrLength {
                kind,
                len,
                available,
            }));
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        let next = align(len).min(self.rest.len());
        self.rest = &self.rest[next..];
        Some(Ok((kind, payload)))
    }
}

/// Reads a fixed-size payload.
fn fixed<const N: usize>(kind: u16, payload: &[u8]) -> Result<[u8; N], DecodeError> {
    payload
        .get(..N)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(DecodeError::ShortPayload {
            kind,
            need: N,
            got: payload.len(),
        })
}

/// A `u8` payload.
pub(crate) fn get_u8(kind: u16, payload: &[u8]) -> Result<u8, DecodeError> {
    Ok(fixed::<1>(kind, payload)?[0])
}

/// A host-order `u16` payload.
pub(crate) fn get_u16(kind: u16, payload: &[u8]) -> Result<u16, DecodeError> {
    Ok(u16::from_ne_bytes(fixed(kind, payload)?))
}

/// A network-order `u16` payload (ports).
pub(crate) fn get_be16(kind: u16, payload: &[u8]) -> Result<u16, DecodeError> {
    Ok(u16::from_be_bytes(fixed(kind, payload)?))
}

/// A host-order `u32` payload.
pub(crate) fn get_u32(kind: u16, payload: &[u8]) -> Result<u32, DecodeError> {
    Ok(u32::from_ne_bytes(fixed(kind, payload)?))
}

/// A network-order `u32` payload.
pub(crate) fn get_be32(kind: u16, payload: &[u8]) -> Result<u32, DecodeError> {
    Ok(u32::from_be_bytes(fixed(kind, payload)?))
}

/// A host-order `u64` payload, or a `u32` one widened (counters).
pub(crate) fn get_u64_or_u32(kind: u16, payload: &[u8]) -> Result<u64, DecodeError> {
    if payload.len() >= 8 {
        Ok(u64::from_ne_bytes(fixed(kind, payload)?))
    } else {
        get_u32(kind, payload).map(u64::from)
    }
}

/// A NUL-terminated (or unterminated) string payload.
pub(crate) fn get_str(kind: u16, payload: &[u8]) -> Result<String, DecodeError> {
    let end = payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len());
    std::str::from_utf8(&payload[..end])
        .map(str::to_string)
        .map_err(|_| DecodeError::BadString { kind })
}

/// Appends attributes to a buffer.
#[derive(Debug, Default, Clone)]
pub(crate) struct AttrWriter {
    buf: Vec<u8>,
}

impl AttrWriter {
    /// An empty buffer.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends one attribute with `payload`, padded to alignment.
    pub(crate) fn put(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        let len = NLA_HDRLEN + payload.len();
        let len16 = u16::try_from(len).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(self.buf.len() + align(len) - len, 0);
        self
    }

    /// Appends a `u8`.
    pub(crate) fn u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.put(kind, &[v])
    }

    /// Appends a host-order `u16`.
    pub(crate) fn u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.put(kind, &v.to_ne_bytes())
    }

    /// Appends a network-order `u16`.
    pub(crate) fn be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.put(kind, &v.to_be_bytes())
    }

    /// Appends a host-order `u32`.
    pub(crate) fn u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.put(kind, &v.to_ne_bytes())
    }

    /// Appends a NUL-terminated string.
    pub(crate) fn str(&mut self, kind: u16, s: &str) -> &mut Self {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        self.put(kind, &bytes)
    }

    /// The bytes written.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_pads_like_libnl() {
        let mut w = AttrWriter::new();
        w.str(6, "wlc").u16(1, 2);
        // "wlc\0" -> len 8, no pad; u16 -> len 6 + 2 pad.
        assert_eq!(
            w.finish(),
            [8, 0, 6, 0, b'w', b'l', b'c', 0, 6, 0, 1, 0, 2, 0, 0, 0]
        );
    }

    #[test]
    fn reader_clears_flags_and_rejects_overlong() {
        let bytes = [8, 0, 0x01, 0x80, 1, 2, 3, 4, 9, 0, 2, 0];
        let mut it = AttrIter::new(&bytes);
        assert_eq!(it.next().unwrap().unwrap(), (1, &[1u8, 2, 3, 4][..]));
        assert!(matches!(
            it.next(),
            Some(Err(DecodeError::BadAttrLength {
                kind: 2,
                len: 9,
                ..
            }))
        ));
        assert!(it.next().is_none());
    }

    #[test]
    fn short_payloads_are_errors() {
        assert!(get_u32(3, &[1, 2]).is_err());
        assert_eq!(get_be16(4, &[0, 80]).unwrap(), 80);
        assert_eq!(get_str(6, b"rr\0\0").unwrap(), "rr");
        assert!(get_str(6, &[0xff, 0]).is_err());
    }
}
