//! keepalived `FILE_CHECK`: a number in a file sets the server's weight or
//! fails it.

use std::path::PathBuf;
use std::time::Instant;

use tokio::io::AsyncReadExt;

use crate::status::{CheckResult, Status};

/// Most bytes read from the file.
const MAX_READ: u64 = 64;

/// Reads an integer from `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// `track_file`.
    pub path: PathBuf,
    /// `weight`: multiplier of the file's value; 0 means any non-zero
    /// value fails the server.
    pub weight: i32,
    /// `weight ... reverse`: the value counts negatively.
    pub reverse: bool,
    /// The real server's configured weight the change applies to.
    pub base_weight: u32,
}

/// Whether the server stays up and at what weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// Passed or failed, and why.
    pub result: CheckResult,
    /// The server's new weight when it stays up and a multiplier is set.
    pub weight: Option<u32>,
}

impl FileCheck {
    /// Reads the file once. A missing, empty or non-numeric file reads as 0,
    /// as keepalived's file tracking does.
    pub async fn run(&self) -> FileOutcome {
        let start = Instant::now();
        let value = read_value(&self.path).await;
        self.judge(value, start)
    }

    /// keepalived's rule (`process_update_checker_track_file_status()`):
    /// with weight 0 the server fails on a non-zero value (on zero with
    /// `reverse`); otherwise `value × weight` (negated with `reverse`) is
    /// added to the configured weight, the sum kept within IPVS's
    /// `0..=i32::MAX`, and a product at or below `-i32::MAX` (keepalived's
    /// fault value) fails the server.
    fn judge(&self, value: i64, start: Instant) -> FileOutcome {
        let elapsed = start.elapsed();
        let fail = |info: String| FileOutcome {
            result: CheckResult::new(Status::L7Sts, elapsed).with_info(info),
            weight: None,
        };
        if self.weight == 0 {
            if (value != 0) != self.reverse {
                return fail(format!("file value {value}"));
            }
            return FileOutcome {
                result: CheckResult::new(Status::L7Ok, elapsed)
                    .with_info(format!("file value {value}")),
                weight: None,
            };
        }
        let sign = if self.reverse { -1 } else { 1 };
        let delta = value
            .saturating_mul(i64::from(self.weight))
            .saturating_mul(sign);
        if delta <= -i64::from(i32::MAX) {
            return fail(format!("file value {value}, weight change {delta}"));
        }
        let w = i64::from(self.base_weight)
            .saturating_add(delta)
            .clamp(0, i64::from(i32::MAX));
        FileOutcome {
            result: CheckResult::new(Status::L7Ok, elapsed)
                .with_info(format!("file value {value}")),
            weight: Some(u32::try_from(w).unwrap_or(0)),
        }
    }
}

async fn read_value(path: &std::path::Path) -> i64 {
    let Ok(file) = tokio::fs::File::open(path).await else {
        return 0;
    };
    let mut text = String::new();
    if file.take(MAX_READ).read_to_string(&mut text).await.is_err() {
        return 0;
    }
    text.split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(weight: i32, reverse: bool) -> FileCheck {
        FileCheck {
            path: PathBuf::new(),
            weight,
            reverse,
            base_weight: 10,
        }
    }

    #[test]
    fn weight_zero_means_nonzero_fails() {
        let t = Instant::now();
        assert!(check(0, false).judge(0, t).result.passed());
        assert!(!check(0, false).judge(3, t).result.passed());
        // reverse: zero fails, non-zero passes.
        assert!(!check(0, true).judge(0, t).result.passed());
        assert!(check(0, true).judge(3, t).result.passed());
    }

    #[test]
    fn weight_scales_value() {
        let t = Instant::now();
        assert_eq!(check(2, false).judge(3, t).weight, Some(16));
        assert_eq!(check(2, true).judge(3, t).weight, Some(4));
        // Below zero: weight 0, still up.
        let r = check(5, true).judge(3, t);
        assert_eq!((r.result.passed(), r.weight), (true, Some(0)));
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let t = Instant::now();
        // (-huge) * (-huge), reversed: at keepalived's fault value, down.
        let mut c = check(i32::MIN, true);
        assert!(!c.judge(i64::MIN, t).result.passed());
        c.reverse = false;
        assert!(!c.judge(i64::MAX, t).result.passed());
        // Far above the IPVS maximum: clamped.
        assert_eq!(
            check(i32::MAX, false).judge(i64::MAX, t).weight,
            Some(i32::MAX as u32)
        );
    }
}
