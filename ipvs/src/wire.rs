//! Framing with neli's generic-netlink types: a [`Request`] becomes an
//! `Nlmsghdr<u16, Genlmsghdr<u8, u16>>` and back.

use std::io::Cursor;

use neli::consts::nl::NlmF;
use neli::genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder};
use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
use neli::types::{Buffer, GenlBuffer};
use neli::{FromBytes, ToBytes};

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

/// Decodes the IPVS content of a generic-netlink message neli parsed.
pub fn from_genl(genl: &Genlmsghdr<u8, u16>) -> Result<Message, DecodeError> {
    let attrs = genl.attrs().iter().map(|a| {
        let kind = u16::from(a.nla_type()) & 0x3fff;
        Ok((kind, a.nla_payload().as_ref()))
    });
    Message::decode_attrs(*genl.cmd(), attrs)
}

/// Parses one whole IPVS netlink message (header included) with neli and
/// decodes it; `None` for netlink control messages (ACK, error, done).
pub fn parse(bytes: &[u8]) -> Result<Option<Message>, DecodeError> {
    let msg = IpvsNlmsg::from_bytes(&mut Cursor::new(bytes)).map_err(build_err)?;
    match msg.nl_payload() {
        NlPayload::Payload(genl) => from_genl(genl).map(Some),
        _ => Ok(None),
    }
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
    }
}
