//! Reading keyword arguments as keepalived's value readers do: numbers
//! (`strtoul` / `strtol` in base 10, ranges checked), decimal timers with
//! up to six decimal places, `true`/`false` words, addresses.

use super::codes;
use crate::hash::HashMap;
use crate::model::{RawNode, ScriptCommand, Spanned, UserGroup};
use crate::{Diagnostic, Node, Span, Token};
use std::net::IpAddr;
use std::time::Duration;

/// How deep `RawNode` copies go; deeper blocks are dropped (the parser
/// bounds nesting well below this).
const RAW_DEPTH_LIMIT: usize = 32;

/// The building context: where diagnostics go, and the names defined so
/// far (hashed: a configuration may define very many).
pub(crate) struct Cx<'d> {
    /// The diagnostics found so far.
    pub(crate) diags: &'d mut Vec<Diagnostic>,
    /// `vrrp_instance` names, with where each was defined.
    pub(crate) instances: HashMap<String, Span>,
    /// `vrrp_sync_group` names, with where each was defined.
    pub(crate) sync_groups: HashMap<String, Span>,
}

impl Cx<'_> {
    /// Reports an error at `span`.
    pub(crate) fn error(&mut self, code: &'static str, span: Span, msg: String, label: &str) {
        self.diags
            .push(Diagnostic::error(code, msg).at(span, label.to_string()));
    }

    /// Reports a prepared diagnostic.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The argument `i` (0 = first after the keyword), or an error saying
    /// it is missing (keepalived stops reading the configuration there).
    pub(crate) fn arg<'n>(&mut self, node: &'n Node, i: usize) -> Option<&'n Token> {
        let found = node.args.get(i);
        if found.is_none() {
            let kw = &node.keyword.text;
            self.push(
                Diagnostic::error(
                    codes::MISSING_PARAMETER,
                    format!("`{kw}` is missing a parameter"),
                )
                .at(node.head_span(), "a value is expected after this")
                .with_note("keepalived stops reading the configuration at a missing parameter"),
            );
        }
        found
    }

    /// The argument `i` as a string.
    pub(crate) fn string(&mut self, node: &Node, i: usize) -> Option<Spanned<String>> {
        self.arg(node, i).map(spanned_text)
    }

    /// An unsigned decimal in `min..=max`, read like keepalived's
    /// `read_unsigned`.
    pub(crate) fn unsigned(
        &mut self,
        node: &Node,
        i: usize,
        min: u64,
        max: u64,
    ) -> Option<Spanned<u64>> {
        let tok = self.arg(node, i)?;
        self.unsigned_token(tok, min, max)
    }

    /// [`Cx::unsigned`] on a given word.
    pub(crate) fn unsigned_token(
        &mut self,
        tok: &Token,
        min: u64,
        max: u64,
    ) -> Option<Spanned<u64>> {
        match parse_unsigned(&tok.text) {
            Ok(v) if (min..=max).contains(&v) => Some(Spanned::new(v, tok.span)),
            Ok(_) | Err(NumError::Range) => {
                self.out_of_range(tok, &min.to_string(), &max.to_string());
                None
            }
            Err(e) => {
                self.bad_number(tok, e);
                None
            }
        }
    }

    /// A signed decimal in `min..=max`, read like keepalived's `read_int`.
    pub(crate) fn int(
        &mut self,
        node: &Node,
        i: usize,
        min: i64,
        max: i64,
    ) -> Option<Spanned<i64>> {
        let tok = self.arg(node, i)?;
        self.int_token(tok, min, max)
    }

    /// [`Cx::int`] on a given word.
    pub(crate) fn int_token(&mut self, tok: &Token, min: i64, max: i64) -> Option<Spanned<i64>> {
        match parse_int(&tok.text) {
            Ok(v) if (min..=max).contains(&v) => Some(Spanned::new(v, tok.span)),
            Ok(_) | Err(NumError::Range) => {
                self.out_of_range(tok, &min.to_string(), &max.to_string());
                None
            }
            Err(e) => {
                self.bad_number(tok, e);
                None
            }
        }
    }

    /// A decimal number of seconds with up to six decimal places, in
    /// `min..=max` microseconds, like keepalived's `read_timer` /
    /// `read_decimal_unsigned`. Too many decimal places is reported and the
    /// value rounded, as keepalived does.
    pub(crate) fn seconds(
        &mut self,
        node: &Node,
        i: usize,
        min_us: u64,
        max_us: u64,
    ) -> Option<Spanned<Duration>> {
        let tok = self.arg(node, i)?;
        let (micros, rounded) = match parse_decimal_micros(&tok.text) {
            Ok(v) => v,
            Err(NumError::Range) => {
                self.out_of_range(tok, &fmt_micros(min_us), &fmt_micros(max_us));
                return None;
            }
            Err(e) => {
                self.bad_number(tok, e);
                return None;
            }
        };
        if rounded {
            self.error(
                codes::INVALID_NUMBER,
                tok.span,
                format!("`{}` has more than 6 decimal places", tok.text),
                "keepalived rounds this to microseconds",
            );
        }
        if !(min_us..=max_us).contains(&micros) {
            self.out_of_range(tok, &fmt_micros(min_us), &fmt_micros(max_us));
            return None;
        }
        Some(Spanned::new(Duration::from_micros(micros), tok.span))
    }

    /// Whole seconds in `min..=max`, read as an unsigned integer.
    pub(crate) fn whole_seconds(
        &mut self,
        node: &Node,
        i: usize,
        min: u64,
        max: u64,
    ) -> Option<Spanned<Duration>> {
        let v = self.unsigned(node, i, min, max)?;
        Some(Spanned::new(Duration::from_secs(v.value), v.span))
    }

    /// A flag keyword with an optional `true|on|yes|false|off|no`
    /// argument (keepalived's `check_true_false`); no argument is true.
    pub(crate) fn flag(&mut self, node: &Node) -> Option<Spanned<bool>> {
        let Some(tok) = node.args.first() else {
            return Some(Spanned::new(true, node.keyword.span));
        };
        match true_false(&tok.text) {
            Some(b) => Some(Spanned::new(b, node.keyword.span)),
            None => {
                self.error(
                    codes::INVALID_VALUE,
                    tok.span,
                    format!("invalid `{}` parameter `{}`", node.keyword.text, tok.text),
                    "expected true, false, on, off, yes or no",
                );
                None
            }
        }
    }

    /// A keyword that takes no argument and means "on".
    pub(crate) fn bare_flag(&mut self, node: &Node) -> Spanned<bool> {
        Spanned::new(true, node.keyword.span)
    }

    /// An IP address (no prefix).
    pub(crate) fn ip(&mut self, tok: &Token) -> Option<Spanned<IpAddr>> {
        match parse_ip(&tok.text) {
            Some(a) => Some(Spanned::new(a, tok.span)),
            None => {
                self.error(
                    codes::INVALID_ADDRESS,
                    tok.span,
                    format!("invalid IP address `{}`", tok.text),
                    "not an IPv4 or IPv6 address",
                );
                None
            }
        }
    }

    /// The argument `i` as an IP address.
    pub(crate) fn ip_arg(&mut self, node: &Node, i: usize) -> Option<Spanned<IpAddr>> {
        let tok = self.arg(node, i)?;
        self.ip(tok)
    }

    /// `SCRIPT [USER [GROUP]]` from argument 0 on.
    pub(crate) fn script(&mut self, node: &Node) -> Option<Box<Spanned<ScriptCommand>>> {
        let command = self.string(node, 0)?;
        let span = command.span;
        let mut s = ScriptCommand::new(command);
        s.user = node.args.get(1).map(spanned_text);
        s.group = node.args.get(2).map(spanned_text);
        Some(Box::new(Spanned::new(s, span)))
    }

    /// A script keyword keepalived refuses to see twice in a block: the
    /// second is reported and ignored, the first kept.
    pub(crate) fn once_script(
        &mut self,
        node: &Node,
        slot: &mut Option<Box<Spanned<ScriptCommand>>>,
    ) {
        if let Some(first) = slot {
            let first_span = first.span;
            self.push(
                Diagnostic::error(
                    super::codes::DUPLICATE,
                    format!("`{}` script already given", node.keyword.text),
                )
                .at(node.keyword.span, "keepalived ignores this one")
                .with_label(first_span, "the script keepalived keeps"),
            );
            return;
        }
        *slot = self.script(node);
    }

    /// `USER [GROUP]` from argument 0 on.
    pub(crate) fn user_group(&mut self, node: &Node) -> Option<Spanned<UserGroup>> {
        let user = self.string(node, 0)?;
        let span = user.span;
        let group = node.args.get(1).map(spanned_text);
        Some(Spanned::new(UserGroup { user, group }, span))
    }

    /// Reports a word that is not a number keepalived reads.
    fn bad_number(&mut self, tok: &Token, e: NumError) {
        let (msg, label) = match e {
            NumError::Negative => ("negative number", "must not be negative"),
            _ => ("invalid number", "not a decimal number"),
        };
        self.error(
            codes::INVALID_NUMBER,
            tok.span,
            format!("{msg} `{}`", tok.text),
            label,
        );
    }

    /// Reports a number outside `[min, max]`, in keepalived's words.
    fn out_of_range(&mut self, tok: &Token, min: &str, max: &str) {
        self.error(
            codes::INVALID_NUMBER,
            tok.span,
            format!("number `{}` outside range [{min}, {max}]", tok.text),
            "out of range",
        );
    }
}

/// The text of a word, with its span.
pub(crate) fn spanned_text(tok: &Token) -> Spanned<String> {
    Spanned::new(tok.text.to_string(), tok.span)
}

/// A node kept as written.
pub(crate) fn raw(node: &Node) -> RawNode {
    raw_bounded(node, 0)
}

/// [`raw`] at nesting `depth`: blocks below the limit are dropped.
fn raw_bounded(node: &Node, depth: usize) -> RawNode {
    let block = match &node.block {
        Some(b) if depth < RAW_DEPTH_LIMIT => {
            Some(b.nodes.iter().map(|n| raw_bounded(n, depth + 1)).collect())
        }
        Some(_) => Some(Vec::new()),
        None => None,
    };
    RawNode {
        keyword: spanned_text(&node.keyword),
        args: node.args.iter().map(spanned_text).collect(),
        block,
    }
}

/// Why a number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Starts with `-` where only unsigned numbers are read.
    Negative,
    /// Characters after the digits, or no digits.
    Invalid,
    /// Does not fit.
    Range,
}

/// `strtoul(s, 10)` with keepalived's checks: leading white space and a
/// `+` are allowed, `-` is refused, the whole word must be digits, and
/// the value must fit 32 bits.
pub(crate) fn parse_unsigned(s: &str) -> Result<u64, NumError> {
    let t = s.trim_start_matches([' ', '\t']);
    if t.starts_with('-') {
        return Err(NumError::Negative);
    }
    let digits = t.strip_prefix('+').unwrap_or(t);
    let v = parse_digits(digits)?;
    if v > u64::from(u32::MAX) {
        return Err(NumError::Range);
    }
    Ok(v)
}

/// `strtol(s, 10)` with keepalived's checks; the value must fit `int`.
pub(crate) fn parse_int(s: &str) -> Result<i64, NumError> {
    let t = s.trim_start_matches([' ', '\t']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = parse_digits(digits)?;
    let v = i64::try_from(v).map_err(|_| NumError::Range)?;
    let v = if neg { -v } else { v };
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
        return Err(NumError::Range);
    }
    Ok(v)
}

/// Decimal digits only (at least one), saturating into `Range`.
fn parse_digits(d: &str) -> Result<u64, NumError> {
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumError::Invalid);
    }
    let mut v: u64 = 0;
    for b in d.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(NumError::Range)?;
    }
    Ok(v)
}

/// A non-negative decimal with up to six places, as microseconds; the
/// flag says more places were written (the value is then rounded on the
/// seventh digit, as keepalived does).
pub(crate) fn parse_decimal_micros(s: &str) -> Result<(u64, bool), NumError> {
    if s.starts_with('-') {
        return Err(NumError::Negative);
    }
    let (int_part, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let int_digits = int_part.strip_prefix('+').unwrap_or(int_part);
    if int_digits.is_empty() && frac.is_empty() {
        return Err(NumError::Invalid);
    }
    let whole = if int_digits.is_empty() {
        0
    } else {
        parse_digits(int_digits)?
    };
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumError::Invalid);
    }
    let kept = &frac[..frac.len().min(6)];
    let mut micros_frac: u64 = 0;
    for i in 0..6 {
        let d = kept.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
        micros_frac = micros_frac * 10 + d;
    }
    let too_many = frac.len() > 6;
    let round_up = too_many && frac.as_bytes().get(6).is_some_and(|b| *b >= b'5');
    let total = whole
        .checked_mul(1_000_000)
        .and_then(|v| v.checked_add(micros_frac + u64::from(round_up)))
        .ok_or(NumError::Range)?;
    Ok((total, too_many))
}

/// keepalived's `check_true_false`.
pub(crate) fn true_false(s: &str) -> Option<bool> {
    match s {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// An IPv4 or IPv6 address as `inet_pton` reads it (the family chosen by
/// the presence of `:`).
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        s.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        s.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// Microseconds written as seconds, trailing zeros dropped.
pub(crate) fn fmt_micros(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_follows_strtoul_with_keepalived_checks() {
        assert_eq!(parse_unsigned("42"), Ok(42));
        assert_eq!(parse_unsigned("+7"), Ok(7));
        assert_eq!(parse_unsigned("  9"), Ok(9));
        assert_eq!(parse_unsigned("-1"), Err(NumError::Negative));
        assert_eq!(parse_unsigned("1x"), Err(NumError::Invalid));
        assert_eq!(parse_unsigned("0x10"), Err(NumError::Invalid));
        assert_eq!(parse_unsigned("4294967296"), Err(NumError::Range));
        assert_eq!(parse_unsigned("4294967295"), Ok(4_294_967_295));
    }

    #[test]
    fn int_accepts_signs_and_int_range() {
        assert_eq!(parse_int("-253"), Ok(-253));
        assert_eq!(parse_int("+3"), Ok(3));
        assert_eq!(parse_int("2147483648"), Err(NumError::Range));
        assert_eq!(parse_int("-"), Err(NumError::Invalid));
    }

    #[test]
    fn decimals_read_to_microseconds() {
        assert_eq!(parse_decimal_micros("1"), Ok((1_000_000, false)));
        assert_eq!(parse_decimal_micros("0.25"), Ok((250_000, false)));
        assert_eq!(parse_decimal_micros(".5"), Ok((500_000, false)));
        assert_eq!(parse_decimal_micros("3."), Ok((3_000_000, false)));
        assert_eq!(parse_decimal_micros("0.0000015"), Ok((2, true)));
        assert_eq!(parse_decimal_micros("1.2.3"), Err(NumError::Invalid));
        assert_eq!(parse_decimal_micros("-1"), Err(NumError::Negative));
        assert_eq!(parse_decimal_micros("."), Err(NumError::Invalid));
    }

    #[test]
    fn micros_format_back_to_short_decimals() {
        assert_eq!(fmt_micros(1_000_000), "1");
        assert_eq!(fmt_micros(1_500_000), "1.5");
        assert_eq!(fmt_micros(10_000), "0.01");
        assert_eq!(fmt_micros(1), "0.000001");
    }

    #[test]
    fn addresses_choose_family_by_colon() {
        assert_eq!(parse_ip("192.0.2.1"), "192.0.2.1".parse().ok());
        assert_eq!(parse_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("192.0.2"), None);
        assert_eq!(parse_ip("host.example"), None);
    }
}
