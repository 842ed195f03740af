//! lbkit's verdict on a corpus file, in the same terms as keepalived's.

use crate::corpus;
use crate::real::{CONFIG_ID, INTERFACES};
use crate::verdict::{Place, Verdict};
use lbkit_keepalived_cfg::{load_file, Diagnostic, Loaded, Options, Severity};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The code of the checker's diagnostic for scripts that would run as
/// root without `enable_script_security` (keepalived `-t` exits 6), as
/// listed in `src/check.rs`.
pub(crate) const SCRIPT_SECURITY_CODE: &str = "E0280";

/// True for the script-security diagnostic.
fn is_script_security(d: &Diagnostic) -> bool {
    d.severity == Severity::Error && d.code == SCRIPT_SECURITY_CODE
}

/// Loads `file` (relative to `data`) with lbkit and states the verdict
/// `keepalived-rs -t` would give: exit 6 when the script-security error is
/// present (keepalived gives 6 even with other errors), 5 for any other
/// error, else 0; the place is that of the first other error.
pub(crate) fn verdict(data: &Path, file: &str) -> Result<(Verdict, String), String> {
    let path = data.join(file);
    let opts = Options::new().config_id(CONFIG_ID).interfaces(INTERFACES);
    let loaded = catch_unwind(AssertUnwindSafe(|| load_file(&path, &opts)))
        .map_err(|p| format!("lbkit panicked: {}", panic_text(p.as_ref())))?;
    Ok((judge(&loaded, data, &path), first_errors(&loaded)))
}

/// The first few errors, `code line: message`, to show with a mismatch.
fn first_errors(loaded: &Loaded) -> String {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .take(3)
        .map(|d| {
            let line = d.span.map_or(0, |s| s.line);
            format!("{} line {line}: {}", d.code, d.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// True for errors about a whole construct rather than one line: an
/// unterminated block (`E0003`) and the semantic checks (`E02xx`: missing
/// `virtual_router_id`, no real server, ...). keepalived reports these
/// without a line number after reading (`There are 1 missing '}'s`,
/// `(VI_1) the virtual router id must be set`), and lbkit places them on
/// the block's first line, which comes before the line keepalived names.
fn whole_construct(d: &Diagnostic) -> bool {
    d.code == "E0003" || d.code.starts_with("E02")
}

/// The verdict on a loaded configuration read from `main`.
fn judge(loaded: &Loaded, data: &Path, main: &Path) -> Verdict {
    let security = loaded.diagnostics.iter().any(is_script_security);
    let errors: Vec<&Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && !is_script_security(d))
        .collect();
    let exit = match (security, errors.is_empty()) {
        (true, _) => 6,
        (false, false) => 5,
        (false, true) => 0,
    };
    // keepalived's first numbered complaint comes from reading: compare
    // with lbkit's first error about one line when there is one, else with
    // its first error of any kind. As for keepalived: the first error in
    // the tested file itself, else the first one elsewhere (included).
    let line_errors: Vec<&Diagnostic> = errors
        .iter()
        .copied()
        .filter(|d| !whole_construct(d))
        .collect();
    let candidates = if line_errors.iter().any(|d| d.span.is_some()) {
        line_errors
    } else {
        errors
    };
    let main_rel = corpus::relative(data, main);
    let places: Vec<Place> = candidates
        .iter()
        .filter_map(|d| d.span)
        .map(|span| {
            let path = loaded.sources.path(span.file);
            let path = match main.parent() {
                Some(dir) if path.is_relative() => dir.join(path),
                _ => path.to_path_buf(),
            };
            let rel = corpus::relative(data, &path);
            let file = if rel == main_rel { String::new() } else { rel };
            Place {
                file,
                line: span.line,
            }
        })
        .collect();
    let in_main = places.iter().filter(|p| p.file.is_empty()).min().cloned();
    let at = in_main.or_else(|| places.first().cloned());
    Verdict { exit, at }
}

/// The message of a caught panic.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_keepalived_cfg::load_str;

    /// Judges configuration text as if it were `tests/data/t.conf`.
    fn judge_text(text: &str) -> Verdict {
        let data = corpus::data_dir();
        let loaded = load_str("t.conf", text, &Options::new().config_id(CONFIG_ID));
        judge(&loaded, &data, &data.join("t.conf"))
    }

    #[test]
    fn judge_prefers_the_misspelt_line_to_the_missing_scheduler() {
        // keepalived: "(Line 3) Unknown keyword 'lb_algoo'", then "no
        // scheduler set" without a line; lbkit also reports the missing
        // lb_algo, on the virtual_server line (1).
        let text = "virtual_server 192.0.2.1 80 {\n    protocol TCP\n    lb_algoo rr\n    lb_kind NAT\n    real_server 192.0.2.2 80 {\n    }\n}\n";
        let v = judge_text(text);
        assert_eq!(v.exit, 5);
        assert_eq!(
            v.at,
            Some(Place {
                file: String::new(),
                line: 3
            })
        );
    }

    #[test]
    fn judge_accepts_a_clean_instance_and_flags_script_security() {
        let clean = "vrrp_instance V {\n    interface eth0\n    virtual_router_id 9\n    priority 100\n    virtual_ipaddress {\n        192.0.2.9\n    }\n}\n";
        assert_eq!(judge_text(clean), Verdict { exit: 0, at: None });
        let scripted = format!(
            "vrrp_script s {{\n    script \"/bin/true\"\n}}\n{}",
            clean.replace(
                "    priority 100\n",
                "    priority 100\n    track_script {\n        s\n    }\n"
            )
        );
        assert_eq!(judge_text(&scripted).exit, 6);
    }

    #[test]
    fn panic_text_reads_both_payload_kinds() {
        let p = catch_unwind(|| std::panic::panic_any("plain")).unwrap_err();
        assert_eq!(panic_text(p.as_ref()), "plain");
        let p = catch_unwind(|| std::panic::panic_any(String::from("owned"))).unwrap_err();
        assert_eq!(panic_text(p.as_ref()), "owned");
    }
}
