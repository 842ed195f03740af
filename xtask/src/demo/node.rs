//! One load-balancer node: its keepalived and its haproxy, run by a small
//! agent (this program, `demo node ...`) that is process 1 of a PID
//! namespace of its own, inside the node's network namespace:
//!
//! ```text
//! ip netns exec NS unshare --pid --fork --mount-proc --kill-child xtask demo node NAME DIR FLAVOR
//! ```
//!
//! With its own PID namespace and /proc, the guide's `killall -0 haproxy`
//! on a node sees that node's haproxy only (network namespaces alone
//! share one process table). The agent takes commands on its standard
//! input (`start keepalived`, `start haproxy`, `stop haproxy`, `quit`),
//! answers `ok ...` or `err ...` on its standard output and forwards
//! every line its daemons print as `log DAEMON LINE`. When the agent
//! ends, for whatever reason, the kernel ends every process of its PID
//! namespace; `--kill-child` ends the agent when `unshare` is killed, and
//! the agent ends when its input closes (the demo is gone).

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Which daemons the nodes run.
#[derive(Clone, Debug)]
pub(crate) enum Flavor {
    /// keepalived-rs and haproxy-rs, from this directory.
    Lbkit(PathBuf),
    /// Debian's keepalived and haproxy.
    Originals,
}

impl Flavor {
    /// The names shown for the two daemons.
    pub(crate) fn daemons(&self) -> (&'static str, &'static str) {
        match self {
            Flavor::Lbkit(_) => ("keepalived-rs", "haproxy-rs"),
            Flavor::Originals => ("keepalived", "haproxy"),
        }
    }

    fn args(&self) -> Vec<String> {
        match self {
            Flavor::Lbkit(dir) => vec!["lbkit".into(), dir.display().to_string()],
            Flavor::Originals => vec!["originals".into()],
        }
    }

    fn parse(args: &[String]) -> Result<Flavor, String> {
        match args {
            [f, dir] if f == "lbkit" => Ok(Flavor::Lbkit(PathBuf::from(dir))),
            [f] if f == "originals" => Ok(Flavor::Originals),
            _ => Err(format!("bad flavor {args:?}")),
        }
    }

    /// The keepalived command line for a node whose files are in `dir`.
    fn keepalived(&self, dir: &Path) -> Vec<String> {
        let at = |f: &str| dir.join(f).display().to_string();
        let mut argv = match self {
            Flavor::Lbkit(bin) => vec![bin.join("keepalived-rs").display().to_string()],
            Flavor::Originals => vec!["keepalived".to_string()],
        };
        // Foreground, log to the console with details, VRRP only; the pid
        // files in the node's directory.
        argv.extend(["-n", "-l", "-D", "-P"].map(String::from));
        argv.extend(["-f".into(), at("keepalived.conf")]);
        argv.extend(["-p".into(), at("keepalived.pid")]);
        if let Flavor::Originals = self {
            // No respawn of the VRRP child, its pid file here too.
            argv.extend(["-R".into(), "-r".into(), at("vrrp.pid")]);
        }
        argv
    }

    /// The haproxy command line: haproxy-rs runs through a link named
    /// `haproxy`, the name its process then has (what `killall` matches).
    fn haproxy(&self, dir: &Path) -> Vec<String> {
        let cfg = dir.join("haproxy.cfg").display().to_string();
        match self {
            Flavor::Lbkit(_) => vec![
                dir.join("bin/haproxy").display().to_string(),
                "-d".into(),
                "-V".into(),
                "-f".into(),
                cfg,
            ],
            Flavor::Originals => vec!["haproxy".into(), "-db".into(), "-f".into(), cfg],
        }
    }

    /// Prepares the node's directory: for haproxy-rs, the `haproxy` link.
    pub(crate) fn prepare(&self, dir: &Path) -> Result<(), String> {
        if let Flavor::Lbkit(bin) = self {
            let links = dir.join("bin");
            std::fs::create_dir_all(&links).map_err(|e| format!("{}: {e}", links.display()))?;
            std::os::unix::fs::symlink(bin.join("haproxy-rs"), links.join("haproxy"))
                .map_err(|e| format!("{}: {e}", links.display()))?;
        }
        Ok(())
    }
}

/// A node as the demo sees it: the agent and what its daemons printed.
pub(crate) struct Node {
    /// The node's name.
    pub(crate) name: &'static str,
    dir: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    replies: mpsc::Receiver<String>,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    reader: Option<JoinHandle<()>>,
}

/// Lines kept per node, at most.
const MAX_LINES: usize = 20_000;

impl Node {
    /// Starts the agent of node `name` in namespace `ns`; the node's files
    /// are in `dir`.
    pub(crate) fn start(
        ns: &str,
        name: &'static str,
        dir: &Path,
        flavor: &Flavor,
    ) -> Result<Node, String> {
        let exe = std::env::current_exe().map_err(|e| format!("where am I: {e}"))?;
        let log = std::fs::File::create(dir.join("agent.log"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"])
            .arg(exe)
            .args(["demo", "node", name])
            .arg(dir)
            .args(flavor.args())
            // Ctrl-C goes to the demo only, which stops the nodes in order.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {name}'s agent: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, replies) = mpsc::channel();
        let kept = Arc::clone(&lines);
        let reader = stdout.map(|out| {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let at = Instant::now();
                    match line.strip_prefix("log ") {
                        Some(text) => {
                            if let Ok(mut kept) = kept.lock() {
                                if kept.len() < MAX_LINES {
                                    kept.push((at, text.to_string()));
                                }
                            }
                        }
                        None => {
                            if tx.send(line).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
        });
        let mut node = Node {
            name,
            dir: dir.to_path_buf(),
            child,
            stdin,
            replies,
            lines,
            reader,
        };
        node.ask("hello")?;
        Ok(node)
    }

    /// Sends one command and waits (at most 10 s) for its answer.
    fn ask(&mut self, command: &str) -> Result<String, String> {
        let name = self.name;
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("{name}: agent closed"))?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("{name}: agent gone ({e})"))?;
        let start = Instant::now();
        loop {
            super::signals::check()?;
            match self.replies.recv_timeout(Duration::from_millis(100)) {
                Ok(reply) => {
                    return match reply.split_once(' ') {
                        Some(("ok", rest)) => Ok(rest.to_string()),
                        Some(("err", rest)) => Err(format!("{name}: {rest}")),
                        _ => Err(format!("{name}: unexpected answer {reply:?}")),
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("{name}: the agent ended: {}", self.agent_log()))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("{name}: no answer to `{command}`"));
            }
        }
    }

    /// Starts keepalived; its pid inside the node.
    pub(crate) fn start_keepalived(&mut self) -> Result<String, String> {
        self.ask("start keepalived")
    }

    /// Starts haproxy; its pid inside the node.
    pub(crate) fn start_haproxy(&mut self) -> Result<String, String> {
        self.ask("start haproxy")
    }

    /// Stops haproxy (SIGTERM, by its pid); how it ended.
    pub(crate) fn stop_haproxy(&mut self) -> Result<String, String> {
        self.ask("stop haproxy")
    }

    /// When `daemon` (`keepalived` or `haproxy`) first printed a line
    /// containing `text`, at or after `since`.
    pub(crate) fn seen(&self, since: Instant, daemon: &str, text: &str) -> Option<Instant> {
        let lines = self.lines.lock().ok()?;
        lines
            .iter()
            .filter(|(at, _)| *at >= since)
            .find(|(_, l)| {
                l.split_once(' ')
                    .is_some_and(|(d, rest)| d == daemon && rest.contains(text))
            })
            .map(|(at, _)| *at)
    }

    /// The last `n` lines the daemons printed.
    pub(crate) fn tail(&self, n: usize) -> Vec<String> {
        let Ok(lines) = self.lines.lock() else {
            return Vec::new();
        };
        let from = lines.len().saturating_sub(n);
        lines[from..].iter().map(|(_, l)| l.clone()).collect()
    }

    fn agent_log(&self) -> String {
        let path = self.dir.join("agent.log");
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "quit");
        }
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Ok(None) = self.child.try_wait() {
            // SIGKILL to unshare: --kill-child ends the agent, and the
            // kernel the rest of the node's PID namespace.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The agent: `demo node NAME DIR FLAVOR...`, process 1 of the node's PID
/// namespace.
pub(crate) fn agent(args: &[String]) -> Result<(), String> {
    let [_name, dir, flavor @ ..] = args else {
        return Err("usage: demo node NAME DIR FLAVOR...".into());
    };
    let flavor = Flavor::parse(flavor)?;
    let dir = PathBuf::from(dir);
    super::signals::unblock()?;
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let mut keepalived: Option<Child> = None;
    let mut haproxy: Option<Child> = None;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = match line.trim() {
            "hello" => Ok(format!("agent {}", std::process::id())),
            "start keepalived" => start(
                &mut keepalived,
                "keepalived",
                &flavor.keepalived(&dir),
                &out,
            ),
            "start haproxy" => start(&mut haproxy, "haproxy", &flavor.haproxy(&dir), &out),
            "stop haproxy" => stop(&mut haproxy, Signal::SIGTERM),
            "quit" => break,
            other => Err(format!("unknown command {other:?}")),
        };
        let text = match reply {
            Ok(t) => format!("ok {t}"),
            Err(e) => format!("err {e}"),
        };
        say(&out, &text);
    }
    // keepalived first: it gives the VIP up (priority 0) and removes it.
    let _ = stop(&mut keepalived, Signal::SIGTERM);
    let _ = stop(&mut haproxy, Signal::SIGTERM);
    Ok(())
}

fn say(out: &Mutex<std::io::Stdout>, line: &str) {
    if let Ok(mut out) = out.lock() {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Starts `argv` as `slot`'s daemon, forwarding what it prints.
fn start(
    slot: &mut Option<Child>,
    daemon: &'static str,
    argv: &[String],
    out: &Arc<Mutex<std::io::Stdout>>,
) -> Result<String, String> {
    if let Some(child) = slot {
        if let Ok(None) = child.try_wait() {
            return Err(format!("{daemon} already runs"));
        }
    }
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let streams = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ];
    for (i, stream) in streams.into_iter().enumerate() {
        let Some(stream) = stream else { continue };
        let out = Arc::clone(out);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                say(&out, &format!("log {daemon} {line}"));
            }
            // Standard error closes when the process ends.
            if i == 1 {
                say(&out, &format!("log {daemon} [{daemon} ended]"));
            }
        });
    }
    let pid = child.id();
    *slot = Some(child);
    Ok(format!("{pid}"))
}

/// Sends `signal` to `slot`'s daemon by its pid and reaps it (a zombie
/// would still count for `killall -0`); SIGKILL after 5 s.
fn stop(slot: &mut Option<Child>, signal: Signal) -> Result<String, String> {
    let mut child = slot.take().ok_or("not running")?;
    let pid = child.id();
    if let Ok(raw) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(raw), signal);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(format!("{pid} {status}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(format!("{pid} {status} (after SIGKILL)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_keep_pid_files_in_the_node_directory() {
        let dir = Path::new("/tmp/n1");
        let rs = Flavor::Lbkit(PathBuf::from("/t/debug"));
        assert_eq!(
            rs.keepalived(dir).join(" "),
            "/t/debug/keepalived-rs -n -l -D -P -f /tmp/n1/keepalived.conf -p /tmp/n1/keepalived.pid"
        );
        assert_eq!(
            rs.haproxy(dir).join(" "),
            "/tmp/n1/bin/haproxy -d -V -f /tmp/n1/haproxy.cfg"
        );
        let orig = Flavor::Originals;
        assert!(orig
            .keepalived(dir)
            .join(" ")
            .ends_with("-R -r /tmp/n1/vrrp.pid"));
        assert_eq!(orig.haproxy(dir)[..2], ["haproxy", "-db"]);
        for f in [rs, orig] {
            let parsed = Flavor::parse(&f.args()).unwrap();
            assert_eq!(parsed.args(), f.args());
        }
    }
}
