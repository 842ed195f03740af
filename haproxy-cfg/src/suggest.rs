//! "Did you mean": the known word closest to a mistyped one.

/// The candidate nearest to `word` by edit distance (an adjacent swap
/// counts as one edit), if it is near enough: at most a third of the
/// longer word's length, and at least one.
pub(crate) fn best<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let wlen = word.chars().count();
    for c in candidates {
        if c == word {
            continue;
        }
        let clen = c.chars().count();
        let limit = (wlen.max(clen) / 3).max(1);
        // The distance is at least the difference of the lengths.
        if wlen.abs_diff(clen) > limit {
            continue;
        }
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance between `a` and `b` (strsim's),
/// on their first 128 characters so that a huge word costs little.
fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(prefix(a, 128), prefix(b, 128))
}

/// The first `n` characters of `s`.
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(at, _)| &s[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_words_are_suggested() {
        let kws = ["balance", "bind", "backlog", "server", "timeout"];
        assert_eq!(best("balence", kws), Some("balance"));
        assert_eq!(best("sever", kws), Some("server"));
        assert_eq!(best("timeuot", kws), Some("timeout"));
        assert_eq!(best("xyzzy", kws), None);
        assert_eq!(best("bind", kws), None);
        assert_eq!(distance("abc", "acb"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
