//! The two Ceph Object Gateways of the guide, reduced to what the guide
//! shows of them: every request is answered with the
//! `ListAllMyBucketsResult` document of its Appendix A.5. Two headers
//! are the demo's own, to show who served the request: `x-served-by`
//! (the gateway) and `x-peer` (the address the request came from: the
//! load-balancer node that proxied it).

use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// The guide's answer (Appendix A.5), byte for byte.
pub(crate) const ANSWER: &str = include_str!("../../data/demo/rgw-answer.xml");

/// Connections served at the same time, at most; more are closed.
const MAX_CONNECTIONS: usize = 64;
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// A running gateway: a thread in the gateway's namespace.
pub(crate) struct Gateway {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Gateway {
    /// Starts gateway `name` listening on `addr` inside namespace `ns`.
    pub(crate) fn start(
        ns: String,
        name: &'static str,
        addr: SocketAddrV4,
    ) -> Result<Self, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, listening) = mpsc::channel();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let listener = super::lab::enter(&ns).and_then(|()| {
                let l = TcpListener::bind(addr).map_err(|e| format!("{name}: bind {addr}: {e}"))?;
                l.set_nonblocking(true)
                    .map_err(|e| format!("{name}: {e}"))?;
                Ok(l)
            });
            match listener {
                Ok(l) => {
                    let _ = ready.send(Ok(()));
                    serve(&l, name, &flag);
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        });
        let gateway = Gateway {
            stop,
            thread: Some(thread),
        };
        match listening.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => Ok(gateway),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("{name} did not start")),
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Accepts until `stop`, one short-lived thread per connection.
fn serve(listener: &TcpListener, name: &'static str, stop: &AtomicBool) {
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    active.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let active = Arc::clone(&active);
                std::thread::spawn(move || {
                    let _ = answer(stream, name);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Reads request heads and answers each, until the peer closes (health
/// checks connect and close without a request).
fn answer(mut stream: TcpStream, name: &str) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let peer = stream.peer_addr()?.ip();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.drain(..end + 4);
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\
                 x-served-by: {name}\r\nx-peer: {peer}\r\n\r\n{ANSWER}",
                ANSWER.len()
            );
            stream.write_all(response.as_bytes())?;
        }
        if buf.len() > MAX_HEAD {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_the_guides_document() {
        assert!(ANSWER.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        assert!(ANSWER.contains("<ID>anonymous</ID>"));
        assert!(ANSWER.trim_end().ends_with("</ListAllMyBucketsResult>"));
    }

    #[test]
    fn answers_every_request_on_a_connection_and_names_itself() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            answer(s, "rgw9").unwrap();
        });
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nhost: a\r\n\r\nGET /x HTTP/1.1\r\nhost: a\r\n\r\n")
            .unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let mut text = String::new();
        c.read_to_string(&mut text).unwrap();
        t.join().unwrap();
        assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{text}");
        assert_eq!(text.matches("x-served-by: rgw9\r\n").count(), 2, "{text}");
        assert!(text.contains("x-peer: 127.0.0.1\r\n"), "{text}");
        assert!(text.contains(&format!("content-length: {}\r\n", ANSWER.len())));
    }
}
