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

/// Children per heap node. At a few thousand nodes the whole heap sits in
/// the first-level cache, so what counts is the chain of dependent
/// compares on the way down: four children per level halve the levels of
/// a binary heap for one more compare per level, done in parallel.
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

/// One heap slot: a server index and its rank. Ranks are unique within a
/// tree (sequence numbers are), so nodes never tie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Node {
    /// `(key, insertion sequence)` packed by [`rank`].
    rank: u64,
    /// The server index.
    item: u32,
}

/// Offset, within a full set of siblings, of the one ranked first. Written
/// as a small tournament so that it compiles to conditional moves rather
/// than unpredictable branches.
fn first_of(children: &[Node; ARITY]) -> usize {
    let [a, b, c, d] = children;
    let (left, left_rank) = if b.rank < a.rank {
        (1, b.rank)
    } else {
        (0, a.rank)
    };
    let (right, right_rank) = if d.rank < c.rank {
        (3, d.rank)
    } else {
        (2, c.rank)
    };
    if right_rank < left_rank {
        right
    } else {
        left
    }
}

/// Offset of the node ranked first in a non-empty partial set of siblings
/// (the last, incomplete family of the heap).
fn first_of_partial(children: &[Node]) -> usize {
    let mut best = 0;
    for (i, child) in children.iter().enumerate().skip(1) {
        if children.get(best).is_some_and(|b| child.rank < b.rank) {
            best = i;
        }
    }
    best
}

/// An ordered multiset of server indices by key, duplicates oldest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct EbTree {
    /// The nodes, in min-heap order.
    nodes: Vec<Node>,
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
        let len = self.nodes.len();
        if self.nodes.capacity() < items {
            self.nodes.reserve(items - len);
        }
    }

    /// Removes every node.
    pub(crate) fn clear(&mut self) {
        for node in &self.nodes {
            if let Some(p) = self.pos.get_mut(node.item as usize) {
                *p = ABSENT;
            }
        }
        self.nodes.clear();
    }

    /// The heap position of the server, when it is in this tree.
    fn position(&self, item: usize) -> Option<usize> {
        match self.pos.get(item) {
            Some(&p) if p != ABSENT => Some(p as usize),
            _ => None,
        }
    }

    /// The server's key, when it is in this tree.
    pub(crate) fn key(&self, item: usize) -> Option<u32> {
        let at = self.position(item)?;
        self.nodes.get(at).map(|n| key_of(n.rank))
    }

    /// `eb32_first()`: the smallest key, oldest among equals.
    pub(crate) fn first(&self) -> Option<usize> {
        self.nodes.first().map(|n| n.item as usize)
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
            .iter()
            .filter(|n| accept(n.item as usize))
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
        let node = Node {
            rank: rank(key, seq),
            item: item32,
        };
        if let Some(at) = self.position(item) {
            // moving in place ranks the node exactly as a deletion
            // followed by an insertion would
            self.reposition(at, node);
            return;
        }
        self.reserve(item + 1);
        let at = self.nodes.len();
        self.nodes.push(node);
        self.sift_up(at, node);
    }

    /// Puts `node` in the hole at `at`, moving it up or down depending on
    /// how it ranks against the node it replaces.
    fn reposition(&mut self, at: usize, node: Node) {
        let Some(&old) = self.nodes.get(at) else {
            return;
        };
        if node.rank < old.rank {
            self.sift_up(at, node);
        } else {
            self.sift_down(at, node);
        }
    }

    /// The next insertion sequence number. When numbers run out (after 2^32
    /// insertions), the nodes are renumbered in walking order; a sorted
    /// array is a valid heap, so the order is kept. This rare step
    /// allocates nothing: the heap is sorted in place.
    fn take_seq(&mut self) -> u64 {
        if self.next_seq >= SEQ_LIMIT {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Sorts the heap (a sorted array is a valid heap) and numbers its
    /// nodes `0..len`, keeping their keys and order.
    fn renumber(&mut self) {
        self.nodes.sort_unstable_by_key(|n| n.rank);
        for at in 0..self.nodes.len() {
            if let Some(n) = self.nodes.get_mut(at) {
                n.rank = rank(key_of(n.rank), at as u64);
                let item = n.item as usize;
                if let Some(p) = self.pos.get_mut(item) {
                    *p = at as u32;
                }
            }
        }
        self.next_seq = self.nodes.len() as u64;
    }

    /// `eb32_delete()`: takes the server out; nothing happens if it is not
    /// in the tree. Returns whether it was.
    pub(crate) fn remove(&mut self, item: usize) -> bool {
        let Some(at) = self.position(item) else {
            return false;
        };
        if let Some(p) = self.pos.get_mut(item) {
            *p = ABSENT;
        }
        let Some(last) = self.nodes.pop() else {
            return true;
        };
        if at < self.nodes.len() {
            self.reposition(at, last);
        }
        true
    }

    /// The servers in walking order (tests and debugging; allocates).
    #[cfg(test)]
    pub(crate) fn walk(&self) -> Vec<usize> {
        let mut nodes = self.nodes.clone();
        nodes.sort_unstable_by_key(|n| n.rank);
        nodes.iter().map(|n| n.item as usize).collect()
    }

    /// Number of nodes (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Writes `node` at heap position `at` and records that position.
    fn place(&mut self, at: usize, node: Node) {
        if let Some(slot) = self.nodes.get_mut(at) {
            *slot = node;
        }
        if let Some(p) = self.pos.get_mut(node.item as usize) {
            *p = at as u32;
        }
    }

    /// Fills the hole at `at` with `node`, first moving down into it every
    /// ancestor that ranks after `node`.
    fn sift_up(&mut self, mut at: usize, node: Node) {
        while at > 0 {
            let parent = (at - 1) / ARITY;
            let Some(&up) = self.nodes.get(parent) else {
                break;
            };
            if up.rank <= node.rank {
                break;
            }
            self.place(at, up);
            at = parent;
        }
        self.place(at, node);
    }

    /// Fills the hole at `at` with `node`, first moving up into it the
    /// first-ranked child while that child ranks before `node`.
    fn sift_down(&mut self, mut at: usize, node: Node) {
        loop {
            let Some(child) = self.first_child(at) else {
                break;
            };
            let Some(&down) = self.nodes.get(child) else {
                break;
            };
            if node.rank <= down.rank {
                break;
            }
            self.place(at, down);
            at = child;
        }
        self.place(at, node);
    }

    /// Heap position of the first-ranked child of `at`, if it has any.
    fn first_child(&self, at: usize) -> Option<usize> {
        let first = ARITY.wrapping_mul(at).wrapping_add(1);
        let family = self.nodes.get(first..first.wrapping_add(ARITY));
        if let Some(Ok(full)) = family.map(<&[Node; ARITY]>::try_from) {
            return Some(first + first_of(full));
        }
        let partial = self.nodes.get(first..).filter(|c| !c.is_empty())?;
        Some(first + first_of_partial(partial))
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
