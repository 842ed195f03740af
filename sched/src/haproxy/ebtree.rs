//! The ordering of HAProxy's `eb32` trees, without the tree.
//!
//! HAProxy keeps servers in `eb32` trees whose keys may repeat. Walking such a
//! tree (`eb32_first()`, then `eb32_next()`) visits keys in ascending order
//! and, among equal keys, nodes in the order they were inserted (the
//! duplicate sub-tree is walked oldest first, see `import/ebtree.h`). A node
//! that is deleted and inserted again therefore goes behind its equals.
//!
//! [`EbTree`] reproduces exactly that order with an indexed 4-ary min-heap
//! ranked by `(key, insertion sequence)`: `first`, `insert` and `remove` cost
//! O(log n), and nothing allocates once [`EbTree::reserve`] has sized it for
//! the server list. Items are server indices.

/// Heap position of an item that is in no tree.
const ABSENT: u32 = u32::MAX;

/// Children per heap node: a 4-ary heap is shallower than a binary one.
const ARITY: usize = 4;

/// Insertion sequence numbers are kept below this bound so that a rank fits
/// in a `u64` beside the key; reaching it renumbers the nodes.
const SEQ_LIMIT: u64 = 1 << 32;

/// The rank of a node with this key inserted as number `seq`: the walking
/// order of the tree is the order of ranks.
fn rank(key: u32, seq: u64) -> u64 {
    (u64::from(key) << 32) | (seq & (SEQ_LIMIT - 1))
}

/// The key part of a rank.
fn key_of(rank: u64) -> u32 {
    (rank >> 32) as u32
}

/// An ordered multiset of server indices by key, duplicates oldest first.
///
/// The heap is kept as two parallel arrays so that comparing the children
/// of a node reads one cache line.
#[derive(Clone, Debug, Default)]
pub(crate) struct EbTree {
    /// Ranks, in min-heap order.
    ranks: Vec<u64>,
    /// The server index at each heap position.
    items: Vec<u32>,
    /// For each server index, its heap position or `ABSENT`.
    pos: Vec<u32>,
    /// Sequence number of the next insertion.
    next_seq: u64,
}

impl EbTree {
    /// Makes room for server indices `0..items`, so that later operations
    /// on them never allocate.
    pub(crate) fn reserve(&mut self, items: usize) {
        if self.pos.len() < items {
            self.pos.resize(items, ABSENT);
        }
        let len = self.ranks.len();
        if self.ranks.capacity() < items {
            self.ranks.reserve(items - len);
        }
        if self.items.capacity() < items {
            self.items.reserve(items - len);
        }
    }

    /// Removes every node.
    pub(crate) fn clear(&mut self) {
        for &item in &self.items {
            if let Some(p) = self.pos.get_mut(item as usize) {
                *p = ABSENT;
            }
        }
        self.ranks.clear();
        self.items.clear();
    }

    /// The server's key, when it is in this tree.
    pub(crate) fn key(&self, item: usize) -> Option<u32> {
        let p = *self.pos.get(item)?;
        self.ranks.get(p as usize).map(|&r| key_of(r))
    }

    /// `eb32_first()`: the smallest key, oldest among equals.
    pub(crate) fn first(&self) -> Option<usize> {
        self.items.first().map(|&i| i as usize)
    }

    /// The first server, in walking order, that `accept` takes: what a loop
    /// of `eb32_first()` / `eb32_next()` stopping at the first accepted node
    /// returns.
    pub(crate) fn first_where(&self, mut accept: impl FnMut(usize) -> bool) -> Option<usize> {
        let first = self.first()?;
        if accept(first) {
            return Some(first);
        }
        self.ranks
            .iter()
            .zip(&self.items)
            .filter(|(_, &item)| accept(item as usize))
            .min_by_key(|(&rank, _)| rank)
            .map(|(_, &item)| item as usize)
    }

    /// `eb32_insert()`: adds the server behind any node of equal key. A
    /// server already in the tree is moved (deleted, then inserted).
    pub(crate) fn insert(&mut self, item: usize, key: u32) {
        let seq = self.take_seq();
        if let Some(&p) = self.pos.get(item) {
            if p != ABSENT {
                // moving in place ranks the node exactly as a deletion
                // followed by an insertion would
                let at = p as usize;
                self.ranks[at] = rank(key, seq);
                self.sift_up(at);
                self.sift_down(at);
                return;
            }
        }
        self.reserve(item + 1);
        let Ok(item32) = u32::try_from(item) else {
            return;
        };
        let at = self.ranks.len();
        self.ranks.push(rank(key, seq));
        self.items.push(item32);
        self.set_pos(at);
        self.sift_up(at);
    }

    /// The next insertion sequence number. When numbers run out (after 2^32
    /// insertions), the nodes are renumbered in walking order; a sorted
    /// array is a valid heap, so the order is kept. This rare step
    /// allocates a scratch copy.
    fn take_seq(&mut self) -> u64 {
        if self.next_seq >= SEQ_LIMIT {
            let mut nodes: Vec<(u64, u32)> = self
                .ranks
                .iter()
                .copied()
                .zip(self.items.iter().copied())
                .collect();
            nodes.sort_unstable();
            for (at, &(r, item)) in nodes.iter().enumerate() {
                self.ranks[at] = rank(key_of(r), at as u64);
                self.items[at] = item;
                self.set_pos(at);
            }
            self.next_seq = nodes.len() as u64;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// `eb32_delete()`: takes the server out; nothing happens if it is not
    /// in the tree. Returns whether it was.
    pub(crate) fn remove(&mut self, item: usize) -> bool {
        let Some(&p) = self.pos.get(item) else {
            return false;
        };
        if p == ABSENT {
            return false;
        }
        let at = p as usize;
        self.pos[item] = ABSENT;
        let last = self.ranks.len() - 1;
        self.ranks.swap_remove(at);
        self.items.swap_remove(at);
        if at < last {
            self.set_pos(at);
            self.sift_up(at);
            self.sift_down(at);
        }
        true
    }

    /// The servers in walking order (tests and debugging; allocates).
    #[cfg(test)]
    pub(crate) fn walk(&self) -> Vec<usize> {
        let mut nodes: Vec<(u64, u32)> = self
            .ranks
            .iter()
            .copied()
            .zip(self.items.iter().copied())
            .collect();
        nodes.sort_unstable();
        nodes.iter().map(|&(_, item)| item as usize).collect()
    }

    /// Number of nodes (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.ranks.len()
    }

    /// Records the heap position of the node at `at`.
    fn set_pos(&mut self, at: usize) {
        let item = self.items[at] as usize;
        if let Some(p) = self.pos.get_mut(item) {
            *p = at as u32;
        }
    }

    /// Moves the node at `at` up while it ranks before its parent (the
    /// nodes it passes move down into the hole it leaves).
    fn sift_up(&mut self, mut at: usize) {
        let (rank, item) = (self.ranks[at], self.items[at]);
        while at > 0 {
            let parent = (at - 1) / ARITY;
            if self.ranks[parent] <= rank {
                break;
            }
            self.ranks[at] = self.ranks[parent];
            self.items[at] = self.items[parent];
            self.set_pos(at);
            at = parent;
        }
        self.ranks[at] = rank;
        self.items[at] = item;
        self.set_pos(at);
    }

    /// Moves the node at `at` down while a child ranks before it (the
    /// smallest child moves up into the hole each time).
    fn sift_down(&mut self, mut at: usize) {
        let len = self.ranks.len();
        let (rank, item) = (self.ranks[at], self.items[at]);
        loop {
            let first = ARITY * at + 1;
            if first >= len {
                break;
            }
            let last = (first + ARITY).min(len);
            let mut child = first;
            let mut best = self.ranks[first];
            for (c, &r) in self.ranks[first + 1..last].iter().enumerate() {
                let smaller = r < best;
                best = if smaller { r } else { best };
                child = if smaller { first + 1 + c } else { child };
            }
            if rank <= best {
                break;
            }
            self.ranks[at] = best;
            self.items[at] = self.items[child];
            self.set_pos(at);
            at = child;
        }
        self.ranks[at] = rank;
        self.items[at] = item;
        self.set_pos(at);
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
    }
}
