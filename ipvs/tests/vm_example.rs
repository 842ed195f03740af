//! The ipvsadm example against the real ipvsadm (inside the VM): on the
//! same kernel state both print the same text for every listing flag,
//! the same rules for `-S`, and commands given to either build the same
//! state; `-S` then `-R` restores what was saved.

#![allow(clippy::unwrap_used, clippy::panic)]

mod vm;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use vm::{in_vm, sh};

/// The example's binary (`cargo xtask vm test` ships it as
/// `/payload/lbkit-ipvsadm`).
fn example() -> PathBuf {
    let p = std::env::var_os("LBKIT_IPVSADM_EXAMPLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/payload/lbkit-ipvsadm"));
    assert!(p.is_file(), "{} is missing", p.display());
    p
}

/// Runs a program with `args` (and `stdin`), returns status and output.
fn run(program: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const REAL: &str = "/usr/sbin/ipvsadm";

/// The golden commands plus services and destinations they lack.
fn setup_commands() -> Vec<String> {
    let mut cmds: Vec<String> = include_str!("data/golden/commands.tsv")
        .lines()
        .take(12)
        .map(|l| {
            l.split('\t')
                .nth(2)
                .unwrap()
                .trim_start_matches("ipvsadm ")
                .to_string()
        })
        .collect();
    cmds.extend(
        [
            "-A --sctp-service 192.0.2.30:3868 -s mh -b mh-port",
            "-A -u 192.0.2.31:5060 -s rr -p 30 -o --pe sip",
            "-A -u 192.0.2.32:5061 -s rr -o",
            "-A -f 7 -6 -s sed -p 120 -M 64",
            "-a -f 7 -6 -r [2001:db8::7]:0 -g -w 0",
            "-a --sctp-service 192.0.2.30:3868 -r 198.51.100.30:3868 -m -w 4 -x 50",
            "-a -u 192.0.2.31:5060 -r 198.51.100.31 -m",
        ]
        .map(str::to_string),
    );
    cmds
}

/// Applies the setup with `program`, each command succeeding.
fn apply(program: &std::path::Path) {
    assert_eq!(run(program, &["-C"], "").0, 0);
    for cmd in setup_commands() {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let (code, _, err) = run(program, &args, "");
        assert_eq!(code, 0, "{} {cmd}: {err}", program.display());
    }
}

const LISTINGS: [&[&str]; 7] = [
    &["-Ln"],
    &["-L", "-n", "--stats"],
    &["-Ln", "--rate"],
    &["-l", "-n", "--stats", "--exact"],
    &["-Ln", "-t", "192.0.2.10:80"],
    &["-Sn"],
    &["-L", "--timeout"],
];

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn example_lists_like_ipvsadm() {
    if !in_vm("example_lists_like_ipvsadm") {
        return;
    }
    let ours = example();
    apply(REAL.as_ref());
    for args in LISTINGS {
        let want = run(REAL.as_ref(), args, "");
        let got = run(&ours, args, "");
        assert_eq!(got.0, want.0, "{args:?}: status ({})", got.2);
        assert_eq!(got.1, want.1, "{args:?}: output");
    }
    sh("ip link show sync0 >/dev/null 2>&1 || { ip link add sync0 type dummy && ip addr add 192.0.2.1/24 dev sync0 && ip link set sync0 up; }");
    let (code, _, err) = run(
        &ours,
        &[
            "--start-daemon",
            "master",
            "--mcast-interface",
            "sync0",
            "--syncid",
            "7",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        run(&ours, &["-L", "--daemon"], "").1,
        run(REAL.as_ref(), &["-L", "--daemon"], "").1
    );
    assert_eq!(run(&ours, &["--stop-daemon", "master"], "").0, 0);
    assert_eq!(run(REAL.as_ref(), &["-L", "--daemon"], "").1, "");
    // Without CAP_NET_ADMIN the kernel refuses: PermissionDenied.
    sh("grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd");
    let cmd = format!("{} -A -t 192.0.2.50:80 -s rr", ours.display());
    let (code, _, err) = run(
        "/bin/su".as_ref(),
        &["-s", "/bin/sh", "nobody", "-c", &cmd],
        "",
    );
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    // The same error, the same status.
    let missing = ["-D", "-t", "203.0.113.99:80"];
    let (code, _, err) = run(&ours, &missing, "");
    assert_eq!(code, 255);
    assert_eq!(err.trim(), run(REAL.as_ref(), &missing, "").2.trim());
    run(REAL.as_ref(), &["-C"], "");
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn example_commands_build_the_same_state_and_restore_saves() {
    if !in_vm("example_commands_build_the_same_state_and_restore_saves") {
        return;
    }
    let ours = example();
    apply(REAL.as_ref());
    let by_ipvsadm = run(REAL.as_ref(), &["-Sn"], "").1;
    apply(&ours);
    assert_eq!(run(REAL.as_ref(), &["-Sn"], "").1, by_ipvsadm);
    // Our -S, cleared, our -R: ipvsadm sees the same rules.
    let saved = run(&ours, &["-S", "-n"], "").1;
    assert_eq!(run(&ours, &["-C"], "").0, 0);
    assert_eq!(run(REAL.as_ref(), &["-Sn"], "").1, "");
    let (code, _, err) = run(&ours, &["-R"], &saved);
    assert_eq!(code, 0, "{err}");
    assert_eq!(run(REAL.as_ref(), &["-Sn"], "").1, by_ipvsadm);
    // Edits, timeouts, zero.
    for args in [
        &[
            "-e",
            "-t",
            "192.0.2.10:80",
            "-r",
            "198.51.100.1:8080",
            "-m",
            "-w",
            "7",
        ][..],
        &["-E", "-t", "192.0.2.10:80", "-s", "rr"][..],
        &["-d", "-t", "192.0.2.10:80", "-r", "198.51.100.2:80"][..],
        &["--set", "100", "20", "30"][..],
        &["-Z"][..],
        &["-Z", "-t", "192.0.2.10:80"][..],
    ] {
        let (code, _, err) = run(&ours, args, "");
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let listed = run(REAL.as_ref(), &["-Ln", "-t", "192.0.2.10:80"], "").1;
    assert!(listed.contains("TCP  192.0.2.10:80 rr\n"), "{listed}");
    assert!(
        listed.contains("198.51.100.1:8080            Masq    7 "),
        "{listed}"
    );
    assert!(!listed.contains("198.51.100.2:80"), "{listed}");
    assert_eq!(
        run(REAL.as_ref(), &["-L", "--timeout"], "").1,
        "Timeout (tcp tcpfin udp): 100 20 30\n"
    );
    run(&ours, &["--set", "900", "120", "300"], "");
    run(REAL.as_ref(), &["-C"], "");
}
