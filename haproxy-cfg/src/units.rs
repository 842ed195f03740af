//! Times and sizes as HAProxy writes them: `10s`, `1m30s` is not allowed
//! (one number, one unit), `2147483647` ms at most; `16k`, `1m`, `2g`.

/// Why a time could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// No digit at all (an empty word).
    #[error("expects an integer argument")]
    Empty,
    /// A character that is no digit and no unit.
    #[error("unexpected character '{0}'")]
    Unexpected(char),
    /// Larger than 2147483647 ms.
    #[error("timer overflow")]
    Overflow,
    /// A nonzero time that rounds down to 0 ms.
    #[error("timer underflow")]
    Underflow,
}

/// The unit a bare number is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// Milliseconds (most keywords).
    Ms,
    /// Seconds (a few, e.g. `stats refresh`).
    S,
}

/// Largest time in milliseconds HAProxy accepts (`INT_MAX`).
pub(crate) const MAX_MS: u64 = 2_147_483_647;

/// Reads a time the way HAProxy's `parse_time_err()` does, into
/// milliseconds: digits, then an optional unit `us`, `ms`, `s`, `m`, `h`,
/// `d`. Microseconds round up to a whole millisecond. Characters after a
/// unit are an error here (the proxy `timeout` keywords only warn about
/// them, as HAProxy 2.6 does).
pub fn parse_time(text: &str, unit: TimeUnit) -> Result<u64, TimeError> {
    match parse_time_lenient(text, unit)? {
        (ms, None) => Ok(ms),
        (_, Some(c)) => Err(TimeError::Unexpected(c)),
    }
}

/// Like [`parse_time`], but characters after a valid unit are returned
/// (the first of them) instead of failing: `1sx` is `(1000, Some('x'))`.
pub(crate) fn parse_time_lenient(
    text: &str,
    unit: TimeUnit,
) -> Result<(u64, Option<char>), TimeError> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == 0 {
        return match text.chars().next() {
            None => Err(TimeError::Empty),
            Some(c) => Err(TimeError::Unexpected(c)),
        };
    }
    let mut value: u64 = 0;
    for b in text[..digits_end].bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(TimeError::Overflow)?;
        if value > u64::from(u32::MAX) {
            return Err(TimeError::Overflow);
        }
    }
    let suffix = &text[digits_end..];
    let (mult, div, used) = match suffix.as_bytes() {
        [] => match unit {
            TimeUnit::Ms => (1, 1, 0),
            TimeUnit::S => (1000, 1, 0),
        },
        [b'u', b's', ..] => (1, 1000, 2),
        [b'm', b's', ..] => (1, 1, 2),
        [b's', ..] => (1000, 1, 1),
        [b'm', ..] => (60_000, 1, 1),
        [b'h', ..] => (3_600_000, 1, 1),
        [b'd', ..] => (86_400_000, 1, 1),
        _ => (0, 0, 0),
    };
    if mult == 0 {
        return Err(TimeError::Unexpected(suffix.chars().next().unwrap_or('?')));
    }
    let trailing = suffix[used..].chars().next();
    let ms = if div == 1000 {
        value.div_ceil(1000)
    } else {
        value.saturating_mul(mult)
    };
    if ms > MAX_MS {
        return Err(TimeError::Overflow);
    }
    if value != 0 && ms == 0 {
        return Err(TimeError::Underflow);
    }
    Ok((ms, trailing))
}

/// Why a size could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Not starting with a digit.
    #[error("expects an integer argument")]
    NotANumber,
    /// An unknown unit or characters after it.
    #[error("unexpected character '{0}'")]
    Unexpected(char),
    /// Does not fit 32 bits.
    #[error("value too large")]
    Overflow,
}

/// Reads a size the way `parse_size_err()` does: digits, then an optional
/// `k`, `m` or `g` (either case, powers of 1024), into bytes; at most
/// 4294967295.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == 0 {
        return Err(SizeError::NotANumber);
    }
    let mut value: u64 = 0;
    for b in text[..digits_end].bytes() {
        value = value * 10 + u64::from(b - b'0');
        if value > u64::from(u32::MAX) {
            return Err(SizeError::Overflow);
        }
    }
    let mut rest = text[digits_end..].chars();
    let mult: u64 = match rest.next() {
        None => 1,
        Some('k' | 'K') => 1 << 10,
        Some('m' | 'M') => 1 << 20,
        Some('g' | 'G') => 1 << 30,
        Some(c) => return Err(SizeError::Unexpected(c)),
    };
    if let Some(c) = rest.next() {
        return Err(SizeError::Unexpected(c));
    }
    let bytes = value.saturating_mul(mult);
    if bytes > u64::from(u32::MAX) {
        return Err(SizeError::Overflow);
    }
    Ok(bytes)
}

/// Reads an unsigned decimal integer as C's `atol` would accept a clean
/// one: digits only (an optional leading `+`), at most `max`.
pub(crate) fn parse_uint(text: &str, max: u64) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().filter(|v| *v <= max)
}

/// C's `atol` / `atoi`: leading blanks, a sign, digits; stops at the first
/// other character; 0 when there is no digit.
pub(crate) fn atol(text: &str) -> i64 {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_unit() {
        assert_eq!(parse_time("10", TimeUnit::Ms), Ok(10));
        assert_eq!(parse_time("10", TimeUnit::S), Ok(10_000));
        assert_eq!(parse_time("1500us", TimeUnit::Ms), Ok(2));
        assert_eq!(parse_time("250ms", TimeUnit::Ms), Ok(250));
        assert_eq!(parse_time("10s", TimeUnit::Ms), Ok(10_000));
        assert_eq!(parse_time("1m", TimeUnit::Ms), Ok(60_000));
        assert_eq!(parse_time("2h", TimeUnit::Ms), Ok(7_200_000));
        assert_eq!(parse_time("24d", TimeUnit::Ms), Ok(2_073_600_000));
        assert_eq!(parse_time("0", TimeUnit::Ms), Ok(0));
        assert_eq!(parse_time("1us", TimeUnit::Ms), Ok(1));
        assert_eq!(
            parse_time_lenient("1sx", TimeUnit::Ms),
            Ok((1000, Some('x')))
        );
        assert_eq!(
            parse_time_lenient("1x", TimeUnit::Ms),
            Err(TimeError::Unexpected('x'))
        );
    }

    #[test]
    fn time_errors_as_haproxy_reports_them() {
        assert_eq!(
            parse_time("1x", TimeUnit::Ms),
            Err(TimeError::Unexpected('x'))
        );
        assert_eq!(
            parse_time("1sx", TimeUnit::Ms),
            Err(TimeError::Unexpected('x'))
        );
        assert_eq!(
            parse_time("1 s", TimeUnit::Ms),
            Err(TimeError::Unexpected(' '))
        );
        assert_eq!(
            parse_time("s", TimeUnit::Ms),
            Err(TimeError::Unexpected('s'))
        );
        assert_eq!(parse_time("", TimeUnit::Ms), Err(TimeError::Empty));
        assert_eq!(parse_time("25d", TimeUnit::Ms), Err(TimeError::Overflow));
        assert_eq!(
            parse_time("2147483648ms", TimeUnit::Ms),
            Err(TimeError::Overflow)
        );
        assert_eq!(parse_time("2147483647", TimeUnit::Ms), Ok(MAX_MS));
        assert_eq!(
            parse_time("99999999999", TimeUnit::Ms),
            Err(TimeError::Overflow)
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16384"), Ok(16384));
        assert_eq!(parse_size("16k"), Ok(16384));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("4g"), Err(SizeError::Overflow));
        assert_eq!(parse_size("1t"), Err(SizeError::Unexpected('t')));
        assert_eq!(parse_size("1kb"), Err(SizeError::Unexpected('b')));
        assert_eq!(parse_size("k"), Err(SizeError::NotANumber));
    }

    #[test]
    fn integers() {
        assert_eq!(parse_uint("42", 100), Some(42));
        assert_eq!(parse_uint("101", 100), None);
        assert_eq!(parse_uint("4x", 100), None);
        assert_eq!(atol("12abc"), 12);
        assert_eq!(atol("-3"), -3);
        assert_eq!(atol("x"), 0);
    }
}
