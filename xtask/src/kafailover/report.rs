//! Summaries (min / median / max) and the Markdown written into
//! `BENCHMARKS.md`.

use super::daemon::Kind;
use super::failover::Scenario;
use super::probe::Sample;
use super::resources::NodeUse;
use std::fmt::Write as _;

/// The heading of the section this benchmark owns in `BENCHMARKS.md`.
pub(crate) const HEADING: &str = "## keepalived-rs against keepalived: failover and resources";

/// min / median / max of `values` (the median of an even count is the
/// mean of the middle two); `None` when empty.
pub(crate) fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    Some((v[0], median, v[n - 1]))
}

/// `min / median / max` with no decimals, or `-`.
fn cell(values: &[f64]) -> String {
    spread(values).map_or("-".into(), |(a, m, b)| format!("{a:.0} / {m:.0} / {b:.0}"))
}

/// The failover results of one scenario and daemon.
pub(crate) struct FailoverRow {
    /// The scenario.
    pub(crate) scenario: Scenario,
    /// The daemon.
    pub(crate) kind: Kind,
    /// The repetitions that gave figures.
    pub(crate) samples: Vec<Sample>,
    /// The repetitions that failed, with why.
    pub(crate) failures: Vec<String>,
}

/// The resource results of one daemon.
pub(crate) struct ResourceRow {
    /// The daemon.
    pub(crate) kind: Kind,
    /// Master's then backup's figures.
    pub(crate) nodes: Vec<NodeUse>,
}

/// The failover table in Markdown.
pub(crate) fn failover_table(rows: &[FailoverRow]) -> String {
    let mut t = String::from(
        "| scenario | daemon | client reaches backup | backup's first advert | backup's first GARP | detection (RFC) | reps ok |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let pick = |f: fn(&Sample) -> f64| r.samples.iter().map(f).collect::<Vec<_>>();
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} ({:.0}) | {}/{} |",
            r.scenario.name(),
            r.kind.name(),
            cell(&pick(|s| s.reply_ms)),
            cell(&pick(|s| s.advert_ms)),
            cell(&pick(|s| s.garp_ms)),
            cell(&pick(|s| s.detection_ms)),
            r.scenario.rfc_detection_ms(),
            r.samples.len(),
            r.samples.len() + r.failures.len(),
        );
    }
    t
}

/// The resource table in Markdown.
pub(crate) fn resource_table(rows: &[ResourceRow]) -> String {
    let mut t = String::from(
        "| daemon | node | processes | RSS KiB (sum) | RSS KiB each | CPU ms per s (utime+stime) | CPU ms per s (schedstat) | % of a core |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        for n in &r.nodes {
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                r.kind.name(),
                n.role,
                n.processes,
                n.rss_kib,
                n.rss_each
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" + "),
                n.cpu_ms_per_s,
                n.sched_ms_per_s,
                n.sched_ms_per_s / 10.0,
            );
        }
    }
    t
}

/// Replaces this benchmark's section of `document` with `section` (which
/// starts with [`HEADING`]), or appends it.
pub(crate) fn replace_section(document: &str, section: &str) -> String {
    let Some(start) = document.find(HEADING) else {
        let mut out = document.trim_end().to_string();
        out.push_str("\n\n");
        out.push_str(section.trim_end());
        out.push('\n');
        return out;
    };
    let after = start + HEADING.len();
    let end = document[after..]
        .find("\n## ")
        .map_or(document.len(), |i| after + i + 1);
    let mut out = document[..start].to_string();
    out.push_str(section.trim_end());
    out.push('\n');
    if end < document.len() {
        out.push('\n');
        out.push_str(&document[end..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_min_median_and_max() {
        assert_eq!(spread(&[3.0, 1.0, 2.0]), Some((1.0, 2.0, 3.0)));
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]), Some((1.0, 2.5, 4.0)));
        assert_eq!(spread(&[]), None);
        assert_eq!(cell(&[610.4, 612.0, 617.6]), "610 / 612 / 618");
    }

    #[test]
    fn the_section_is_replaced_in_place_or_appended() {
        let doc = format!("# B\n\n## a\nx\n\n{HEADING}\nold\n\n## c\ny\n");
        let new = format!("{HEADING}\nnew\n");
        assert_eq!(
            replace_section(&doc, &new),
            format!("# B\n\n## a\nx\n\n{HEADING}\nnew\n\n## c\ny\n")
        );
        assert_eq!(
            replace_section("# B\n\n## a\nx\n", &new),
            format!("# B\n\n## a\nx\n\n{HEADING}\nnew\n")
        );
        let last = format!("# B\n\n{HEADING}\nold\n");
        assert_eq!(
            replace_section(&last, &new),
            format!("# B\n\n{HEADING}\nnew\n")
        );
    }
}
