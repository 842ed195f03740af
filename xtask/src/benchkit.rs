//! What the whole-process comparison benchmarks (`cargo xtask
//! bench-haproxy`, `cargo xtask bench-keepalived`) have in common: their
//! command line, the release build of the Rust program, a scratch
//! directory for the generated configuration, and one hyperfine run of the
//! reference program against the Rust one, read back and summed up.
//!
//! A benchmark brings what is its own: the configuration it generates,
//! the two programs with their arguments, and a [`Launch`] that decides
//! where programs run (directly, or inside a network namespace). The rest
//! is a [`Setup`] and a [`Comparison`]:
//!
//! ```text
//! Setup { task: "bench-x", tag: "xbench", tools: TOOLS, package: "x-rs" }
//!     .run(args, |dir, binary, runs| {
//!         /* write the configuration into dir */
//!         Comparison { launch: &direct, reference: Contender::on_path("x"),
//!                      rust: Contender::built("x-rs", binary), mode: "-c",
//!                      args, warmup: 2, runs, show_cpu: true }.run(dir)
//!     })
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::deps::Tool;

/// hyperfine, which every comparison runs, and its Debian package.
pub(crate) const HYPERFINE: Tool = Tool {
    command: "hyperfine",
    package: "hyperfine",
};

/// What sets one benchmark's preparation apart from another's.
pub(crate) struct Setup {
    /// The task's name on the command line, for messages: `bench-haproxy`.
    pub(crate) task: &'static str,
    /// The short name in [`run_name`]: `habench`.
    pub(crate) tag: &'static str,
    /// The programs the benchmark needs, installed first if missing.
    pub(crate) tools: &'static [Tool],
    /// The workspace package of the Rust program, built in release mode.
    pub(crate) package: &'static str,
}

impl Setup {
    /// Reads the command line `args` (see [`parse_args`]), installs the
    /// tools, builds the Rust program, then runs `bench` with a scratch
    /// directory (see [`in_scratch_dir`]), the built binary and the
    /// `--runs` asked for.
    pub(crate) fn run(
        &self,
        args: &[String],
        bench: impl FnOnce(&Path, PathBuf, Option<u32>) -> Result<(), String>,
    ) -> Result<(), String> {
        let args = parse_args(self.task, args)?;
        crate::deps::ensure(self.tools)?;
        let binary = build_release(self.package)?;
        in_scratch_dir(self.tag, args.keep, |dir| bench(dir, binary, args.runs))
    }
}

/// What a benchmark's command line asks for: `[--runs N] [--keep]`.
#[derive(Debug, PartialEq, Eq)]
struct BenchArgs {
    /// hyperfine's `--runs`, if given (otherwise hyperfine picks a count).
    runs: Option<u32>,
    /// Keep the scratch directory with the generated configuration.
    keep: bool,
}

/// Reads `--runs N` and `--keep`, in any order; `task` names the
/// benchmark in the message for an unknown argument.
fn parse_args(task: &str, args: &[String]) -> Result<BenchArgs, String> {
    let mut out = BenchArgs {
        runs: None,
        keep: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                let n = it.next().ok_or("--runs needs a number")?;
                out.runs = Some(n.parse().map_err(|_| format!("bad --runs `{n}`"))?);
            }
            "--keep" => out.keep = true,
            other => return Err(format!("{task}: unknown argument `{other}`")),
        }
    }
    Ok(out)
}

/// Builds the workspace package `package` in release mode and returns the
/// path of its binary, which has the package's name.
pub(crate) fn build_release(package: &str) -> Result<PathBuf, String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::run::cmd(Command::new(cargo).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        package,
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let binary = target.join("release").join(package);
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("built, but {} is missing", binary.display()))
    }
}

/// The workspace's top directory.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The name `lbkit-<tag>-<pid>`, unique to this run of the benchmark
/// `tag`: its scratch directory, and any namespace it makes.
pub(crate) fn run_name(tag: &str) -> String {
    format!("lbkit-{tag}-{}", std::process::id())
}

/// Runs `body` in a new directory [`run_name`]`(tag)` under the system's
/// temporary directory. Afterwards the directory is removed, whatever
/// `body` returned, unless `keep` is set: then its path is printed.
pub(crate) fn in_scratch_dir(
    tag: &str,
    keep: bool,
    body: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let dir = std::env::temp_dir().join(run_name(tag));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = body(&dir);
    if keep {
        eprintln!("xtask: kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// Writes a generated file.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Makes the command that runs a program: directly ([`direct`]) or
/// through a wrapper such as `ip netns exec`.
pub(crate) type Launch<'a> = &'a dyn Fn(&str) -> Command;

/// Runs the program as it is, in the caller's environment.
pub(crate) fn direct(program: &str) -> Command {
    Command::new(program)
}

/// One of the two programs a [`Comparison`] times.
pub(crate) struct Contender {
    /// The program's name in messages: `haproxy`, `haproxy-rs`.
    pub(crate) name: &'static str,
    /// What runs: a command on `PATH`, or the path of a built binary.
    pub(crate) program: PathBuf,
}

impl Contender {
    /// A program found on `PATH` under its name, such as Debian's
    /// `haproxy`.
    pub(crate) fn on_path(name: &'static str) -> Contender {
        Contender {
            name,
            program: PathBuf::from(name),
        }
    }

    /// A program built by [`build_release`], named as its package.
    pub(crate) fn built(name: &'static str, binary: PathBuf) -> Contender {
        Contender {
            name,
            program: binary,
        }
    }
}

/// One hyperfine run of a reference program against its Rust counterpart
/// on the same input.
pub(crate) struct Comparison<'a> {
    /// Where both programs, and hyperfine, run.
    pub(crate) launch: Launch<'a>,
    /// The program being rebuilt (its time is the numerator of the ratio).
    pub(crate) reference: Contender,
    /// The Rust program.
    pub(crate) rust: Contender,
    /// The first argument of both, the mode being timed, shown after each
    /// name in labels: `-c` in `haproxy -c`.
    pub(crate) mode: &'static str,
    /// The arguments of both after `mode`. hyperfine runs without a shell
    /// and splits its commands at spaces, so none may hold one.
    pub(crate) args: Vec<String>,
    /// hyperfine's `--warmup` runs.
    pub(crate) warmup: u32,
    /// hyperfine's `--runs`, if given.
    pub(crate) runs: Option<u32>,
    /// Also print CPU time (user + system) and its ratio.
    pub(crate) show_cpu: bool,
}

impl Comparison<'_> {
    /// Checks that both programs accept the input, times them with
    /// hyperfine (its JSON export goes into `dir`) and prints the summary.
    pub(crate) fn run(&self, dir: &Path) -> Result<(), String> {
        self.check_verdicts()?;
        let json = dir.join("hyperfine.json");
        self.hyperfine(&json)?;
        let text = std::fs::read_to_string(&json)
            .map_err(|e| format!("cannot read {}: {e}", json.display()))?;
        let lines = summary(
            [&self.label(&self.reference), &self.label(&self.rust)],
            &text,
            self.show_cpu,
        )
        .ok_or_else(|| format!("expected two means in {}", json.display()))?;
        for line in lines {
            println!("{line}");
        }
        Ok(())
    }

    /// Runs each program once and shows its exit code: the timing only
    /// means something when both accept the input. On a rejection, shows
    /// the first lines of its standard error.
    fn check_verdicts(&self) -> Result<(), String> {
        for contender in [&self.reference, &self.rust] {
            let name = contender.name;
            let out = (self.launch)(&contender.program.to_string_lossy())
                .arg(self.mode)
                .args(&self.args)
                .output()
                .map_err(|e| format!("cannot run {name}: {e}"))?;
            let code = out.status.code().unwrap_or(-1);
            eprintln!("xtask: {} exits {code}", self.label(contender));
            if code != 0 {
                let stderr = String::from_utf8_lossy(&out.stderr);
                for line in stderr.lines().take(10) {
                    eprintln!("xtask:   {line}");
                }
                return Err(format!(
                    "{name} rejects the benchmark configuration (exit {code})"
                ));
            }
        }
        Ok(())
    }

    /// The name hyperfine and the summary show for `contender`:
    /// `haproxy -c`.
    fn label(&self, contender: &Contender) -> String {
        format!("{} {}", contender.name, self.mode)
    }

    /// The command line hyperfine runs for `contender`.
    fn command_line(&self, contender: &Contender) -> String {
        let mut line = format!("{} {}", contender.program.display(), self.mode);
        for arg in &self.args {
            line.push(' ');
            line.push_str(arg);
        }
        line
    }

    /// hyperfine over both commands in one run, exporting JSON to `json`.
    fn hyperfine(&self, json: &Path) -> Result<(), String> {
        let mut c = (self.launch)("hyperfine");
        c.args(["--shell=none", "--warmup", &self.warmup.to_string()])
            .arg("--export-json")
            .arg(json);
        for contender in [&self.reference, &self.rust] {
            c.arg("--command-name")
                .arg(self.label(contender))
                .arg(self.command_line(contender));
        }
        if let Some(n) = self.runs {
            c.args(["--runs", &n.to_string()]);
        }
        crate::run::cmd(&mut c)
    }
}

/// The summary of hyperfine's JSON export `json` for the two commands
/// `labels` (reference first): both means and the ratio, then, with
/// `show_cpu`, the same for CPU time (user + system), which depends less
/// on what else the machine runs. `None` unless there are two means.
fn summary(labels: [&str; 2], json: &str, show_cpu: bool) -> Option<Vec<String>> {
    let [reference, rust] = labels;
    let width = reference.len().max(rust.len());
    let [c, r] = field(json, "mean")[..] else {
        return None;
    };
    let mut lines = vec![
        format!("{reference:<width$} mean {:>9.3} ms", c * 1e3),
        format!("{rust:<width$} mean {:>9.3} ms", r * 1e3),
        format!("ratio: {rust} is {:.1}x faster", c / r),
    ];
    let cpu: Vec<f64> = field(json, "user")
        .iter()
        .zip(field(json, "system"))
        .map(|(u, s)| u + s)
        .collect();
    if let (true, &[c, r]) = (show_cpu, &cpu[..]) {
        lines.push(format!(
            "{reference:<width$} CPU  {:>9.3} ms (user + system)",
            c * 1e3
        ));
        lines.push(format!(
            "{rust:<width$} CPU  {:>9.3} ms (user + system)",
            r * 1e3
        ));
        lines.push(format!("CPU ratio: {:.1}x", c / r));
    }
    Some(lines)
}

/// The numbers after each `"name":` in hyperfine's JSON export, in order.
fn field(json: &str, name: &str) -> Vec<f64> {
    json.split(&format!("\"{name}\":"))
        .skip(1)
        .filter_map(|rest| {
            let number: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
                .collect();
            number.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn no_arguments_mean_hyperfine_s_count_and_cleanup() {
        assert_eq!(
            parse_args("bench-x", &[]),
            Ok(BenchArgs {
                runs: None,
                keep: false
            })
        );
    }

    #[test]
    fn runs_and_keep_in_either_order() {
        let want = Ok(BenchArgs {
            runs: Some(7),
            keep: true,
        });
        assert_eq!(
            parse_args("bench-x", &strings(&["--runs", "7", "--keep"])),
            want
        );
        assert_eq!(
            parse_args("bench-x", &strings(&["--keep", "--runs", "7"])),
            want
        );
        // The last --runs wins.
        assert_eq!(
            parse_args("bench-x", &strings(&["--runs", "1", "--runs", "3"])),
            Ok(BenchArgs {
                runs: Some(3),
                keep: false
            })
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        assert_eq!(
            parse_args("bench-x", &strings(&["--runs"])),
            Err("--runs needs a number".to_string())
        );
        assert_eq!(
            parse_args("bench-x", &strings(&["--runs", "many"])),
            Err("bad --runs `many`".to_string())
        );
        assert_eq!(
            parse_args("bench-x", &strings(&["--runs", "-1"])),
            Err("bad --runs `-1`".to_string())
        );
        assert_eq!(
            parse_args("bench-haproxy", &strings(&["--fast"])),
            Err("bench-haproxy: unknown argument `--fast`".to_string())
        );
    }

    #[test]
    fn setup_reads_the_arguments_before_anything_else() {
        let setup = Setup {
            task: "bench-x",
            tag: "benchkit-test-setup",
            tools: &[Tool {
                command: "no-such-command-for-this-test",
                package: "no-such-package",
            }],
            package: "no-such-package",
        };
        let mut ran = false;
        let result = setup.run(&strings(&["--keep", "--fast"]), |_, _, _| {
            ran = true;
            Ok(())
        });
        assert_eq!(
            result,
            Err("bench-x: unknown argument `--fast`".to_string())
        );
        assert!(!ran);
    }

    #[test]
    fn scratch_dir_is_removed_even_on_failure_unless_kept() {
        let mut seen = PathBuf::new();
        let result = in_scratch_dir("benchkit-test-drop", false, |dir| {
            assert!(dir.is_dir());
            seen = dir.to_path_buf();
            Err("boom".into())
        });
        assert_eq!(result, Err("boom".to_string()));
        assert!(seen.ends_with(run_name("benchkit-test-drop")));
        assert!(!seen.exists());

        let result = in_scratch_dir("benchkit-test-keep", true, |dir| {
            seen = dir.to_path_buf();
            write_file(&dir.join("a.cfg"), "x\n")
        });
        assert_eq!(result, Ok(()));
        assert_eq!(std::fs::read_to_string(seen.join("a.cfg")).unwrap(), "x\n");
        std::fs::remove_dir_all(&seen).unwrap();
    }

    #[test]
    fn labels_and_command_lines() {
        let comparison = Comparison {
            launch: &direct,
            reference: Contender::on_path("haproxy"),
            rust: Contender::built("haproxy-rs", PathBuf::from("/t/release/haproxy-rs")),
            mode: "-c",
            args: strings(&["-q", "-f", "/tmp/d/haproxy.cfg"]),
            warmup: 2,
            runs: None,
            show_cpu: true,
        };
        assert_eq!(comparison.label(&comparison.reference), "haproxy -c");
        assert_eq!(comparison.label(&comparison.rust), "haproxy-rs -c");
        assert_eq!(
            comparison.command_line(&comparison.reference),
            "haproxy -c -q -f /tmp/d/haproxy.cfg"
        );
        assert_eq!(
            comparison.command_line(&comparison.rust),
            "/t/release/haproxy-rs -c -q -f /tmp/d/haproxy.cfg"
        );
    }

    #[test]
    fn means_are_read_from_hyperfine_json() {
        let json = r#"{"results":[{"command":"a","mean":0.5,"stddev":0.1},{"command":"b","mean":2.5e-2}]}"#;
        assert_eq!(field(json, "mean"), [0.5, 0.025]);
        let json = r#"{"results":[{"command":"a","mean":0.0123,"stddev":0.001},
                      {"command":"b","mean": 5.5e-4,"median":1}]}"#;
        assert_eq!(field(json, "mean"), [0.0123, 5.5e-4]);
        let json = r#"{"results":[{"mean":0.5,"user":0.25,"system":0.125},{"mean":0.1,"user":0.0625,"system":1e-2}]}"#;
        assert_eq!(field(json, "user"), [0.25, 0.0625]);
        assert_eq!(field(json, "system"), [0.125, 0.01]);
    }

    /// Two results: 736.3 ms and 91.5 ms wall; CPU 0.7 + 0.0125 = 712.5 ms
    /// and 0.0875 + 0.005 = 92.5 ms.
    const EXPORT: &str = r#"{"results":[
        {"command":"a","mean":0.7363,"user":0.7,"system":0.0125},
        {"command":"b","mean":0.0915,"user":0.0875,"system":0.005}]}"#;

    #[test]
    fn summary_with_cpu_aligns_the_labels() {
        let lines = summary(["haproxy -c", "haproxy-rs -c"], EXPORT, true).unwrap();
        assert_eq!(
            lines,
            [
                "haproxy -c    mean   736.300 ms",
                "haproxy-rs -c mean    91.500 ms",
                "ratio: haproxy-rs -c is 8.0x faster",
                "haproxy -c    CPU    712.500 ms (user + system)",
                "haproxy-rs -c CPU     92.500 ms (user + system)",
                "CPU ratio: 7.7x",
            ]
        );
    }

    #[test]
    fn summary_without_cpu() {
        let lines = summary(["keepalived -t", "keepalived-rs -t"], EXPORT, false).unwrap();
        assert_eq!(
            lines,
            [
                "keepalived -t    mean   736.300 ms",
                "keepalived-rs -t mean    91.500 ms",
                "ratio: keepalived-rs -t is 8.0x faster",
            ]
        );
    }

    #[test]
    fn summary_needs_two_means() {
        let one = r#"{"results":[{"mean":0.5}]}"#;
        assert_eq!(summary(["a", "b"], one, true), None);
        assert_eq!(summary(["a", "b"], "", false), None);
        // Without user/system figures, the CPU lines are left out.
        let no_cpu = r#"{"results":[{"mean":0.5},{"mean":0.25}]}"#;
        assert_eq!(summary(["a", "b"], no_cpu, true).unwrap().len(), 3);
    }
}
