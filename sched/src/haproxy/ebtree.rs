//! The ordering of HAProxy's `eb32` trees, without the tree.
//!
//! HAProxy keeps servers in `eb32` trees whose keys may repeat. Walking such a
//! tree (`eb32_first()`, then `eb32_next()`) visits keys in ascending order
//! and, among equal keys, nodes in the order they were inserted (the
//! duplicate sub-tree is walked oldest first, see `import/ebtree.h`). A node
//! that is deleted and inserted again therefore goes behind its equals.
//!
//! [`EbTree`] reproduces exactly that order with an indexed binary min-heap
//! ranked by `(key, insertion sequence)`: `first`, `insert` and `remove` cost
//! O(log n), and nothing allocates once [`EbTree::reserve`] has sized it for
//! the server list. Items are server indices.

/// Heap position of an item that is in no tree.
const ABSENT: u32 = u32::MAX;

/// One node: the server, its key and when it was inserted.
#[derive(Clone, Copy, Debug)]
struct Node {
    /// `lb_node.key`.
    key: u32,
    /// Insertion sequence number within this tree.
    seq: u64,
    /// The server index.
    item: u32,
}

impl Node {
    /// The walking order of the tree.
    fn rank(&self) -> (u32, u64) {
        (self.key, self.seq)
    }
}

/// An ordered multiset of server indices by key, duplicates oldest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct EbTree {
    /// Binary min-heap by rank.
    heap: Vec<Node>,
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
        let len = self.heap.len();
        if self.heap.capacity() < items {
            self.heap.reserve(items - len);
        }
    }

    /// Removes every node.
    pub(crate) fn clear(&mut self) {
        for node in &self.heap {
            if let Some(p) = self.pos.get_mut(node.item as usize) {
                *p = ABSENT;
            }
        }
        self.heap.clear();
    }

    /// The server's key, when it is in this tree.
    pub(crate) fn key(&self, item: usize) -> Option<u32> {
        let p = *self.pos.get(item)?;
        self.heap.get(p as usize).map(|n| n.key)
    }

    /// `eb32_first()`: the smallest key, oldest among equals.
    pub(crate) fn first(&self) -> Option<usize> {
        self.heap.first().map(|n| n.item as usize)
    }

    /// The first server, in walking order, that `accept` takes: what a loop
    /// of `eb32_first()` / `eb32_next()` stopping at the first accepted node
    /// returns.
    pub(crate) fn first_where(&self, mut accept: impl FnMut(usize) -> bool) -> Option<usize> {
        let first = self.heap.first()?;
        if accept(first.item as usize) {
            return Some(first.item as usize);
        }
        self.heap
            .iter()
            .filter(|n| accept(n.item as usize))
            .min_by_key(|n| n.rank())
            .map(|n| n.item as usize)
    }

    /// `eb32_insert()`: adds the server behind any node of equal key. A
    /// server already in the tree is moved (deleted, then inserted).
    pub(crate) fn insert(&mut self, item: usize, key: u32) {
        self.remove(item);
        self.reserve(item + 1);
        let Ok(item32) = u32::try_from(item) else {
            return;
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let at = self.heap.len();
        self.heap.push(Node {
            key,
            seq,
            item: item32,
        });
        self.set_pos(at);
        self.sift_up(at);
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
        let last = self.heap.len() - 1;
        self.heap.swap_remove(at);
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
        let mut nodes = self.heap.clone();
        nodes.sort_by_key(|n| n.rank());
        nodes.iter().map(|n| n.item as usize).collect()
    }

    /// Records the heap position of the node at `at`.
    fn set_pos(&mut self, at: usize) {
        let item = self.heap[at].item as usize;
        if let Some(p) = self.pos.get_mut(item) {
            *p = at as u32;
        }
    }

    /// Moves the node at `at` up while it ranks before its parent.
    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[parent].rank() <= self.heap[at].rank() {
                break;
            }
            self.heap.swap(parent, at);
            self.set_pos(at);
            self.set_pos(parent);
            at = parent;
        }
    }

    /// Moves the node at `at` down while a child ranks before it.
    fn sift_down(&mut self, mut at: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let mut child = left;
            if right < len && self.heap[right].rank() < self.heap[left].rank() {
                child = right;
            }
            if self.heap[at].rank() <= self.heap[child].rank() {
                break;
            }
            self.heap.swap(child, at);
            self.set_pos(at);
            self.set_pos(child);
            at = child;
        }
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
                prop_assert_eq!(t.heap.len(), expect.len());
            }
        }
    }
}
