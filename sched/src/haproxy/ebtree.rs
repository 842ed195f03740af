//! The ordering of HAProxy's `eb32` trees, without the tree.
//!
//! HAProxy keeps servers in `eb32` trees whose keys may repeat. Walking such a
//! tree (`eb32_first()`, then `eb32_next()`) visits keys in ascending order
//! and, among equal keys, nodes in the order they were inserted (the
//! duplicate sub-tree is walked oldest first, see `import/ebtree.h`). A node
//! that is deleted and inserted again therefore goes behind its equals.
//!
//! [`EbTree`] reproduces exactly that order with a tournament (winner) tree
//! over server indices, ranked by `(key, insertion sequence)`: each server
//! index owns a leaf, each inner node holds the first-ranked of its two
//! children, the root holds `eb32_first()`. Changing a leaf replays the
//! matches on its path to the root: O(log n) steps whose memory addresses do
//! not depend on the keys, with one compare each and no data-dependent
//! branch, so the processor neither waits on a chain of loads nor guesses
//! where the walk stops (an indexed heap does both). Nothing allocates once
//! [`EbTree::reserve`] has sized it for the server list.

/// Item of an empty leaf (no server there).
const ABSENT: u32 = u32::MAX;

/// Insertion sequence numbers are kept below this bound so that a rank fits
/// in a `u64` beside the key, strictly below an empty leaf's rank; reaching
/// it renumbers the nodes.
const SEQ_LIMIT: u64 = (1 << 32) - 1;

/// The rank of a node with this key inserted as number `seq` (below
/// `SEQ_LIMIT`): the walking order of the tree is the order of ranks.
fn rank(key: u32, seq: u64) -> u64 {
    (u64::from(key) << 32) | (seq & u64::from(u32::MAX))
}

/// The key part of a rank.
fn key_of(rank: u64) -> u32 {
    (rank >> 32) as u32
}

/// A leaf or the winner of a subtree: a server index and its rank. Ranks
/// are unique among servers (sequence numbers are), so matches never tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Node {
    /// `(key, insertion sequence)` packed by [`rank`].
    rank: u64,
    /// The server index, `ABSENT` for an empty leaf.
    item: u32,
}

/// An empty leaf, or a subtree without servers: it loses every match.
const EMPTY: Node = Node {
    rank: u64::MAX,
    item: ABSENT,
};

/// `a` where `mask` is all ones, `b` where it is zero.
fn select(mask: u64, a: u64, b: u64) -> u64 {
    (a & mask) | (b & !mask)
}

/// The winner of a match: the first-ranked of the two. Computed with masks
/// rather than `if`, which the compiler may turn into an unpredictable
/// branch.
fn winner(a: Node, b: Node) -> Node {
    let b_wins = u64::from(b.rank < a.rank).wrapping_neg();
    Node {
        rank: select(b_wins, b.rank, a.rank),
        item: select(b_wins, u64::from(b.item), u64::from(a.item)) as u32,
    }
}

/// An ordered multiset of server indices by key, duplicates oldest first.
///
/// `nodes[1]` is the root; node `k` has children `2k` and `2k + 1`; the
/// leaf of server `i` is `nodes[leaves + i]`, `leaves` being a power of
/// two (or zero before any reservation).
#[derive(Clone, Debug, Default)]
pub(crate) struct EbTree {
    /// The tournament, 1-based (`nodes[0]` is unused).
    nodes: Vec<Node>,
    /// Number of leaves.
    leaves: usize,
    /// Number of servers in the tree.
    len: usize,
    /// Sequence number of the next insertion.
    next_seq: u64,
}

impl EbTree {
    /// Makes room for server indices `0..items`, so that later operations
    /// on them never allocate.
    pub(crate) fn reserve(&mut self, items: usize) {
        if items <= self.leaves {
            return;
        }
        let leaves = items.next_power_of_two();
        let mut nodes = vec![EMPTY; 2 * leaves];
        if let (Some(old), Some(new)) = (
            self.nodes.get(self.leaves..),
            nodes.get_mut(leaves..leaves + self.leaves),
        ) {
            new.copy_from_slice(old);
        }
        self.nodes = nodes;
        self.leaves = leaves;
        self.rebuild();
    }

    /// Replays every match, from the last inner node up to the root.
    fn rebuild(&mut self) {
        for k in (1..self.leaves).rev() {
            let left = self.node(2 * k);
            let right = self.node(2 * k + 1);
            if let Some(slot) = self.nodes.get_mut(k) {
                *slot = winner(left, right);
            }
        }
    }

    /// The node at `at`, empty when out of range.
    fn node(&self, at: usize) -> Node {
        self.nodes.get(at).copied().unwrap_or(EMPTY)
    }

    /// The leaf of server `item`, if that index has one.
    fn leaf(&self, item: usize) -> Option<Node> {
        if item < self.leaves {
            self.nodes.get(self.leaves + item).copied()
        } else {
            None
        }
    }

    /// Whether server `item` is in the tree.
    fn holds(&self, item: usize) -> bool {
        self.leaf(item).is_some_and(|n| n.item != ABSENT)
    }

    /// Removes every node.
    pub(crate) fn clear(&mut self) {
        self.nodes.fill(EMPTY);
        self.len = 0;
    }

    /// The server's key, when it is in this tree.
    pub(crate) fn key(&self, item: usize) -> Option<u32> {
        self.leaf(item)
            .filter(|n| n.item != ABSENT)
            .map(|n| key_of(n.rank))
    }

    /// `eb32_first()`: the smallest key, oldest among equals.
    pub(crate) fn first(&self) -> Option<usize> {
        let root = self.nodes.get(1)?;
        (root.item != ABSENT).then_some(root.item as usize)
    }

    /// The first server, in walking order, that `accept` takes: what a loop
    /// of `eb32_first()` / `eb32_next()` stopping at the first accepted node
    /// returns.
    pub(crate) fn first_where(&self, mut accept: impl FnMut(usize) -> bool) -> Option<usize> {
        let first = self.first()?;
        if accept(first) {
            return Some(first);
        }
        self.nodes
            .get(self.leaves..)
            .unwrap_or_default()
            .iter()
            .filter(|n| n.item != ABSENT && accept(n.item as usize))
            .min_by_key(|n| n.rank)
            .map(|n| n.item as usize)
    }

    /// `eb32_insert()`: adds the server behind any node of equal key. A
    /// server already in the tree is moved (deleted, then inserted).
    pub(crate) fn insert(&mut self, item: usize, key: u32) {
        let seq = self.take_seq();
        let Ok(item32) = u32::try_from(item) else {
            return;
        };
        if item32 == ABSENT {
            return;
        }
        self.reserve(item + 1);
        if !self.holds(item) {
            self.len += 1;
        }
        // rewriting the leaf ranks the node exactly as a deletion followed
        // by an insertion would
        let node = Node {
            rank: rank(key, seq),
            item: item32,
        };
        self.set_leaf(item, node);
    }

    /// The next insertion sequence number. When numbers run out (after
    /// 2^32 - 1 insertions), the nodes are renumbered in walking order.
    /// This rare step allocates a scratch copy.
    fn take_seq(&mut self) -> u64 {
        if self.next_seq >= SEQ_LIMIT {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Numbers the servers `0..len` in walking order, keeping their keys.
    fn renumber(&mut self) {
        let leaves = self.nodes.get(self.leaves..).unwrap_or_default();
        let mut present: Vec<Node> = leaves
            .iter()
            .copied()
            .filter(|n| n.item != ABSENT)
            .collect();
        present.sort_unstable_by_key(|n| n.rank);
        for (seq, n) in present.iter().enumerate() {
            let at = self.leaves + n.item as usize;
            if let Some(slot) = self.nodes.get_mut(at) {
                slot.rank = rank(key_of(n.rank), seq as u64);
            }
        }
        self.rebuild();
        self.next_seq = present.len() as u64;
    }

    /// `eb32_delete()`: takes the server out; nothing happens if it is not
    /// in the tree. Returns whether it was.
    pub(crate) fn remove(&mut self, item: usize) -> bool {
        if !self.holds(item) {
            return false;
        }
        self.len -= 1;
        self.set_leaf(item, EMPTY);
        true
    }

    /// Writes server `item`'s leaf (within range) and replays the matches
    /// on its path: one step per level, whatever the ranks.
    fn set_leaf(&mut self, item: usize, leaf: Node) {
        let mut at = self.leaves + item;
        let mut best = leaf;
        if let Some(slot) = self.nodes.get_mut(at) {
            *slot = leaf;
        }
        while at > 1 {
            best = winner(best, self.node(at ^ 1));
            at >>= 1;
            if let Some(slot) = self.nodes.get_mut(at) {
                *slot = best;
            }
        }
    }

    /// The servers in walking order (tests and debugging; allocates).
    #[cfg(test)]
    pub(crate) fn walk(&self) -> Vec<usize> {
        let leaves = self.nodes.get(self.leaves..).unwrap_or_default();
        let mut present: Vec<Node> = leaves
            .iter()
            .copied()
            .filter(|n| n.item != ABSENT)
            .collect();
        present.sort_unstable_by_key(|n| n.rank);
        present.iter().map(|n| n.item as usize).collect()
    }

    /// Number of nodes (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_keys_are_walked_in_insertion_order() {
        // ebtree.h: duplicates are walked in the order they were inserted.
        let mut t = EbTree::default();
        t.insert(3, 10);
        t.insert(1, 10);
        t.insert(2, 5);
        t.insert(0, 10);
        assert_eq!(t.walk(), vec![2, 3, 1, 0]);
        assert_eq!(t.first(), Some(2));
        // a re-inserted node goes behind its equals
        t.insert(3, 10);
        assert_eq!(t.walk(), vec![2, 1, 0, 3]);
        assert!(t.remove(2));
        assert!(!t.remove(2));
        assert_eq!(t.first(), Some(1));
        assert_eq!(t.key(0), Some(10));
        assert_eq!(t.key(2), None);
    }

    #[test]
    fn running_out_of_sequence_numbers_keeps_the_order() {
        let mut t = EbTree {
            next_seq: SEQ_LIMIT - 2,
            ..EbTree::default()
        };
        t.insert(0, 5);
        t.insert(1, 5);
        t.insert(2, 5); // renumbers 0, 1 as 0, 1 and takes 2
        t.insert(0, 5);
        assert_eq!(t.walk(), vec![1, 2, 0]);
        assert_eq!(t.next_seq, 4);
    }

    #[test]
    fn first_where_follows_the_walk() {
        let mut t = EbTree::default();
        for (item, key) in [(0, 7), (1, 3), (2, 3), (3, 1)] {
            t.insert(item, key);
        }
        assert_eq!(t.first_where(|i| i != 3), Some(1));
        assert_eq!(t.first_where(|i| i == 0 || i == 2), Some(2));
        assert_eq!(t.first_where(|_| false), None);
    }

    proptest! {
        #[test]
        fn matches_a_sorted_model(ops in proptest::collection::vec((0usize..12, 0u32..4, any::<bool>()), 0..80)) {
            let mut t = EbTree::default();
            let mut model: Vec<(u32, u64, usize)> = Vec::new();
            let mut seq = 0u64;
            for (item, key, insert) in ops {
                model.retain(|&(_, _, i)| i != item);
                if insert {
                    t.insert(item, key);
                    model.push((key, seq, item));
                    seq += 1;
                } else {
                    t.remove(item);
                }
                model.sort();
                let expect: Vec<usize> = model.iter().map(|m| m.2).collect();
                prop_assert_eq!(t.walk(), expect.clone());
                prop_assert_eq!(t.first(), expect.first().copied());
                prop_assert_eq!(t.len(), expect.len());
            }
        }

        #[test]
        fn a_grown_tree_matches_a_sorted_model(
            ops in proptest::collection::vec((0usize..40, 0u32..6, 0u8..4), 0..150),
            seq_start in prop_oneof![Just(0u64), Just(SEQ_LIMIT - 5)],
        ) {
            // Larger trees than above (leaves grow from 1 to 64 as indices
            // arrive), a third of the operations moving a server already
            // there, and sometimes a renumbering on the way: after each
            // step the walk, first(), first_where() and key() must read as
            // in a list sorted by (key, insertion number).
            let mut t = EbTree { next_seq: seq_start, ..EbTree::default() };
            let mut model: Vec<(u32, u64, usize)> = Vec::new();
            let mut seq = 0u64;
            for (item, key, op) in ops {
                model.retain(|&(_, _, i)| i != item);
                if op == 0 {
                    let had = t.key(item).is_some();
                    prop_assert_eq!(t.remove(item), had);
                } else {
                    t.insert(item, key);
                    model.push((key, seq, item));
                    seq += 1;
                }
                model.sort();
                let expect: Vec<usize> = model.iter().map(|m| m.2).collect();
                prop_assert_eq!(t.walk(), expect.clone());
                prop_assert_eq!(t.first(), expect.first().copied());
                let odd = expect.iter().copied().find(|i| i % 2 == 1);
                prop_assert_eq!(t.first_where(|i| i % 2 == 1), odd);
                for probe in 0..40 {
                    let key = model.iter().find(|m| m.2 == probe).map(|m| m.0);
                    prop_assert_eq!(t.key(probe), key);
                }
                prop_assert_eq!(t.len(), expect.len());
            }
        }
    }
}
