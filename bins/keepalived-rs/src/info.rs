//! What the program says about itself: `--version`, and `--signum`.

/// The keepalived release whose configuration language and command line
/// this program follows, as keepalived prints its own first line.
pub(crate) const KEEPALIVED_VERSION: &str = "Keepalived v2.2.7 (01/16,2022)";

/// The `--version` text (keepalived prints it on standard error).
pub(crate) fn version_text() -> String {
    format!(
        "keepalived-rs v{} (lbkit), compatible with {KEEPALIVED_VERSION}\n\n\
         Reads keepalived.conf as keepalived 2.2.7 does (lbkit-keepalived-cfg).\n\
         Implemented: the configuration test (-t), `fmt`, `check`, and the VRRP daemon\n\
         (-f FILE -n); LVS and health checks are not yet.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// keepalived's `--signum=SIGFUNC`: the signal number the daemon acts on
/// for SIGFUNC (`get_signum()` in keepalived/core/main.c; the real-time
/// ones are glibc's SIGRTMIN + 2 and SIGRTMAX - 1). Names are
/// case-sensitive, as in keepalived.
pub(crate) fn signum(func: &str) -> Option<u8> {
    match func {
        "STOP" => Some(15),
        "RELOAD" => Some(1),
        "DATA" => Some(10),
        "STATS" => Some(12),
        "STATS_CLEAR" => Some(63),
        "JSON" => Some(36),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_match_keepalived_2_2_7_on_linux() {
        // Seen with Debian's keepalived --signum=...: 15 1 10 12 63 36.
        let got: Vec<_> = ["STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON"]
            .iter()
            .map(|f| signum(f))
            .collect();
        assert_eq!(
            got,
            [Some(15), Some(1), Some(10), Some(12), Some(63), Some(36)]
        );
        assert_eq!(signum("stop"), None);
    }

    #[test]
    fn version_names_both() {
        let text = version_text();
        let first = text.lines().next().unwrap();
        assert!(first.starts_with("keepalived-rs v"));
        assert!(first.ends_with("Keepalived v2.2.7 (01/16,2022)"));
    }
}
