//! The runtime API server over real sockets (a UNIX socket in a scratch
//! directory and TCP on loopback), with a fake engine that applies the
//! changes to its snapshot.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod ops_support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use haproxy_rs::ops::cli::{AdminAction, ServerRef};
use haproxy_rs::ops::runtime::ControlError;
use haproxy_rs::ops::snapshot::Snapshot;
use haproxy_rs::ops::socket::{bind, serve, Engine, SocketSpec};
use ops_support::{golden, snapshot};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

/// A snapshot behind a lock; changes edit it.
struct Fake(Mutex<Snapshot>);

impl Fake {
    /// Runs `f` on the named server.
    fn with_server(
        &self,
        t: &ServerRef,
        f: impl FnOnce(&mut haproxy_rs::ops::snapshot::Server),
    ) -> Result<(), ControlError> {
        let mut s = self.0.lock().unwrap();
        let px = s
            .proxies
            .iter_mut()
            .find(|p| p.name == t.backend)
            .ok_or(ControlError::NoSuchBackend)?;
        let sv = px
            .servers
            .iter_mut()
            .find(|s| s.name == t.server)
            .ok_or(ControlError::NoSuchServer)?;
        f(sv);
        Ok(())
    }
}

impl Engine for Fake {
    fn snapshot(&self) -> Snapshot {
        self.0.lock().unwrap().clone()
    }
    fn set_server_admin(&self, t: &ServerRef, a: AdminAction) -> Result<(), ControlError> {
        self.with_server(t, |sv| match a {
            AdminAction::Ready => {
                sv.admin.forced_maint = false;
                sv.admin.forced_drain = false
            }
            AdminAction::Drain => sv.admin.forced_drain = true,
            AdminAction::Maint => sv.admin.forced_maint = true,
            AdminAction::Enable => sv.admin.forced_maint = false,
        })
    }
    fn set_server_weight(&self, t: &ServerRef, w: u32) -> Result<(), ControlError> {
        self.with_server(t, |sv| sv.weight = w)
    }
    fn set_server_maxconn(&self, t: &ServerRef, m: u64) -> Result<(), ControlError> {
        self.with_server(t, |sv| sv.maxconn = Some(m))
    }
    fn set_frontend_maxconn(&self, _: &str, _: u64) -> Result<(), ControlError> {
        Ok(())
    }
    fn set_global_maxconn(&self, m: u64) -> Result<(), ControlError> {
        self.0.lock().unwrap().info.maxconn = m;
        Ok(())
    }
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends `input`, reads until the server closes.
async fn ask_unix(path: &std::path::Path, input: &str) -> String {
    let mut s = UnixStream::connect(path).await.unwrap();
    s.write_all(input.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        s.read_to_string(&mut out),
    )
    .await
    .expect("server closes the connection")
    .unwrap();
    out
}

/// Binds the socket of `words` (after `stats socket`).
async fn start(words: &[&str]) -> haproxy_rs::ops::socket::Listener {
    bind(&SocketSpec::parse(words).unwrap()).await.unwrap()
}

#[tokio::test]
async fn unix_sockets_answer_with_levels_and_apply_changes() {
    let dir = Scratch(std::env::temp_dir().join(format!("ops-socket-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let engine = Arc::new(Fake(Mutex::new(snapshot())));
    let admin = dir.0.join("admin.sock");
    let user = dir.0.join("user.sock");
    for (path, level) in [(&admin, "admin"), (&user, "user")] {
        let p = path.to_str().unwrap().to_owned();
        let words = [p.as_str(), "mode", "600", "level", level];
        let spec = SocketSpec::parse(&words).unwrap();
        let l = start(&words).await;
        tokio::spawn(serve(l, spec, engine.clone()));
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&admin).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    assert_eq!(
        ask_unix(&admin, "show backend\n").await,
        golden("show_backend.txt")
    );
    assert_eq!(
        ask_unix(&user, "set server be_app/s3 state drain\n").await,
        "Permission denied\n\n"
    );
    assert_eq!(
        ask_unix(
            &admin,
            "set server be_app/s3 state drain;set server be_app/s3 weight 50%\n"
        )
        .await,
        "\n\n"
    );
    let state = ask_unix(&user, "show servers state be_app\n").await;
    let s3 = state.lines().find(|l| l.contains(" s3 ")).unwrap();
    let cols: Vec<&str> = s3.split(' ').collect();
    assert_eq!((cols[6], cols[7], cols[8]), ("8", "5", "10"), "{s3}");
    let stat = ask_unix(&user, "show stat\n").await;
    assert!(stat
        .lines()
        .any(|l| l.starts_with("be_app,s3,") && l.contains(",DRAIN,5,")));

    // Prompt mode keeps the connection until quit.
    assert_eq!(
        ask_unix(&admin, "prompt\nshow backend\nquit\n").await,
        golden("cli/prompt.txt")
    );
    // Only the first line is run outside prompt mode.
    assert_eq!(
        ask_unix(&admin, "show backend\nset server be_app/s1 state maint\n").await,
        golden("show_backend.txt")
    );
    assert!(!engine.snapshot().proxies[2].servers[0].admin.forced_maint);
}

#[tokio::test]
async fn tcp_socket_answers() {
    let engine = Arc::new(Fake(Mutex::new(snapshot())));
    let words = ["ipv4@127.0.0.1:0", "level", "admin"];
    let spec = SocketSpec::parse(&words).unwrap();
    let l = start(&words).await;
    let addr = l.local_tcp_addr().unwrap();
    tokio::spawn(serve(l, spec, engine.clone()));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"set maxconn global 1500;show info\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("\nName: HAProxy\n"), "{out}");
    assert!(out.contains("\nMaxconn: 1500\n"));
    assert_eq!(engine.snapshot().info.maxconn, 1500);
}
