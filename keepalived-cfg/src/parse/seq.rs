//! `~SEQ(var, [start,] [step,] end) text` (and `~SEQx`, hex values) as
//! keepalived's `add_seq` reads it: the text is read once per value with
//! `$var` set to the value.

use super::line::is_blank;

/// The parts of a `~SEQ` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Header {
    /// `~SEQx`: values in hex.
    pub(super) hex: bool,
    /// The variable name's range.
    pub(super) var: std::ops::Range<usize>,
    /// The numbers' range, up to and including the `)`.
    pub(super) params: std::ops::Range<usize>,
    /// Where the repeated text starts.
    pub(super) text: usize,
}

/// A sequence being expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Range {
    /// The next value.
    pub(super) next: i64,
    /// Added after each value.
    pub(super) step: i64,
    /// The last value.
    pub(super) last: i64,
}

impl Range {
    /// True once `next` went past `last`.
    pub(super) fn done(&self) -> bool {
        (self.step > 0 && self.next > self.last) || (self.step < 0 && self.next < self.last)
    }
}

/// Reads `~SEQ[x] ( var SEP ... )`; `None` when malformed. Like keepalived,
/// the one character after the variable name is skipped whatever it is.
pub(super) fn header(b: &[u8]) -> Option<Header> {
    let mut p = 4;
    let hex = b.get(p) == Some(&b'x');
    if hex {
        p += 1;
    }
    p += blanks(&b[p.min(b.len())..]);
    if b.get(p) != Some(&b'(') {
        return None;
    }
    p += 1;
    p += blanks(&b[p.min(b.len())..]);
    let var_start = p;
    while p < b.len() && !matches!(b[p], b' ' | b'\t' | b',' | b')') {
        p += 1;
    }
    let var = var_start..p;
    p += blanks(&b[p.min(b.len())..]);
    if p >= b.len() || b[p] == b')' || var.is_empty() {
        return None;
    }
    p += 1;
    p += blanks(&b[p.min(b.len())..]);
    let close = p + b.get(p..)?.iter().position(|&c| c == b')')?;
    let text = close + 1 + blanks(&b[close + 1..]);
    Some(Header {
        hex,
        var,
        params: p..close + 1,
        text,
    })
}

/// The number of leading spaces and tabs.
fn blanks(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| is_blank(c)).count()
}

/// The numbers `end)`, `start, end)` or `start, step, end)`.
pub(super) fn range(params: &[u8], hex: bool) -> Result<Range, &'static str> {
    let (one, mut p) = strtol(params, 0);
    p += blanks(&params[p..]);
    let r = match params.get(p) {
        Some(b')') => Range {
            next: if one < 0 { -1 } else { 1 },
            step: if one < 1 { -1 } else { 1 },
            last: one,
        },
        Some(b',') => {
            let (two, q) = strtol(params, p + 1);
            p = q + blanks(&params[q..]);
            match params.get(p) {
                Some(b')') => Range {
                    next: one,
                    step: if one <= two { 1 } else { -1 },
                    last: two,
                },
                Some(b',') => {
                    let (three, q) = strtol(params, p + 1);
                    p = q + blanks(&params[q..]);
                    if params.get(p) != Some(&b')') {
                        return Err("Invalid ~SEQ definition");
                    }
                    if two == 0 || (one < three && two < 0) || (one > three && two > 0) {
                        return Err("Invalid ~SEQ values");
                    }
                    Range {
                        next: one,
                        step: two,
                        last: three,
                    }
                }
                _ => return Err("Invalid ~SEQ definition"),
            }
        }
        _ => return Err("Invalid ~SEQ definition"),
    };
    if hex && (r.next < 0 || r.last < 0) {
        return Err("~SEQx is only valid for positive numbers");
    }
    Ok(r)
}

/// C's `strtol(s + at, &end, 0)`: leading white space, a sign, `0x` hex,
/// `0` octal or decimal; saturates; with no digits returns 0 and `at`.
fn strtol(s: &[u8], at: usize) -> (i64, usize) {
    let mut p = at;
    while p < s.len() && super::line::is_space(s[p]) {
        p += 1;
    }
    let negative = s.get(p) == Some(&b'-');
    if matches!(s.get(p), Some(b'-' | b'+')) {
        p += 1;
    }
    let mut radix = 10;
    if s.get(p) == Some(&b'0') {
        if matches!(s.get(p + 1), Some(b'x' | b'X'))
            && s.get(p + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            radix = 16;
            p += 2;
        } else {
            radix = 8;
        }
    }
    let start = p;
    let mut value: i128 = 0;
    while let Some(d) = s.get(p).and_then(|&c| (c as char).to_digit(radix)) {
        value = (value * i128::from(radix) + i128::from(d)).min(i128::from(i64::MAX) + 1);
        p += 1;
    }
    if p == start {
        return (0, at);
    }
    let value = if negative { -value } else { value };
    let clamped = value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    (clamped, p)
}

/// The text of a value, as keepalived prints it (`%ld` or `%lx`).
pub(super) fn value_text(value: i64, hex: bool) -> Vec<u8> {
    if hex {
        format!("{:x}", value as u64).into_bytes()
    } else {
        value.to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(next: i64, step: i64, last: i64) -> Result<Range, &'static str> {
        Ok(Range { next, step, last })
    }

    #[test]
    fn forms_of_the_numbers() {
        assert_eq!(range(b"5)", false), r(1, 1, 5));
        assert_eq!(range(b"0)", false), r(1, -1, 0));
        assert_eq!(range(b"-3)", false), r(-1, -1, -3));
        assert_eq!(range(b"3, 1)", false), r(3, -1, 1));
        assert_eq!(range(b"0x10,2,0x14 )", false), r(16, 2, 20));
        assert_eq!(range(b"010)", false), r(1, 1, 8));
        assert!(range(b"1,0,5)", false).is_err());
        assert!(range(b"1,-1,5)", false).is_err());
        assert!(range(b"1,x)", false).is_err());
        assert!(range(b"-1,1)", true).is_err());
    }

    #[test]
    fn header_parts() {
        let line = b"~SEQ(i, 1, 3) real_server 10.0.0.$i 80";
        let h = header(line);
        let h = h.unwrap_or(Header {
            hex: true,
            var: 0..0,
            params: 0..0,
            text: 0,
        });
        assert!(!h.hex);
        assert_eq!(&line[h.var.clone()], b"i");
        assert_eq!(&line[h.params.clone()], b"1, 3)");
        assert_eq!(&line[h.text..], b"real_server 10.0.0.$i 80");
        assert!(header(b"~SEQ(i)").is_none());
        assert!(header(b"~SEQ i,1)").is_none());
        assert!(header(b"~SEQ(i,1").is_none());
    }
}
