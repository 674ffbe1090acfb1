// Lua scripts run atomically inside Redis, so two replicas can never both take the last unit of
// a bucket. They mirror src/store/shared-state-gcra.ts; keep the two in step.
import { createHash } from 'node:crypto';

export interface LuaScript {
  source: string;
  sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * A bucket's level is two keys: its TAT, and beside it the basis it was counted in (the interval,
 * window / limit), both stored with %.17g so no precision is lost between calls. The TAT key holds
 * a plain number as it always has, so a replica of an earlier version reads and writes it
 * unchanged during a rolling upgrade; a TAT with no basis beside it reads in the current one.
 * `level` reads a bucket under the current basis as rescaledTat does (shared-state-gcra.ts): the
 * units carry over, at most `window`'s worth.
 */
const LEVEL = `
local function level(key, basisKey, now, basis, window)
  local stored = redis.call('GET', key)
  if not stored then return now end
  local tat = tonumber(stored)
  if tat <= now then return now end
  local was = tonumber(redis.call('GET', basisKey) or basis)
  if was == basis then return tat end
  return now + math.min(window, (tat - now) * basis / was)
end
local function store(key, basisKey, tat, basis, now)
  local ttl = math.ceil(tat - now) + 1000
  redis.call('SET', key, string.format('%.17g', tat), 'PX', ttl)
  redis.call('SET', basisKey, string.format('%.17g', basis), 'PX', ttl)
end
`;

/**
 * KEYS: n bucket keys, their n basis keys, counter keys to read, then r counter keys to reserve
 * on. ARGV: now, n, then (limit, windowMs, cost) per bucket, then r and (by, ttlMs) per counter to
 * reserve on (absent: none). Returns { allOk, (ok, remaining, resetMs, retryAfterMs) per bucket,
 * counter values }; the counters are read before the reservations, which are made (INCRBY) only
 * when every bucket admitted.
 */
export const CONSUME = script(`${LEVEL}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {1}
local nexts = {}
local intervals = {}
local allok = 1
for i = 1, n do
  local base = 2 + (i - 1) * 3
  local limit = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local cost = tonumber(ARGV[base + 3])
  local interval = window / limit
  intervals[i] = interval
  local tat = level(KEYS[i], KEYS[n + i], now, interval, window)
  local nt = tat + cost * interval
  local allowAt = nt - window
  if allowAt > now then
    allok = 0
    out[#out + 1] = 0
    out[#out + 1] = math.max(0, math.floor((window - (tat - now)) / interval + 1e-9))
    out[#out + 1] = math.ceil(tat - now)
    out[#out + 1] = math.ceil(allowAt - now)
  else
    nexts[i] = nt
    out[#out + 1] = 1
    out[#out + 1] = math.max(0, math.floor((window - (nt - now)) / interval + 1e-9))
    out[#out + 1] = math.ceil(nt - now)
    out[#out + 1] = 0
  end
end
out[1] = allok
if allok == 1 then
  for i = 1, n do
    store(KEYS[i], KEYS[n + i], nexts[i], intervals[i], now)
  end
end
local r = tonumber(ARGV[3 + 3 * n] or '0')
for j = 2 * n + 1, #KEYS - r do
  local v = redis.call('GET', KEYS[j])
  if v then out[#out + 1] = tonumber(v) else out[#out + 1] = 0 end
end
if allok == 1 then
  local at = 3 + 3 * n
  for k = 1, r do
    local key = KEYS[#KEYS - r + k]
    redis.call('INCRBY', key, ARGV[at + 2 * k - 1])
    redis.call('PEXPIRE', key, ARGV[at + 2 * k])
  end
end
return out
`);

/**
 * KEYS: n buckets, then their n basis keys; ARGV: now, then (TAT, basis) per bucket. Raises each bucket to at least that
 * level, compared in units (never lowers one): what a replica admitted on its own while Redis was
 * away joins what Redis holds, whatever the order replicas come back in. Returns how many buckets
 * were raised.
 */
export const RAISE = script(`${LEVEL}
local now = tonumber(ARGV[1])
local raised = 0
local n = #KEYS / 2
for i = 1, n do
  local tat = tonumber(ARGV[2 * i])
  local basis = tonumber(ARGV[2 * i + 1])
  if tat > now and level(KEYS[i], KEYS[n + i], now, basis, math.huge) < tat then
    store(KEYS[i], KEYS[n + i], tat, basis, now)
    raised = raised + 1
  end
end
return raised
`);

/** KEYS: a bucket, its basis key; ARGV: now, limit, windowMs, delta. Unconditional charge or refund. */
export const ADJUST = script(`${LEVEL}
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local interval = window / tonumber(ARGV[2])
local tat = level(KEYS[1], KEYS[2], now, interval, window)
tat = math.max(now, tat + tonumber(ARGV[4]) * interval)
store(KEYS[1], KEYS[2], tat, interval, now)
return 1
`);

/**
 * KEYS[1]: the fleet's sorted set of replicas. ARGV: replica id, staleMs. Marks the replica alive
 * at Redis's own time (replicas' clocks may disagree), drops those silent for staleMs and returns
 * how many are left, this one included.
 */
export const HEARTBEAT = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
`);

/** KEYS[1]: a lock; ARGV[1]: its holder. Deletes the lock only if that holder still has it. */
export const UNLOCK = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/** KEYS: counters; ARGV: (by, ttlMs) per key. INCRBY is integer-exact; returns new values. */
export const INCREMENT = script(`
local out = {}
for i = 1, #KEYS do
  local v = redis.call('INCRBY', KEYS[i], ARGV[(i - 1) * 2 + 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[(i - 1) * 2 + 2])
  out[i] = v
end
return out
`);

/**
 * KEYS: a stream. ARGV: maxLen, ttlMs, then field/value pairs. Appends the entry, trims the
 * stream to about maxLen (whole nodes, so it may hold a few more) and keeps the stream alive for
 * at least ttlMs (never shortening a longer life an earlier entry gave it). Returns the entry id.
 */
export const APPEND_CAPPED = script(`
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return id
`);

/**
 * KEYS: a stream. ARGV: ttlMs, then field/value pairs. Drops every entry of the stream and
 * appends this one in their place, as one step: a reader that follows the stream reads it after
 * whatever it read before (XTRIM keeps the stream's last id, so the new id is the higher), and a
 * reader starting afterwards reads none of the dropped ones. Keeps the stream alive for at least
 * ttlMs. Returns the entry id.
 */
export const RESTART_STREAM = script(`
redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return id
`);
