//! ACLs, sample expressions and `if`/`unless` conditions.

use super::{bad_name_char, Out};
use crate::diag::Diagnostic;
use crate::keywords::{ACL_ALIASES, CONVERTERS, FETCHES};
use crate::lex::Word;
use crate::model::{Acl, AclRef, CondTerm, Condition, Located, Sample};
use crate::source::Span;
use crate::suggest;
use smol_str::SmolStr;

/// ACL names every proxy knows without declaring them.
pub(crate) const PREDEFINED: &[&str] = &[
    "FALSE",
    "HTTP",
    "HTTP_1.0",
    "HTTP_1.1",
    "HTTP_2.0",
    "HTTP_CONTENT",
    "HTTP_URL_ABS",
    "HTTP_URL_SLASH",
    "HTTP_URL_STAR",
    "LOCALHOST",
    "METH_CONNECT",
    "METH_DELETE",
    "METH_GET",
    "METH_HEAD",
    "METH_OPTIONS",
    "METH_POST",
    "METH_PUT",
    "METH_TRACE",
    "RDP_COOKIE",
    "REQ_CONTENT",
    "TRUE",
    "WAIT_END",
];

/// Flags of an ACL that take a value.
const FLAGS_WITH_VALUE: &[&str] = &["-f", "-m", "-M", "-u"];
/// Flags of an ACL without a value.
const FLAGS: &[&str] = &["-i", "-n", "--"];
/// Match methods of `-m`.
const MATCHES: &[&str] = &[
    "found", "bool", "int", "ip", "bin", "len", "str", "beg", "sub", "dir", "dom", "end", "reg",
];

/// A sample expression that cannot be read: the message's tail.
#[derive(Debug)]
pub(crate) struct SampleError(pub(crate) String);

/// Reads `fetch(args),conv(args),...`. ACL keyword aliases (`path_beg`)
/// are accepted when `acl_words` is set.
pub(crate) fn sample(text: &str, acl_words: bool) -> Result<Sample, SampleError> {
    let mut parts = TopSplit {
        rest: Some(text),
        sep: b',',
    };
    let head = parts.next().unwrap_or_default();
    let (fetch, args) = name_and_args(head);
    let alias = acl_words
        .then(|| crate::keywords::find(ACL_ALIASES, fetch, |a| a.0))
        .flatten();
    let known = crate::keywords::find(FETCHES, fetch, |f| f.0);
    match (alias, known) {
        (None, None) => {
            let what = if acl_words {
                "ACL expression"
            } else {
                "sample expression"
            };
            return Err(SampleError(format!(
                "unknown fetch method '{fetch}' in {what} '{text}'"
            )));
        }
        (None, Some((_, min, max, _, _))) => {
            if args.len() < usize::from(*min) {
                return Err(SampleError(format!(
                    "fetch method '{fetch}' : missing arguments (got {}/{min}) in '{text}'",
                    args.len()
                )));
            }
            if args.len() > usize::from(*max) {
                return Err(SampleError(format!(
                    "fetch method '{fetch}' : end of arguments expected at position {} in '{text}'",
                    max + 1
                )));
            }
        }
        _ => {}
    }
    let mut converters = Vec::new();
    for part in parts {
        let (name, cargs) = name_and_args(part);
        let Some((_, min, max)) = crate::keywords::find(CONVERTERS, name, |c| c.0) else {
            let what = if acl_words {
                "ACL expression"
            } else {
                "sample expression"
            };
            return Err(SampleError(format!(
                "unknown converter '{name}' in {what} '{text}'"
            )));
        };
        if cargs.len() < usize::from(*min) || cargs.len() > usize::from(*max) {
            return Err(SampleError(format!(
                "converter '{name}' expects between {min} and {max} arguments (got {}) in '{text}'",
                cargs.len()
            )));
        }
        converters.push((name, cargs));
    }
    Ok(Sample {
        fetch: fetch.into(),
        args,
        converters: converters
            .into_iter()
            .map(|(name, args)| (name.into(), args))
            .collect(),
    })
}

/// The pieces of a text between `sep` bytes outside parentheses, one
/// after the other (no vector to hold them).
struct TopSplit<'a> {
    /// What is left; `None` after the last piece.
    rest: Option<&'a str>,
    /// The separator.
    sep: u8,
}

impl<'a> Iterator for TopSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.rest?;
        let mut depth = 0u32;
        for (i, b) in text.bytes().enumerate() {
            match b {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                _ if b == self.sep && depth == 0 => {
                    self.rest = Some(text.get(i + 1..).unwrap_or(""));
                    return text.get(..i);
                }
                _ => {}
            }
        }
        self.rest = None;
        Some(text)
    }
}

/// `name(a,b)` into its name and arguments.
fn name_and_args(text: &str) -> (&str, Vec<SmolStr>) {
    match text.split_once('(') {
        Some((name, rest)) => {
            let inner = rest.strip_suffix(')').unwrap_or(rest);
            let args = if inner.is_empty() {
                Vec::new()
            } else {
                TopSplit {
                    rest: Some(inner),
                    sep: b',',
                }
                .map(SmolStr::from)
                .collect()
            };
            (name, args)
        }
        None => (text, Vec::new()),
    }
}

/// Reads an `acl` line (`words[0]` is `acl`).
pub(crate) fn acl_line(words: &[Word], span: Span, out: &mut Out<'_>) -> Option<Acl> {
    let Some(name) = words.get(1) else {
        out.error(
            "E0101",
            span,
            "'acl' expects an ACL name and a criterion",
            "name expected",
        );
        return None;
    };
    if let Some(c) = bad_name_char(&name.text) {
        out.error(
            "E0110",
            name.span,
            format!(
                "character '{c}' is not permitted in acl name '{}'",
                name.text
            ),
            "bad character",
        );
        return None;
    }
    let (flags, patterns, sample) =
        criterion(&words[2..], span, &format_args!("ACL '{}'", name.text), out)?;
    Some(Acl {
        name: Located::new(name.text.clone(), name.span),
        sample,
        flags,
        patterns,
        span,
    })
}

/// Reads `CRITERION [flags] [patterns]`: of an `acl` line or of an
/// anonymous ACL in braces.
fn criterion(
    words: &[Word],
    span: Span,
    what: &dyn std::fmt::Display,
    out: &mut Out<'_>,
) -> Option<(Vec<SmolStr>, Vec<SmolStr>, Sample)> {
    let Some(crit) = words.first() else {
        out.error(
            "E0101",
            span,
            format!("missing criterion in {what}"),
            "criterion expected",
        );
        return None;
    };
    let sample = match sample(&crit.text, true) {
        Ok(s) => s,
        Err(SampleError(m)) => {
            let fetches = FETCHES
                .iter()
                .map(|f| f.0)
                .chain(ACL_ALIASES.iter().map(|a| a.0));
            let name = crit.text.split(['(', ',']).next().unwrap_or("");
            let mut d = Diagnostic::error(
                "E0109",
                format!("error detected while parsing {what} : {m}"),
            )
            .at(crit.span, "cannot be read");
            if let Some(g) = suggest::best(name, fetches) {
                d = d.with_help(format!("did you mean '{g}'?"));
            }
            out.push(d);
            return None;
        }
    };
    let mut flags = Vec::new();
    let mut i = 1;
    let mut has_match_or_file = false;
    while let Some(w) = words.get(i) {
        let t = w.text.as_str();
        if FLAGS_WITH_VALUE.contains(&t) {
            let Some(v) = words.get(i + 1) else {
                out.error(
                    "E0101",
                    w.span,
                    format!("error detected while parsing {what} : missing value after '{t}'"),
                    "value expected",
                );
                return None;
            };
            if t == "-m" && !MATCHES.contains(&v.text.as_str()) {
                out.error(
                    "E0103",
                    v.span,
                    format!(
                        "error detected while parsing {what} : unknown matching method '{}'",
                        v.text
                    ),
                    "unknown match",
                );
                return None;
            }
            has_match_or_file |=
                t == "-f" || (t == "-m" && matches!(v.text.as_str(), "found" | "bool"));
            flags.push(w.text.clone());
            flags.push(v.text.clone());
            i += 2;
        } else if FLAGS.contains(&t) {
            flags.push(w.text.clone());
            i += 1;
            if t == "--" {
                has_match_or_file = true;
                break;
            }
        } else {
            break;
        }
    }
    let patterns: Vec<SmolStr> = words[i..].iter().map(|w| w.text.clone()).collect();
    if !ip_patterns_valid(&sample, &flags, &words[i..], crit.span, what, out) {
        return None;
    }
    if patterns.is_empty()
        && !has_match_or_file
        && !matches!(sample.fetch.as_str(), "always_true" | "always_false")
    {
        out.push(
            Diagnostic::warning("W0103", format!("{what}: no pattern to match against were provided, so this ACL will never match"))
                .at(crit.span, "no pattern after this")
                .with_help("add '--' if this is intended, '-m found' to test existence, '-m bool' for a boolean"),
        );
    }
    Some((flags, patterns, sample))
}

/// For fetches of addresses without converters and without `-m`, checks
/// that inline patterns and the lines of `-f` files are addresses or
/// networks, as HAProxy does when it loads them.
fn ip_patterns_valid(
    sample: &Sample,
    flags: &[SmolStr],
    inline: &[Word],
    at: Span,
    what: &dyn std::fmt::Display,
    out: &mut Out<'_>,
) -> bool {
    let ip_typed = crate::keywords::find(FETCHES, &sample.fetch, |f| f.0)
        .is_some_and(|f| matches!(f.4, "ip" | "ipv4" | "ipv6"));
    if !ip_typed || !sample.converters.is_empty() || flags.iter().any(|f| f == "-m") {
        return true;
    }
    for w in inline {
        if !is_network(&w.text) {
            out.error("E0109", w.span, format!("error detected while parsing {what} : '{}' is not a valid IPv4 or IPv6 address", w.text), "not an address");
            return false;
        }
    }
    let files = flags
        .windows(2)
        .filter(|f| f[0] == "-f")
        .map(|f| f[1].as_str());
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            out.error(
                "E0111",
                at,
                format!(
                    "error detected while parsing {what} : failed to open pattern file <{file}>"
                ),
                "cannot open",
            );
            return false;
        };
        for (n, line) in text.lines().enumerate() {
            let pat = line.trim();
            if pat.is_empty() || pat.starts_with('#') || is_network(pat) {
                continue;
            }
            let span = at;
            out.push(
                Diagnostic::error("E0109", format!("error detected while parsing {what} : '{pat}' is not a valid IPv4 or IPv6 address at line {} of file '{file}'", n + 1))
                    .at(span, "patterns of this ACL"),
            );
            return false;
        }
    }
    true
}

/// An address or a network (`a.b.c.d[/len]`, `a.b.c.d/mask`, IPv6).
fn is_network(text: &str) -> bool {
    let (addr, len) = text
        .split_once('/')
        .map_or((text, None), |(a, l)| (a, Some(l)));
    if let Ok(a) = addr.parse::<std::net::Ipv4Addr>() {
        let _ = a;
        return len.is_none_or(|l| {
            l.parse::<u8>().is_ok_and(|n| n <= 32) || l.parse::<std::net::Ipv4Addr>().is_ok()
        });
    }
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        return len.is_none_or(|l| l.parse::<u8>().is_ok_and(|n| n <= 128));
    }
    false
}

/// Reads the words after `if`/`unless` (`words[0]` is `if` or `unless`).
/// Named ACLs must be in `known` or predefined.
pub(crate) fn condition(
    words: &[Word],
    known: &super::AclNames,
    what: &dyn std::fmt::Display,
    out: &mut Out<'_>,
) -> Option<Condition> {
    let negated = words.first().map(|w| w.text.as_str()) == Some("unless");
    // One alternative per `||`, nearly always of one term: vectors of
    // the right size (a condition lives as long as the model).
    let alternatives = 1 + words
        .iter()
        .filter(|w| w.text == "||" || w.text == "or")
        .count();
    let mut any_of = Vec::with_capacity(alternatives);
    any_of.push(Vec::with_capacity(1));
    let mut i = 1;
    while let Some(w) = words.get(i) {
        let t = w.text.as_str();
        if t == "||" || t == "or" {
            any_of.push(Vec::with_capacity(1));
            i += 1;
            continue;
        }
        let (neg, rest) = match t.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let term_start = if rest.is_empty() && neg { i + 1 } else { i };
        let Some(tw) = words.get(term_start) else {
            break;
        };
        let name = if term_start == i {
            rest
        } else {
            tw.text.as_str()
        };
        if name == "{" {
            let Some(close) = words[term_start..].iter().position(|w| w.text == "}") else {
                out.error("E0109", tw.span, format!("error detected while parsing {what} condition : missing closing '}}' in condition"), "unclosed brace");
                return None;
            };
            let inner = &words[term_start + 1..term_start + close];
            criterion(
                inner,
                tw.span,
                &format_args!("an anonymous ACL in {what}"),
                out,
            )?;
            if let Some(last) = any_of.last_mut() {
                last.push(CondTerm {
                    negated: neg,
                    acl: AclRef::Anonymous(inner.iter().map(|w| w.text.clone()).collect()),
                });
            }
            i = term_start + close + 1;
            continue;
        }
        if !known.contains(name) && !PREDEFINED.contains(&name) {
            let mut d = Diagnostic::error(
                "E0112",
                format!("error detected while parsing {what} : no such ACL : '{name}'"),
            )
            .at(tw.span, "not declared in this proxy");
            // Sorted, so that the first of equally close names is the
            // same on every run.
            let mut names: Vec<&str> = known.iter().map(SmolStr::as_str).collect();
            names.sort_unstable();
            let candidates = names.into_iter().chain(PREDEFINED.iter().copied());
            if let Some(g) = suggest::best(name, candidates) {
                d = d.with_help(format!("did you mean '{g}'?"));
            } else {
                d = d.with_help(format!("declare it first: acl {name} <criterion> <values>"));
            }
            out.push(d);
            return None;
        }
        if let Some(last) = any_of.last_mut() {
            last.push(CondTerm {
                negated: neg,
                acl: AclRef::Named(Located::new(name.into(), tw.span)),
            });
        }
        i = term_start + 1;
    }
    Some(Condition { negated, any_of })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_with_arguments_and_converters() {
        let s = sample("req.hdr(host,1),lower,map(/etc/x.map,def)", false).unwrap();
        assert_eq!(s.fetch, "req.hdr");
        assert_eq!(s.args, ["host", "1"]);
        assert_eq!(
            s.converters,
            [
                (SmolStr::from("lower"), vec![]),
                (
                    SmolStr::from("map"),
                    vec![SmolStr::from("/etc/x.map"), SmolStr::from("def")]
                )
            ]
        );
        assert!(sample("path_beg", true).is_ok());
        assert!(sample("path_beg", false).is_err());
        assert_eq!(
            sample("bar", true).unwrap_err().0,
            "unknown fetch method 'bar' in ACL expression 'bar'"
        );
        assert_eq!(
            sample("src,foo", true).unwrap_err().0,
            "unknown converter 'foo' in ACL expression 'src,foo'"
        );
    }

    /// Splits on `sep` outside parentheses.
    fn split_top(text: &str, sep: u8) -> Vec<&str> {
        TopSplit {
            rest: Some(text),
            sep,
        }
        .collect()
    }

    #[test]
    fn top_level_pieces() {
        assert_eq!(
            split_top("a(b,c),d,e(f(g,h),i)", b','),
            ["a(b,c)", "d", "e(f(g,h),i)"]
        );
        assert_eq!(split_top("", b','), [""]);
        assert_eq!(split_top("a,", b','), ["a", ""]);
        assert_eq!(split_top(",a", b','), ["", "a"]);
        assert_eq!(split_top("a),b", b','), ["a)", "b"]);
        assert_eq!(split_top("a(,b", b','), ["a(,b"]);
    }
}
