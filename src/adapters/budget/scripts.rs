//! The two atomic scripts of shared budgets. Both read Redis's own clock, so the
//! instances' clocks never matter.

use std::sync::LazyLock;

use redis::Script;

/// Leases calls of the current slice of a department's rate.
/// KEYS[1]: the department's rate key (a hash: `w` the slice number, `n` calls leased in it).
/// ARGV: slice length in ms, calls per slice, calls wanted.
/// Returns `{granted, ms left in the slice}`; the instance starts the granted calls
/// before the slice ends or not at all.
pub(super) static LEASE_RATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slice = tonumber(ARGV[1])
local window = math.floor(now / slice)
local used = 0
if tonumber(redis.call('HGET', KEYS[1], 'w') or '-1') == window then
  used = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
end
local grant = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - used)
if grant < 0 then grant = 0 end
redis.call('HSET', KEYS[1], 'w', string.format('%d', window), 'n', used + grant)
redis.call('PEXPIRE', KEYS[1], slice * 2)
return {grant, (window + 1) * slice - now}
",
    )
});

/// Sets how many of a department's calls in flight this instance holds, within what
/// the others hold; holders whose lease ran out are forgotten first (a dead instance's
/// calls come back).
/// KEYS[1]: holder -> calls held (hash); KEYS[2]: holder -> lease end in ms (sorted set).
/// ARGV: holder, calls wanted in all, the department's budget, lease length in ms.
/// Returns the calls now held (0 lets go of the lease).
pub(super) static LEASE_IN_FLIGHT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[4])
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('HDEL', KEYS[1], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local others = 0
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  if held[i] ~= ARGV[1] then others = others + tonumber(held[i + 1]) end
end
local grant = math.min(tonumber(ARGV[2]), tonumber(ARGV[3]) - others)
if grant > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], grant)
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
else
  grant = 0
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return grant
",
    )
});
