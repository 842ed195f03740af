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

/// Optimal string alignment distance between `a` and `b`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(128).collect();
    let b: Vec<char> = b.chars().take(128).collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
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
