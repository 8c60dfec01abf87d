//! A short-lived cache of department answers, below any masking (it holds what the
//! department said, never a role's view of it), with a longer stale window served only
//! when a live call fails. Errors are never cached.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::adapters::error::AdapterError;

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Asked of the department during this call.
    Live,
    /// A recent answer, within the department's cache TTL.
    Cache,
    /// An older answer served because the department failed just now.
    Stale,
}

/// A department's answer with its freshness.
#[derive(Debug, Clone, PartialEq)]
pub struct Fresh<T> {
    pub value: T,
    pub source: Source,
    /// When the department gave this answer.
    pub as_of: DateTime<Utc>,
}

impl<T> Fresh<T> {
    /// Applies `f` to the value, keeping its freshness.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fresh<U> {
        Fresh {
            value: f(self.value),
            source: self.source,
            as_of: self.as_of,
        }
    }
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    stored: Instant,
    as_of: DateTime<Utc>,
}

/// Answers of one operation of one department, by key (an ID number, a village code).
#[derive(Debug)]
pub(crate) struct AnswerCache<K, V> {
    ttl: Duration,
    stale_for: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> AnswerCache<K, V> {
    pub(crate) fn new(ttl: Duration, stale_for: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            stale_for,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An answer younger than the TTL.
    pub(crate) fn fresh(&self, key: &K) -> Option<Fresh<V>> {
        self.get(key, self.ttl, Source::Cache)
    }

    /// An answer within the TTL plus the stale window, marked stale.
    pub(crate) fn stale(&self, key: &K) -> Option<Fresh<V>> {
        self.get(key, self.ttl.saturating_add(self.stale_for), Source::Stale)
    }

    fn get(&self, key: &K, max_age: Duration, source: Source) -> Option<Fresh<V>> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.lock();
        let entry = entries.get(key)?;
        (entry.stored.elapsed() < max_age).then(|| Fresh {
            value: entry.value.clone(),
            source,
            as_of: entry.as_of,
        })
    }

    /// A fresh cached answer, else a live one (kept), else — if the live call failed —
    /// a stale one; the live failure when there is none.
    pub(crate) async fn get_or_fetch(
        &self,
        key: K,
        live: impl Future<Output = Result<V, AdapterError>>,
    ) -> Result<Fresh<V>, AdapterError> {
        if let Some(hit) = self.fresh(&key) {
            return Ok(hit);
        }
        match live.await {
            Ok(value) => Ok(self.put(key, value)),
            Err(e) => self.stale(&key).ok_or(e),
        }
    }

    /// Keeps a live answer; returns it as [`Source::Live`].
    pub(crate) fn put(&self, key: K, value: V) -> Fresh<V> {
        let as_of = Utc::now();
        if self.capacity > 0 {
            let mut entries = self.lock();
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                self.make_room(&mut entries);
            }
            entries.insert(
                key,
                Entry {
                    value: value.clone(),
                    stored: Instant::now(),
                    as_of,
                },
            );
        }
        Fresh {
            value,
            source: Source::Live,
            as_of,
        }
    }

    /// Drops what is past the stale window, then the older half if that was not enough
    /// (rare, so the sort is paid seldom).
    fn make_room(&self, entries: &mut HashMap<K, Entry<V>>) {
        let keep = self.ttl.saturating_add(self.stale_for);
        entries.retain(|_, e| e.stored.elapsed() < keep);
        if entries.len() >= self.capacity {
            let mut ages: Vec<Instant> = entries.values().map(|e| e.stored).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            entries.retain(|_, e| e.stored > cut);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fresh_then_stale_then_gone() {
        let cache = AnswerCache::new(Duration::from_millis(30), Duration::from_millis(60), 10);
        let live = cache.put("a".to_string(), 1);
        assert_eq!(live.source, Source::Live);
        assert_eq!(cache.fresh(&"a".into()).unwrap().source, Source::Cache);
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.fresh(&"a".into()).is_none());
        let stale = cache.stale(&"a".into()).unwrap();
        assert_eq!(
            (stale.value, stale.source, stale.as_of),
            (1, Source::Stale, live.as_of)
        );
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.stale(&"a".into()).is_none());
    }

    #[test]
    fn capacity_is_a_bound() {
        let cache = AnswerCache::new(Duration::from_secs(60), Duration::from_secs(60), 4);
        for i in 0..20 {
            cache.put(i, i);
            assert!(cache.len() <= 4);
        }
        assert!(cache.fresh(&19).is_some());
        let off = AnswerCache::new(Duration::from_secs(60), Duration::from_secs(60), 0);
        off.put(1, 1);
        assert!(off.stale(&1).is_none());
    }
}
