//! The `twos` scheduler (`net/netfilter/ipvs/ip_vs_twos.c`).
//!
//! Weighted random twos choice. Over the destinations that are neither
//! overloaded nor of weight 0 (in list order), the kernel sums the weights,
//! adds 1, and draws two numbers below that total. Each one then walks the
//! list subtracting weights; the first destination that brings it to 0 or
//! below is its choice (so the first usable destination gets one value more
//! than its weight). Of the two choices, the second replaces the first only
//! when it is strictly less loaded: `weight2 * overhead1 > weight1 *
//! overhead2`, computed in C `int`s, so the products wrap on overflow as
//! they do here.
//!
//! Linux 6.1 draws with `prandom_u32_max(total)`, which for a total not
//! known at compile time is `((u64)get_random_u32() * total) >> 32`: one
//! 32-bit number per draw, mapped by multiplication. (6.2 switched to
//! `get_random_u32_below()`, which rejects a few numbers; 6.0 and earlier
//! had no `twos`.) Each pick with a usable destination consumes exactly two
//! numbers from the [`crate::RandomSource`], the first for `rweight1`;
//! a pick with none consumes nothing.

use super::algo::{Algo, Context};
use super::wlc::conn_overhead;
use super::Dest;

/// State of the `twos` scheduler (it has none).
#[derive(Debug, Default)]
pub(crate) struct Twos {}

impl Twos {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Twos::default()
    }
}

/// Linux 6.1 `prandom_u32_max(ceil)` for a run-time `ceil`: maps a uniform
/// 32-bit number into `0..ceil` by multiplying and keeping the high half.
fn below(random: u32, ceil: u32) -> u32 {
    ((u64::from(random) * u64::from(ceil)) >> 32) as u32
}

/// True when the destination takes part in the draw.
fn usable(dest: &Dest) -> bool {
    !dest.overloaded && dest.weight > 0
}

/// One of the two choices: (index, weight, overhead).
type Choice = (usize, i32, i32);

/// Walks the list with the two random weights and returns the
/// destinations where each reaches 0 or below.
fn walk(dests: &[Dest], mut rweight1: i32, mut rweight2: i32) -> (Option<Choice>, Option<Choice>) {
    let (mut first, mut second) = (None, None);
    for (at, dest) in dests.iter().enumerate() {
        if !usable(dest) {
            continue;
        }
        rweight1 = rweight1.wrapping_sub(dest.weight);
        rweight2 = rweight2.wrapping_sub(dest.weight);
        if rweight1 <= 0 && first.is_none() {
            first = Some((at, dest.weight, conn_overhead(dest)));
        }
        if rweight2 <= 0 && second.is_none() {
            second = Some((at, dest.weight, conn_overhead(dest)));
        }
        if first.is_some() && second.is_some() {
            break;
        }
    }
    (first, second)
}

impl Algo for Twos {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        // The first pass: the total weight, and the last usable destination
        // as the fallback for choice1.
        let mut total: i32 = 0;
        let mut fallback = None;
        for (at, dest) in dests.iter().enumerate() {
            if usable(dest) {
                total = total.wrapping_add(dest.weight);
                fallback = Some(at);
            }
        }
        let fallback = fallback?;
        let total = total.wrapping_add(1) as u32;
        let rweight1 = below(cx.rng.next_u32(), total) as i32;
        let rweight2 = below(cx.rng.next_u32(), total) as i32;
        let (first, second) = walk(dests, rweight1, rweight2);
        // Unset choices keep the kernel's initial values: weight -1 and
        // overhead 0 for the first, choice1 on the fallback.
        let (choice1, weight1, overhead1) = first.unwrap_or((fallback, -1, 0));
        match second {
            Some((choice2, weight2, overhead2))
                if weight2.wrapping_mul(overhead1) > weight1.wrapping_mul(overhead2) =>
            {
                Some(choice2)
            }
            _ => Some(choice1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::below;
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A `twos` scheduler drawing `draws` in order (then 0s), with these
    /// (id, weight) added in order.
    fn twos(servers: &[(u32, u32)], draws: &[u32]) -> Scheduler {
        let draws = draws.to_vec();
        let mut next = 0;
        let mut s = Scheduler::from_name("twos").unwrap().with_random(move || {
            next += 1;
            draws.get(next - 1).copied().unwrap_or(0)
        });
        for &(id, w) in servers {
            s.add(ServerId(id), ServerConfig::new(w)).unwrap();
        }
        s
    }

    /// One pick.
    fn pick(s: &mut Scheduler) -> Result<u32, PickError> {
        s.pick(&RequestKey::new()).map(|id| id.0)
    }

    #[test]
    fn prandom_u32_max_maps_by_multiplication() {
        // ((u64)r * 7) >> 32.
        assert_eq!(below(0, 7), 0);
        assert_eq!(below(0x4000_0000, 7), 1);
        assert_eq!(below(0x8000_0000, 7), 3);
        assert_eq!(below(0xC000_0000, 7), 5);
        assert_eq!(below(u32::MAX, 7), 6);
        // A modulo would give 0xC000_0000 % 7 = 3.
        assert_ne!(below(0xC000_0000, 7), 0xC000_0000 % 7);
    }

    #[test]
    fn random_weights_map_onto_the_list() {
        // Added 1 (w 1), 2 (w 2), 3 (w 3): list [3, 2, 1], total 6 + 1.
        // ip_vs_twos_schedule(): rweight 0..=3 ends on 3 (3 - 3 <= 0),
        // 4..=5 on 2, 6 on 1. Both draws equal: choice2 == choice1.
        let mut s = twos(
            &[(1, 1), (2, 2), (3, 3)],
            &[
                0,
                0,
                0x8000_0000,
                0x8000_0000,
                0xC000_0000,
                0xC000_0000,
                u32::MAX,
                u32::MAX,
            ],
        );
        // 0 -> 3; 3 -> 3; 5 -> 2; 6 -> 1.
        assert_eq!(pick(&mut s), Ok(3));
        assert_eq!(pick(&mut s), Ok(3));
        assert_eq!(pick(&mut s), Ok(2));
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn the_less_loaded_of_the_two_wins() {
        // List [3 (w 3), 2 (w 2), 1 (w 1)]. Draws 1 -> 3 and 6 -> 1.
        let draws = [0x4000_0000, u32::MAX];
        // Idle: 1 * 0 > 3 * 0 is false, choice1 (3) stays.
        let mut s = twos(&[(1, 1), (2, 2), (3, 3)], &draws);
        assert_eq!(pick(&mut s), Ok(3));
        // 3 has one active connection (256): 1 * 256 > 3 * 0 -> 1.
        let mut s = twos(&[(1, 1), (2, 2), (3, 3)], &draws);
        s.set_connections(ServerId(3), 1, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
        // 3: 256 / 3, 1: 86 / 1: 1 * 256 > 3 * 86 = 258 is false -> 3.
        let mut s = twos(&[(1, 1), (2, 2), (3, 3)], &draws);
        s.set_connections(ServerId(3), 1, 0).unwrap();
        s.set_connections(ServerId(1), 0, 86).unwrap();
        assert_eq!(pick(&mut s), Ok(3));
        // 1: 85 inactive: 256 > 255 -> 1.
        let mut s = twos(&[(1, 1), (2, 2), (3, 3)], &draws);
        s.set_connections(ServerId(3), 1, 0).unwrap();
        s.set_connections(ServerId(1), 0, 85).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn int_products_wrap_as_in_the_kernel() {
        // Added 1 (w 1), 2 (w 65535): list [2, 1], total 65536 + 1.
        // u32::MAX -> 65536: 2 leaves 1, 1 brings it to 0 -> choice1 = 1;
        // 0 -> choice2 = 2.
        let draws = [u32::MAX, 0];
        // 1 has 100 active: 65535 * 25600 fits in an int and is > 0 -> 2.
        let mut s = twos(&[(1, 1), (2, 65535)], &draws);
        s.set_connections(ServerId(1), 100, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(2));
        // 1 has 200 active: 65535 * 51200 overflows to a negative int, so
        // the kernel keeps the loaded choice1.
        let mut s = twos(&[(1, 1), (2, 65535)], &draws);
        s.set_connections(ServerId(1), 200, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn quiesced_and_overloaded_take_no_part() {
        // Added 1 (w 2), 2 (w 5, upper 1), 3 (w 4, drained): list
        // [3, 2, 1]. 2 overloaded, 3 weight 0: total 2 + 1 = 3, only 1.
        let mut s = Scheduler::from_name("twos")
            .unwrap()
            .with_random(|| u32::MAX);
        s.add(ServerId(1), ServerConfig::new(2)).unwrap();
        s.add(ServerId(2), ServerConfig::new(5).thresholds(1, 0))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(4)).unwrap();
        s.set_state(ServerId(3), ServerState::Drain).unwrap();
        s.set_connections(ServerId(2), 1, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(pick(&mut s), Err(PickError::Unavailable));
    }

    #[test]
    fn two_draws_per_pick_none_when_unavailable() {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        let mut s = Scheduler::from_name("twos").unwrap().with_random(move || {
            seen.fetch_add(1, Ordering::Relaxed);
            7
        });
        s.add(ServerId(1), ServerConfig::new(0)).unwrap();
        assert_eq!(pick(&mut s), Err(PickError::Unavailable));
        assert_eq!(count.load(Ordering::Relaxed), 0);
        s.set_weight(ServerId(1), 3).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
        assert_eq!(pick(&mut s), Ok(1));
        assert_eq!(count.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn first_draw_is_rweight1() {
        // List [2 (w 1), 1 (w 1)], total 3. Draws: u32::MAX -> 2 -> 1,
        // then 0 -> 0 -> 2. Both idle: no replacement, choice1 = 1.
        let mut s = twos(&[(1, 1), (2, 1)], &[u32::MAX, 0]);
        assert_eq!(pick(&mut s), Ok(1));
        // Swapped draws: choice1 = 2.
        let mut s = twos(&[(1, 1), (2, 1)], &[0, u32::MAX]);
        assert_eq!(pick(&mut s), Ok(2));
    }

    #[test]
    fn empty_set() {
        let mut s = twos(&[], &[]);
        assert_eq!(pick(&mut s), Err(PickError::Empty));
    }
}
