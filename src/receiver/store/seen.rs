//! The in-memory set of recently seen vote ids, for retry detection.

use std::collections::{HashSet, VecDeque};

use super::SEEN_VOTES;

/// Recently seen vote ids, oldest forgotten first.
#[derive(Default)]
pub(super) struct SeenVotes {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenVotes {
    /// Remembers `id`; false when it was already there.
    pub(super) fn insert(&mut self, id: String) -> bool {
        if self.set.contains(&id) {
            return false;
        }
        if self.order.len() >= SEEN_VOTES
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.order.push_back(id.clone());
        self.set.insert(id);
        true
    }
}
