//! Framing. Requests are built with neli's generic-netlink types (a
//! [`Request`] becomes an `Nlmsghdr<u16, Genlmsghdr<u8, u16>>`); what the
//! kernel sends back is split into [`Frame`]s by a bounds-checked reader
//! here, because neli's deserialiser overflows on a length field smaller
//! than its header (found by the `ipvs_attrs` fuzz target) and a reply
//! must never panic.

use std::io::Cursor;

use neli::consts::nl::NlmF;
use neli::genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder};
use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
use neli::types::{Buffer, GenlBuffer};
use neli::ToBytes;

use crate::codec::{Message, Request};
use crate::error::DecodeError;

/// The generic-netlink version IPVS speaks.
pub(crate) const IPVS_GENL_VERSION: u8 = 1;

/// An IPVS netlink message as neli types it.
pub type IpvsNlmsg = Nlmsghdr<u16, Genlmsghdr<u8, u16>>;

/// The flags of a request: `REQUEST|ACK`, plus `DUMP` for dumps (as
/// ipvsadm sends them).
pub(crate) fn request_flags(req: &Request) -> NlmF {
    if req.dump {
        NlmF::REQUEST | NlmF::ACK | NlmF::DUMP
    } else {
        NlmF::REQUEST | NlmF::ACK
    }
}

/// Maps a neli builder error.
fn build_err(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Netlink(e.to_string())
}

/// Frames `req` for the IPVS family `family` with sequence number `seq`.
pub fn frame(req: &Request, family: u16, seq: u32) -> Result<IpvsNlmsg, DecodeError> {
    let mut attrs = GenlBuffer::new();
    for a in &req.attrs {
        let ty = AttrTypeBuilder::default()
            .nla_type(a.kind)
            .nla_nested(a.nested)
            .build()
            .map_err(build_err)?;
        let attr = NlattrBuilder::default()
            .nla_type(ty)
            .nla_payload(Buffer::from(a.payload.clone()))
            .build()
            .map_err(build_err)?;
        attrs.push(attr);
    }
    let genl = GenlmsghdrBuilder::default()
        .cmd(req.cmd.to_raw())
        .version(IPVS_GENL_VERSION)
        .attrs(attrs)
        .build()
        .map_err(build_err)?;
    NlmsghdrBuilder::default()
        .nl_type(family)
        .nl_flags(request_flags(req))
        .nl_seq(seq)
        .nl_payload(NlPayload::Payload(genl))
        .build()
        .map_err(build_err)
}

/// The bytes of `req` framed as a netlink message (port id 0).
pub fn to_bytes(req: &Request, family: u16, seq: u32) -> Result<Vec<u8>, DecodeError> {
    let msg = frame(req, family, seq)?;
    let mut cursor = Cursor::new(Vec::new());
    msg.to_bytes(&mut cursor).map_err(build_err)?;
    Ok(cursor.into_inner())
}

/// `struct nlmsghdr`'s size.
const NLMSG_HDRLEN: usize = 16;
/// `struct genlmsghdr`'s size.
const GENL_HDRLEN: usize = 4;
/// `NLMSG_ERROR`.
pub(crate) const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`.
pub(crate) const NLMSG_DONE: u16 = 3;

/// One netlink message of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// `nlmsg_type` (a generic-netlink family id, or a control type).
    pub ty: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`.
    pub pid: u32,
    /// What follows the header.
    pub payload: &'a [u8],
}

impl<'a> Frame<'a> {
    /// For `NLMSG_ERROR`, the errno (positive; 0 is an acknowledgement).
    pub fn errno(&self) -> Result<Option<i32>, DecodeError> {
        if self.ty != NLMSG_ERROR {
            return Ok(None);
        }
        let b = self
            .payload
            .get(..4)
            .ok_or_else(|| DecodeError::Netlink("NLMSG_ERROR shorter than its errno".into()))?;
        let code = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        Ok(Some(code.checked_neg().unwrap_or(i32::MAX)))
    }

    /// For a generic-netlink message, its command and attribute bytes.
    pub fn genl(&self) -> Result<(u8, &'a [u8]), DecodeError> {
        let cmd = *self
            .payload
            .first()
            .ok_or_else(|| DecodeError::Netlink("generic netlink header missing".into()))?;
        let attrs = self
            .payload
            .get(GENL_HDRLEN..)
            .ok_or_else(|| DecodeError::Netlink("generic netlink header truncated".into()))?;
        Ok((cmd, attrs))
    }
}

/// Splits a datagram into netlink messages, checking every length.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    rest: &'a [u8],
}

/// The messages of a datagram.
pub fn frames(bytes: &[u8]) -> Frames<'_> {
    Frames { rest: bytes }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let bad = |what: String| Some(Err(DecodeError::Netlink(what)));
        if self.rest.len() < NLMSG_HDRLEN {
            let left = self.rest.len();
            self.rest = &[];
            return bad(format!("{left} trailing bytes, shorter than a header"));
        }
        let h = self.rest;
        let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len < NLMSG_HDRLEN || len > h.len() {
            self.rest = &[];
            return bad(format!("message length {len} with {} bytes left", h.len()));
        }
        let frame = Frame {
            ty: u16::from_ne_bytes([h[4], h[5]]),
            flags: u16::from_ne_bytes([h[6], h[7]]),
            seq: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
            pid: u32::from_ne_bytes([h[12], h[13], h[14], h[15]]),
            payload: &h[NLMSG_HDRLEN..len],
        };
        let next = crate::attr::align(len).min(h.len());
        self.rest = &h[next..];
        Some(Ok(frame))
    }
}

/// Parses one whole IPVS netlink message (header included) and decodes
/// it; `None` for netlink control messages (acknowledgement, error, done).
pub fn parse(bytes: &[u8]) -> Result<Option<Message>, DecodeError> {
    let frame = frames(bytes)
        .next()
        .ok_or_else(|| DecodeError::Netlink("empty message".into()))??;
    if frame.ty == NLMSG_ERROR || frame.ty == NLMSG_DONE || frame.ty < 0x10 {
        return Ok(None);
    }
    let (cmd, attrs) = frame.genl()?;
    Message::decode(cmd, attrs).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    #[test]
    fn flush_frames_to_twenty_bytes() {
        let bytes = to_bytes(&Request::flush(), 0x20, 7).unwrap();
        assert_eq!(
            bytes,
            [20, 0, 0, 0, 0x20, 0, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 17, 1, 0, 0]
        );
    }

    #[test]
    fn framed_request_parses_back() {
        let s = Service::new(ServiceKey::tcp("192.0.2.1:80".parse().unwrap())).scheduler("rr");
        let bytes = to_bytes(&Request::new_service(&s), 0x20, 1).unwrap();
        let m = parse(&bytes).unwrap().unwrap();
        assert_eq!(m.service.unwrap().service, s);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(&[1, 2, 3]).is_err());
        assert!(parse(&[0xff; 40]).is_err());
        // A length smaller than the header (the input that made neli's
        // deserialiser overflow).
        let mut short = vec![4, 0, 0, 0, 0x20, 0];
        short.resize(24, 0);
        assert!(parse(&short).is_err());
    }

    #[test]
    fn frames_split_a_datagram_and_read_errors() {
        let mut dgram = to_bytes(&Request::flush(), 0x20, 1).unwrap();
        // An NLMSG_ERROR carrying -ESRCH (3) and the echoed header.
        let mut err = vec![36, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        err.extend_from_slice(&(-3i32).to_ne_bytes());
        err.extend_from_slice(&dgram[..16]);
        dgram.extend_from_slice(&err);
        let got: Vec<Frame<'_>> = frames(&dgram).map(Result::unwrap).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].genl().unwrap().0, 17);
        assert_eq!(got[1].errno().unwrap(), Some(3));
        assert_eq!(got[0].errno().unwrap(), None);
    }
}
