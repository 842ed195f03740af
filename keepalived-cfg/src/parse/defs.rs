//! `$NAME=value` definitions and the `$NAME` / `${NAME}` references that
//! keepalived's `check_definition`, `find_definition` and `replace_param`
//! handle, with keepalived's built-in `_PWD`, `_INSTANCE`, `_RANDOM`,
//! `_HASH` and `_BANG`.

use super::line::is_blank;
use crate::hash::HashMap;

/// Marks the end of one line inside a multi-line definition's value.
pub(super) const LINE_END: u8 = b'\n';

/// Where a definition's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Written in the configuration (or set by `~SEQ`).
    Text,
    /// `_PWD`: the directory of the file being read.
    Pwd,
    /// `_INSTANCE`: the config id.
    Instance,
    /// `_RANDOM [min [max]]`: a random number.
    Random,
}

/// One definition.
#[derive(Clone, Debug)]
pub(super) struct Def {
    /// The value (lines separated by [`LINE_END`] when multi-line).
    pub(super) value: Vec<u8>,
    /// The value spans several lines (`$NAME=... \`).
    pub(super) multiline: bool,
    /// Text or built-in.
    pub(super) kind: Kind,
}

/// A `$NAME` or `${NAME}` reference found in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Reference {
    /// Index of the definition.
    pub(super) def: usize,
    /// Length of the reference, `$` included.
    pub(super) len: usize,
    /// `${_RANDOM a b}`: the parameters.
    pub(super) params: Option<(u64, Option<u64>)>,
}

/// Every definition, in the order first defined.
#[derive(Clone, Debug)]
pub(super) struct Defs {
    list: Vec<Def>,
    by_name: HashMap<Vec<u8>, usize>,
}

impl Defs {
    /// keepalived's standard definitions.
    pub(super) fn new() -> Self {
        let mut defs = Defs {
            list: Vec::new(),
            by_name: HashMap::default(),
        };
        defs.add(b"_PWD", Vec::new(), Kind::Pwd);
        defs.add(b"_INSTANCE", Vec::new(), Kind::Instance);
        defs.add(b"_RANDOM", Vec::new(), Kind::Random);
        defs.add(b"_HASH", b"#".to_vec(), Kind::Text);
        defs.add(b"_BANG", b"!".to_vec(), Kind::Text);
        defs
    }

    fn add(&mut self, name: &[u8], value: Vec<u8>, kind: Kind) -> usize {
        let index = self.list.len();
        self.list.push(Def {
            value,
            multiline: false,
            kind,
        });
        self.by_name.insert(name.to_vec(), index);
        index
    }

    /// The definition at `index`.
    pub(super) fn get(&self, index: usize) -> Option<&Def> {
        self.list.get(index)
    }

    /// The definition at `index`, to extend a multi-line value.
    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut Def> {
        self.list.get_mut(index)
    }

    /// Sets `name` to a one-line `value` (what `~SEQ` does for its
    /// variable); a built-in becomes plain text.
    pub(super) fn set(&mut self, name: &[u8], value: Vec<u8>) -> usize {
        match self.by_name.get(name) {
            Some(&i) => {
                if let Some(def) = self.list.get_mut(i) {
                    def.value = value;
                    def.kind = Kind::Text;
                }
                i
            }
            None => self.add(name, value, Kind::Text),
        }
    }

    /// keepalived's `check_definition`: a line `$NAME=value` (no blank
    /// before `=`) defines NAME. A value ending in `\` continues on the next
    /// lines. Returns the definition's index.
    pub(super) fn define(&mut self, line: &[u8]) -> Option<usize> {
        let rest = line.strip_prefix(b"$")?;
        let first = *rest.first()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let eq = rest.iter().position(|&b| b == b'=')?;
        let name = &rest[..eq];
        if !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        let value = &rest[eq + 1..];
        let value = &value[value.iter().take_while(|&&b| is_blank(b)).count()..];
        let (value, multiline) = match value.strip_suffix(b"\\") {
            Some(head) => {
                let keep = head
                    .iter()
                    .rposition(|&b| !is_blank(b))
                    .map_or(0, |i| i + 1);
                let mut v = head[..keep].to_vec();
                if !v.is_empty() {
                    v.push(LINE_END);
                }
                (v, true)
            }
            None => (value.to_vec(), false),
        };
        let index = self.set(name, value);
        if let Some(def) = self.list.get_mut(index) {
            def.multiline = multiline;
        }
        Some(index)
    }

    /// keepalived's `find_definition` for the text after a `$`: `NAME`
    /// followed by a blank, `,`, `)` or the end of the line, or `{NAME}`
    /// (`{_RANDOM 1 9}` with numeric parameters). A multi-line definition
    /// is only expanded when the reference ends the line.
    pub(super) fn find(&self, after_dollar: &[u8]) -> Option<Reference> {
        let braces = after_dollar.first() == Some(&b'{');
        let name_start = usize::from(braces);
        let text = &after_dollar[name_start..];
        let first = *text.first()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let name_len = text
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
            .count();
        let name = &text[..name_len];
        let mut end = name_start + name_len;
        let mut params = None;
        if braces {
            let tail = &after_dollar[end..];
            let run = tail
                .iter()
                .take_while(|&&b| b == b' ' || b.is_ascii_digit())
                .count();
            let run_text = &tail[..run];
            if run_text.iter().any(u8::is_ascii_digit) {
                if run_text.last() == Some(&b' ') {
                    return None;
                }
                params = Some(parse_params(run_text));
            }
            end += run;
            if after_dollar.get(end) != Some(&b'}') {
                return None;
            }
            end += 1;
        } else if let Some(&next) = after_dollar.get(end) {
            if !matches!(next, b' ' | b'\t' | b',' | b')') {
                return None;
            }
        }
        let at_end = end == after_dollar.len();
        let index = *self.by_name.get(name)?;
        let def = self.list.get(index)?;
        if def.multiline && !at_end {
            return None;
        }
        if params.is_some() && def.kind != Kind::Random {
            return None;
        }
        Some(Reference {
            def: index,
            len: end + 1,
            params,
        })
    }
}

/// The numbers of `${_RANDOM min max}`.
fn parse_params(text: &[u8]) -> (u64, Option<u64>) {
    let mut numbers = text
        .split(|&b| b == b' ')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.iter().fold(0u64, |n, &d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            })
        });
    let min = numbers.next().unwrap_or(0);
    (min, numbers.next())
}

/// A small pseudo-random generator for `$_RANDOM` (xorshift, seeded from
/// the clock like keepalived's `srandom(time)`).
#[derive(Clone, Debug)]
pub(super) struct Random(u64);

impl Random {
    /// Seeded from the clock.
    pub(super) fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x2545_f491, |d| d.as_nanos() as u64);
        Random(nanos | 1)
    }

    /// A number in `min..=max`.
    pub(super) fn between(&mut self, min: u64, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let span = max.saturating_sub(min).saturating_add(1);
        if span == 0 {
            self.0
        } else {
            min + self.0 % span
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_need_no_blank_before_equals() {
        let mut d = Defs::new();
        assert!(d.define(b"$A = 1").is_none());
        assert!(d.define(b"$1A=1").is_none());
        let i = d.define(b"$A=  x y").unwrap_or(usize::MAX);
        assert_eq!(d.get(i).map(|d| d.value.clone()), Some(b"x y".to_vec()));
        let j = d.define(b"$M=first  \\").unwrap_or(usize::MAX);
        let m = d.get(j).cloned();
        assert_eq!(
            m.as_ref().map(|d| d.value.clone()),
            Some(b"first\n".to_vec())
        );
        assert_eq!(m.map(|d| d.multiline), Some(true));
    }

    #[test]
    fn references_end_where_keepalived_says() {
        let mut d = Defs::new();
        d.define(b"$IP=1");
        assert_eq!(d.find(b"IP").map(|r| r.len), Some(3));
        assert_eq!(d.find(b"IP,x").map(|r| r.len), Some(3));
        assert_eq!(d.find(b"IP/24"), None);
        assert_eq!(d.find(b"{IP}/24").map(|r| r.len), Some(5));
        assert_eq!(d.find(b"IPX"), None);
        assert_eq!(
            d.find(b"{_RANDOM 1 9}").map(|r| (r.len, r.params)),
            Some((14, Some((1, Some(9)))))
        );
        assert_eq!(d.find(b"{_RANDOM 1 }"), None);
        assert_eq!(d.find(b"{IP 1}"), None);
    }

    #[test]
    fn multiline_only_at_line_end() {
        let mut d = Defs::new();
        d.define(b"$M=a\\");
        assert!(d.find(b"M").is_some());
        assert!(d.find(b"M x").is_none());
    }

    #[test]
    fn random_stays_in_range() {
        let mut r = Random(7);
        for _ in 0..100 {
            let v = r.between(3, 5);
            assert!((3..=5).contains(&v));
        }
    }
}
