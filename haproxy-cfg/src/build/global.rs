//! The `global` section.

use super::{raw, word_or_end, Out};
use crate::addr::{self, Use};
use crate::diag::Diagnostic;
use crate::keywords;
use crate::model::{Global, Located, LogTarget, StatsSocket};
use crate::suggest;
use crate::tree::{Line, Section, SectionKind};
use crate::units::{self, TimeUnit};

/// Keywords that accept a `no` or `default` prefix.
pub(crate) const NEGATABLE_GLOBAL: &[&str] = &[
    "busy-polling",
    "set-dumpable",
    "strict-limits",
    "insecure-fork-wanted",
    "numa-cpu-mapping",
];

/// HAProxy's message for a `no`/`default` prefix on another keyword.
pub(crate) const NEGATION_MESSAGE: &str = "negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping";

/// `tune.*` keywords read as integers, with the range HAProxy accepts.
const TUNE_INTEGERS: &[(&str, i64, i64)] = &[
    ("tune.http.maxhdr", 1, 32767),
    ("tune.comp.maxlevel", 1, 9),
    ("tune.bufsize", 1, i32::MAX as i64),
    ("tune.maxrewrite", 0, i32::MAX as i64),
    ("tune.maxaccept", -1, i32::MAX as i64),
    ("tune.maxpollevents", 0, i32::MAX as i64),
    ("tune.runqueue-depth", 0, i32::MAX as i64),
    ("tune.pipesize", 0, i32::MAX as i64),
    ("tune.http.cookielen", 0, i32::MAX as i64),
    ("tune.http.logurilen", 0, i32::MAX as i64),
    ("tune.recv_enough", 0, i32::MAX as i64),
    ("tune.pattern.cache-size", 0, i32::MAX as i64),
];

/// Highest `nbthread` of the Debian build.
const MAX_THREADS: i64 = 64;

/// syslog facilities.
pub(crate) const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// syslog levels.
pub(crate) const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// Reads a `global` section into `g`.
pub(crate) fn build(section: &Section, g: &mut Global, out: &mut Out<'_>) {
    if let Some(extra) = section.header.words.get(1) {
        out.error(
            "E0102",
            extra.span,
            format!(
                "'global' cannot handle unexpected argument '{}'",
                extra.text
            ),
            "unexpected argument",
        );
    }
    for line in &section.lines {
        keyword(line, g, out);
    }
}

/// One line of `global`.
fn keyword(line: &Line, g: &mut Global, out: &mut Out<'_>) {
    let mut skip = 0;
    let first = line.keyword();
    if first == "no" || first == "default" {
        skip = 1;
        let kw = line.word(1).unwrap_or("");
        if !NEGATABLE_GLOBAL.contains(&kw) && kw != "log" {
            out.error(
                "E0107",
                line.words[0].span,
                NEGATION_MESSAGE,
                "not supported here",
            );
            return;
        }
    }
    let (Some(kw_word), _) = word_or_end(line, skip) else {
        return;
    };
    let kw = kw_word.text.as_str();
    let arg = |i: usize| line.word(skip + i);
    let span1 = word_or_end(line, skip + 1).1;
    match kw {
        "daemon"
        | "master-worker"
        | "noepoll"
        | "nopoll"
        | "nosplice"
        | "nogetaddrinfo"
        | "noreuseport"
        | "quiet"
        | "zero-warning"
        | "busy-polling"
        | "set-dumpable"
        | "strict-limits"
        | "insecure-fork-wanted"
        | "insecure-setuid-wanted"
        | "numa-cpu-mapping"
        | "expose-experimental-directives" => {
            let max = usize::from(kw == "master-worker");
            if out.too_many(line, skip + 1, max) {
                return;
            }
            if kw == "daemon" {
                g.daemon = skip == 0;
            } else {
                g.other.push(raw(line));
            }
        }
        "maxconn" | "nbthread" | "uid" | "gid" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            let Some(v) = arg(1).filter(|v| !v.is_empty()) else {
                out.error(
                    "E0101",
                    span1,
                    format!("'{kw}' expects an integer argument"),
                    "integer expected",
                );
                return;
            };
            let n = units::atol(v);
            let slot = match kw {
                "maxconn" => &mut g.maxconn,
                "nbthread" => {
                    if !(1..=MAX_THREADS).contains(&n) {
                        out.error(
                            "E0103",
                            span1,
                            format!(
                                "'nbthread' value must be between 1 and {MAX_THREADS} (was {n})"
                            ),
                            "out of range",
                        );
                        return;
                    }
                    &mut g.nbthread
                }
                "uid" => &mut g.uid,
                _ => &mut g.gid,
            };
            if slot.is_some() && kw != "nbthread" {
                let what = if kw == "uid" {
                    "user/uid".to_string()
                } else if kw == "gid" {
                    "group/gid".to_string()
                } else {
                    format!("'{kw}'")
                };
                out.push(
                    Diagnostic::warning("W0104", format!("{what} already specified. Continuing"))
                        .at(kw_word.span, "set again")
                        .with_note("HAProxy reports this as an ALERT but keeps the first value and goes on"),
                );
                return;
            }
            *slot = Some(Located::new(u64::try_from(n).unwrap_or(0), span1));
        }
        "user" | "group" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            let Some(name) = arg(1) else {
                out.error(
                    "E0101",
                    span1,
                    format!("'{kw}' expects a name"),
                    "name expected",
                );
                return;
            };
            let db = if kw == "user" {
                "/etc/passwd"
            } else {
                "/etc/group"
            };
            if !name.is_empty() && !in_account_file(db, name) {
                let what = if kw == "user" { "user" } else { "group" };
                out.push(
                    Diagnostic::error("E0103", format!("cannot find {what} id for '{name}'"))
                        .at(span1, format!("not in {db}"))
                        .with_help(format!("create the {what} or use an existing one")),
                );
                return;
            }
            let slot = if kw == "user" {
                &mut g.user
            } else {
                &mut g.group
            };
            if slot.is_some() {
                out.warning(
                    "W0104",
                    kw_word.span,
                    format!("{kw}/{}id already specified. Continuing", &kw[..1]),
                    "set again",
                );
                return;
            }
            *slot = Some(Located::new(name.into(), span1));
        }
        "chroot" | "pidfile" => {
            if out.too_many(line, 1, 1) {
                return;
            }
            let Some(path) = arg(1) else {
                let what = if kw == "chroot" {
                    "a directory"
                } else {
                    "a file name"
                };
                out.error(
                    "E0101",
                    span1,
                    format!("'{kw}' expects {what} as an argument"),
                    "path expected",
                );
                return;
            };
            let slot = if kw == "chroot" {
                &mut g.chroot
            } else {
                &mut g.pidfile
            };
            *slot = Some(Located::new(path.into(), span1));
        }
        "log" => {
            if let Some(target) = log_target(line, skip, out) {
                g.logs.push(target);
            }
        }
        "stats" => stats(line, g, out),
        _ if kw.starts_with("tune.") && keywords::has(keywords::GLOBAL, kw) => {
            if let Some(&(_, lo, hi)) = TUNE_INTEGERS.iter().find(|(n, ..)| *n == kw) {
                let v = arg(1).unwrap_or("");
                if v.is_empty() {
                    out.error(
                        "E0101",
                        span1,
                        format!("'{kw}' expects an integer argument"),
                        "integer expected",
                    );
                    return;
                }
                let n = units::atol(v);
                if n < lo || n > hi {
                    out.error(
                        "E0103",
                        span1,
                        format!("'{kw}' expects a numeric value between {lo} and {hi}"),
                        "out of range",
                    );
                    return;
                }
            }
            let value = line.words[skip + 1..]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            g.tune
                .insert(kw.into(), Located::new(value.into(), line.span()));
        }
        _ if kw.starts_with("ssl-default-") && keywords::has(keywords::GLOBAL, kw) => {
            let Some(v) = arg(1) else {
                out.error(
                    "E0101",
                    span1,
                    format!("global statement '{kw}' expects a string as an argument"),
                    "value expected",
                );
                return;
            };
            g.ssl_defaults
                .insert(kw.into(), Located::new(v.into(), span1));
        }
        _ if keywords::has(keywords::GLOBAL, kw) => g.other.push(raw(line)),
        _ => unknown(kw_word.span, kw, "global", keywords::GLOBAL, out),
    }
}

/// "unknown keyword 'x' in 'S' section", with a suggestion.
pub(crate) fn unknown(
    span: crate::Span,
    kw: &str,
    section: &str,
    known: &[&str],
    out: &mut Out<'_>,
) {
    let sections = SectionKind::ALL.map(SectionKind::keyword);
    let guess = suggest::best(kw, known.iter().copied().chain(sections));
    let mut d = Diagnostic::error(
        "E0100",
        format!("unknown keyword '{kw}' in '{section}' section"),
    )
    .at(span, "unknown keyword");
    if let Some(g) = guess {
        d = d.with_help(format!("did you mean '{g}'?"));
    }
    out.push(d);
}

/// True when `name` is the first field of a line of `file` (an
/// `/etc/passwd`-like file), or a number.
fn in_account_file(file: &str, name: &str) -> bool {
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    std::fs::read_to_string(file)
        .map(|t| t.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(false)
}

/// `log global` / `log ADDR [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]]`.
pub(crate) fn log_target(
    line: &Line,
    skip: usize,
    out: &mut Out<'_>,
) -> Option<Located<LogTarget>> {
    let args: Vec<&crate::lex::Word> = line.words[skip + 1..].iter().collect();
    let span = line.span();
    if skip == 1 {
        // `no log`: drops the inherited targets; kept as nothing.
        return None;
    }
    if args.first().map(|w| w.text.as_str()) == Some("global") {
        if let Some(extra) = args.get(1) {
            out.error(
                "E0102",
                extra.span,
                format!(
                    "'log global' cannot handle unexpected argument '{}'",
                    extra.text
                ),
                "unexpected argument",
            );
            return None;
        }
        return Some(Located::new(LogTarget::Global, span));
    }
    if args.len() < 2 {
        out.error(
            "E0101",
            span,
            "log : expects <address> and <facility>  as arguments",
            "address and facility expected",
        );
        return None;
    }
    let address = args[0].text.clone();
    let mut i = 1;
    let mut options = Vec::new();
    while i + 1 < args.len() && matches!(args[i].text.as_str(), "len" | "format" | "sample") {
        options.push(args[i].text.clone());
        options.push(args[i + 1].text.clone());
        i += 2;
    }
    let Some(fac) = args.get(i) else {
        out.error(
            "E0101",
            span,
            "log : expects <address> and <facility>  as arguments",
            "facility expected",
        );
        return None;
    };
    if !FACILITIES.contains(&fac.text.as_str()) {
        out.error(
            "E0103",
            fac.span,
            format!("log : unknown log facility '{}'", fac.text),
            "unknown facility",
        );
        return None;
    }
    for lvl in args.iter().skip(i + 1).take(2) {
        if !LEVELS.contains(&lvl.text.as_str()) {
            out.error(
                "E0103",
                lvl.span,
                format!("log : unknown optional log level '{}'", lvl.text),
                "unknown level",
            );
            return None;
        }
        options.push(lvl.text.clone());
    }
    if let Some(extra) = args.get(i + 3) {
        out.error(
            "E0102",
            extra.span,
            format!("'log' cannot handle unexpected argument '{}'", extra.text),
            "unexpected argument",
        );
        return None;
    }
    if !address.starts_with("ring@") && address != "stdout" && address != "stderr" {
        let any = |_: &str| true;
        if let Err(e) = addr::parse(&address, Use::Log, &any) {
            out.error("E0104", args[0].span, format!("log : {e}"), "bad address");
            return None;
        }
    }
    Some(Located::new(
        LogTarget::Address {
            address,
            facility: fac.text.clone(),
            options,
        },
        span,
    ))
}

/// `stats socket|timeout|maxconn|bind-process ...` in `global`.
fn stats(line: &Line, g: &mut Global, out: &mut Out<'_>) {
    let (sub, sub_span) = word_or_end(line, 1);
    let span2 = word_or_end(line, 2).1;
    match sub.map(|w| w.text.as_str()) {
        Some("socket") => {
            let Some(a) = line.word(2) else {
                out.error("E0101", span2, "'stats socket' in global section expects an address or a path to a UNIX socket", "address expected");
                return;
            };
            let any = |_: &str| true;
            let address = match addr::parse(a, Use::Log, &any) {
                Ok(x) => x,
                Err(e) => {
                    out.error("E0104", span2, format!("'stats socket' : {e}"), "bad address");
                    return;
                }
            };
            let options = line.words[3..].iter().map(|w| w.text.clone()).collect();
            g.stats_sockets.push(Located::new(StatsSocket { address, options }, line.span()));
        }
        Some("timeout") => {
            let Some(v) = line.word(2) else {
                out.error("E0101", span2, "'stats timeout' expects a positive delay in milliseconds", "delay expected");
                return;
            };
            match units::parse_time(v, TimeUnit::Ms) {
                Ok(ms) if ms > 0 => g.stats_timeout = Some(Located::new(ms, span2)),
                Ok(_) => out.error("E0103", span2, "'stats timeout' expects a positive value", "must be positive"),
                Err(e) => out.error("E0103", span2, format!("'stats timeout' : {e}"), "bad time"),
            }
        }
        Some("maxconn" | "bind-process") => g.other.push(raw(line)),
        _ => out.error(
            "E0101",
            sub_span,
            "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (in 'global' section)",
            "unknown stats keyword",
        ),
    }
}
