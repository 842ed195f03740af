//! A tournament (segment) tree over the destination list: the first
//! destination, in list order, whose rank no later one strictly beats.
//!
//! The kernel's least-connection schedulers walk the whole list on every
//! connection and keep the first best destination. The answer only changes
//! when a destination's counters, weight or flags change, so keeping the
//! winner of every pair of subtrees up to date gives the same answer in
//! O(1) per pick and O(log n) per change.

/// A destination's standing; `None` in the tree means "not eligible".
pub(crate) trait Rank: Copy {
    /// True when `self` strictly beats `other` (the kernel's replacement test).
    fn beats(&self, other: &Self) -> bool;
}

/// Winners of a complete binary tree whose leaves are list positions.
#[derive(Debug, Clone)]
pub(crate) struct Tournament<R> {
    /// Number of leaves (a power of two, at least 1).
    width: usize,
    /// Heap-ordered nodes: `nodes[1]` is the root, leaves start at `width`.
    nodes: Vec<Option<(R, usize)>>,
}

impl<R: Rank> Default for Tournament<R> {
    fn default() -> Self {
        Tournament {
            width: 1,
            nodes: vec![None; 2],
        }
    }
}

impl<R: Rank> Tournament<R> {
    /// Rebuilds the tree from every position's rank, in list order.
    pub(crate) fn rebuild(&mut self, ranks: impl ExactSizeIterator<Item = Option<R>>) {
        self.width = ranks.len().next_power_of_two().max(1);
        self.nodes.clear();
        self.nodes.resize(2 * self.width, None);
        for (at, rank) in ranks.enumerate() {
            self.nodes[self.width + at] = rank.map(|r| (r, at));
        }
        for node in (1..self.width).rev() {
            self.nodes[node] = self.winner(node);
        }
    }

    /// Sets one position's rank and replays the matches above it.
    pub(crate) fn set(&mut self, at: usize, rank: Option<R>) {
        if at >= self.width {
            return;
        }
        let mut node = self.width + at;
        self.nodes[node] = rank.map(|r| (r, at));
        while node > 1 {
            node /= 2;
            self.nodes[node] = self.winner(node);
        }
    }

    /// The first position whose rank is not strictly beaten by a later one.
    pub(crate) fn best(&self) -> Option<usize> {
        self.nodes[1].map(|(_, at)| at)
    }

    /// The winner of a node's two children: the right one only when it
    /// strictly beats the left one, as the kernel's forward scan decides.
    fn winner(&self, node: usize) -> Option<(R, usize)> {
        match (self.nodes[2 * node], self.nodes[2 * node + 1]) {
            (Some(left), Some(right)) if right.0.beats(&left.0) => Some(right),
            (Some(left), _) => Some(left),
            (None, right) => right,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl Rank for u32 {
        fn beats(&self, other: &Self) -> bool {
            self < other
        }
    }

    /// The kernel's loop: first eligible, replaced only by a strictly better one.
    fn scan(ranks: &[Option<u32>]) -> Option<usize> {
        let mut best: Option<(u32, usize)> = None;
        for (at, rank) in ranks.iter().enumerate() {
            if let Some(r) = rank {
                if best.is_none_or(|(b, _)| r.beats(&b)) {
                    best = Some((*r, at));
                }
            }
        }
        best.map(|(_, at)| at)
    }

    #[test]
    fn ties_go_to_the_first_position() {
        let mut t = Tournament::default();
        t.rebuild([Some(3), Some(1), None, Some(1)].into_iter());
        assert_eq!(t.best(), Some(1));
        t.set(1, Some(5));
        assert_eq!(t.best(), Some(3));
        t.set(3, None);
        assert_eq!(t.best(), Some(0));
    }

    #[test]
    fn empty_has_no_winner() {
        let mut t: Tournament<u32> = Tournament::default();
        assert_eq!(t.best(), None);
        t.rebuild(std::iter::empty());
        assert_eq!(t.best(), None);
    }

    proptest! {
        #[test]
        fn agrees_with_the_kernel_scan(
            ranks in prop::collection::vec(prop::option::of(0u32..5), 0..40),
            edits in prop::collection::vec((0usize..40, prop::option::of(0u32..5)), 0..20),
        ) {
            let mut ranks = ranks;
            let mut t = Tournament::default();
            t.rebuild(ranks.iter().copied());
            prop_assert_eq!(t.best(), scan(&ranks));
            for (at, rank) in edits {
                if at < ranks.len() {
                    ranks[at] = rank;
                    t.set(at, rank);
                    prop_assert_eq!(t.best(), scan(&ranks));
                }
            }
        }
    }
}
