//! What the client sees: a packet socket in the client's namespace that
//! records, with the time each frame reached user space, every VRRP
//! advert from the two nodes and every ICMP echo reply from the VIP with
//! the MAC address it came from.

use super::lab::{H1, H2, VIP};
use std::io::Read;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Frames seen at most per capture (bounded memory; a repetition at a
/// 5 ms ping sees a few thousand).
const MAX_EVENTS: usize = 100_000;

/// One frame of interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A VRRP advert (IP protocol 112) from this node address.
    Advert(Ipv4Addr),
    /// An ICMP echo reply from the VIP, from this link-layer address.
    Reply([u8; 6]),
    /// A gratuitous ARP for the VIP, from this link-layer address.
    Garp([u8; 6]),
}

/// Classifies an Ethernet frame.
pub(crate) fn classify(frame: &[u8]) -> Option<Event> {
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let mut mac = [0u8; 6];
    mac.copy_from_slice(frame.get(6..12)?);
    if ethertype == 0x0806 {
        // ARP for IPv4 over Ethernet: sender IP at 14, target IP at 24
        let arp = frame.get(14..42)?;
        let vip = VIP.octets();
        return (arp[14..18] == vip && arp[24..28] == vip).then_some(Event::Garp(mac));
    }
    if ethertype != 0x0800 {
        return None;
    }
    let ip = frame.get(14..)?;
    let header_len = usize::from(ip.first()? & 0x0f) * 4;
    let protocol = *ip.get(9)?;
    let src = Ipv4Addr::new(*ip.get(12)?, *ip.get(13)?, *ip.get(14)?, *ip.get(15)?);
    match protocol {
        112 if src == H1 || src == H2 => Some(Event::Advert(src)),
        1 if src == VIP && *ip.get(header_len)? == 0 => Some(Event::Reply(mac)),
        _ => None,
    }
}

/// A running capture; [`Capture::finish`] stops it and returns what it saw.
pub(crate) struct Capture {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Vec<(Instant, Event)>, String>>,
}

impl Capture {
    /// Opens a packet socket in namespace `ns` and records until finished.
    /// Returns once the socket is open.
    pub(crate) fn start(ns: &str) -> Result<Capture, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let ns = ns.to_string();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let socket = open(&ns);
            let ok = socket.is_ok();
            let _ = ready_tx.send(socket.as_ref().map(|_| ()).map_err(Clone::clone));
            if !ok {
                return Ok(Vec::new());
            }
            record(socket?, &flag)
        });
        match ready_rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => Ok(Capture { stop, thread }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("the capture did not start".into()),
        }
    }

    /// Stops the capture; the frames seen, in order.
    pub(crate) fn finish(self) -> Result<Vec<(Instant, Event)>, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .unwrap_or_else(|_| Err("the capture thread failed".into()))
    }
}

/// A packet socket for every protocol in namespace `ns`.
fn open(ns: &str) -> Result<socket2::Socket, String> {
    super::lab::enter(ns)?;
    // ETH_P_ALL in network byte order
    let all = socket2::Protocol::from(i32::from(0x0003u16.to_be()));
    let socket = socket2::Socket::new(socket2::Domain::PACKET, socket2::Type::RAW, Some(all))
        .map_err(|e| format!("packet socket in {ns}: {e}"))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| format!("packet socket: {e}"))?;
    Ok(socket)
}

/// Reads frames until `stop` is set.
fn record(socket: socket2::Socket, stop: &AtomicBool) -> Result<Vec<(Instant, Event)>, String> {
    let mut seen = Vec::new();
    let mut frame = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        match (&socket).read(&mut frame) {
            Ok(n) => {
                let at = Instant::now();
                if let Some(event) = frame.get(..n).and_then(classify) {
                    if seen.len() < MAX_EVENTS {
                        seen.push((at, event));
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(format!("capture: {e}")),
        }
    }
    Ok(seen)
}

/// One repetition's figures, ms after the signal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Sample {
    /// The backup's first advert.
    pub(crate) advert_ms: f64,
    /// The first echo reply from the VIP with the backup's MAC.
    pub(crate) reply_ms: f64,
    /// The backup's first gratuitous ARP for the VIP (NaN if none seen).
    pub(crate) garp_ms: f64,
    /// The backup's first advert minus the master's last one before it.
    pub(crate) detection_ms: f64,
}

/// Reads one repetition's capture: `t0` is the instant just before the
/// signal, `backup_mac` the backup's link-layer address.
pub(crate) fn analyse(
    seen: &[(Instant, Event)],
    t0: Instant,
    backup_mac: [u8; 6],
) -> Result<Sample, String> {
    let ms = |t: Instant| t.saturating_duration_since(t0).as_secs_f64() * 1e3;
    let after = |e: &&(Instant, Event)| e.0 >= t0;
    let advert = seen
        .iter()
        .filter(after)
        .find(|(_, e)| *e == Event::Advert(H2))
        .map(|(t, _)| *t)
        .ok_or("no advert from the backup after the signal")?;
    let reply = seen
        .iter()
        .filter(after)
        .find(|(_, e)| *e == Event::Reply(backup_mac))
        .map(|(t, _)| *t)
        .ok_or("no echo reply from the backup after the signal")?;
    let garp = seen
        .iter()
        .filter(after)
        .find(|(_, e)| *e == Event::Garp(backup_mac))
        .map_or(f64::NAN, |(t, _)| ms(*t));
    let last_master = seen
        .iter()
        .filter(|(t, e)| *t < advert && *e == Event::Advert(H1))
        .map(|(t, _)| *t)
        .next_back()
        .ok_or("no advert from the master before the backup's")?;
    Ok(Sample {
        advert_ms: ms(advert),
        reply_ms: ms(reply),
        garp_ms: garp,
        detection_ms: advert.duration_since(last_master).as_secs_f64() * 1e3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet + IPv4 frame from `mac`, `src`, with `protocol` and
    /// `payload`.
    fn frame(mac: [u8; 6], src: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&mac);
        f.extend_from_slice(&[0x08, 0x00]);
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[9] = protocol;
        ip[12..16].copy_from_slice(&src.octets());
        f.extend_from_slice(&ip);
        f.extend_from_slice(payload);
        f
    }

    const M2: [u8; 6] = [2, 0, 0, 0, 0, 2];

    #[test]
    fn frames_are_classified_by_protocol_source_and_icmp_type() {
        assert_eq!(
            classify(&frame(M2, H2, 112, &[0x31])),
            Some(Event::Advert(H2))
        );
        assert_eq!(
            classify(&frame(M2, VIP, 1, &[0, 0])),
            Some(Event::Reply(M2))
        );
        // an echo request to the VIP, an advert from elsewhere, a short frame
        assert_eq!(classify(&frame(M2, VIP, 1, &[8, 0])), None);
        assert_eq!(
            classify(&frame(M2, Ipv4Addr::new(192, 0, 2, 9), 112, &[0])),
            None
        );
        assert_eq!(classify(&frame(M2, VIP, 1, &[])[..30]), None);
        // ARP: a gratuitous one for the VIP, then a request from the client
        let mut garp = vec![0xff; 6];
        garp.extend_from_slice(&M2);
        garp.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
        garp.extend_from_slice(&M2);
        garp.extend_from_slice(&VIP.octets());
        garp.extend_from_slice(&[0; 6]);
        garp.extend_from_slice(&VIP.octets());
        assert_eq!(classify(&garp), Some(Event::Garp(M2)));
        garp[28..32].copy_from_slice(&[192, 0, 2, 100]);
        assert_eq!(classify(&garp), None);
        assert_eq!(classify(&garp[..40]), None);
    }

    #[test]
    fn the_sample_is_timed_from_the_signal() {
        let base = Instant::now();
        let at = |ms: u64| base + Duration::from_millis(ms);
        let m1 = [2, 0, 0, 0, 0, 1];
        let seen = [
            (at(0), Event::Advert(H1)),
            (at(5), Event::Reply(m1)),
            (at(1000), Event::Advert(H1)),
            (at(1010), Event::Reply(m1)),
            // signal at 1200
            (at(4600), Event::Advert(H2)),
            (at(4601), Event::Garp(M2)),
            (at(4603), Event::Reply(M2)),
        ];
        let s = analyse(&seen, at(1200), M2).unwrap();
        assert!((s.advert_ms - 3400.0).abs() < 0.01, "{s:?}");
        assert!((s.reply_ms - 3403.0).abs() < 0.01, "{s:?}");
        assert!((s.detection_ms - 3600.0).abs() < 0.01, "{s:?}");
        assert!((s.garp_ms - 3401.0).abs() < 0.01, "{s:?}");
        assert!(analyse(&seen[..4], at(1200), M2).is_err());
    }
}
