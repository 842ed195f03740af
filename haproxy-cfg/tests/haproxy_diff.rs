//! Differential test against the real `haproxy -c` (HAProxy 2.6, Debian).
//!
//! The corpus is `tests/data/seed/*.cfg` (the seed document's
//! configurations) and `tests/data/corpus/*.cfg`; every line carrying a
//! `# BREAK: TEXT` comment gives one broken variant, the line replaced by
//! `TEXT`. `@DATA@` in the data files stands for the data directory (they
//! are copied to a temporary directory with it filled in). Both checkers
//! see the same environment variables (`LBKIT_HCFG_*`).
//!
//! For every file the exit status must be the same (0 valid, 1 invalid, 2
//! valid without listener), and for invalid files lbkit's first error must
//! be on the line of HAProxy's first located ALERT. `tests/data/verdicts.tsv`
//! records HAProxy's verdicts (`HCFG_BLESS=1` rewrites it); without an
//! `haproxy` binary the test compares with that record outside CI, and
//! fails under `CI=true`.

// Helpers of a test: a failure to set the corpus up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lbkit_haproxy_cfg::{load_files, Options, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One file to check.
struct Case {
    /// Its name (`corpus/options.cfg`, `corpus/options.break3.cfg`).
    name: String,
    /// Where it was written.
    path: PathBuf,
}

/// A verdict: exit status and the line of the first located error.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Verdict {
    code: i32,
    line: Option<u32>,
}

/// The variables both checkers see.
fn test_env() -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !k.starts_with("LBKIT_HCFG_"))
        .collect();
    for (k, v) in [
        ("LBKIT_HCFG_PORT", ":8230"),
        ("LBKIT_HCFG_SERVER", "192.0.2.202"),
        ("LBKIT_HCFG_WORDS", "a b c"),
        ("LBKIT_HCFG_MODE", "http"),
    ] {
        vars.push((k.to_string(), v.to_string()));
    }
    vars
}

/// Copies `tests/data` into `dir` with `@DATA@` filled in, and lists the
/// cases (variants written next to their base file).
fn prepare(dir: &Path) -> Vec<Case> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let data_text = dir.display().to_string();
    let mut cases = Vec::new();
    for sub in ["seed", "corpus", "certs", "crt-list", "errors", "acl"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(data.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for src in entries {
            let file = src.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&src)
                .unwrap()
                .replace("@DATA@", &data_text);
            let dst = dir.join(sub).join(&file);
            std::fs::write(&dst, &text).unwrap();
            if !file.ends_with(".cfg") || !(sub == "seed" || sub == "corpus") {
                continue;
            }
            let stem = file.trim_end_matches(".cfg");
            cases.push(Case {
                name: format!("{sub}/{file}"),
                path: dst,
            });
            let lines: Vec<&str> = text.split('\n').collect();
            let mut n = 0;
            for (i, l) in lines.iter().enumerate() {
                let Some((_, repl)) = l.split_once("# BREAK: ") else {
                    continue;
                };
                n += 1;
                let indent: String = l.chars().take_while(|c| c.is_whitespace()).collect();
                let mut broken = lines.clone();
                let replaced = format!("{indent}{}", repl.trim_end());
                broken[i] = &replaced;
                let name = format!("{stem}.break{n}.cfg");
                let path = dir.join(sub).join(&name);
                std::fs::write(&path, broken.join("\n")).unwrap();
                cases.push(Case {
                    name: format!("{sub}/{name}"),
                    path,
                });
            }
        }
    }
    cases
}

/// lbkit's verdict.
fn ours(case: &Case, vars: &[(String, String)]) -> (Verdict, String) {
    let opts = Options::new().env(vars.iter().cloned());
    let loaded = load_files(std::slice::from_ref(&case.path), &opts);
    let first = loaded
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error);
    let verdict = Verdict {
        code: loaded.exit_code(),
        line: first.and_then(|d| d.span).map(|s| s.line),
    };
    // Built section by section without keeping the tree (as `haproxy-rs
    // -c` does), the same configuration must give the same model and the
    // same diagnostics, in the same order.
    let lean = load_files(
        std::slice::from_ref(&case.path),
        &opts.clone().discard_tree(true),
    );
    assert!(lean.tree.sections.is_empty(), "{}", case.name);
    assert_eq!(lean.config, loaded.config, "{}", case.name);
    assert_eq!(lean.diagnostics, loaded.diagnostics, "{}", case.name);
    // Keeping only the verdict (each proxy dropped once checked), the
    // diagnostics and the exit status are the same too.
    let verdict_only = load_files(
        std::slice::from_ref(&case.path),
        &opts.clone().verdict_only(true),
    );
    assert!(verdict_only.config.proxies.is_empty(), "{}", case.name);
    assert_eq!(
        verdict_only.diagnostics, loaded.diagnostics,
        "{}",
        case.name
    );
    assert_eq!(
        verdict_only.exit_code(),
        loaded.exit_code(),
        "{}",
        case.name
    );
    (verdict, loaded.render())
}

/// HAProxy's verdict, or `None` when it cannot be run.
fn theirs(case: &Case, vars: &[(String, String)]) -> Option<(Verdict, String)> {
    let out = Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(&case.path)
        .env_clear()
        .envs(vars.iter().cloned())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let line = stderr
        .lines()
        .filter(|l| l.starts_with("[ALERT]"))
        .find_map(located_line);
    Some((
        Verdict {
            code: out.status.code().unwrap_or(-1),
            line,
        },
        stderr,
    ))
}

/// The line number of an HAProxy message `... [file:LINE] ...`.
fn located_line(msg: &str) -> Option<u32> {
    let mut rest = msg;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        let inside = &after[..close];
        if let Some((file, n)) = inside.rsplit_once(':') {
            if file.ends_with(".cfg") {
                if let Ok(n) = n.parse() {
                    return Some(n);
                }
            }
        }
        rest = &after[close..];
    }
    None
}

/// True when HAProxy can be run here.
fn haproxy_available() -> bool {
    Command::new("haproxy")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The recorded verdicts.
fn recorded() -> BTreeMap<String, Verdict> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verdicts.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let name = f.next()?.to_string();
            let code = f.next()?.parse().ok()?;
            let line = f.next().and_then(|x| x.parse().ok());
            Some((name, Verdict { code, line }))
        })
        .collect()
}

/// Would lbkit and HAProxy agree? (Same status; same first error line
/// when HAProxy locates its first error.)
fn agree(ours: &Verdict, theirs: &Verdict) -> bool {
    ours.code == theirs.code
        && (theirs.code != 1 || theirs.line.is_none() || ours.line == theirs.line)
}

#[test]
fn same_verdicts_as_haproxy() {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let available = haproxy_available();
    if !available && in_ci {
        panic!("haproxy is not installed: the differential test needs /usr/sbin/haproxy (Debian package `haproxy`)");
    }
    let dir = std::env::temp_dir().join(format!("lbkit-hcfg-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cases = prepare(&dir);
    let vars = test_env();
    let record = recorded();
    if !available {
        eprintln!("haproxy not found: comparing with tests/data/verdicts.tsv instead");
    }
    let results: Vec<(Verdict, Option<(Verdict, String)>)> = std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(2).max(1)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let vars = &vars;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| {
                            let t = if available { theirs(c, vars) } else { None };
                            (ours(c, vars).0, t)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut same = 0;
    let mut failures = Vec::new();
    let mut bless =
        String::from("# file\thaproxy -c exit status\tline of the first located ALERT\n");
    for (case, (mine, theirs)) in cases.iter().zip(&results) {
        let reference = match theirs {
            Some((v, _)) => v.clone(),
            None => match record.get(&case.name) {
                Some(v) => v.clone(),
                None => {
                    failures.push(format!("{}: no recorded verdict", case.name));
                    continue;
                }
            },
        };
        bless.push_str(&format!(
            "{}\t{}\t{}\n",
            case.name,
            reference.code,
            reference.line.map_or(String::new(), |l| l.to_string())
        ));
        if agree(mine, &reference) {
            same += 1;
        } else {
            let (_, render) = ours(case, &vars);
            let their_text = theirs.as_ref().map_or(String::new(), |t| t.1.clone());
            failures.push(format!(
                "{}: lbkit {:?}, haproxy {:?}\n--- lbkit:\n{}\n--- haproxy:\n{}",
                case.name, mine, reference, render, their_text
            ));
        }
    }
    if std::env::var("HCFG_BLESS").is_ok() && available {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verdicts.tsv");
        std::fs::write(path, bless).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{} files, {} identical verdicts", cases.len(), same);
    assert!(
        cases.len() >= 60,
        "the corpus shrank to {} files",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn located_lines_are_read() {
    assert_eq!(
        located_line("[ALERT]    (1) : config : parsing [t.cfg:18] : please"),
        Some(18)
    );
    assert_eq!(
        located_line("[ALERT]    (1) : config : [d/t.cfg:6] : 'server b/s1'"),
        Some(6)
    );
    assert_eq!(located_line("[ALERT]    (1) : config : Proxy 'f': no SSL certificate specified for bind ':80' at [t.cfg:6] (use 'crt')."), Some(6));
    assert_eq!(
        located_line("[ALERT]    (1) : config : Fatal errors found in configuration."),
        None
    );
}
