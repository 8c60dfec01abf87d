//! Resources each thread keeps for an owner (a connection, a pool), in a thread-local
//! list by the owner's weak handle: when the owner is dropped (a rebuilt application),
//! its entries are let go the next time a thread adds one.

use std::sync::{Arc, Weak};

/// A thread's entries, one per owner.
pub type Entries<T> = Vec<(Weak<()>, T)>;

/// Who a thread's entries belong to.
#[derive(Debug, Default)]
pub struct ThreadOwner(Arc<()>);

impl ThreadOwner {
    /// This owner's entry in `entries`.
    pub fn find_in<'a, T>(&self, entries: &'a Entries<T>) -> Option<&'a T> {
        entries
            .iter()
            .find(|(owner, _)| self.owns(owner))
            .map(|(_, entry)| entry)
    }

    /// This owner's entry in `entries`, made by `make` if it has none; the entries of
    /// dropped owners are let go first.
    pub fn entry_in<'a, T>(&self, entries: &'a mut Entries<T>, make: impl FnOnce() -> T) -> &'a T {
        let index = match entries.iter().position(|(owner, _)| self.owns(owner)) {
            Some(index) => index,
            None => {
                entries.retain(|(owner, _)| owner.strong_count() > 0);
                entries.push((Arc::downgrade(&self.0), make()));
                entries.len() - 1
            }
        };
        &entries[index].1
    }

    fn owns(&self, owner: &Weak<()>) -> bool {
        std::ptr::eq(owner.as_ptr(), Arc::as_ptr(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_owner_and_a_dropped_owners_is_let_go() {
        let mut entries = Entries::new();
        let first = ThreadOwner::default();
        assert_eq!(*first.entry_in(&mut entries, || 1), 1);
        assert_eq!(*first.entry_in(&mut entries, || 2), 1);
        let second = ThreadOwner::default();
        assert_eq!(second.find_in(&entries), None);
        assert_eq!(*second.entry_in(&mut entries, || 3), 3);
        drop(first);
        let third = ThreadOwner::default();
        third.entry_in(&mut entries, || 4);
        assert_eq!(entries.len(), 2);
        assert_eq!(second.find_in(&entries), Some(&3));
    }
}
