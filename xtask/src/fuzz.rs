//! `cargo xtask fuzz --secs N`: every cargo-fuzz target for N seconds.
//!
//! The targets are the files of `fuzz/fuzz_targets/`; each runs with
//! `cargo fuzz run <target> corpus/<target> seeds/<target> --
//! -max_total_time=N`, new inputs going to `fuzz/corpus/<target>` and the
//! checked-in seeds read from `fuzz/seeds/<target>`. cargo-fuzz is
//! installed with `cargo install cargo-fuzz --locked` when missing.
//!
//! cargo-fuzz passes unstable `-Z` flags to rustc (the sanitizer). A nightly
//! toolchain is used when rustup has one; otherwise the stable compiler runs
//! with `RUSTC_BOOTSTRAP=1`, which makes it accept those flags. This is how
//! `cargo xtask test` fuzzes on a machine that has only stable Rust.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Seconds per target when `--secs` is not given.
const DEFAULT_SECS: u64 = 60;

/// Seconds per target in `cargo xtask test`, unless `LBKIT_FUZZ_SECS` says.
const SMOKE_SECS: u64 = 20;

/// `cargo xtask fuzz`: runs every fuzz target for `--secs` seconds.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    run_all(secs(args)?, &fuzz_dir().join("corpus"))
}

/// The short fuzz run of `cargo xtask test`: every target for
/// `LBKIT_FUZZ_SECS` (default 20) seconds; `0` skips it. It starts from the
/// checked-in seeds only, in a scratch corpus, so that its time does not
/// grow with what earlier long runs collected in `fuzz/corpus`.
pub(crate) fn smoke() -> Result<(), String> {
    let secs = match std::env::var("LBKIT_FUZZ_SECS") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("LBKIT_FUZZ_SECS takes whole seconds, not `{v}`"))?,
        Err(_) => SMOKE_SECS,
    };
    if secs == 0 {
        eprintln!("xtask: fuzzing skipped (LBKIT_FUZZ_SECS=0)");
        return Ok(());
    }
    let scratch = std::env::temp_dir().join(format!("lbkit-fuzz-{}", std::process::id()));
    let result = run_all(secs, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Runs every fuzz target for `secs` seconds each, new inputs going to
/// `corpus_root/<target>`.
fn run_all(secs: u64, corpus_root: &Path) -> Result<(), String> {
    let dir = fuzz_dir();
    let targets = targets(&dir)?;
    if targets.is_empty() {
        return Err(format!(
            "no fuzz targets in {}",
            dir.join("fuzz_targets").display()
        ));
    }
    ensure_cargo_fuzz()?;
    let nightly = has_nightly();
    for target in &targets {
        let corpus = corpus_root.join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let mut fuzz = Command::new("cargo");
        fuzz.current_dir(&dir);
        if nightly {
            fuzz.arg("+nightly");
        } else {
            fuzz.env("RUSTC_BOOTSTRAP", "1");
        }
        fuzz.args(["fuzz", "run", target.as_str()]).arg(&corpus);
        let seeds = dir.join("seeds").join(target);
        if seeds.is_dir() {
            fuzz.arg(&seeds);
        }
        fuzz.arg("--").arg(format!("-max_total_time={secs}"));
        crate::run::cmd(&mut fuzz)?;
    }
    eprintln!(
        "xtask: {} fuzz target(s) ran {secs} s each without a crash",
        targets.len()
    );
    Ok(())
}

/// `--secs N` or `--secs=N`.
fn secs(args: &[String]) -> Result<u64, String> {
    let mut secs = DEFAULT_SECS;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = match arg.strip_prefix("--secs=") {
            Some(v) => v.to_string(),
            None if arg == "--secs" => iter
                .next()
                .cloned()
                .ok_or("--secs needs a number of seconds")?,
            None => {
                return Err(format!(
                    "unknown argument `{arg}` (usage: cargo xtask fuzz --secs N)"
                ))
            }
        };
        secs = value
            .parse()
            .map_err(|_| format!("--secs takes a whole number of seconds, not `{value}`"))?;
    }
    Ok(secs)
}

/// `fuzz/` beside `xtask/`.
fn fuzz_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or(manifest.clone(), Path::to_path_buf)
        .join("fuzz")
}

/// The names of the targets, sorted.
fn targets(dir: &Path) -> Result<Vec<String>, String> {
    let targets_dir = dir.join("fuzz_targets");
    let entries = std::fs::read_dir(&targets_dir)
        .map_err(|e| format!("cannot list {}: {e}", targets_dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect();
    names.sort();
    Ok(names)
}

/// Whether rustup has a nightly toolchain.
fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs cargo-fuzz unless `cargo fuzz` already works.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let works = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-fuzz");
    crate::run::cmd(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn secs_forms() {
        assert_eq!(secs(&args(&[])), Ok(DEFAULT_SECS));
        assert_eq!(secs(&args(&["--secs", "5"])), Ok(5));
        assert_eq!(secs(&args(&["--secs=600"])), Ok(600));
        assert!(secs(&args(&["--secs"])).is_err());
        assert!(secs(&args(&["--secs", "x"])).is_err());
        assert!(secs(&args(&["--other"])).is_err());
    }

    #[test]
    fn the_keepalived_target_is_found() {
        let found = targets(&fuzz_dir()).unwrap_or_default();
        assert!(found.contains(&"keepalived_cfg".to_string()), "{found:?}");
    }
}
