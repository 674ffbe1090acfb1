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
 * A reservation pool is three keys: its running total (an integer), a hash of its entries (id ->
 * amount) and a sorted set of when each lapses (id -> epoch ms). `purge` drops the lapsed entries
 * and takes them off the total (in slices: unpack takes a few thousand values at most), so the
 * total is one GET and counts only entries held; an emptied pool is deleted. `int` writes a Lua
 * number as Redis reads an integer (its own conversion would use an exponent past 1e14). These
 * mirror src/store/reservation-pools.ts; keep the two in step.
 */
const POOLS = `
local function int(v)
  return string.format('%d', v)
end
local function purge(total, amounts, expiry, now)
  local freed = 0
  while true do
    local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1000)
    if #gone == 0 then break end
    local held = redis.call('HMGET', amounts, unpack(gone))
    for i = 1, #gone do freed = freed + (tonumber(held[i]) or 0) end
    redis.call('HDEL', amounts, unpack(gone))
    redis.call('ZREM', expiry, unpack(gone))
  end
  if freed == 0 then return end
  if redis.call('HLEN', amounts) == 0 then
    redis.call('DEL', total, amounts, expiry)
  else
    redis.call('DECRBY', total, int(freed))
  end
end
local function held(total)
  return tonumber(redis.call('GET', total) or '0')
end
local function make(total, amounts, expiry, id, amount, expiresAt, ttl)
  if redis.call('HSETNX', amounts, id, amount) == 1 then
    redis.call('ZADD', expiry, expiresAt, id)
    redis.call('INCRBY', total, amount)
  end
  for _, k in ipairs({total, amounts, expiry}) do
    if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
  end
end
local function change(total, amounts, expiry, id, amount)
  local was = redis.call('HGET', amounts, id)
  if not was then return end
  if amount > 0 then
    redis.call('HSET', amounts, id, int(amount))
    redis.call('INCRBY', total, int(amount - tonumber(was)))
    return
  end
  redis.call('HDEL', amounts, id)
  redis.call('ZREM', expiry, id)
  if redis.call('HLEN', amounts) == 0 then
    redis.call('DEL', total, amounts, expiry)
  else
    redis.call('DECRBY', total, was)
  end
end
`;

/**
 * KEYS: n bucket keys, their n basis keys, c counter keys to read, then p reservation pools (three
 * keys each, as POOLS). ARGV: now, n, (limit, windowMs, cost) per bucket, then c, p, m and
 * (pool index from 1, id, amount, ttlMs) per entry to make. Returns { allOk, (ok, remaining,
 * resetMs, retryAfterMs) per bucket, counter values, pool totals }; the pools are purged of lapsed
 * entries and read before the entries are made, which happens only when every bucket admitted.
 */
export const CONSUME = script(`${LEVEL}${POOLS}
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
local at = 3 + 3 * n
local c = tonumber(ARGV[at] or '0')
local p = tonumber(ARGV[at + 1] or '0')
local m = tonumber(ARGV[at + 2] or '0')
for j = 2 * n + 1, 2 * n + c do
  local v = redis.call('GET', KEYS[j])
  if v then out[#out + 1] = tonumber(v) else out[#out + 1] = 0 end
end
local pools = 2 * n + c
for k = 1, p do
  local base = pools + (k - 1) * 3
  purge(KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], now)
  out[#out + 1] = held(KEYS[base + 1])
end
if allok == 1 then
  for e = 1, m do
    local a = at + 2 + (e - 1) * 4
    local base = pools + (tonumber(ARGV[a + 1]) - 1) * 3
    local ttl = tonumber(ARGV[a + 4])
    make(KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], ARGV[a + 2], ARGV[a + 3], now + ttl, ttl)
  end
end
return out
`);

/**
 * KEYS: one reservation pool (three keys, as POOLS) per change, then counters to increment.
 * ARGV: now, k changes, (id, amount) per change, then (by, ttlMs) per counter. Sets each entry
 * still held to its amount (0 releases it; one released or lapsed stays gone) and increments the
 * counters, as one step: a request's end swaps its reservation for its spend.
 */
export const CHANGE_RESERVATIONS = script(`${POOLS}
local now = tonumber(ARGV[1])
local k = tonumber(ARGV[2])
for i = 1, k do
  local base = (i - 1) * 3
  purge(KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], now)
  change(KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], ARGV[1 + 2 * i], tonumber(ARGV[2 + 2 * i]))
end
local at = 2 + 2 * k
for j = 3 * k + 1, #KEYS do
  local x = at + (j - 3 * k - 1) * 2
  redis.call('INCRBY', KEYS[j], ARGV[x + 1])
  redis.call('PEXPIRE', KEYS[j], ARGV[x + 2])
end
return 1
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
