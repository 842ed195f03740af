//! The HAProxy side of the differential test: a real `haproxy` child process
//! on loopback, the backend servers it balances over (tiny listeners of the
//! test that say who they are), and a client that sends one request per
//! connection and reports which server answered.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any single socket operation may block before the test gives up.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the test looks for HAProxy when `HAPROXY` is not set.
const DEFAULT_HAPROXY: &str = "/usr/sbin/haproxy";

/// The byte a held response still owes the client (sent on release).
const HELD_TAIL: &[u8] = b"x";

/// Result type of the harness: errors are human-readable strings.
pub(crate) type Res<T> = Result<T, String>;

/// Turns an I/O error into a message saying what was being done.
fn ctx<T>(what: &str, r: io::Result<T>) -> Res<T> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// The HAProxy binary to run (`HAPROXY`, else `/usr/sbin/haproxy`, else
/// `haproxy` on `PATH`), or why there is none.
pub(crate) fn haproxy_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("HAPROXY").map(PathBuf::from) {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("HAPROXY={} is not a file", path.display()))
        };
    }
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("haproxy"))
                .collect()
        })
        .unwrap_or_default();
    std::iter::once(PathBuf::from(DEFAULT_HAPROXY))
        .chain(on_path)
        .find(|p| p.is_file())
        .ok_or_else(|| format!("no HAProxy binary at {DEFAULT_HAPROXY} nor on PATH"))
}

/// Returns the HAProxy binary, or `None` after printing why the test is
/// skipped. Under `CI=true` a missing HAProxy is an error instead.
pub(crate) fn haproxy_or_skip(test: &str) -> Res<Option<PathBuf>> {
    match haproxy_binary() {
        Ok(path) => Ok(Some(path)),
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => Err(format!(
            "{test}: {why}, and CI=true requires the differential test to run"
        )),
        Err(why) => {
            eprintln!("{test}: SKIPPED: {why} (install the `haproxy` package or set HAPROXY)");
            Ok(None)
        }
    }
}

/// Whether the backends speak HTTP or raw TCP (RDP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `mode http`: one request per connection, answered with a 200.
    Http,
    /// `mode tcp`: one TPKT-framed payload, answered with the server's name.
    Tcp,
}

/// A unique scratch directory for one HAProxy instance.
fn scratch_dir() -> Res<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("lbkit-hap-diff-{}-{n}", std::process::id()));
    ctx("creating scratch dir", fs::create_dir_all(&dir))?;
    Ok(dir)
}

/// A loopback port that was free a moment ago.
fn free_port() -> Res<u16> {
    let listener = ctx("probing a free port", TcpListener::bind("127.0.0.1:0"))?;
    Ok(ctx("reading probed port", listener.local_addr())?.port())
}

/// A running `haproxy -db` child; killed (by its PID) when dropped.
pub(crate) struct Haproxy {
    /// The child process.
    child: Child,
    /// Scratch directory with the config, the log and the stats socket.
    dir: PathBuf,
    /// The frontend's loopback port.
    port: u16,
}

impl Haproxy {
    /// Checks and starts HAProxy with the config `make_config(port, socket)`
    /// returns, retrying with another port if the chosen one was taken.
    pub(crate) fn start(
        binary: &Path,
        make_config: impl Fn(u16, &Path) -> Res<String>,
    ) -> Res<Haproxy> {
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let dir = scratch_dir()?;
            let port = free_port()?;
            let config = make_config(port, &dir.join("stats.sock"))?;
            match Haproxy::start_once(binary, dir.clone(), port, &config) {
                Ok(h) => return Ok(h),
                Err(e) => {
                    let _ = fs::remove_dir_all(&dir);
                    last_error = e;
                }
            }
        }
        Err(last_error)
    }

    /// One attempt: `haproxy -c`, then spawn and wait for the runtime API.
    fn start_once(binary: &Path, dir: PathBuf, port: u16, config: &str) -> Res<Haproxy> {
        let cfg = dir.join("haproxy.cfg");
        ctx("writing haproxy.cfg", fs::write(&cfg, config))?;
        check_config(binary, &cfg, config)?;
        let log = ctx(
            "creating haproxy.log",
            fs::File::create(dir.join("haproxy.log")),
        )?;
        let log2 = ctx("duplicating log handle", log.try_clone())?;
        let child = ctx(
            "spawning haproxy",
            Command::new(binary)
                .arg("-f")
                .arg(&cfg)
                .arg("-db")
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log2)
                .spawn(),
        )?;
        let mut h = Haproxy { child, dir, port };
        h.wait_ready()?;
        Ok(h)
    }

    /// Waits until the runtime API answers (all listeners are then bound).
    fn wait_ready(&mut self) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("haproxy exited ({status}):\n{}", self.log()));
            }
            if let Ok(info) = self.cli("show info") {
                if info.contains("Pid:") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("haproxy did not come up:\n{}", self.log()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// What HAProxy printed so far.
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default()
    }

    /// The frontend address.
    pub(crate) fn frontend(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Sends one command on the runtime API and returns the answer.
    pub(crate) fn cli(&self, command: &str) -> Res<String> {
        let mut sock = ctx(
            "connecting to the stats socket",
            UnixStream::connect(self.dir.join("stats.sock")),
        )?;
        ctx(
            "stats socket timeout",
            sock.set_read_timeout(Some(IO_TIMEOUT)),
        )?;
        ctx(
            "writing to the stats socket",
            sock.write_all(format!("{command}\n").as_bytes()),
        )?;
        let mut answer = String::new();
        ctx("reading the stats socket", sock.read_to_string(&mut answer))?;
        Ok(answer)
    }

    /// Sends a command whose success is an empty answer.
    pub(crate) fn cli_ok(&self, command: &str) -> Res<()> {
        let answer = self.cli(command)?;
        if answer.trim().is_empty() {
            Ok(())
        } else {
            Err(format!("`{command}` answered: {}", answer.trim()))
        }
    }

    /// Current sessions (`scur`) per server name of backend `be`.
    pub(crate) fn current_sessions(&self) -> Res<HashMap<String, u32>> {
        let csv = self.cli("show stat be 4 -1")?;
        let mut counts = HashMap::new();
        for line in csv.lines().filter(|l| l.starts_with("be,")) {
            let fields: Vec<&str> = line.split(',').collect();
            let (Some(name), Some(qcur), Some(scur)) =
                (fields.get(1), fields.get(2), fields.get(4))
            else {
                return Err(format!("unexpected `show stat` line: {line}"));
            };
            if !qcur.is_empty() && *qcur != "0" {
                return Err(format!("server {name} has {qcur} queued requests"));
            }
            let n = scur.parse().map_err(|_| format!("bad scur in: {line}"))?;
            counts.insert((*name).to_string(), n);
        }
        Ok(counts)
    }

    /// Polls the runtime API until every server's `scur` is what the test
    /// expects, i.e. HAProxy has fully processed every close.
    pub(crate) fn wait_sessions(&self, expected: &HashMap<String, u32>) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = self.current_sessions()?;
            let count = |m: &HashMap<String, u32>, name: &String| m.get(name).copied().unwrap_or(0);
            let same = now
                .keys()
                .chain(expected.keys())
                .all(|name| count(&now, name) == count(expected, name));
            if same {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "session counts stuck at {now:?}, expected {expected:?}"
                ));
            }
            thread::sleep(Duration::from_micros(200));
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs `haproxy -c` on the config; the error carries HAProxy's words.
fn check_config(binary: &Path, cfg: &Path, config: &str) -> Res<()> {
    let out = ctx(
        "running haproxy -c",
        Command::new(binary).arg("-c").arg("-f").arg(cfg).output(),
    )?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "haproxy -c rejected the config:\n{}{}\n--- config ---\n{config}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Held backend connections by token: the backend has sent the server's
/// name but not the whole response, so HAProxy keeps the stream open.
type HeldMap = Arc<Mutex<HashMap<u64, TcpStream>>>;

/// The backend servers: one loopback listener and thread each.
pub(crate) struct Backends {
    /// Server id and listening address, in declaration order.
    addrs: Vec<(u32, SocketAddr)>,
    /// Responses not yet completed.
    held: HeldMap,
    /// Tells the accept loops to end.
    stop: Arc<AtomicBool>,
    /// The accept loops.
    threads: Vec<JoinHandle<()>>,
}

impl Backends {
    /// Starts one listener per distinct server id.
    pub(crate) fn start(ids: &[u32], mode: Mode) -> Res<Backends> {
        let held: HeldMap = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let mut addrs = Vec::new();
        let mut threads = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            if ids[..i].contains(&id) {
                continue;
            }
            let listener = ctx("binding a backend", TcpListener::bind("127.0.0.1:0"))?;
            addrs.push((id, ctx("backend address", listener.local_addr())?));
            let (held, stop) = (Arc::clone(&held), Arc::clone(&stop));
            threads.push(thread::spawn(move || {
                serve(listener, id, mode, &held, &stop)
            }));
        }
        Ok(Backends {
            addrs,
            held,
            stop,
            threads,
        })
    }

    /// The listening address of server `id`.
    pub(crate) fn addr(&self, id: u32) -> Res<SocketAddr> {
        self.addrs
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, a)| *a)
            .ok_or_else(|| format!("no backend with id {id}"))
    }

    /// Completes the held response `token`; the backend then closes.
    pub(crate) fn release(&self, token: u64) -> Res<()> {
        let stream = self
            .held
            .lock()
            .map_err(|_| "held map poisoned".to_string())?
            .remove(&token);
        let mut stream = stream.ok_or_else(|| format!("no held connection {token}"))?;
        ctx("completing a held response", stream.write_all(HELD_TAIL))?;
        let _ = stream.shutdown(Shutdown::Write);
        Ok(())
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for (_, addr) in &self.addrs {
            let _ = TcpStream::connect_timeout(addr, Duration::from_secs(1));
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A backend's accept loop: answers every connection with its id.
fn serve(listener: TcpListener, id: u32, mode: Mode, held: &HeldMap, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        // A failing connection shows up on the client side as an error.
        let _ = match mode {
            Mode::Http => answer_http(conn, id, held),
            Mode::Tcp => answer_tcp(conn, id),
        };
    }
}

/// The body a backend answers with.
fn body_of(id: u32) -> String {
    format!("srv={id}\n")
}

/// Reads an HTTP request head and answers it; `X-Hold: N` keeps the
/// response open (one byte short) until [`Backends::release`].
fn answer_http(mut conn: TcpStream, id: u32, held: &HeldMap) -> io::Result<()> {
    conn.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut head = read_until(&mut conn, b"\r\n\r\n")?;
    read_body(&mut conn, &mut head)?;
    let body = body_of(id);
    let hold = hold_token(&head);
    let length = body.len() + if hold.is_some() { HELD_TAIL.len() } else { 0 };
    let response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}");
    if let Some(token) = hold {
        // Registered before the client can see the name, so a release that
        // follows the client's read always finds it.
        let clone = conn.try_clone()?;
        if let Ok(mut map) = held.lock() {
            map.insert(token, clone);
        }
        conn.write_all(response.as_bytes())
    } else {
        conn.write_all(response.as_bytes())?;
        conn.shutdown(Shutdown::Write)
    }
}

/// Reads a TPKT-framed payload and answers with the server's name.
fn answer_tcp(mut conn: TcpStream, id: u32) -> io::Result<()> {
    conn.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut header = [0u8; 4];
    conn.read_exact(&mut header)?;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let mut rest = vec![0u8; total.saturating_sub(4)];
    conn.read_exact(&mut rest)?;
    conn.write_all(body_of(id).as_bytes())?;
    conn.shutdown(Shutdown::Write)
}

/// Reads the rest of a request body announced by `Content-Length`, so that
/// closing the connection later does not reset it.
fn read_body(conn: &mut TcpStream, request: &mut Vec<u8>) -> io::Result<()> {
    let Some(head_end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(());
    };
    let length = header_value(&request[..head_end], "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let have = request.len() - (head_end + 4);
    if length > have {
        let mut rest = vec![0u8; length - have];
        conn.read_exact(&mut rest)?;
        request.extend_from_slice(&rest);
    }
    Ok(())
}

/// The value of header `name` (any case) in a request head.
fn header_value(head: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    text.lines().find_map(|line| {
        let (n, value) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// The value of an `X-Hold` header in a request head.
fn hold_token(head: &[u8]) -> Option<u64> {
    header_value(head, "x-hold")?.parse().ok()
}

/// Reads until `end` has been seen (or EOF); returns everything read.
fn read_until(conn: &mut TcpStream, end: &[u8]) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(512);
    let mut buf = [0u8; 2048];
    while !contains(&data, end) {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Ok(data)
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The PROXY protocol v1 line announcing `src` as the client.
pub(crate) fn proxy_line(src: SocketAddr, frontend: SocketAddr) -> String {
    match src {
        SocketAddr::V4(s) => format!(
            "PROXY TCP4 {} {} {} {}\r\n",
            s.ip(),
            frontend.ip(),
            s.port(),
            frontend.port()
        ),
        SocketAddr::V6(s) => format!(
            "PROXY TCP6 {} ::1 {} {}\r\n",
            s.ip(),
            s.port(),
            frontend.port()
        ),
    }
}

/// A client connection whose answer named a server.
pub(crate) struct Answered {
    /// The server that answered.
    pub(crate) server: u32,
    /// The connection, still open when the response was held.
    pub(crate) conn: TcpStream,
}

/// Sends `bytes` on a new connection to `frontend`; when `to_eof`, reads
/// the whole answer, else only until the server's name has arrived.
pub(crate) fn exchange(frontend: SocketAddr, bytes: &[u8], to_eof: bool) -> Res<Answered> {
    let mut conn = ctx("connecting to haproxy", TcpStream::connect(frontend))?;
    ctx("client timeout", conn.set_read_timeout(Some(IO_TIMEOUT)))?;
    let _ = conn.set_nodelay(true);
    ctx("sending the request", conn.write_all(bytes))?;
    let data = if to_eof {
        let mut data = Vec::new();
        ctx("reading the answer", conn.read_to_end(&mut data))?;
        data
    } else {
        ctx("reading a held answer", read_name(&mut conn))?
    };
    let server = server_in(&data).ok_or_else(|| {
        format!(
            "no server named in the answer: {:?}",
            String::from_utf8_lossy(&data)
        )
    })?;
    Ok(Answered { server, conn })
}

/// Reads until a complete `srv=N\n` has arrived.
fn read_name(conn: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(256);
    let mut buf = [0u8; 1024];
    while server_in(&data).is_none() {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Ok(data)
}

/// The `N` of a complete `srv=N\n` in an answer.
fn server_in(data: &[u8]) -> Option<u32> {
    let start = data.windows(4).position(|w| w == b"srv=")? + 4;
    let rest = &data[start..];
    let end = rest.iter().position(|&b| b == b'\n')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Finishes a held client connection after its release: reads to EOF.
pub(crate) fn finish(mut conn: TcpStream) -> Res<()> {
    let mut rest = Vec::new();
    ctx(
        "reading the end of a held answer",
        conn.read_to_end(&mut rest),
    )?;
    if rest == HELD_TAIL {
        Ok(())
    } else {
        Err(format!(
            "unexpected end of a held answer: {:?}",
            String::from_utf8_lossy(&rest)
        ))
    }
}
