//! The runtime API's command language: splitting a line into commands and
//! words, recognising the commands haproxy-rs serves, the permission each
//! needs, and HAProxy 2.6's texts for everything that goes wrong (including
//! its "maybe one of the following" suggestions).

use std::fmt;

/// Most commands on one line (`a;b;c`); the rest is ignored.
pub const MAX_COMMANDS_PER_LINE: usize = 64;

/// Most words in one command, as HAProxy's `MAX_CLI_ARGS`.
pub const MAX_WORDS: usize = 64;

/// The keyword table HAProxy 2.6 prints for `help` (usage, padded, then
/// `: description`), in its sorted order.
const KEYWORDS: &str = include_str!("cli_keywords.txt");

/// The three lines every help or suggestion list ends with.
const HELP_TAIL: &str = "  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n";

/// The permission level of a runtime API connection (`level` on the
/// `stats socket` line; `operator` when unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    /// Read-only, no sensitive data.
    User,
    /// Read and a few harmless changes; sees addresses.
    #[default]
    Operator,
    /// Everything.
    Admin,
}

impl Level {
    /// Parses `user`, `operator`, `admin`.
    pub fn from_word(w: &str) -> Option<Self> {
        match w {
            "user" => Some(Level::User),
            "operator" => Some(Level::Operator),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }
}

/// A `backend/server` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRef {
    /// The backend name.
    pub backend: String,
    /// The server name.
    pub server: String,
}

impl fmt::Display for ServerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.backend, self.server)
    }
}

/// The administrative change `set server ... state` or `enable`/`disable
/// server` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// `state ready`: leave maintenance and drain.
    Ready,
    /// `state drain`: no new traffic, existing sessions continue.
    Drain,
    /// `state maint` / `disable server`: forced maintenance.
    Maint,
    /// `enable server`: leave forced maintenance only.
    Enable,
}

/// A weight as written: `N` or `N%` of the configured weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightChange {
    /// An absolute weight, 0..=256.
    Absolute(u32),
    /// A percentage of the initial weight (capped at 25600 as HAProxy
    /// does before applying it).
    Relative(u32),
}

impl WeightChange {
    /// The resulting weight for a server configured with `initial`:
    /// relative weights are scaled and capped at 256.
    pub fn apply(self, initial: u32) -> u32 {
        match self {
            WeightChange::Absolute(w) => w,
            WeightChange::Relative(pct) => {
                let w = u64::from(initial) * u64::from(pct) / 100;
                w.min(256) as u32
            }
        }
    }
}

/// What follows `set server B/S`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerChange {
    /// `state ready|drain|maint`.
    State(AdminAction),
    /// `weight N[%]`.
    Weight(WeightChange),
}

/// A recognised runtime API command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `help [words]`: the keyword list, filtered by the words.
    Help(Vec<String>),
    /// `prompt`: toggles interactive mode.
    Prompt,
    /// `quit`: closes the connection.
    Quit,
    /// `operator` / `user`: lowers the connection's level.
    LowerLevel(Level),
    /// `show info`.
    ShowInfo,
    /// `show stat [up|no-maint]`.
    ShowStat {
        /// `up`: only servers that are up.
        up_only: bool,
        /// `no-maint`: hide servers in maintenance.
        no_maint: bool,
    },
    /// `show servers state [backend]`.
    ShowServersState(Option<String>),
    /// `show backend`.
    ShowBackend,
    /// `show sess`.
    ShowSess,
    /// `set server B/S state|weight ...` (also `set weight`, `enable` /
    /// `disable server`). The change is checked after the server lookup,
    /// as HAProxy does, so it is kept with its error until then.
    SetServer {
        /// The server.
        target: ServerRef,
        /// The change, or the message for a malformed one.
        change: Result<ServerChange, CliError>,
    },
    /// `set maxconn frontend F V`.
    SetMaxconnFrontend {
        /// The frontend.
        frontend: String,
        /// The new limit, or the message for a missing/invalid one.
        value: Result<u64, CliError>,
    },
    /// `set maxconn server B/S V`.
    SetMaxconnServer {
        /// The server.
        target: ServerRef,
        /// The new limit, or the message for a missing/invalid one.
        value: Result<u64, CliError>,
    },
    /// `set maxconn global V` (0 or less means "back to the hard limit").
    SetMaxconnGlobal(i64),
}

impl Command {
    /// The level HAProxy 2.6 requires for the command.
    pub fn required_level(&self) -> Level {
        match self {
            Command::ShowSess => Level::Operator,
            Command::SetServer { .. }
            | Command::SetMaxconnFrontend { .. }
            | Command::SetMaxconnServer { .. }
            | Command::SetMaxconnGlobal(_) => Level::Admin,
            _ => Level::User,
        }
    }
}

/// Why a command cannot run; `Display` is HAProxy's exact text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The connection's level is too low.
    #[error("Permission denied\n")]
    PermissionDenied,
    /// No command matches: the text lists likely candidates.
    #[error("{0}")]
    Unknown(String),
    /// A command HAProxy knows but haproxy-rs does not serve.
    #[error("This command is not supported by haproxy-rs.\n")]
    Unsupported,
    /// A command-specific message (HAProxy's text, newline included when
    /// HAProxy prints one).
    #[error("{0}")]
    Message(String),
}

impl CliError {
    /// A command-specific message.
    fn msg(s: &str) -> Self {
        CliError::Message(s.to_owned())
    }
}

/// Splits one input line into its commands at unescaped `;`.
pub fn split_commands(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ';' => {
                out.push(std::mem::take(&mut cur));
                if out.len() == MAX_COMMANDS_PER_LINE {
                    return out;
                }
            }
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Splits a command into words at spaces and tabs; a backslash keeps the
/// next character literally.
pub fn split_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                    if words.len() == MAX_WORDS {
                        return words;
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word && words.len() < MAX_WORDS {
        words.push(cur);
    }
    words
}

/// Parses one command (no `;`) for a connection at `level`.
pub fn parse_command(cmd: &str, level: Level) -> Result<Command, CliError> {
    let words = split_words(cmd);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let parsed = match w.as_slice() {
        ["help", rest @ ..] => Command::Help(rest.iter().map(|s| (*s).to_owned()).collect()),
        ["prompt", ..] => Command::Prompt,
        ["quit", ..] => Command::Quit,
        ["operator", ..] => Command::LowerLevel(Level::Operator),
        ["user", ..] => Command::LowerLevel(Level::User),
        ["show", "info", ..] => Command::ShowInfo,
        ["show", "stat", rest @ ..] => Command::ShowStat {
            up_only: rest.contains(&"up"),
            no_maint: rest.contains(&"no-maint"),
        },
        ["show", "servers", "state", rest @ ..] => {
            Command::ShowServersState(rest.first().map(|s| (*s).to_owned()))
        }
        ["show", "backend", ..] => Command::ShowBackend,
        ["show", "sess", ..] => Command::ShowSess,
        ["set", "server", rest @ ..] => {
            require(level, Level::Admin)?;
            parse_set_server(rest)?
        }
        ["set", "weight", rest @ ..] => {
            require(level, Level::Admin)?;
            let target = server_ref(rest.first().copied())?;
            let change = match rest.get(1) {
                Some(v) => parse_weight(v).map(ServerChange::Weight),
                None => Err(CliError::msg("Require <weight> or <weight%>.\n")),
            };
            Command::SetServer { target, change }
        }
        [verb @ ("enable" | "disable"), "server", rest @ ..] => {
            require(level, Level::Admin)?;
            let target = server_ref(rest.first().copied())?;
            let action = if *verb == "enable" {
                AdminAction::Enable
            } else {
                AdminAction::Maint
            };
            Command::SetServer {
                target,
                change: Ok(ServerChange::State(action)),
            }
        }
        ["set", "maxconn", "frontend", rest @ ..] => {
            require(level, Level::Admin)?;
            let Some(frontend) = rest.first() else {
                return Err(CliError::msg("A frontend name is expected.\n"));
            };
            let value = match rest.get(1) {
                None => Err(CliError::msg("Integer value expected.\n")),
                Some(v) => {
                    let n = atoi(v);
                    u64::try_from(n).map_err(|_| CliError::msg("Value out of range.\n"))
                }
            };
            Command::SetMaxconnFrontend {
                frontend: (*frontend).to_owned(),
                value,
            }
        }
        ["set", "maxconn", "server", rest @ ..] => {
            require(level, Level::Admin)?;
            let target = server_ref(rest.first().copied())?;
            let value = parse_server_maxconn(rest.get(1).copied());
            Command::SetMaxconnServer { target, value }
        }
        ["set", "maxconn", "global", rest @ ..] => {
            require(level, Level::Admin)?;
            match rest.first() {
                None => return Err(CliError::msg("Expects an integer value.\n")),
                Some(v) => Command::SetMaxconnGlobal(atoi(v)),
            }
        }
        _ => {
            return Err(if is_known_keyword(&w) {
                CliError::Unsupported
            } else {
                CliError::Unknown(usage_message(&w, false))
            })
        }
    };
    require(level, parsed.required_level())?;
    Ok(parsed)
}

/// `Permission denied` unless `level` reaches `needed`.
fn require(level: Level, needed: Level) -> Result<(), CliError> {
    if level >= needed {
        Ok(())
    } else {
        Err(CliError::PermissionDenied)
    }
}

/// `backend/server`, or HAProxy's complaint.
fn server_ref(word: Option<&str>) -> Result<ServerRef, CliError> {
    let (backend, server) = word
        .and_then(|w| w.split_once('/'))
        .ok_or_else(|| CliError::msg("Require 'backend/server'.\n"))?;
    Ok(ServerRef {
        backend: backend.to_owned(),
        server: server.to_owned(),
    })
}

/// The `set server` usage line.
const SET_SERVER_USAGE: &str = "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n";

/// `set server B/S <option> ...`.
fn parse_set_server(rest: &[&str]) -> Result<Command, CliError> {
    let target = server_ref(rest.first().copied())?;
    let change = match rest.get(1).copied() {
        Some("state") => match rest.get(2).copied() {
            Some("ready") => Ok(ServerChange::State(AdminAction::Ready)),
            Some("drain") => Ok(ServerChange::State(AdminAction::Drain)),
            Some("maint") => Ok(ServerChange::State(AdminAction::Maint)),
            _ => Err(CliError::msg(
                "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n",
            )),
        },
        Some("weight") => match rest.get(2) {
            Some(v) => parse_weight(v).map(ServerChange::Weight),
            None => Err(CliError::msg("Require <weight> or <weight%>.\n")),
        },
        Some(
            "addr" | "agent" | "agent-addr" | "agent-port" | "agent-send" | "check-addr"
            | "check-port" | "fqdn" | "health" | "ssl",
        ) => Err(CliError::Unsupported),
        _ => Err(CliError::msg(SET_SERVER_USAGE)),
    };
    Ok(Command::SetServer { target, change })
}

/// C's `strtol` base 10 on a whole word: the value (saturated) and the
/// unparsed rest; `None` when no digit was read.
fn strtol(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start_matches([' ', '\t']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut v: i64 = 0;
    for b in body[..digits].bytes() {
        let d = i64::from(b - b'0');
        v = v.saturating_mul(10).saturating_add(d);
    }
    Some((if neg { -v } else { v }, &body[digits..]))
}

/// C's `atoi`: the leading number, 0 when there is none.
fn atoi(s: &str) -> i64 {
    strtol(s).map_or(0, |(v, _)| {
        v.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
    })
}

/// `N` or `N%`, with HAProxy's checks and texts (two of them without a
/// final newline, as HAProxy prints them).
pub fn parse_weight(s: &str) -> Result<WeightChange, CliError> {
    let (w, rest) = strtol(s)
        .ok_or_else(|| CliError::msg("Empty weight string empty or preceded by garbage"))?;
    if rest == "%" {
        if w < 0 {
            return Err(CliError::msg("Relative weight must be positive.\n"));
        }
        return Ok(WeightChange::Relative(w.min(25_600) as u32));
    }
    if !(0..=256).contains(&w) {
        return Err(CliError::msg(
            "Absolute weight can only be between 0 and 256 inclusive.\n",
        ));
    }
    if !rest.is_empty() {
        return Err(CliError::msg("Trailing garbage in weight string"));
    }
    Ok(WeightChange::Absolute(w as u32))
}

/// The value of `set maxconn server`.
fn parse_server_maxconn(s: Option<&str>) -> Result<u64, CliError> {
    let s = s.unwrap_or("");
    if s.is_empty() {
        return Err(CliError::msg("Require <maxconn>.\n"));
    }
    let (v, rest) =
        strtol(s).ok_or_else(|| CliError::msg("maxconn string empty or preceded by garbage"))?;
    if !rest.is_empty() {
        return Err(CliError::msg("Trailing garbage in maxconn string"));
    }
    u64::try_from(v).map_err(|_| CliError::msg("Value out of range.\n"))
}

/// One keyword of the table: its words and its help line.
struct Keyword<'a> {
    /// The fixed words (`show servers state`).
    words: Vec<&'a str>,
    /// For each prefix length `n` (0..=5): the fingerprint and total
    /// length of the words after the first `n`.
    tails: Vec<(Fingerprint, usize)>,
    /// The help line as printed (without the two-space indent).
    usage: &'a str,
}

/// The keyword table parsed from the usage lines: a keyword's words are
/// the leading words made of lower-case letters, digits and dashes.
/// Parsed once.
fn keywords() -> &'static [Keyword<'static>] {
    static TABLE: std::sync::OnceLock<Vec<Keyword<'static>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        KEYWORDS
            .lines()
            .filter(|l| !l.is_empty())
            .map(|usage| {
                let head = usage.split(" : ").next().unwrap_or(usage);
                let words = head
                    .split_whitespace()
                    .take_while(|w| {
                        w.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    })
                    .take(5)
                    .collect::<Vec<&str>>();
                let tails = (0..=5)
                    .map(|n| {
                        let mut fp = Fingerprint::new();
                        let mut len = 0;
                        for w in words.iter().skip(n) {
                            add_fingerprint(&mut fp, w);
                            len += w.len();
                        }
                        (fp, len)
                    })
                    .collect();
                Keyword {
                    words,
                    tails,
                    usage,
                }
            })
            .collect()
    })
}

/// Whether the words start with one of HAProxy's keywords.
fn is_known_keyword(args: &[&str]) -> bool {
    keywords()
        .iter()
        .any(|k| !k.words.is_empty() && args.len() >= k.words.len() && args.starts_with(&k.words))
}

/// The `help` text, filtered by the words after `help`.
pub fn help_message(args: &[&str]) -> String {
    usage_message(args, true)
}

/// A word fingerprint: how often each letter pair occurs, kept sparse
/// as `(pair, count)` sorted by pair (HAProxy keeps a 32x32 table).
type Fingerprint = std::collections::BTreeMap<u16, u32>;

/// Adds the letter-pair signature of `word` to `fp` (HAProxy's word
/// fingerprints: letters 1..=26, digits 27, others 28, with the word's
/// start and end as 28).
fn add_fingerprint(fp: &mut Fingerprint, word: &str) {
    let class = |b: u8| -> u16 {
        match b.to_ascii_lowercase() {
            c @ b'a'..=b'z' => u16::from(c - b'a' + 1),
            b'0'..=b'9' => 27,
            _ => 28,
        }
    };
    let mut from = 28;
    for b in word.bytes() {
        let to = class(b);
        *fp.entry(32 * from + to).or_default() += 1;
        from = to;
    }
    *fp.entry(32 * from + 28).or_default() += 1;
}

/// Sum of the absolute differences of two fingerprints.
fn fingerprint_distance(a: &Fingerprint, b: &Fingerprint) -> u32 {
    let mut d: u32 = a
        .iter()
        .map(|(k, x)| x.abs_diff(b.get(k).copied().unwrap_or(0)))
        .sum();
    d += b
        .iter()
        .filter(|(k, _)| !a.contains_key(k))
        .map(|(_, y)| *y)
        .sum::<u32>();
    d
}

/// How many suggestions the fuzzy search keeps.
const MAX_MATCHES: usize = 5;

/// HAProxy's usage message: `help` output, or the unknown-command answer
/// with the keywords sharing the longest exactly-matching prefix, or the
/// closest ones by word fingerprint.
fn usage_message(args: &[&str], is_help: bool) -> String {
    let table = keywords();
    let args: Vec<&str> = args.iter().copied().filter(|a| !a.is_empty()).collect();
    let prefix_len = |k: &Keyword<'_>| {
        k.words
            .iter()
            .zip(args.iter())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let length = table.iter().map(prefix_len).max().unwrap_or(0);
    let mut out = String::from(if is_help {
        "The following commands are valid at this level:\n"
    } else if length == 0 && args.is_empty() {
        "Unknown command. Please enter one of the following commands only:\n"
    } else {
        "Unknown command, but maybe one of the following ones is a better match:\n"
    });
    let shares_prefix = |k: &Keyword<'_>| {
        k.words.len() >= length && args.len() >= length && k.words[..length] == args[..length]
    };
    let mut matches: Vec<(u32, usize)> = Vec::new();
    if args.len() > length {
        // The typed words past the common prefix (HAProxy looks at the
        // first five words only).
        let mut typed = Fingerprint::new();
        let mut typed_len = 0usize;
        for a in args.iter().skip(length).take(5usize.saturating_sub(length)) {
            add_fingerprint(&mut typed, a);
            typed_len += a.len();
        }
        for (i, k) in table.iter().enumerate().filter(|(_, k)| shares_prefix(k)) {
            let Some((known, known_len)) = k.tails.get(length) else {
                continue;
            };
            let total = typed_len + known_len;
            let dist = fingerprint_distance(&typed, known);
            let worst = if matches.len() == MAX_MATCHES {
                matches.last().map_or(u32::MAX, |m| m.0)
            } else {
                u32::MAX
            };
            if (dist as usize) < 5 * total / 2 && dist < worst {
                if matches.len() == MAX_MATCHES {
                    matches.pop();
                }
                let at = matches.partition_point(|m| m.0 <= dist);
                matches.insert(at, (dist, i));
            }
        }
    }
    let mut entries: Vec<usize> = match matches.first() {
        Some(&(best, _)) => matches
            .iter()
            .take_while(|m| m.0 <= 5 * best / 2)
            .map(|m| m.1)
            .collect(),
        None => table
            .iter()
            .enumerate()
            .filter(|(_, k)| shares_prefix(k))
            .map(|(i, _)| i)
            .collect(),
    };
    entries.sort_by(|a, b| table[*a].words.cmp(&table[*b].words));
    for i in entries {
        out.push_str("  ");
        out.push_str(table[i].usage);
        out.push('\n');
    }
    out.push_str(HELP_TAIL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_commands_split_like_haproxy() {
        assert_eq!(
            split_commands("show info;show stat"),
            ["show info", "show stat"]
        );
        assert_eq!(split_commands("a\\;b"), ["a\\;b"]);
        assert_eq!(split_words("  set  server\tb/s "), ["set", "server", "b/s"]);
        assert_eq!(split_words("a\\ b c"), ["a b", "c"]);
    }

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol("12x"), Some((12, "x")));
        assert_eq!(strtol("-5"), Some((-5, "")));
        assert_eq!(strtol("x"), None);
        assert_eq!(atoi("99999999999"), i64::from(i32::MAX));
    }

    #[test]
    fn weights_parse_with_haproxys_limits() {
        assert_eq!(parse_weight("20"), Ok(WeightChange::Absolute(20)));
        assert_eq!(parse_weight("50%"), Ok(WeightChange::Relative(50)));
        assert_eq!(WeightChange::Relative(50).apply(10), 5);
        assert_eq!(WeightChange::Relative(500).apply(100), 256);
        assert!(parse_weight("257").is_err());
        assert!(parse_weight("-1%").is_err());
    }

    #[test]
    fn keyword_words_come_from_usage() {
        let t = keywords();
        assert_eq!(t.len(), 100);
        assert!(t.iter().any(|k| k.words == ["show", "servers", "state"]));
        assert!(t.iter().any(|k| k.words == ["disable", "server"]));
        assert!(t.iter().any(|k| k.words == ["show", "profiling"]));
    }
}
