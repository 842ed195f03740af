//! Turns criterion's output for `sched/benches/pick.rs` into the table
//! recorded in BENCHMARKS.md.

/// Server counts the benchmark measures.
const SIZES: [&str; 3] = ["10", "100", "1000"];

/// The markdown table: per algorithm, the median pick time at each size
/// and the ratio of the 1,000-server time to the baseline of the same run.
pub(crate) fn render(criterion_output: &str) -> String {
    let times = parse(criterion_output);
    let time = |name: &str| times.iter().find(|(n, _)| n == name).map(|(_, t)| *t);
    let baseline = time("baseline/array-index");
    let mut algorithms: Vec<&str> = Vec::new();
    for (name, _) in &times {
        if let Some((algo, _)) = name.strip_prefix("pick/").and_then(|n| n.rsplit_once('/')) {
            if !algorithms.contains(&algo) {
                algorithms.push(algo);
            }
        }
    }
    let mut out = String::from(
        "| algorithm | 10 servers | 100 servers | 1,000 servers | 1,000 / baseline |\n|---|---:|---:|---:|---:|\n",
    );
    for algo in algorithms {
        let at = |n: &str| time(&format!("pick/{algo}/{n}"));
        let cells: Vec<String> = SIZES.iter().map(|n| show(at(n))).collect();
        let ratio = match (at("1000"), baseline) {
            (Some(t), Some(b)) if b > 0.0 => format!("{:.0}×", t / b),
            _ => "—".into(),
        };
        out.push_str(&format!("| `{algo}` | {} | {ratio} |\n", cells.join(" | ")));
    }
    if let Some(b) = baseline {
        out.push_str(&format!(
            "\nbaseline (one indexed load, same run): {b:.2} ns\n"
        ));
    }
    out
}

/// Benchmark name and median time in nanoseconds, in the order run, from
/// lines such as
/// `pick/rr/10   time:   [9.40 ns 9.45 ns 9.52 ns]` (the name may stand
/// on the line before).
fn parse(text: &str) -> Vec<(String, f64)> {
    let mut times = Vec::new();
    let mut name: Option<&str> = None;
    for line in text.lines() {
        let (head, rest) = match line.split_once("time:") {
            Some((head, rest)) => (head.trim(), Some(rest)),
            None => (line.trim(), None),
        };
        if !head.is_empty() {
            name = Some(head);
        }
        let (Some(rest), Some(current)) = (rest, name) else {
            continue;
        };
        let words: Vec<&str> = rest
            .trim()
            .trim_matches(|c| c == '[' || c == ']')
            .split_whitespace()
            .collect();
        if let [_, _, value, unit, ..] = words[..] {
            if let (Ok(v), Some(scale)) = (value.parse::<f64>(), unit_ns(unit)) {
                times.push((current.to_string(), v * scale));
            }
        }
    }
    times
}

/// Nanoseconds per unit.
fn unit_ns(unit: &str) -> Option<f64> {
    match unit {
        "ps" => Some(1e-3),
        "ns" => Some(1.0),
        "µs" | "us" => Some(1e3),
        "ms" => Some(1e6),
        "s" => Some(1e9),
        _ => None,
    }
}

/// A time for the table.
fn show(ns: Option<f64>) -> String {
    match ns {
        None => "—".into(),
        Some(t) if t < 1000.0 => format!("{t:.1} ns"),
        Some(t) => format!("{:.2} µs", t / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_lines() {
        let text = "baseline/array-index   time:   [850.08 ps 871.36 ps 896.15 ps]\n\
                    pick/url_param-user/10\n                        time:   [21.1 ns 21.5 ns 22.0 ns]\n\
                    pick/url_param-user/1000 time: [1.17 µs 1.19 µs 1.20 µs]\n";
        let times = parse(text);
        assert_eq!(times[0].0, "baseline/array-index");
        assert!((times[0].1 - 0.87136).abs() < 1e-9);
        assert!((times[1].1 - 21.5).abs() < 1e-9);
        assert_eq!(times[2].0, "pick/url_param-user/1000");
        assert!((times[2].1 - 1190.0).abs() < 1e-6);
        let table = render(text);
        assert!(
            table.contains("| `url_param-user` | 21.5 ns | — | 1.19 µs | 1366× |"),
            "{table}"
        );
    }
}
