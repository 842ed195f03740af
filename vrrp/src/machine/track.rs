//! Tracked objects (keepalived's `track_script`, `track_interface`,
//! `track_file`, `track_process`): each adds to or takes from the
//! effective priority, or forces the FAULT state.
//!
//! The rules are those of keepalived's `vrrp_track.c`
//! (`process_script_update_priority()`, `initialise_*_tracking_priorities()`
//! and `vrrp_set_effective_priority()`):
//!
//! - weight 0: the object being down forces FAULT (`reverse`: being up does);
//! - weight > 0: while up, the priority rises by the weight;
//! - weight < 0: while down, the priority falls by the weight's size;
//! - `reverse` flips the sign of the change;
//! - a numeric status (a tracked file) counts `status × weight` (× −1 when
//!   reversed), capped at +253; −254 or below forces FAULT. With weight 0 a
//!   non-zero value forces FAULT (a zero value when reversed);
//! - the effective priority is the base plus all changes, kept in 1..=254;
//!   an address owner (255) never changes.

/// What kind of object is tracked; only a label for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// `track_script`.
    Script,
    /// `track_interface`.
    Interface,
    /// `track_file`.
    File,
    /// `track_process`.
    Process,
}

/// The current status of a tracked object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackStatus {
    /// Script succeeded, interface up, process running.
    Up,
    /// Script failed, interface down, process gone.
    Down,
    /// A number read from a tracked file.
    Value(i64),
}

/// One tracked object of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The name the user gave it.
    pub name: String,
    /// What it is.
    pub kind: TrackKind,
    /// Its weight (0: failure means FAULT).
    pub weight: i32,
    /// keepalived's `reverse`: the effect is inverted.
    pub reverse: bool,
    /// Status assumed until the first report.
    pub initial: TrackStatus,
}

impl Track {
    /// A tracked object that starts up.
    pub fn new(name: impl Into<String>, kind: TrackKind, weight: i32) -> Self {
        Track {
            name: name.into(),
            kind,
            weight,
            reverse: false,
            initial: TrackStatus::Up,
        }
    }
}

/// What one tracked object does to its instance right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Change the priority by this much.
    Delta(i64),
    /// Force FAULT.
    Fault,
}

/// The effect of `track` in status `status`.
pub(crate) fn effect(track: &Track, status: TrackStatus) -> Effect {
    let sign: i64 = if track.reverse { -1 } else { 1 };
    let weight = i64::from(track.weight);
    match status {
        TrackStatus::Up | TrackStatus::Down => {
            let up = status == TrackStatus::Up;
            if weight == 0 {
                // reverse: being up is the failure.
                if up == track.reverse {
                    Effect::Fault
                } else {
                    Effect::Delta(0)
                }
            } else if (weight > 0 && up) || (weight < 0 && !up) {
                Effect::Delta(weight * sign)
            } else {
                Effect::Delta(0)
            }
        }
        TrackStatus::Value(value) => {
            if weight == 0 {
                if (value != 0) != track.reverse {
                    Effect::Fault
                } else {
                    Effect::Delta(0)
                }
            } else {
                let change = value.saturating_mul(weight).saturating_mul(sign);
                if change <= -254 {
                    Effect::Fault
                } else {
                    Effect::Delta(change.min(253))
                }
            }
        }
    }
}

/// The effective priority and fault flag for `base` and the given effects.
pub(crate) fn evaluate(base: u8, effects: impl Iterator<Item = Effect>) -> (u8, bool) {
    let mut total = i64::from(base);
    let mut fault = false;
    for e in effects {
        match e {
            Effect::Fault => fault = true,
            Effect::Delta(d) => total = total.saturating_add(d),
        }
    }
    if base == 255 {
        return (255, fault);
    }
    let clamped = total.clamp(1, 254);
    // The clamp keeps the value in 1..=254, so it fits.
    (u8::try_from(clamped).unwrap_or(1), fault)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn track(weight: i32, reverse: bool) -> Track {
        Track {
            reverse,
            ..Track::new("t", TrackKind::Script, weight)
        }
    }

    #[test]
    fn script_weights_follow_keepalived() {
        // process_script_update_priority(): positive weight adds while up,
        // negative weight subtracts while down.
        assert_eq!(
            effect(&track(10, false), TrackStatus::Up),
            Effect::Delta(10)
        );
        assert_eq!(
            effect(&track(10, false), TrackStatus::Down),
            Effect::Delta(0)
        );
        assert_eq!(
            effect(&track(-20, false), TrackStatus::Up),
            Effect::Delta(0)
        );
        assert_eq!(
            effect(&track(-20, false), TrackStatus::Down),
            Effect::Delta(-20)
        );
        // reverse flips the change.
        assert_eq!(
            effect(&track(10, true), TrackStatus::Up),
            Effect::Delta(-10)
        );
        assert_eq!(
            effect(&track(-20, true), TrackStatus::Down),
            Effect::Delta(20)
        );
    }

    #[test]
    fn weight_zero_forces_fault() {
        assert_eq!(effect(&track(0, false), TrackStatus::Down), Effect::Fault);
        assert_eq!(effect(&track(0, false), TrackStatus::Up), Effect::Delta(0));
        assert_eq!(effect(&track(0, true), TrackStatus::Up), Effect::Fault);
    }

    #[test]
    fn file_values_follow_keepalived() {
        // initialise_vrrp_file_tracking_priorities(): status × weight,
        // capped at 253, fault at -254 and below.
        assert_eq!(
            effect(&track(2, false), TrackStatus::Value(10)),
            Effect::Delta(20)
        );
        assert_eq!(
            effect(&track(100, false), TrackStatus::Value(10)),
            Effect::Delta(253)
        );
        assert_eq!(
            effect(&track(1, false), TrackStatus::Value(-254)),
            Effect::Fault
        );
        assert_eq!(
            effect(&track(1, false), TrackStatus::Value(-253)),
            Effect::Delta(-253)
        );
        assert_eq!(
            effect(&track(0, false), TrackStatus::Value(3)),
            Effect::Fault
        );
        assert_eq!(
            effect(&track(0, false), TrackStatus::Value(0)),
            Effect::Delta(0)
        );
        assert_eq!(
            effect(&track(0, true), TrackStatus::Value(0)),
            Effect::Fault
        );
    }

    #[test]
    fn effective_priority_is_clamped_and_owner_fixed() {
        // vrrp_set_effective_priority(): 1..=254; owner unchanged.
        assert_eq!(evaluate(100, [Effect::Delta(-500)].into_iter()), (1, false));
        assert_eq!(
            evaluate(100, [Effect::Delta(500)].into_iter()),
            (254, false)
        );
        assert_eq!(
            evaluate(255, [Effect::Delta(-50)].into_iter()),
            (255, false)
        );
        assert_eq!(evaluate(255, [Effect::Fault].into_iter()), (255, true));
        assert_eq!(
            evaluate(100, [Effect::Delta(20), Effect::Delta(-30)].into_iter()),
            (90, false)
        );
    }

    proptest! {
        #[test]
        fn effective_priority_always_in_range(
            base in 1u8..=254,
            tracks in proptest::collection::vec((-300i32..300, any::<bool>(), -1000i64..1000), 0..8),
        ) {
            let effects = tracks.iter().map(|&(w, r, v)| effect(&track(w, r), TrackStatus::Value(v)));
            let (prio, _) = evaluate(base, effects);
            prop_assert!((1..=254).contains(&prio));
        }
    }
}
