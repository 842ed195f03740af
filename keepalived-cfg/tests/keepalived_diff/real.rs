//! Running the real `keepalived -t` on corpus files.
//!
//! keepalived checks that the interfaces a configuration names exist, so
//! every run happens inside a network namespace made for this test run
//! (`eth0`..`eth3` as two veth pairs, documentation addresses on them),
//! deleted again when the run ends, also on failure. Its pid files go to a
//! private temporary directory, so runs can go in parallel and never touch
//! a keepalived running on the host.

use crate::corpus;
use crate::verdict::{Place, Verdict};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The keepalived binary (override with env `KEEPALIVED`).
fn keepalived_bin() -> PathBuf {
    std::env::var_os("KEEPALIVED")
        .map_or_else(|| PathBuf::from("/usr/sbin/keepalived"), PathBuf::from)
}

/// The config id both keepalived (`-i`) and lbkit are given, so `@lbkit`
/// lines are kept and `@^lbkit` lines dropped whatever the host name.
pub(crate) const CONFIG_ID: &str = "lbkit";

/// The interfaces of the namespace keepalived runs in (see [`Netns`]):
/// lbkit is told the same, so both judge `interface eth9` alike.
pub(crate) const INTERFACES: [&str; 5] = ["lo", "eth0", "eth1", "eth2", "eth3"];

/// How many keepalived processes run at once.
const WORKERS: usize = 4;

/// `Ok` when keepalived can be run here, else why not.
pub(crate) fn available() -> Result<(), String> {
    let bin = keepalived_bin();
    if !bin.is_file() {
        return Err(format!("{} not found", bin.display()));
    }
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?");
    if euid != "0" {
        return Err(format!(
            "not root (euid {euid}): cannot create a network namespace"
        ));
    }
    let ip = Command::new("ip").arg("-V").output();
    match ip {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err("`ip` (iproute2) not usable".to_string()),
    }
}

/// Runs `cmd`, failing with its output unless it succeeds.
fn run_ok(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace with the interfaces the corpus names; deleted when
/// dropped.
struct Netns {
    name: String,
}

impl Netns {
    /// Creates the namespace and its interfaces.
    fn create() -> Result<Netns, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("lbkit-kcd-{}-{nanos}", std::process::id());
        run_ok(Command::new("ip").args(["netns", "add", &name]))?;
        // From here on, Drop deletes the namespace whatever happens.
        let ns = Netns { name };
        let setup: [&[&str]; 11] = [
            &[
                "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
            ],
            &[
                "link", "add", "eth2", "type", "veth", "peer", "name", "eth3",
            ],
            &["addr", "add", "192.0.2.2/24", "dev", "eth0"],
            &["addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad"],
            &["addr", "add", "198.51.100.2/24", "dev", "eth1"],
            &["addr", "add", "203.0.113.2/24", "dev", "eth2"],
            &["link", "set", "lo", "up"],
            &["link", "set", "eth0", "up"],
            &["link", "set", "eth1", "up"],
            &["link", "set", "eth2", "up"],
            &["link", "set", "eth3", "up"],
        ];
        for args in setup {
            run_ok(Command::new("ip").arg("-n").arg(&ns.name).args(args))?;
        }
        Ok(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A private directory for pid files; removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/lbkit-kcd-<pid>-<n>`.
    fn create(n: usize) -> Result<TempDir, String> {
        let dir = std::env::temp_dir().join(format!("lbkit-kcd-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `keepalived -t` on every file (relative to `data`), in parallel
/// inside one fresh namespace. Returns the verdicts in the input order.
pub(crate) fn verdicts(data: &Path, files: &[String]) -> Result<Vec<Verdict>, String> {
    let ns = Netns::create()?;
    let dirs = corpus::dirs_under(data);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Verdict, String>>>> = Mutex::new(vec![None; files.len()]);
    std::thread::scope(|scope| {
        for worker in 0..WORKERS {
            let (ns, dirs, next, results) = (&ns, &dirs, &next, &results);
            scope.spawn(move || {
                let tmp = TempDir::create(worker);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let verdict = match &tmp {
                        Ok(tmp) => run_one(&ns.name, &tmp.0, data, dirs, file),
                        Err(e) => Err(e.clone()),
                    };
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(verdict);
                    }
                }
            });
        }
    });
    drop(ns);
    let results = results
        .into_inner()
        .map_err(|_| "a worker panicked".to_string())?;
    results
        .into_iter()
        .zip(files)
        .map(|(r, f)| r.unwrap_or_else(|| Err(format!("{f}: not run"))))
        .collect()
}

/// One `keepalived -t` run.
fn run_one(
    ns: &str,
    tmp: &Path,
    data: &Path,
    dirs: &[PathBuf],
    file: &str,
) -> Result<Verdict, String> {
    let path = data.join(file);
    let out: Output = Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(keepalived_bin())
        .arg("-t")
        .arg("-f")
        .arg(&path)
        .arg("-i")
        .arg(CONFIG_ID)
        .arg("-p")
        .arg(tmp.join("keepalived.pid"))
        .arg("-r")
        .arg(tmp.join("vrrp.pid"))
        .arg("-c")
        .arg(tmp.join("checkers.pid"))
        .arg("-b")
        .arg(tmp.join("bfd.pid"))
        .output()
        .map_err(|e| format!("{file}: running keepalived: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let exit = out
        .status
        .code()
        .ok_or_else(|| format!("{file}: keepalived ended by {}: {text}", out.status))?;
    let at = if exit == 0 {
        None
    } else {
        first_complaint(&text, &path, data, dirs)
    };
    Ok(Verdict { exit, at })
}

/// One `(FILE: Line N)` or `(Line N)` mark in keepalived's output.
fn marks(output: &str) -> Vec<(Option<&str>, u32)> {
    let mut out = Vec::new();
    for line in output.lines() {
        let mut rest = line;
        while let Some(end) = rest.find(')') {
            let (head, tail) = rest.split_at(end);
            rest = &tail[1..];
            let Some(open) = head.rfind('(') else {
                continue;
            };
            let inner = &head[open + 1..];
            let (file, num) = match inner.rsplit_once(": Line ") {
                Some((file, num)) => (Some(file), num),
                None => match inner.strip_prefix("Line ") {
                    Some(num) => (None, num),
                    None => continue,
                },
            };
            if let Ok(n) = num.parse::<u32>() {
                out.push((file, n));
            }
        }
    }
    out
}

/// The first place keepalived complains about: the smallest line of the
/// tested file when it names one, else the smallest line of the first
/// other (included) file it names. Marks without a file name are the tested
/// file's: keepalived's first pass prints them so, while it always names
/// included files.
pub(crate) fn first_complaint(
    output: &str,
    main: &Path,
    data: &Path,
    dirs: &[PathBuf],
) -> Option<Place> {
    let main_rel = corpus::relative(data, main);
    let resolve = |printed: &str| -> String {
        let p = Path::new(printed);
        let found = if p.is_absolute() {
            Some(p.to_path_buf())
        } else {
            let main_dir = main.parent().map(Path::to_path_buf);
            main_dir
                .iter()
                .chain(dirs)
                .map(|d| d.join(p))
                .find(|c| c.is_file())
        };
        found.map_or_else(|| printed.to_string(), |f| corpus::relative(data, &f))
    };
    let marks: Vec<(String, u32)> = marks(output)
        .into_iter()
        .map(|(f, n)| (f.map_or_else(|| main_rel.clone(), resolve), n))
        .collect();
    let in_main = marks
        .iter()
        .filter(|(f, _)| *f == main_rel)
        .map(|(_, n)| *n)
        .min();
    if let Some(line) = in_main {
        return Some(Place {
            file: String::new(),
            line,
        });
    }
    let (other, _) = marks.first()?;
    let line = marks
        .iter()
        .filter(|(f, _)| f == other)
        .map(|(_, n)| *n)
        .min()?;
    Some(Place {
        file: other.clone(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_finds_file_and_bare_line_marks() {
        let out = "(/x/a.conf: Line 12) Invalid lvs_scheduler 'foo' - ignoring\n\
                   Virtual server [192.0.2.1]:none:80: no protocol set\n\
                   (Line 3) Unknown keyword 'bogus'\n\
                   (VI_1) the virtual router id must be set (see RFC)\n";
        assert_eq!(marks(out), vec![(Some("/x/a.conf"), 12), (None, 3)]);
    }

    #[test]
    fn first_complaint_prefers_the_tested_file_and_its_smallest_line() {
        let data = corpus::data_dir();
        let main = data.join("valid").join("lex-seq.conf");
        let dirs = corpus::dirs_under(&data);
        let m = main.display();
        // Checker messages come before VRRP ones: order is not file order.
        let out = format!("({m}: Line 12) bad\n(inc/global.part: Line 2) x\n({m}: Line 9) worse\n");
        assert_eq!(
            first_complaint(&out, &main, &data, &dirs),
            Some(Place {
                file: String::new(),
                line: 9
            })
        );
        // A bare mark is the tested file's, and wins over included files.
        let out = "(inc/global.part: Line 2) x\n(Line 4) y\n";
        assert_eq!(
            first_complaint(out, &main, &data, &dirs),
            Some(Place {
                file: String::new(),
                line: 4
            })
        );
        // Included files only: the first one named, its smallest line.
        let out = "(inc/global.part: Line 3) x\n(inc/vrrp-a.inc: Line 1) y\n(inc/global.part: Line 2) z\n";
        assert_eq!(
            first_complaint(out, &main, &data, &dirs),
            Some(Place {
                file: "valid/inc/global.part".into(),
                line: 2
            })
        );
        assert_eq!(
            first_complaint("(Line 7) z\n(Line 4) z\n", &main, &data, &dirs),
            Some(Place {
                file: String::new(),
                line: 4
            })
        );
        assert_eq!(
            first_complaint("no marks at all\n", &main, &data, &dirs),
            None
        );
    }
}
