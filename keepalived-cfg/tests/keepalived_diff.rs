//! Differential test against the real `keepalived -t -f FILE` (Debian's
//! keepalived 2.2.7).
//!
//! The corpus is `tests/data/{seed,valid,invalid}/*.conf`: the Red Hat
//! guide's configurations as printed (§4.1 LB1/LB2, §4.2 DR master/backup,
//! Appendix A), configurations covering every block and keyword family, and
//! broken variants (`invalid/`, mostly written by `tests/data/mutate.py`).
//! `tests/data/verdicts.tsv` holds keepalived's verdict on each file: exit
//! code and the first line it complains about.
//!
//! - `keepalived_verdicts_match_the_table` re-runs keepalived (as root,
//!   inside a private network namespace) and fails when the table has
//!   drifted; with `UPDATE_VERDICTS=1` it rewrites the table instead.
//!   Without keepalived or root it is skipped, unless `CI=true`.
//! - `lbkit_agrees_with_keepalived` loads every file with lbkit and
//!   compares with the table: same exit code (0, 5, or 6 for the
//!   script-security error) and, for rejected files, the first error on the
//!   line keepalived names first. keepalived numbers the complaints it
//!   makes while reading and reports whole-construct problems (missing
//!   `}`, missing mandatory keywords, semantic conflicts) without a line,
//!   so lbkit's unterminated-block and semantic errors (`E0003`, `E02xx`)
//!   count only when it has no other error.

#[path = "keepalived_diff/corpus.rs"]
mod corpus;
#[path = "keepalived_diff/ours.rs"]
mod ours;
#[path = "keepalived_diff/real.rs"]
mod real;
#[path = "keepalived_diff/verdict.rs"]
mod verdict;

use std::collections::BTreeMap;
use verdict::Verdict;

/// The table's path.
fn table_path() -> std::path::PathBuf {
    corpus::data_dir().join("verdicts.tsv")
}

/// The checked-in table.
fn read_table() -> Result<BTreeMap<String, Verdict>, String> {
    let path = table_path();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    verdict::parse_table(&text)
}

/// `Ok` when lbkit's verdict agrees with keepalived's, else what differs.
fn agree(theirs: &Verdict, ours: &Verdict) -> Result<(), String> {
    if theirs.exit != ours.exit {
        return Err(format!("keepalived {theirs}, lbkit {ours}"));
    }
    match (&theirs.at, &ours.at) {
        (Some(t), Some(o)) if t == o => Ok(()),
        (Some(_), _) => Err(format!("keepalived {theirs}, lbkit {ours}")),
        (None, _) => Ok(()),
    }
}

/// Whether env `name` is set to `1` or `true`.
fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

#[test]
fn table_covers_the_corpus() {
    let files = corpus::files(&corpus::data_dir()).unwrap();
    let table = read_table().unwrap();
    let missing: Vec<&String> = files.iter().filter(|f| !table.contains_key(*f)).collect();
    let stale: Vec<&String> = table.keys().filter(|f| !files.contains(f)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "verdicts.tsv is out of date (refresh with UPDATE_VERDICTS=1): \
         not in the table: {missing:?}; no longer in the corpus: {stale:?}"
    );
    for (file, v) in &table {
        assert!([0, 5, 6].contains(&v.exit), "{file}: exit {}", v.exit);
        if v.exit == 0 {
            assert!(v.at.is_none(), "{file}: accepted yet a line is recorded");
        }
    }
    for seed in [
        "seed/lb1.conf",
        "seed/lb2.conf",
        "seed/dr-master.conf",
        "seed/dr-backup.conf",
    ] {
        assert_eq!(table[seed].exit, 0, "{seed}");
    }
}

#[test]
fn keepalived_verdicts_match_the_table() {
    if let Err(why) = real::available() {
        assert!(
            !env_flag("CI"),
            "CI=true but keepalived cannot be run: {why}"
        );
        assert!(
            !env_flag("UPDATE_VERDICTS"),
            "UPDATE_VERDICTS needs keepalived: {why}"
        );
        eprintln!("skipping the keepalived re-run ({why}); comparing lbkit with the table only");
        return;
    }
    let data = corpus::data_dir();
    let files = corpus::files(&data).unwrap();
    let seen = real::verdicts(&data, &files).unwrap();
    let seen: BTreeMap<String, Verdict> = files.into_iter().zip(seen).collect();
    if env_flag("UPDATE_VERDICTS") {
        std::fs::write(table_path(), verdict::write_table(&seen)).unwrap();
        println!(
            "wrote {} verdicts to {}",
            seen.len(),
            table_path().display()
        );
        return;
    }
    let table = read_table().unwrap();
    let drift: Vec<String> = seen
        .iter()
        .filter(|(f, v)| table.get(*f) != Some(*v))
        .map(|(f, v)| match table.get(f) {
            Some(t) => format!("{f}: table says {t}, keepalived now gives {v}"),
            None => format!("{f}: not in the table, keepalived gives {v}"),
        })
        .collect();
    println!(
        "keepalived -t re-run: {} files, {} as in the table",
        seen.len(),
        seen.len() - drift.len()
    );
    assert!(
        drift.is_empty(),
        "verdicts.tsv has drifted:\n{}",
        drift.join("\n")
    );
}

#[test]
fn lbkit_agrees_with_keepalived() {
    let data = corpus::data_dir();
    let table = read_table().unwrap();
    // lbkit is loaded once per file; silence the panic hook meanwhile so
    // that a panicking library gives one mismatch line per file, not noise.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let results: Vec<(String, Result<(), String>)> = table
        .iter()
        .map(|(file, theirs)| {
            let verdict = ours::verdict(&data, file).and_then(|(o, errors)| {
                agree(theirs, &o).map_err(|e| format!("{e} [lbkit: {errors}]"))
            });
            (file.clone(), verdict)
        })
        .collect();
    std::panic::set_hook(hook);
    let mismatches: Vec<String> = results
        .iter()
        .filter_map(|(f, r)| r.as_ref().err().map(|e| format!("  {f}: {e}")))
        .collect();
    println!(
        "keepalived -t differential: {} files, {} identical verdicts",
        results.len(),
        results.len() - mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "verdict mismatches:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn agree_compares_exit_codes_and_first_lines() {
    use verdict::Place;
    let at = |file: &str, line| {
        Some(Place {
            file: file.into(),
            line,
        })
    };
    let v = |exit, at| Verdict { exit, at };
    assert!(agree(&v(0, None), &v(0, None)).is_ok());
    assert!(agree(&v(0, None), &v(5, at("", 3))).is_err());
    assert!(agree(&v(5, at("", 3)), &v(0, None)).is_err());
    assert!(agree(&v(5, at("", 3)), &v(5, at("", 3))).is_ok());
    assert!(agree(&v(5, at("", 3)), &v(5, at("", 4))).is_err());
    assert!(agree(&v(5, at("", 3)), &v(5, at("valid/inc/a.part", 3))).is_err());
    assert!(agree(&v(5, at("", 3)), &v(5, None)).is_err());
    // keepalived named no line: any place of ours will do.
    assert!(agree(&v(5, None), &v(5, at("", 9))).is_ok());
    assert!(agree(&v(6, None), &v(5, None)).is_err());
    assert!(agree(&v(6, at("", 8)), &v(6, at("", 8))).is_ok());
}
