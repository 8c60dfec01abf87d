//! Fixed windows of requests (a second, a UTC day), counted in Redis by one atomic script
//! for all instances, or here in the process while Redis is unreachable. A request is
//! admitted only when every window it falls in has room, and only an admitted request
//! counts.

use std::{collections::HashMap, sync::LazyLock, time::Duration};

use redis::Script;

/// One window a request is counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Window {
    /// The policy's name in the `RateLimit` fields, e.g. `subject-day`.
    pub policy: &'static str,
    /// The counter's key (without the hub's prefix).
    pub key: String,
    pub quota: u32,
    pub length: Duration,
}

/// Where a window stands after this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Count {
    /// Requests counted in the current window (this one included when admitted).
    pub used: u32,
    /// Until the window ends.
    pub reset: Duration,
}

/// Counts a request in every window, all or nothing.
/// KEYS[i]: a window's counter (a hash: `w` the window number, `n` requests in it);
/// ARGV[2i-1], ARGV[2i]: its quota and length in ms.
/// Returns `{admitted, used1, ms left1, used2, ms left2, …}`.
pub(super) static COUNT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local admitted = 1
local seen = {}
for i, key in ipairs(KEYS) do
  local quota = tonumber(ARGV[2 * i - 1])
  local length = tonumber(ARGV[2 * i])
  local window = math.floor(now / length)
  local used = 0
  if tonumber(redis.call('HGET', key, 'w') or '-1') == window then
    used = tonumber(redis.call('HGET', key, 'n') or '0')
  end
  if used >= quota then admitted = 0 end
  seen[i] = {used, window, (window + 1) * length - now}
end
local answer = {admitted}
for i, key in ipairs(KEYS) do
  local used = seen[i][1]
  if admitted == 1 then
    used = used + 1
    redis.call('HSET', key, 'w', string.format('%d', seen[i][2]), 'n', used)
    redis.call('PEXPIRE', key, seen[i][3] + 1000)
  end
  answer[#answer + 1] = used
  answer[#answer + 1] = seen[i][3]
end
return answer
",
    )
});

/// The same counting in this process, for when Redis does not answer.
#[derive(Debug, Default)]
pub(super) struct LocalWindows {
    /// key -> (window length in ms, window number, requests in it)
    counters: HashMap<String, (u64, u64, u32)>,
}

/// Counters kept before the stale ones are dropped.
const KEPT: usize = 50_000;

impl LocalWindows {
    /// Counts a request at `now_ms` (ms since the epoch) in `windows`, all or nothing.
    pub(super) fn count(&mut self, windows: &[Window], now_ms: u64) -> (bool, Vec<Count>) {
        let seen: Vec<(u64, u32, Duration)> = windows
            .iter()
            .map(|w| {
                let length = (w.length.as_millis() as u64).max(1);
                let number = now_ms / length;
                let used = match self.counters.get(&w.key) {
                    Some((_, n, used)) if *n == number => *used,
                    _ => 0,
                };
                let reset = Duration::from_millis((number + 1) * length - now_ms);
                (number, used, reset)
            })
            .collect();
        let admitted = windows
            .iter()
            .zip(&seen)
            .all(|(w, (_, used, _))| *used < w.quota);
        if self.counters.len() > KEPT {
            self.forget_before(now_ms);
        }
        let counts = windows
            .iter()
            .zip(seen)
            .map(|(w, (number, used, reset))| {
                let used = if admitted {
                    let length = (w.length.as_millis() as u64).max(1);
                    self.counters
                        .insert(w.key.clone(), (length, number, used + 1));
                    used + 1
                } else {
                    used
                };
                Count { used, reset }
            })
            .collect();
        (admitted, counts)
    }

    /// Drops the counters of windows that ended.
    fn forget_before(&mut self, now_ms: u64) {
        self.counters
            .retain(|_, (length, number, _)| *number >= now_ms / *length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(policy: &'static str, quota: u32, secs: u64) -> Window {
        Window {
            policy,
            key: format!("{policy}:u"),
            quota,
            length: Duration::from_secs(secs),
        }
    }

    #[test]
    fn a_window_admits_its_quota_then_refuses_until_it_ends() {
        let mut local = LocalWindows::default();
        let windows = [window("subject-second", 2, 1)];
        let at = 1_700_000_000_250;
        assert!(local.count(&windows, at).0);
        let (admitted, counts) = local.count(&windows, at + 100);
        assert!(admitted);
        assert_eq!(counts[0].used, 2);
        let (admitted, counts) = local.count(&windows, at + 200);
        assert!(!admitted);
        assert_eq!(counts[0].reset, Duration::from_millis(550));
        assert!(local.count(&windows, at + 750).0, "the next second");
    }

    #[test]
    fn a_refused_request_counts_in_no_window() {
        let mut local = LocalWindows::default();
        let windows = [
            window("subject-second", 10, 1),
            window("subject-day", 1, 86_400),
        ];
        let at = 1_700_000_000_000;
        assert!(local.count(&windows, at).0);
        let (admitted, counts) = local.count(&windows, at + 1);
        assert!(!admitted);
        assert_eq!(counts[0].used, 1, "the second's count is untouched");
    }
}
