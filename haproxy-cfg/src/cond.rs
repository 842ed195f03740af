//! Conditional expressions of `.if` and `.elif` lines.
//!
//! The words after `.if` are joined with single spaces and read as an
//! expression: terms joined by `&&` (binding tighter) and `||`, each term
//! optionally negated by any number of `!`. A term is a number (C `strtol`
//! with base 0: nonzero is true), a parenthesised expression, or a
//! predicate: `defined(NAME)`, `feature(NAME)`, `streq(A,B)`,
//! `strneq(A,B)`, `version_atleast(V)`, `version_before(V)`,
//! `openssl_version_atleast(V)`, `openssl_version_before(V)`. An empty
//! expression is false. Evaluation stops at the first term that decides
//! (`&&` on false, `||` on true), as HAProxy's does.

/// Deepest nesting of parentheses and operators before giving up, like
/// HAProxy's recursion limit.
const MAX_DEPTH: u32 = 1024;

/// What a predicate can ask about the running program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The HAProxy version compared by `version_atleast` / `version_before`.
    pub version: String,
    /// The OpenSSL version compared by `openssl_version_*`.
    pub openssl_version: String,
    /// The build's feature list, `+NAME` or `-NAME` words.
    pub features: String,
}

impl Default for Facts {
    /// The facts of Debian 12's HAProxy 2.6.12 package.
    fn default() -> Self {
        Facts {
            version: "2.6.12".into(),
            openssl_version: "3.0.0".into(),
            features: "-51DEGREES +ACCEPT4 +BACKTRACE -CLOSEFROM +CPU_AFFINITY +CRYPT_H \
                -DEVICEATLAS +DL -ENGINE +EPOLL -EVPORTS +GETADDRINFO -KQUEUE +LIBCRYPT \
                +LINUX_SPLICE +LINUX_TPROXY +LUA -MEMORY_PROFILING +NETFILTER +NS \
                -OBSOLETE_LINKER +OPENSSL +OT -PCRE +PCRE2 +PCRE2_JIT -PCRE_JIT +POLL \
                +PRCTL -PROCCTL +PROMEX -QUIC +RT +SLZ -STATIC_PCRE -STATIC_PCRE2 \
                +SYSTEMD +TFO +THREAD +THREAD_DUMP +TPROXY -WURFL -ZLIB"
                .into(),
        }
    }
}

/// A condition that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CondError {
    /// What is wrong, in HAProxy's words.
    pub message: String,
    /// Byte index in the joined expression where it is.
    pub at: usize,
}

/// Evaluates `text`; `env` looks environment variables up.
pub(crate) fn eval(
    text: &str,
    facts: &Facts,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<bool, CondError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        facts,
        env,
    };
    p.skip_blanks();
    if p.i >= p.s.len() {
        return Ok(false);
    }
    let value = p.expr(0)?;
    p.skip_blanks();
    if p.i < p.s.len() {
        return Err(CondError {
            message: format!(
                "unexpected character '{}' at the end of conditional expression '{}'",
                char::from(p.s[p.i]),
                text
            ),
            at: p.i,
        });
    }
    Ok(value)
}

/// A recursive-descent reader that evaluates as it reads.
struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    facts: &'a Facts,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Parser<'_> {
    fn skip_blanks(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn rest(&self) -> &str {
        self.text.get(self.i..).unwrap_or("")
    }

    fn unparsable(&self, start: usize) -> CondError {
        CondError {
            message: format!(
                "unparsable conditional expression '{}'",
                self.text.get(start..).unwrap_or("")
            ),
            at: start,
        }
    }

    /// `and ( "||" and )*`
    fn expr(&mut self, depth: u32) -> Result<bool, CondError> {
        let start = self.i;
        if depth > MAX_DEPTH {
            return Err(self.unparsable(start));
        }
        let mut value = self.and(depth + 1)?;
        loop {
            self.skip_blanks();
            if !self.rest().starts_with("||") {
                return Ok(value);
            }
            self.i += 2;
            self.skip_blanks();
            if self.i >= self.s.len() {
                return Err(self.unparsable(start));
            }
            let right = self.and(depth + 1)?;
            value = value || right;
        }
    }

    /// `term ( "&&" term )*`
    fn and(&mut self, depth: u32) -> Result<bool, CondError> {
        let start = self.i;
        let mut value = self.term(depth + 1)?;
        loop {
            self.skip_blanks();
            if !self.rest().starts_with("&&") {
                return Ok(value);
            }
            self.i += 2;
            self.skip_blanks();
            if self.i >= self.s.len() {
                return Err(self.unparsable(start));
            }
            let right = self.term(depth + 1)?;
            value = value && right;
        }
    }

    /// `"!"* ( number | "(" expr ")" | predicate )`
    fn term(&mut self, depth: u32) -> Result<bool, CondError> {
        self.skip_blanks();
        let start = self.i;
        if depth > MAX_DEPTH || self.i >= self.s.len() {
            return Err(self.unparsable(start));
        }
        let mut negate = false;
        while self.s.get(self.i) == Some(&b'!') {
            negate = !negate;
            self.i += 1;
            self.skip_blanks();
        }
        let value = if let Some((value, len)) = strtol(self.rest()) {
            self.i += len;
            value != 0
        } else if self.s.get(self.i) == Some(&b'(') {
            self.i += 1;
            self.skip_blanks();
            if self.i >= self.s.len() {
                return Err(self.unparsable(start));
            }
            let inner = self.expr(depth + 1)?;
            self.skip_blanks();
            if self.s.get(self.i) != Some(&b')') {
                return Err(CondError {
                    message: format!(
                        "expected ')' after conditional expression '{}'",
                        self.text.get(start..).unwrap_or("")
                    ),
                    at: start,
                });
            }
            self.i += 1;
            inner
        } else {
            self.predicate(start)?
        };
        Ok(value != negate)
    }

    /// `name` or `name(arg,...)`.
    fn predicate(&mut self, start: usize) -> Result<bool, CondError> {
        let text = self.text;
        let rest = text.get(self.i..).unwrap_or("");
        let len = rest.find([' ', '(']).unwrap_or(rest.len());
        let name = &rest[..len];
        let arity = match name {
            "streq" | "strneq" => 2,
            "defined"
            | "feature"
            | "version_atleast"
            | "version_before"
            | "openssl_version_atleast"
            | "openssl_version_before" => 1,
            _ => return Err(self.unparsable(start)),
        };
        self.i += len;
        let args = if self.s.get(self.i) == Some(&b'(') {
            self.args(name, arity)?
        } else {
            return Ok(false);
        };
        let arg = |n: usize| args.get(n).map_or("", String::as_str);
        Ok(match name {
            "defined" => (self.env)(arg(0)).is_some(),
            "feature" => has_feature(&self.facts.features, arg(0)),
            "streq" => arg(0) == arg(1),
            "strneq" => arg(0) != arg(1),
            "version_atleast" => compare_version(&self.facts.version, arg(0)).is_ge(),
            "version_before" => compare_version(&self.facts.version, arg(0)).is_lt(),
            "openssl_version_atleast" => {
                compare_version(&self.facts.openssl_version, arg(0)).is_ge()
            }
            _ => compare_version(&self.facts.openssl_version, arg(0)).is_lt(),
        })
    }

    /// The parenthesised, comma-separated arguments at `self.i`.
    fn args(&mut self, name: &str, arity: usize) -> Result<Vec<String>, CondError> {
        self.i += 1;
        let mut args = Vec::new();
        let mut cur = String::new();
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Err(CondError {
                    message: format!(
                        "expected ')' before '' in argument {} of predicate '{name}' used in conditional expression",
                        args.len() + 1
                    ),
                    at: self.i,
                });
            };
            match b {
                b')' | b',' => {
                    args.push(std::mem::take(&mut cur));
                    if b == b')' {
                        self.i += 1;
                        break;
                    }
                    if args.len() == arity {
                        return Err(CondError {
                            message: format!(
                                "expected ')' before '{}' in argument {} of predicate '{name}' used in conditional expression",
                                self.rest(),
                                arity - 1
                            ),
                            at: self.i,
                        });
                    }
                    self.i += 1;
                }
                _ => {
                    let ch_len = self.rest().chars().next().map_or(1, char::len_utf8);
                    cur.push_str(self.text.get(self.i..self.i + ch_len).unwrap_or(""));
                    self.i += ch_len;
                }
            }
        }
        if args.len() < arity && !(arity == 1 && args.len() == 1) {
            return Err(CondError {
                message: format!(
                    "missing arguments (got {}/{arity}), type 'string' expected in argument {} of predicate '{name}' used in conditional expression",
                    args.len(),
                    args.len()
                ),
                at: self.i.saturating_sub(1),
            });
        }
        Ok(args)
    }
}

/// C `strtol(s, &end, 0)`: the value and how many bytes it used, or
/// `None` when no digit was read.
fn strtol(s: &str) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = matches!(b.get(i), Some(b'-'));
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let (radix, mut j) = if b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        (16, i + 2)
    } else if b.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let digits_start = j;
    let mut value: i64 = 0;
    while let Some(d) = b.get(j).and_then(|&c| char::from(c).to_digit(radix)) {
        value = value
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(d));
        j += 1;
    }
    if j == digits_start {
        return None;
    }
    Some((if negative { -value } else { value }, j))
}

/// True when `features` lists `+NAME` as a whole word.
fn has_feature(features: &str, name: &str) -> bool {
    features
        .split_ascii_whitespace()
        .find(|w| w.get(1..) == Some(name))
        .is_some_and(|w| w.starts_with('+'))
}

/// Orders two versions: dotted numbers, then `-devN` < `-preN` < `-rcN` <
/// release. Text that is no version counts as 0.
fn compare_version(current: &str, other: &str) -> std::cmp::Ordering {
    version_key(current).cmp(&version_key(other))
}

/// The sortable key of a version string.
fn version_key(v: &str) -> (Vec<u64>, u8, u64) {
    let (nums, suffix) = v.split_once('-').unwrap_or((v, ""));
    let mut parts: Vec<u64> = nums
        .split('.')
        .map_while(|p| p.parse::<u64>().ok())
        .collect();
    while parts.last() == Some(&0) {
        parts.pop();
    }
    let number = |s: &str| {
        s.trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap_or(0)
    };
    let (rank, n) = if suffix.starts_with("dev") {
        (0, number(suffix))
    } else if suffix.starts_with("pre") {
        (1, number(suffix))
    } else if suffix.starts_with("rc") {
        (2, number(suffix))
    } else {
        (3, 0)
    };
    (parts, rank, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOME").then(|| "/root".to_string())
    }

    fn ev(text: &str) -> Result<bool, CondError> {
        eval(text, &Facts::default(), &env)
    }

    #[test]
    fn numbers_and_operators() {
        assert_eq!(ev(""), Ok(false));
        assert_eq!(ev("1"), Ok(true));
        assert_eq!(ev("0"), Ok(false));
        assert_eq!(ev("5"), Ok(true));
        assert_eq!(ev("-1"), Ok(true));
        assert_eq!(ev("0x10 && !!1"), Ok(true));
        assert_eq!(ev("0 || 1"), Ok(true));
        assert_eq!(ev("1 && 0"), Ok(false));
        assert_eq!(ev("!0"), Ok(true));
        assert_eq!(ev("(1)"), Ok(true));
        assert_eq!(ev("0 || 1 && 0"), Ok(false));
        assert_eq!(ev("1 || 0 && 0"), Ok(true));
    }

    #[test]
    fn predicates() {
        assert_eq!(ev("defined(HOME)"), Ok(true));
        assert_eq!(ev("defined(NOPE)"), Ok(false));
        assert_eq!(ev("defined()"), Ok(false));
        assert_eq!(ev("defined"), Ok(false));
        assert_eq!(ev("feature(OPENSSL)"), Ok(true));
        assert_eq!(ev("feature(SSL)"), Ok(false));
        assert_eq!(ev("feature(PCRE)"), Ok(false));
        assert_eq!(ev("streq(a b,a b) && strneq(a,b)"), Ok(true));
        assert_eq!(ev("version_atleast(2.6)"), Ok(true));
        assert_eq!(ev("version_atleast(2.6.12)"), Ok(true));
        assert_eq!(ev("version_atleast(2.6.12-dev1)"), Ok(true));
        assert_eq!(ev("version_atleast(2.7)"), Ok(false));
        assert_eq!(ev("version_before(2.6.13)"), Ok(true));
        assert_eq!(ev("version_atleast(foo)"), Ok(true));
        assert_eq!(ev("openssl_version_atleast(1.1.1)"), Ok(true));
    }

    #[test]
    fn errors_and_their_places() {
        let e = ev("foo").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.at),
            ("unparsable conditional expression 'foo'", 0)
        );
        assert_eq!(ev("strstr(abc,b)").unwrap_err().at, 0);
        let e = ev("1 0").unwrap_err();
        assert_eq!(e.at, 2);
        assert!(e.message.starts_with("unexpected character '0'"));
        let e = ev("(1").unwrap_err();
        assert!(e.message.starts_with("expected ')' after"));
        let e = ev("defined(HOME) || foo").unwrap_err();
        assert_eq!(e.at, 17);
        assert!(ev("1 ||").is_err());
        assert!(ev("streq(a)")
            .unwrap_err()
            .message
            .starts_with("missing arguments (got 1/2)"));
        assert!(ev("streq(a,b,c)")
            .unwrap_err()
            .message
            .starts_with("expected ')' before ',c)'"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(ev(&deep).is_err());
        let bangs = format!("{}1", "!".repeat(100_000));
        assert_eq!(ev(&bangs), Ok(true));
    }
}
