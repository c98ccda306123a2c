// Lua scripts of the key-pool store (registered with ioredis defineCommand in store.ts).
// Each script is one atomic step: Redis runs it to completion before any other command, and with AOF
// its effects are logged as one MULTI/EXEC, so a crash replays all of a step or none of it.
//
// Layout of one pool P = qn:<net>:pool:<owner>:<peer>:<kind> (see names.ts):
//   P:b:<id>  block hash: st (s staged | c committed | a aborted | e expired | x consumed), len,
//             c/e (next free bit and end of this owner's initiator lane), ps/pe (the peer's lane),
//             pu (bits of the peer lane taken by reference), pr (those ranges, JSON [s1,e1,s2,e2,...]),
//             cr (creation ms), meta (JSON), ses (session), exp (stage deadline ms), seq (commit order)
//             A finished block keeps only `st` as a tombstone, so a replayed block id can never be staged again.
//   P:d:<id>  the block's bytes (bit i = bit (i & 7) of byte i >> 3); consumed bits are overwritten with 0
//   P:q       zset of committed blocks whose own lane still has free bits, score = commit order
//   P:all     zset of committed, not yet consumed blocks, score = creation ms (for key expiry)
//   P:st      zset of staged blocks, score = stage deadline ms
//   P:r:w|t:<rid> receipt of a withdrawal/take (meta length, newline, meta JSON, data): a retried request id gets the same answer back
//   S         stats hash (qn:<net>:stats:...): in, out, outRef, am (own-lane bits available),
//             ap (peer-lane bits available), staged, blocks, wd, wdRef, aborted, expStaged, expKeys,
//             firstIn, lastIn, lastOut, seq, lwt (low-water threshold), lw (below it), kttl (key ttl ms)

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function hnum(key, field) return tonumber(redis.call('HGET', key, field) or '0') end
local STATE = { s = 'STAGED', c = 'COMMITTED', a = 'ABORTED', e = 'EXPIRED', x = 'CONSUMED' }
-- Bit i lives in byte floor(i/8) at LSB-first position i%8; Redis SETBIT counts MSB-first.
local function setbit0(d, i) redis.call('SETBIT', d, math.floor(i / 8) * 8 + 7 - (i % 8), 0) end
local function zero(d, s, n)
  local e = s + n
  local fb = math.floor((s + 7) / 8)
  local lb = math.floor(e / 8)
  if fb < lb then
    redis.call('SETRANGE', d, fb, string.rep('\\0', lb - fb))
    for i = s, fb * 8 - 1 do setbit0(d, i) end
    for i = lb * 8, e - 1 do setbit0(d, i) end
  else
    for i = s, e - 1 do setbit0(d, i) end
  end
end
local function read(d, s, n) return redis.call('GETRANGE', d, math.floor(s / 8), math.floor((s + n - 1) / 8)) end
local function tomb(P, id, state)
  redis.call('DEL', P .. ':d:' .. id, P .. ':b:' .. id)
  redis.call('HSET', P .. ':b:' .. id, 'st', state)
end
-- A committed block is consumed when its own lane is used up and its peer lane fully taken by reference.
local function maybe_consumed(P, S, id)
  local f = redis.call('HMGET', P .. ':b:' .. id, 'c', 'e', 'ps', 'pe', 'pu')
  if tonumber(f[1]) >= tonumber(f[2]) and tonumber(f[5]) >= tonumber(f[4]) - tonumber(f[3]) then
    tomb(P, id, 'x')
    redis.call('ZREM', P .. ':all', id)
    redis.call('ZREM', P .. ':q', id)
    redis.call('HINCRBY', S, 'blocks', -1)
  end
end
-- Committed blocks older than the pool's key ttl are destroyed with whatever bits they still hold.
local function purge_expired(P, S, now)
  local ttl = hnum(S, 'kttl')
  if ttl <= 0 then return 0 end
  local ids = redis.call('ZRANGEBYSCORE', P .. ':all', '-inf', '(' .. (now - ttl), 'LIMIT', 0, 256)
  local bits = 0
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', P .. ':b:' .. id, 'c', 'e', 'ps', 'pe', 'pu')
    local rm = tonumber(f[2]) - tonumber(f[1])
    local rp = tonumber(f[4]) - tonumber(f[3]) - tonumber(f[5])
    redis.call('HINCRBY', S, 'am', -rm)
    redis.call('HINCRBY', S, 'ap', -rp)
    redis.call('HINCRBY', S, 'expKeys', rm + rp)
    redis.call('HINCRBY', S, 'blocks', -1)
    redis.call('ZREM', P .. ':all', id)
    redis.call('ZREM', P .. ':q', id)
    tomb(P, id, 'e')
    bits = bits + rm + rp
  end
  return bits
end
-- Stages whose deadline passed are never usable: their session died before key confirmation.
local function expire_stages(P, S, now)
  local ids = redis.call('ZRANGEBYSCORE', P .. ':st', '-inf', '(' .. now, 'LIMIT', 0, 256)
  for _, id in ipairs(ids) do
    local len = hnum(P .. ':b:' .. id, 'len')
    redis.call('HINCRBY', S, 'staged', -len)
    redis.call('HINCRBY', S, 'expStaged', len)
    redis.call('ZREM', P .. ':st', id)
    tomb(P, id, 'e')
  end
  return #ids
end
-- Edge-triggered low-water event: published once when own-lane bits fall below the threshold.
local function lowwater(S, chan, owner, peer, kind)
  local t = hnum(S, 'lwt')
  local am = hnum(S, 'am')
  local was = redis.call('HGET', S, 'lw') == '1'
  if t > 0 and am < t then
    if not was then
      redis.call('HSET', S, 'lw', '1')
      redis.call('PUBLISH', chan, cjson.encode({ owner = owner, peer = peer, kind = kind, available = am, threshold = t }))
      return 1
    end
  elseif was then
    redis.call('HSET', S, 'lw', '0')
  end
  return 0
end
-- The same test on values the caller already holds; returns (crossed now, new flag) without writing.
local function lowwater_calc(am, t, was, chan, owner, peer, kind)
  if t > 0 and am < t then
    if not was then
      redis.call('PUBLISH', chan, cjson.encode({ owner = owner, peer = peer, kind = kind, available = am, threshold = t }))
      return 1, '1'
    end
    return 0, '1'
  end
  return 0, '0'
end
-- A receipt is one string: meta length, a newline, meta, data; so writing it is one command.
local function receipt_get(R)
  local r = redis.call('GET', R)
  if not r then return nil end
  local nl = string.find(r, '\\n', 1, true)
  local n = tonumber(string.sub(r, 1, nl - 1))
  return { string.sub(r, nl + 1, nl + n), string.sub(r, nl + n + 1), 1 }
end
local function receipt_set(R, meta, data, ttl)
  redis.call('SET', R, #meta .. '\\n' .. meta .. data, 'PX', ttl)
end
-- Sorted disjoint intervals as a flat list {s1, e1, s2, e2, ...}.
local function iv_overlaps(iv, s, e)
  for i = 1, #iv, 2 do if s < iv[i + 1] and iv[i] < e then return true end end
  return false
end
local function iv_insert(iv, s, e)
  local ps = {}
  for i = 1, #iv, 2 do ps[#ps + 1] = { iv[i], iv[i + 1] } end
  ps[#ps + 1] = { s, e }
  table.sort(ps, function(a, b) return a[1] < b[1] end)
  local out = {}
  for _, p in ipairs(ps) do
    local n = #out
    if n > 0 and out[n] >= p[1] then
      if p[2] > out[n] then out[n] = p[2] end
    else
      out[n + 1] = p[1]; out[n + 2] = p[2]
    end
  end
  return out
end
`;

/** KEYS: block, data, staged zset, stats, stats index. ARGV: P, id, bytes, len, c, e, ps, pe, created, meta, session, ttlMs, indexMember. */
export const STAGE = PRELUDE + `
local P, id = ARGV[1], ARGV[2]
local st = redis.call('HGET', KEYS[1], 'st')
if st then
  if st == 's' and redis.call('HGET', KEYS[1], 'ses') == ARGV[11] and redis.call('HGET', KEYS[1], 'len') == ARGV[4] then return 'already' end
  return redis.error_reply('EXISTS block ' .. id .. ' is ' .. STATE[st])
end
local now = now_ms()
expire_stages(P, KEYS[4], now)
local exp = now + tonumber(ARGV[12])
redis.call('HSET', KEYS[1], 'st', 's', 'len', ARGV[4], 'c', ARGV[5], 'e', ARGV[6], 'ps', ARGV[7], 'pe', ARGV[8],
  'pu', 0, 'pr', '[]', 'cr', ARGV[9], 'meta', ARGV[10], 'ses', ARGV[11], 'exp', exp)
redis.call('SET', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], exp, id)
redis.call('HINCRBY', KEYS[4], 'staged', ARGV[4])
redis.call('SADD', KEYS[5], ARGV[13])
return 'staged'
`;

/** KEYS: block, staged zset, queue, all, stats. ARGV: P, id, owner, peer, kind, channel. */
export const COMMIT = PRELUDE + `
local P, id, S = ARGV[1], ARGV[2], KEYS[5]
local b = KEYS[1]
local st = redis.call('HGET', b, 'st')
if st == 'c' then return 'already' end
if st ~= 's' then return redis.error_reply((st and STATE[st] or 'NOSUCH') .. ' block ' .. id .. ' cannot be committed') end
local f = redis.call('HMGET', b, 'len', 'c', 'e', 'ps', 'pe', 'exp', 'cr')
local now = now_ms()
local len = tonumber(f[1])
if now > tonumber(f[6]) then
  expire_stages(P, S, now)
  return redis.error_reply('EXPIRED stage of block ' .. id .. ' passed its deadline before commit')
end
redis.call('ZREM', KEYS[2], id)
redis.call('HINCRBY', S, 'staged', -len)
local seq = redis.call('HINCRBY', S, 'seq', 1)
redis.call('HSET', b, 'st', 'c', 'seq', seq, 'cat', now)
redis.call('HDEL', b, 'exp')
local mine = tonumber(f[3]) - tonumber(f[2])
local peer = tonumber(f[5]) - tonumber(f[4])
if mine > 0 then redis.call('ZADD', KEYS[3], seq, id) end
redis.call('ZADD', KEYS[4], tonumber(f[7]), id)
redis.call('HINCRBY', S, 'in', len)
redis.call('HINCRBY', S, 'am', mine)
redis.call('HINCRBY', S, 'ap', peer)
redis.call('HINCRBY', S, 'blocks', 1)
redis.call('HSETNX', S, 'firstIn', now)
redis.call('HSET', S, 'lastIn', now)
lowwater(S, ARGV[6], ARGV[3], ARGV[4], ARGV[5])
return 'committed'
`;

/** KEYS: block, staged zset, stats. ARGV: P, id. */
export const ABORT = PRELUDE + `
local P, id, S = ARGV[1], ARGV[2], KEYS[3]
local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  -- Abort before the stage arrived: the tombstone makes a late stage of this id fail.
  redis.call('HSET', KEYS[1], 'st', 'a')
  return 'aborted'
end
if st == 'a' or st == 'e' then return 'already' end
if st ~= 's' then return redis.error_reply(STATE[st] .. ' block ' .. id .. ' cannot be aborted') end
local len = hnum(KEYS[1], 'len')
redis.call('ZREM', KEYS[2], id)
redis.call('HINCRBY', S, 'staged', -len)
redis.call('HINCRBY', S, 'aborted', len)
tomb(P, id, 'a')
return 'aborted'
`;

/**
 * Withdraw `count` keys of `size` bits from the own lane, oldest committed block first.
 * KEYS: queue, stats, receipt. ARGV: P, size, count, receiptTtlMs, owner, peer, kind, channel, refPrefix, refTtlMs, keyIds...
 * Returns {metaJson, data, replayed}; meta = {keys: [[[id, off, len, byteStart, byteLen], ...], ...], avail, low} or {short = avail}.
 */
export const WITHDRAW = PRELUDE + `
local P, S, R = ARGV[1], KEYS[2], KEYS[3]
local r = receipt_get(R)
if r then return r end
local now = now_ms()
local h = redis.call('HMGET', S, 'am', 'kttl', 'lwt', 'lw', 'out', 'wd')
if tonumber(h[2] or '0') > 0 and purge_expired(P, S, now) > 0 then h = redis.call('HMGET', S, 'am', 'kttl', 'lwt', 'lw', 'out', 'wd') end
local size, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local need = size * count
local am = tonumber(h[1] or '0')
if am < need then return { cjson.encode({ short = am }), '', 0 } end
local keys, chunks, pos = {}, {}, 0
for k = 1, count do
  local segs, left = {}, size
  while left > 0 do
    local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
    if not head then return redis.error_reply('INCONSISTENT pool ' .. P .. ': counter says bits are available but no block has any') end
    local b, d = P .. ':b:' .. head, P .. ':d:' .. head
    local f = redis.call('HMGET', b, 'c', 'e')
    local c, e = tonumber(f[1]), tonumber(f[2])
    local take = math.min(e - c, left)
    local bytes = read(d, c, take)
    chunks[#chunks + 1] = bytes
    segs[#segs + 1] = { head, c, take, pos, #bytes }
    pos = pos + #bytes
    zero(d, c, take)
    c = c + take
    left = left - take
    redis.call('HSET', b, 'c', c)
    if c >= e then
      redis.call('ZREM', KEYS[1], head)
      maybe_consumed(P, S, head)
    end
  end
  keys[k] = segs
  if ARGV[9] ~= '' and ARGV[10 + k] then
    local refs = {}
    for i, s in ipairs(segs) do refs[i] = { s[1], s[2], s[3] } end
    redis.call('SET', ARGV[9] .. ARGV[10 + k], cjson.encode(refs), 'PX', ARGV[10])
  end
end
local low, flag = lowwater_calc(am - need, tonumber(h[3] or '0'), h[4] == '1', ARGV[8], ARGV[5], ARGV[6], ARGV[7])
redis.call('HSET', S, 'am', am - need, 'out', tonumber(h[5] or '0') + need, 'wd', tonumber(h[6] or '0') + count, 'lastOut', now, 'lw', flag)
local meta = cjson.encode({ keys = keys, avail = am - need, low = low })
local data = table.concat(chunks)
receipt_set(R, meta, data, ARGV[4])
return { meta, data, 0 }
`;

/**
 * Take exactly the referenced ranges from the peer's lane (the peer withdrew them by size).
 * KEYS: stats, receipt. ARGV: P, receiptTtlMs, refsJson ([[[id, off, len], ...], ...] one list per key).
 * All ranges are checked before any is taken: a refused request takes nothing.
 */
export const TAKE = PRELUDE + `
local P, S, R = ARGV[1], KEYS[1], KEYS[2]
local r = receipt_get(R)
if r then return r end
local now = now_ms()
local h = redis.call('HMGET', S, 'kttl', 'ap', 'outRef', 'wdRef')
local ttl = tonumber(h[1] or '0')
local req = cjson.decode(ARGV[3])
local blocks, order, total = {}, {}, 0
for _, key in ipairs(req) do
  for _, s in ipairs(key) do
    local id, off, len = s[1], tonumber(s[2]), tonumber(s[3])
    if type(id) ~= 'string' or not off or not len or len <= 0 or off < 0 or off ~= math.floor(off) or len ~= math.floor(len) then
      return redis.error_reply('RANGE bad reference ' .. cjson.encode(s))
    end
    local info = blocks[id]
    if not info then
      local f = redis.call('HMGET', P .. ':b:' .. id, 'st', 'ps', 'pe', 'pu', 'pr', 'cr')
      if not f[1] then return redis.error_reply('NOSUCH block ' .. id) end
      if f[1] == 'x' then return redis.error_reply('TAKEN block ' .. id .. ' is fully consumed') end
      if f[1] ~= 'c' then return redis.error_reply(STATE[f[1]] .. ' block ' .. id .. ' is not committed here') end
      if ttl > 0 and tonumber(f[6]) < now - ttl then return redis.error_reply('EXPIRED block ' .. id .. ' is older than the key ttl') end
      info = { ps = tonumber(f[2]), pe = tonumber(f[3]), pu = tonumber(f[4]), iv = cjson.decode(f[5]), add = 0 }
      blocks[id] = info
      order[#order + 1] = id
    end
    if off < info.ps or off + len > info.pe then
      return redis.error_reply('LANE range [' .. off .. ',' .. (off + len) .. ') of block ' .. id .. ' is outside the peer lane [' .. info.ps .. ',' .. info.pe .. ')')
    end
    if iv_overlaps(info.iv, off, off + len) then
      return redis.error_reply('TAKEN range [' .. off .. ',' .. (off + len) .. ') of block ' .. id .. ' was already taken')
    end
    info.iv = iv_insert(info.iv, off, off + len)
    info.add = info.add + len
    total = total + len
  end
end
local keys, chunks, pos = {}, {}, 0
for k, key in ipairs(req) do
  local segs = {}
  for _, s in ipairs(key) do
    local d = P .. ':d:' .. s[1]
    local bytes = read(d, s[2], s[3])
    chunks[#chunks + 1] = bytes
    segs[#segs + 1] = { s[1], s[2], s[3], pos, #bytes }
    pos = pos + #bytes
  end
  keys[k] = segs
end
for _, key in ipairs(req) do
  for _, s in ipairs(key) do zero(P .. ':d:' .. s[1], s[2], s[3]) end
end
for _, id in ipairs(order) do
  local info = blocks[id]
  redis.call('HSET', P .. ':b:' .. id, 'pr', cjson.encode(info.iv), 'pu', info.pu + info.add)
  maybe_consumed(P, S, id)
end
local ap = tonumber(h[2] or '0') - total
redis.call('HSET', S, 'ap', ap, 'outRef', tonumber(h[3] or '0') + total, 'wdRef', tonumber(h[4] or '0') + #req, 'lastOut', now)
local meta = cjson.encode({ keys = keys, avail = ap, low = 0 })
local data = table.concat(chunks)
receipt_set(R, meta, data, ARGV[2])
return { meta, data, 0 }
`;

/** KEYS: staged zset, stats. ARGV: P. Returns {expired stages, expired key bits}. */
export const SWEEP = PRELUDE + `
local now = now_ms()
return { expire_stages(ARGV[1], KEYS[2], now), purge_expired(ARGV[1], KEYS[2], now) }
`;
