//! The `glob(3)` keepalived calls for `include` (with `GLOB_BRACE` and
//! `GLOB_MARK`): `{a,b}` alternatives, then `*`, `?` and `[...]` in each
//! path component; matches of one pattern sorted, hidden files only matched
//! by a pattern starting with `.`.

use std::path::PathBuf;

/// At most this many `{...}` alternatives are expanded.
const MAX_ALTERNATIVES: usize = 1024;

/// What a glob found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Matches {
    /// The matching paths, in glob's order.
    pub(super) paths: Vec<PathBuf>,
    /// How many alternatives named a file or directory that does not
    /// exist (keepalived's `missing_files` / `missing_directories`).
    pub(super) missing: usize,
    /// The pattern had wildcards.
    pub(super) wildcards: bool,
    /// The pattern had `{...}` alternatives.
    pub(super) braces: bool,
}

/// Expands `pattern`.
pub(super) fn glob(pattern: &str) -> Matches {
    let alternatives = expand_braces(pattern);
    let mut out = Matches {
        braces: alternatives.len() > 1 || has_brace(pattern),
        ..Matches::default()
    };
    for alt in alternatives {
        let found = glob_one(&alt, &mut out);
        if found.is_empty() {
            out.missing += 1;
        }
        out.paths.extend(found);
    }
    out
}

/// True when the pattern has an unescaped `{`.
fn has_brace(pattern: &str) -> bool {
    let mut escaped = false;
    pattern.chars().any(|c| {
        let brace = c == '{' && !escaped;
        escaped = c == '\\' && !escaped;
        brace
    })
}

/// `a{b,c}d` → `abd`, `acd` (nested braces too), bounded.
fn expand_braces(pattern: &str) -> Vec<String> {
    let mut done = Vec::new();
    let mut todo = vec![pattern.to_string()];
    while let Some(p) = todo.pop() {
        match find_group(&p) {
            Some((open, close, commas)) if done.len() + todo.len() < MAX_ALTERNATIVES => {
                let mut starts = vec![open + 1];
                starts.extend(commas.iter().map(|c| c + 1));
                let mut ends = commas.clone();
                ends.push(close);
                for (s, e) in starts.into_iter().zip(ends).rev() {
                    todo.push(format!("{}{}{}", &p[..open], &p[s..e], &p[close + 1..]));
                }
            }
            _ => done.push(p),
        }
    }
    done
}

/// The first `{...}` group with at least one top-level comma: its braces
/// and commas.
fn find_group(p: &str) -> Option<(usize, usize, Vec<usize>)> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut depth = 0usize;
                let mut commas = Vec::new();
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j < b.len() && !commas.is_empty() {
                    return Some((i, j, commas));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// True when the text has a wildcard.
fn is_magic(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// One brace-free pattern: its matches, sorted per directory.
fn glob_one(pattern: &str, out: &mut Matches) -> Vec<PathBuf> {
    if !is_magic(pattern) {
        let path = PathBuf::from(unescape(pattern));
        return if std::fs::symlink_metadata(&path).is_ok() {
            vec![path]
        } else {
            Vec::new()
        };
    }
    out.wildcards = true;
    let absolute = pattern.starts_with('/');
    let mut current: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
    let parts: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for base in &current {
            if is_magic(part) {
                let dir = if base.is_empty() { "." } else { base.as_str() };
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| fnmatch(part.as_bytes(), n.as_bytes()))
                    .collect();
                names.sort();
                for n in names {
                    let p = join(base, &n);
                    if last || std::path::Path::new(&p).is_dir() {
                        next.push(p);
                    }
                }
            } else {
                let p = join(base, &unescape(part));
                if std::fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
            }
        }
        current = next;
    }
    current.into_iter().map(PathBuf::from).collect()
}

/// `base/name`.
fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

/// Removes glob escapes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `fnmatch(3)` for one path component: `*`, `?`, `[...]` (`!`/`^`
/// negation, ranges), `\` escapes; a leading `.` must be matched by a `.`.
pub(super) fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'[') => class(&pattern[p..], name[n]),
            Some(b'\\') if p + 1 < pattern.len() => (pattern[p + 1] == name[n]).then_some(2),
            Some(&c) => (c == name[n]).then_some(1),
            None => None,
        };
        match step {
            Some(len) => {
                p += len;
                n += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    p = sp;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class at the start of `pattern`; returns the
/// class's length when it matches. An unclosed `[` matches itself.
fn class(pattern: &[u8], c: u8) -> Option<usize> {
    let mut i = 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *pattern.get(i)?;
        if lo == b']' && !first {
            break;
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&h| h != b']') {
            let hi = pattern[i + 2];
            matched |= lo <= c && c <= hi;
            i += 3;
        } else {
            matched |= lo == c;
            i += 1;
        }
    }
    (matched != negate).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_wildcards() {
        assert!(fnmatch(b"*.conf", b"a.conf"));
        assert!(!fnmatch(b"*.conf", b".a.conf"));
        assert!(fnmatch(b".*", b".a"));
        assert!(fnmatch(b"a?c", b"abc"));
        assert!(fnmatch(b"[a-c]x", b"bx"));
        assert!(!fnmatch(b"[!a-c]x", b"bx"));
        assert!(fnmatch(b"*a*b", b"xxaxxb"));
        assert!(!fnmatch(b"*a*b", b"xxaxxbc"));
    }

    #[test]
    fn braces_expand_in_order() {
        assert_eq!(expand_braces("a{b,c{d,e}}f"), vec!["abf", "acdf", "acef"]);
        assert_eq!(expand_braces("a{b}c"), vec!["a{b}c"]);
    }
}
