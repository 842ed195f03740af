//! State changes the machines report, with a printable reason.

use std::fmt;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// The server became available.
    Up,
    /// The server became unavailable.
    Down,
    /// The effective weight changed.
    Weight {
        /// Previous effective weight.
        from: u32,
        /// New effective weight.
        to: u32,
    },
    /// The server entered drain mode (weight 0, still up).
    Drain,
    /// The server entered maintenance.
    Maintenance,
    /// A conditional pass (HTTP 404 with `disable-on-404`): up, no new
    /// traffic.
    Stopping,
    /// The server left drain, maintenance or stopping.
    Ready,
    /// A virtual server met its quorum again (keepalived `quorum_up`).
    QuorumUp,
    /// A virtual server lost its quorum (keepalived `quorum_down`).
    QuorumDown,
}

/// A state change and why it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// What changed.
    pub kind: TransitionKind,
    /// Why, as a log line prints it.
    pub reason: String,
}

impl Transition {
    /// A change with its reason.
    pub fn new(kind: TransitionKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

/// `is DOWN, reason: ...`, HAProxy's wording.
impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TransitionKind::Up => write!(f, "is UP, reason: {}", self.reason),
            TransitionKind::Down => write!(f, "is DOWN, reason: {}", self.reason),
            TransitionKind::Weight { from, to } => {
                write!(f, "weight changed from {from} to {to} ({})", self.reason)
            }
            TransitionKind::Drain => write!(f, "is DRAIN, reason: {}", self.reason),
            TransitionKind::Stopping => write!(f, "is stopping, reason: {}", self.reason),
            TransitionKind::Maintenance => {
                write!(f, "is going DOWN for maintenance, reason: {}", self.reason)
            }
            TransitionKind::Ready => {
                write!(f, "is leaving drain/maintenance, reason: {}", self.reason)
            }
            TransitionKind::QuorumUp | TransitionKind::QuorumDown => f.write_str(&self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let t = Transition::new(
            TransitionKind::Down,
            "Layer4 timeout, check duration: 200ms",
        );
        assert_eq!(
            t.to_string(),
            "is DOWN, reason: Layer4 timeout, check duration: 200ms"
        );
        let w = Transition::new(TransitionKind::Weight { from: 1, to: 6 }, "slowstart");
        assert_eq!(w.to_string(), "weight changed from 1 to 6 (slowstart)");
    }
}
