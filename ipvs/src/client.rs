//! A blocking IPVS client over a generic-netlink socket (neli): one
//! request at a time, or a batch sent in one write.

use neli::consts::genl::{CtrlAttr, CtrlCmd};
use neli::consts::nl::{GenlId, NlmF};
use neli::consts::socket::Msg;
use neli::consts::socket::NlFamily;
use neli::genl::{AttrTypeBuilder, GenlmsghdrBuilder, NlattrBuilder};
use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
use neli::socket::NlSocket;
use neli::types::{Buffer, GenlBuffer};
use neli::utils::Groups;
use neli::{Size, ToBytes};

use crate::codec::{Command, Message, Request};
use crate::error::{DecodeError, Error};
use crate::model::*;
use crate::reconcile::{self, CurrentService, DesiredService, Op, Plan};
use crate::wire;

/// `CTRL_ATTR_FAMILY_ID`.
const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// Receive buffer: larger than any datagram the kernel sends a dump in.
const RECV_BUF: usize = 64 * 1024;
/// Requests per batch write (keeps the socket buffers small).
const BATCH: usize = 256;

/// A connection to the kernel's IPVS generic-netlink family.
pub struct Client {
    sock: NlSocket,
    buf: Vec<u8>,
    family: u16,
    seq: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("family", &self.family)
            .field("seq", &self.seq)
            .finish()
    }
}

/// Maps a socket error.
fn sock_err(e: impl std::fmt::Display) -> Error {
    Error::Socket(e.to_string())
}

/// Maps a kernel errno to an error with the request's context.
pub fn map_errno(req: &Request, errno: i32) -> Error {
    let s = &req.subject;
    let op = req.cmd;
    match (errno, op, s.service, s.destination) {
        (libc::EPERM | libc::EACCES, _, _, _) => Error::PermissionDenied { op },
        (libc::EEXIST, Command::NewService, Some(key), _) => Error::ServiceExists { key },
        (libc::EEXIST, Command::NewDest, Some(service), Some(addr)) => {
            Error::DestinationExists { service, addr }
        }
        (libc::ESRCH, _, Some(key), _) => Error::NoSuchService { op, key },
        (libc::ENOENT, Command::NewService | Command::SetService, _, _) => {
            Error::InvalidScheduler {
                scheduler: s.scheduler.clone().unwrap_or_default(),
                pe: s.pe.clone(),
            }
        }
        (libc::ENOENT, Command::SetDest | Command::DelDest, Some(service), Some(addr)) => {
            Error::NoSuchDestination { op, service, addr }
        }
        _ => Error::Kernel { op, errno },
    }
}

impl Client {
    /// Opens a generic-netlink socket and resolves the "IPVS" family.
    pub fn connect() -> Result<Self, Error> {
        let sock = NlSocket::connect(NlFamily::Generic, None, Groups::empty())
            .map_err(|e| Error::Socket(format!("generic netlink socket: {e}")))?;
        sock.block().map_err(sock_err)?;
        let mut client = Client {
            sock,
            buf: vec![0; RECV_BUF],
            family: 0,
            seq: 0,
        };
        client.family = client.resolve_family("IPVS")?;
        Ok(client)
    }

    /// The IPVS family id the kernel assigned.
    pub fn family_id(&self) -> u16 {
        self.family
    }

    /// The next sequence number.
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Asks the generic-netlink controller for a family's id.
    fn resolve_family(&mut self, name: &str) -> Result<u16, Error> {
        let mut attrs = GenlBuffer::new();
        let mut payload = name.as_bytes().to_vec();
        payload.push(0);
        let attr = AttrTypeBuilder::default()
            .nla_type(CtrlAttr::FamilyName)
            .build()
            .map_err(sock_err)?;
        attrs.push(
            NlattrBuilder::default()
                .nla_type(attr)
                .nla_payload(Buffer::from(payload))
                .build()
                .map_err(sock_err)?,
        );
        let genl = GenlmsghdrBuilder::default()
            .cmd(CtrlCmd::Getfamily)
            .version(1)
            .attrs(attrs)
            .build()
            .map_err(sock_err)?;
        let seq = self.next_seq();
        let msg = NlmsghdrBuilder::default()
            .nl_type(GenlId::Ctrl)
            .nl_flags(NlmF::REQUEST | NlmF::ACK)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .map_err(sock_err)?;
        self.send_msg(&msg)?;
        let mut id = None;
        loop {
            let n = self.recv_datagram()?;
            for frame in wire::frames(&self.buf[..n]) {
                let frame = frame?;
                if frame.seq != seq {
                    continue;
                }
                match frame.errno()? {
                    Some(0) => {
                        return id.ok_or(Error::Decode(DecodeError::Missing {
                            what: "family reply",
                            attr: "CTRL_ATTR_FAMILY_ID",
                        }))
                    }
                    Some(libc::ENOENT) => return Err(Error::NotLoaded),
                    Some(errno) => {
                        return Err(Error::Socket(format!(
                            "resolving generic netlink family {name}: {}",
                            std::io::Error::from_raw_os_error(errno)
                        )))
                    }
                    None => {
                        let (_, attrs) = frame.genl()?;
                        id = crate::attr::AttrIter::new(attrs)
                            .filter_map(Result::ok)
                            .find(|(kind, _)| *kind == CTRL_ATTR_FAMILY_ID)
                            .and_then(|(kind, p)| crate::attr::get_u16(kind, p).ok());
                    }
                }
            }
        }
    }

    /// Sends one request and collects its replies (every part of a dump).
    pub fn execute(&mut self, req: &Request) -> Result<Vec<Message>, Error> {
        let seq = self.next_seq();
        let msg = wire::frame(req, self.family, seq)?;
        self.send_msg(&msg)?;
        let mut out = Vec::new();
        loop {
            let n = self.recv_datagram()?;
            for frame in wire::frames(&self.buf[..n]) {
                let frame = frame?;
                if frame.seq != seq {
                    continue;
                }
                match frame.errno()? {
                    Some(0) if !req.dump => return Ok(out),
                    Some(0) => {}
                    Some(errno) => return Err(map_errno(req, errno)),
                    None if frame.ty == wire::NLMSG_DONE => return Ok(out),
                    None if frame.ty == self.family => {
                        let (cmd, attrs) = frame.genl()?;
                        out.push(Message::decode(cmd, attrs)?);
                    }
                    None => {}
                }
            }
        }
    }

    /// Sends requests that need no reply but an acknowledgement, many per
    /// write, and waits for every acknowledgement. Stops at the first
    /// error; the requests before it were applied.
    pub fn execute_batch(&mut self, reqs: &[Request]) -> Result<(), Error> {
        for chunk in reqs.chunks(BATCH) {
            let first = self.seq.wrapping_add(1);
            let mut bytes = Vec::new();
            for req in chunk {
                let seq = self.next_seq();
                let msg = wire::frame(req, self.family, seq)?;
                let mut cursor = std::io::Cursor::new(Vec::new());
                msg.to_bytes(&mut cursor).map_err(sock_err)?;
                bytes.extend_from_slice(cursor.get_ref());
            }
            self.send_raw(&bytes)?;
            let mut pending = chunk.len();
            let mut failure = None;
            while pending > 0 {
                let n = self.recv_datagram()?;
                for frame in wire::frames(&self.buf[..n]) {
                    let frame = frame?;
                    let index = frame.seq.wrapping_sub(first) as usize;
                    let Some(req) = chunk.get(index) else {
                        continue;
                    };
                    match frame.errno()? {
                        Some(0) => pending = pending.saturating_sub(1),
                        Some(errno) => {
                            pending = pending.saturating_sub(1);
                            failure.get_or_insert_with(|| map_errno(req, errno));
                        }
                        None => {}
                    }
                }
            }
            if let Some(e) = failure {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Writes pre-framed messages in one `send`.
    fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        self.sock.send(bytes, Msg::empty()).map_err(sock_err)?;
        Ok(())
    }

    /// Serialises and sends one message.
    fn send_msg<T, P>(&self, msg: &Nlmsghdr<T, P>) -> Result<(), Error>
    where
        Nlmsghdr<T, P>: ToBytes + Size,
    {
        let mut cursor = std::io::Cursor::new(Vec::with_capacity(msg.padded_size()));
        msg.to_bytes(&mut cursor).map_err(sock_err)?;
        self.send_raw(cursor.get_ref())
    }

    /// Reads one datagram into the receive buffer; its length.
    fn recv_datagram(&mut self) -> Result<usize, Error> {
        let (n, _) = self
            .sock
            .recv(&mut self.buf[..], Msg::empty())
            .map_err(sock_err)?;
        Ok(n.min(self.buf.len()))
    }

    /// Runs a request that answers with an acknowledgement only.
    fn run(&mut self, req: Request) -> Result<(), Error> {
        self.execute(&req).map(|_| ())
    }

    /// The module's version and connection table size.
    pub fn info(&mut self) -> Result<Info, Error> {
        let replies = self.execute(&Request::get_info())?;
        replies
            .into_iter()
            .find_map(|m| m.info)
            .ok_or(Error::Decode(DecodeError::Missing {
                what: "info reply",
                attr: "VERSION",
            }))
    }

    /// Every service (a dump).
    pub fn services(&mut self) -> Result<Vec<ServiceEntry>, Error> {
        let replies = self.execute(&Request::dump_services())?;
        Ok(replies.into_iter().filter_map(|m| m.service).collect())
    }

    /// One service.
    pub fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, Error> {
        let req = Request::get_service(key);
        let replies = self.execute(&req)?;
        replies
            .into_iter()
            .find_map(|m| m.service)
            .ok_or(Error::NoSuchService {
                op: Command::GetService,
                key: *key,
            })
    }

    /// Adds a service.
    pub fn add_service(&mut self, service: &Service) -> Result<(), Error> {
        self.run(Request::new_service(service))
    }

    /// Replaces a service's settings.
    pub fn edit_service(&mut self, service: &Service) -> Result<(), Error> {
        self.run(Request::set_service(service))
    }

    /// Deletes a service and its destinations.
    pub fn del_service(&mut self, key: &ServiceKey) -> Result<(), Error> {
        self.run(Request::del_service(key))
    }

    /// A service's destinations (a dump).
    pub fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, Error> {
        let replies = self.execute(&Request::dump_dests(key))?;
        Ok(replies.into_iter().filter_map(|m| m.destination).collect())
    }

    /// Adds a destination to a service.
    pub fn add_dest(&mut self, key: &ServiceKey, d: &Destination) -> Result<(), Error> {
        self.run(Request::new_dest(key, d))
    }

    /// Replaces a destination's settings.
    pub fn edit_dest(&mut self, key: &ServiceKey, d: &Destination) -> Result<(), Error> {
        self.run(Request::set_dest(key, d))
    }

    /// Deletes a destination.
    pub fn del_dest(&mut self, key: &ServiceKey, addr: std::net::SocketAddr) -> Result<(), Error> {
        self.run(Request::del_dest(key, addr))
    }

    /// The running sync daemons.
    pub fn daemons(&mut self) -> Result<Vec<Daemon>, Error> {
        let replies = self.execute(&Request::dump_daemons())?;
        Ok(replies.into_iter().filter_map(|m| m.daemon).collect())
    }

    /// Starts a sync daemon.
    pub fn start_daemon(&mut self, d: &Daemon) -> Result<(), Error> {
        self.run(Request::new_daemon(d))
    }

    /// Stops the sync daemon in `state`.
    pub fn stop_daemon(&mut self, state: DaemonState) -> Result<(), Error> {
        self.run(Request::del_daemon(state))
    }

    /// The connection timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts, Error> {
        let replies = self.execute(&Request::get_config())?;
        replies
            .into_iter()
            .find_map(|m| m.timeouts)
            .ok_or(Error::Decode(DecodeError::Missing {
                what: "config reply",
                attr: "TIMEOUT_TCP",
            }))
    }

    /// Sets the connection timeouts (0 leaves one unchanged).
    pub fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Error> {
        self.run(Request::set_config(t))
    }

    /// Zeroes the counters of one service, or of all.
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), Error> {
        self.run(Request::zero(key))
    }

    /// Every service with its destinations (one dump, then one dump per
    /// service).
    pub fn state(&mut self) -> Result<Vec<CurrentService>, Error> {
        let services = self.services()?;
        let mut out = Vec::with_capacity(services.len());
        for s in services {
            let destinations = self
                .destinations(&s.service.key)?
                .into_iter()
                .map(|d| d.destination)
                .collect();
            out.push(CurrentService {
                service: s.service,
                destinations,
            });
        }
        Ok(out)
    }

    /// Brings the kernel to `desired`: reads its state, plans the fewest
    /// operations, and applies them unless `dry_run`. Returns the plan
    /// (what was, or would be, changed); a second call plans nothing.
    ///
    /// Operations are sent in batches; when one fails, the error is
    /// returned and operations after it in the same batch may have been
    /// applied (the kernel carries on with the next message).
    pub fn reconcile(&mut self, desired: &[DesiredService], dry_run: bool) -> Result<Plan, Error> {
        let current = self.state()?;
        let plan = reconcile::plan(&current, desired)?;
        if !dry_run {
            let reqs: Vec<Request> = plan.ops.iter().map(Op::request).collect();
            self.execute_batch(&reqs)?;
        }
        Ok(plan)
    }

    /// Deletes every service.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.run(Request::flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ServiceKey {
        ServiceKey::tcp("192.0.2.10:80".parse().unwrap())
    }

    #[test]
    fn errno_depends_on_the_command() {
        let s = Service::new(key()).scheduler("nope");
        assert!(matches!(
            map_errno(&Request::new_service(&s), libc::EEXIST),
            Error::ServiceExists { .. }
        ));
        assert!(matches!(
            map_errno(&Request::new_service(&s), libc::ENOENT),
            Error::InvalidScheduler { ref scheduler, .. } if scheduler == "nope"
        ));
        let addr = "198.51.100.1:80".parse().unwrap();
        assert!(matches!(
            map_errno(&Request::del_dest(&key(), addr), libc::ENOENT),
            Error::NoSuchDestination { .. }
        ));
        assert!(matches!(
            map_errno(&Request::del_service(&key()), libc::ESRCH),
            Error::NoSuchService {
                op: Command::DelService,
                ..
            }
        ));
        assert!(matches!(
            map_errno(&Request::flush(), libc::EPERM),
            Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            map_errno(&Request::flush(), libc::EINVAL),
            Error::Kernel {
                errno: libc::EINVAL,
                ..
            }
        ));
    }
}
