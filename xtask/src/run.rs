//! `cargo xtask test` and `cargo xtask bench`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// Runs a command, inheriting stdio; fails with its exit status.
pub(crate) fn cmd(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}").replace('"', "");
    eprintln!("xtask: $ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// `cargo` at the workspace root, without the variables `cargo run` set for
/// xtask itself: build scripts that watch one (ring's watches
/// `CARGO_MANIFEST_DIR`) would otherwise rebuild on every run.
pub(crate) fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        if inherited_from_cargo_run(&name.to_string_lossy()) {
            c.env_remove(&name);
        }
    }
    c.current_dir(workspace_root());
    c
}

/// Whether `name` is a variable `cargo run` sets for the program it runs
/// (about the xtask package), as opposed to the user's settings.
pub(crate) fn inherited_from_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

pub(crate) fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Every check CI runs, in order, cheapest first.
pub(crate) fn test() -> Result<(), String> {
    let started = Instant::now();
    crate::deps::ensure(crate::deps::TEST_TOOLS)?;
    cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;
    cmd(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    cmd(cargo().args(["test", "--workspace"]))?;
    crate::examples::run(&workspace_root())?;
    // The README's main command: the guide's Appendix A failover, live;
    // then its LVS-NAT and LVS-DR sections in the IPVS VM.
    crate::demo::run(&[])?;
    crate::demo::run(&["lvs".to_string()])?;
    // lbkit-ipvs's real-kernel tests, in one boot of the IPVS VM.
    crate::vm::test(&[], false)?;
    cmd(cargo()
        .env("RUSTDOCFLAGS", "-D warnings")
        .args(["doc", "--no-deps", "--workspace"]))?;
    crate::fuzz::smoke()?;
    let elapsed = started.elapsed();
    eprintln!(
        "xtask: all checks passed in {}m{:02}s",
        elapsed.as_secs() / 60,
        elapsed.as_secs() % 60
    );
    Ok(())
}

/// The criterion benchmarks (extra arguments go to criterion, e.g. a
/// filter), then a summary table in BENCHMARKS.md's format.
pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    let mut command = cargo();
    command
        .args(["bench", "-p", "lbkit-sched", "--bench", "pick", "--"])
        .args(args)
        .stderr(std::process::Stdio::inherit());
    eprintln!(
        "xtask: $ cargo bench -p lbkit-sched --bench pick -- {}",
        args.join(" ")
    );
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    if !output.status.success() {
        return Err(format!("cargo bench failed ({})", output.status));
    }
    println!("\n{}", crate::benchtable::render(&text));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cargo_runs_package_variables_are_dropped() {
        assert!(inherited_from_cargo_run("CARGO_PKG_NAME"));
        assert!(inherited_from_cargo_run("CARGO_MANIFEST_DIR"));
        assert!(!inherited_from_cargo_run("CARGO_TARGET_DIR"));
        assert!(!inherited_from_cargo_run("CARGO_HOME"));
        assert!(!inherited_from_cargo_run("RUSTFLAGS"));
    }
}
