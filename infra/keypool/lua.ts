// The key pools' Redis Functions library `hetqn` (loaded by the admin with FUNCTION LOAD REPLACE,
// functions.ts; Redis keeps it in the AOF/RDB across restarts). Node users may FCALL these functions but
// not EVAL, SCRIPT or FUNCTION (acl.ts). Each function is one atomic step: Redis runs it to completion
// before any other command, and with AOF its effects are logged as one MULTI/EXEC, so a crash replays all
// of a step or none of it.
//
// Every key a function touches is declared in KEYS, and all of them share one hash slot (the pair's hash
// tag, names.ts), so the library runs unchanged on Redis Cluster. Blocks a function cannot know in advance
// (the head of the withdrawal queue, expired blocks) are declared by the caller: when one it needs is
// missing, the function changes nothing and answers {retry = [ids]}, and the caller repeats the call with
// those blocks declared (store.ts). Names are checked against the pool prefix P, so a caller cannot declare
// one key and make the function write another.
//
// Layout of one pool P = qn:<net>:pool:<owner>:{<a>|<b>}:<kind> (see names.ts):
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
//   S         stats hash (qn:<net>:stats:<owner>:{<a>|<b>}:<kind>): in, out, outRef, am (own-lane bits
//             available), ap (peer-lane bits available), staged, blocks, wd, wdRef, aborted, expStaged,
//             expKeys, firstIn, lastIn, lastOut, seq, lwt (low-water threshold), lw (below it), kttl (key ttl ms)

export const LIBRARY_NAME = 'hetqn';

/** Function names (FCALL), one per pool step. */
export const FN = {
  stage: 'qn_stage', commit: 'qn_commit', abort: 'qn_abort', withdraw: 'qn_withdraw', take: 'qn_take',
  expired: 'qn_expired', sweep: 'qn_sweep', configure: 'qn_configure', register: 'qn_register', decide: 'qn_decide',
} as const;

const HELPERS = `
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
local function tomb(k, state)
  redis.call('DEL', k.d, k.b)
  redis.call('HSET', k.b, 'st', state)
end
-- Blocks the caller declared: KEYS[first], KEYS[first+1] = P:b:<id>, P:d:<id> for each id in ARGV[afirst..].
local function declared(P, keys, first, args, afirst, n)
  local m = {}
  for i = 1, n do
    local id = args[afirst + i - 1]
    local b, d = keys[first + 2 * i - 2], keys[first + 2 * i - 1]
    if b ~= P .. ':b:' .. id or d ~= P .. ':d:' .. id then
      return nil, 'RANGE declared keys ' .. tostring(b) .. ', ' .. tostring(d) .. ' are not those of block ' .. id .. ' in ' .. P
    end
    m[id] = { b = b, d = d }
  end
  return m
end
local function need_declared(m, ids)
  for _, id in ipairs(ids) do if not m[id] then return false end end
  return true
end
-- A committed block is consumed when its own lane is used up and its peer lane fully taken by reference.
local function maybe_consumed(k, id, S, Q, ALL)
  local f = redis.call('HMGET', k.b, 'c', 'e', 'ps', 'pe', 'pu')
  if tonumber(f[1]) >= tonumber(f[2]) and tonumber(f[5]) >= tonumber(f[4]) - tonumber(f[3]) then
    tomb(k, 'x')
    redis.call('ZREM', ALL, id)
    redis.call('ZREM', Q, id)
    redis.call('HINCRBY', S, 'blocks', -1)
  end
end
-- Committed blocks older than the pool's key ttl are destroyed with whatever bits they still hold.
local function purge(m, ids, S, Q, ALL)
  local bits = 0
  for _, id in ipairs(ids) do
    local k = m[id]
    local f = redis.call('HMGET', k.b, 'c', 'e', 'ps', 'pe', 'pu')
    local rm = tonumber(f[2]) - tonumber(f[1])
    local rp = tonumber(f[4]) - tonumber(f[3]) - tonumber(f[5])
    redis.call('HINCRBY', S, 'am', -rm)
    redis.call('HINCRBY', S, 'ap', -rp)
    redis.call('HINCRBY', S, 'expKeys', rm + rp)
    redis.call('HINCRBY', S, 'blocks', -1)
    redis.call('ZREM', ALL, id)
    redis.call('ZREM', Q, id)
    tomb(k, 'e')
    bits = bits + rm + rp
  end
  return bits
end
local function expired_keys(S, ALL, now)
  local ttl = hnum(S, 'kttl')
  if ttl <= 0 then return {} end
  return redis.call('ZRANGEBYSCORE', ALL, '-inf', '(' .. (now - ttl), 'LIMIT', 0, 256)
end
-- A stage whose deadline passed is never usable: its session died before key confirmation.
local function expire_stage(k, id, S, ST)
  local len = hnum(k.b, 'len')
  redis.call('HINCRBY', S, 'staged', -len)
  redis.call('HINCRBY', S, 'expStaged', len)
  redis.call('ZREM', ST, id)
  tomb(k, 'e')
end
local function lowwater_event(chan, owner, peer, kind, am, t)
  redis.call('PUBLISH', chan, cjson.encode({ owner = owner, peer = peer, kind = kind, available = am, threshold = t }))
end
-- Edge-triggered low-water event: published once when own-lane bits fall below the threshold.
local function lowwater(S, chan, owner, peer, kind)
  local t = hnum(S, 'lwt')
  local am = hnum(S, 'am')
  local was = redis.call('HGET', S, 'lw') == '1'
  if t > 0 and am < t then
    if not was then
      redis.call('HSET', S, 'lw', '1')
      lowwater_event(chan, owner, peer, kind, am, t)
      return 1
    end
  elseif was then
    redis.call('HSET', S, 'lw', '0')
  end
  return 0
end
-- The same test on values the caller already holds; returns (crossed now, new flag) without writing S.
local function lowwater_calc(am, t, was, chan, owner, peer, kind)
  if t > 0 and am < t then
    if not was then
      lowwater_event(chan, owner, peer, kind, am, t)
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
local function retry(ids) return { cjson.encode({ retry = ids }), '', 0 } end
`;

/** KEYS: block, data, staged zset, stats. ARGV: id, bytes, len, c, e, ps, pe, created, meta, session, ttlMs.
 *  Returns {'staged'|'already', stale} with stale = 1 when some other stage of the pool passed its deadline (sweep it). */
const STAGE = `
local function stage(KEYS, ARGV)
  local k, ST, S, id = { b = KEYS[1], d = KEYS[2] }, KEYS[3], KEYS[4], ARGV[1]
  local st = redis.call('HGET', k.b, 'st')
  if st then
    if st == 's' and redis.call('HGET', k.b, 'ses') == ARGV[10] and redis.call('HGET', k.b, 'len') == ARGV[3] then return { 'already', 0 } end
    return redis.error_reply('EXISTS block ' .. id .. ' is ' .. STATE[st])
  end
  local now = now_ms()
  local exp = now + tonumber(ARGV[11])
  redis.call('HSET', k.b, 'st', 's', 'len', ARGV[3], 'c', ARGV[4], 'e', ARGV[5], 'ps', ARGV[6], 'pe', ARGV[7],
    'pu', 0, 'pr', '[]', 'cr', ARGV[8], 'meta', ARGV[9], 'ses', ARGV[10], 'exp', exp)
  redis.call('SET', k.d, ARGV[2])
  redis.call('ZADD', ST, exp, id)
  redis.call('HINCRBY', S, 'staged', ARGV[3])
  return { 'staged', #redis.call('ZRANGEBYSCORE', ST, '-inf', '(' .. now, 'LIMIT', 0, 1) }
end
`;

/** KEYS: block, data, staged zset, queue, all, stats. ARGV: id, owner, peer, kind, channel. */
const COMMIT = `
local function commit(KEYS, ARGV)
  local k, ST, Q, ALL, S = { b = KEYS[1], d = KEYS[2] }, KEYS[3], KEYS[4], KEYS[5], KEYS[6]
  local id = ARGV[1]
  local st = redis.call('HGET', k.b, 'st')
  if st == 'c' then return 'already' end
  if st ~= 's' then return redis.error_reply((st and STATE[st] or 'NOSUCH') .. ' block ' .. id .. ' cannot be committed') end
  local f = redis.call('HMGET', k.b, 'len', 'c', 'e', 'ps', 'pe', 'exp', 'cr')
  local now = now_ms()
  local len = tonumber(f[1])
  if now > tonumber(f[6]) then
    expire_stage(k, id, S, ST)
    return redis.error_reply('EXPIRED stage of block ' .. id .. ' passed its deadline before commit')
  end
  redis.call('ZREM', ST, id)
  redis.call('HINCRBY', S, 'staged', -len)
  local seq = redis.call('HINCRBY', S, 'seq', 1)
  redis.call('HSET', k.b, 'st', 'c', 'seq', seq, 'cat', now)
  redis.call('HDEL', k.b, 'exp')
  local mine = tonumber(f[3]) - tonumber(f[2])
  local peer = tonumber(f[5]) - tonumber(f[4])
  if mine > 0 then redis.call('ZADD', Q, seq, id) end
  redis.call('ZADD', ALL, tonumber(f[7]), id)
  redis.call('HINCRBY', S, 'in', len)
  redis.call('HINCRBY', S, 'am', mine)
  redis.call('HINCRBY', S, 'ap', peer)
  redis.call('HINCRBY', S, 'blocks', 1)
  redis.call('HSETNX', S, 'firstIn', now)
  redis.call('HSET', S, 'lastIn', now)
  lowwater(S, ARGV[5], ARGV[2], ARGV[3], ARGV[4])
  return 'committed'
end
`;

/** KEYS: block, data, staged zset, stats. ARGV: id. */
const ABORT = `
local function abort(KEYS, ARGV)
  local k, ST, S, id = { b = KEYS[1], d = KEYS[2] }, KEYS[3], KEYS[4], ARGV[1]
  local st = redis.call('HGET', k.b, 'st')
  if not st then
    -- Abort before the stage arrived: the tombstone makes a late stage of this id fail.
    redis.call('HSET', k.b, 'st', 'a')
    return 'aborted'
  end
  if st == 'a' or st == 'e' then return 'already' end
  if st ~= 's' then return redis.error_reply(STATE[st] .. ' block ' .. id .. ' cannot be aborted') end
  local len = hnum(k.b, 'len')
  redis.call('ZREM', ST, id)
  redis.call('HINCRBY', S, 'staged', -len)
  redis.call('HINCRBY', S, 'aborted', len)
  tomb(k, 'a')
  return 'aborted'
end
`;

/**
 * Withdraw `count` keys of `size` bits from the own lane, oldest committed block first.
 * KEYS: queue, all, stats, receipt, key-ID directory entries (nref: 0 or count), then P:b/P:d of each declared block.
 * ARGV: P, size, count, receiptTtlMs, owner, peer, kind, channel, refTtlMs, nref, nblk, block ids...
 * Returns {metaJson, data, replayed}; meta = {keys: [[[id, off, len, byteStart, byteLen], ...], ...], avail, low},
 * {short = avail}, or {retry = [ids]} (nothing changed: declare these blocks and call again).
 */
const WITHDRAW = `
local function withdraw(KEYS, ARGV)
  local Q, ALL, S, R = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local P, size, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
  local nref, nblk = tonumber(ARGV[10]), tonumber(ARGV[11])
  local r = receipt_get(R)
  if r then return r end
  local m, err = declared(P, KEYS, 5 + nref, ARGV, 12, nblk)
  if not m then return redis.error_reply(err) end
  local now = now_ms()
  local need = size * count
  -- Plan: every expired block and every block the walk reaches must be declared, else change nothing.
  local expired = expired_keys(S, ALL, now)
  local skip = {}
  for _, id in ipairs(expired) do skip[id] = true end
  local candidates = redis.call('ZRANGE', Q, 0, nblk + #expired)
  local more = function()
    local ids = redis.call('ZRANGE', Q, 0, 2 * nblk + #expired + 3)
    for _, id in ipairs(expired) do ids[#ids + 1] = id end
    return retry(ids)
  end
  if not need_declared(m, expired) then return more() end
  local am0 = hnum(S, 'am')
  for _, id in ipairs(expired) do local f = redis.call('HMGET', m[id].b, 'c', 'e'); am0 = am0 - (tonumber(f[2]) - tonumber(f[1])) end
  if am0 >= need then
    local left = need
    for _, id in ipairs(candidates) do
      if not skip[id] then
        if not m[id] then return more() end
        local f = redis.call('HMGET', m[id].b, 'c', 'e')
        left = left - (tonumber(f[2]) - tonumber(f[1]))
        if left <= 0 then break end
      end
    end
    if left > 0 then
      -- ZRANGE gave fewer ids than asked: the whole queue was walked and still holds too few bits.
      if #candidates <= nblk + #expired then return redis.error_reply('INCONSISTENT pool ' .. P .. ': counter says bits are available but no block has them') end
      return more()
    end
  end
  purge(m, expired, S, Q, ALL)
  local h = redis.call('HMGET', S, 'am', 'lwt', 'lw', 'out', 'wd')
  local am = tonumber(h[1] or '0')
  if am < need then return { cjson.encode({ short = am }), '', 0 } end
  local keys, chunks, pos = {}, {}, 0
  for n = 1, count do
    local segs, left = {}, size
    while left > 0 do
      local head = redis.call('ZRANGE', Q, 0, 0)[1]
      local k = head and m[head]
      if not k then return redis.error_reply('INCONSISTENT pool ' .. P .. ': the planned blocks ran out before the withdrawal was complete') end
      local f = redis.call('HMGET', k.b, 'c', 'e')
      local c, e = tonumber(f[1]), tonumber(f[2])
      local take = math.min(e - c, left)
      local bytes = read(k.d, c, take)
      chunks[#chunks + 1] = bytes
      segs[#segs + 1] = { head, c, take, pos, #bytes }
      pos = pos + #bytes
      zero(k.d, c, take)
      c = c + take
      left = left - take
      redis.call('HSET', k.b, 'c', c)
      if c >= e then
        redis.call('ZREM', Q, head)
        maybe_consumed(k, head, S, Q, ALL)
      end
    end
    keys[n] = segs
    if nref > 0 then
      local refs = {}
      for i, s in ipairs(segs) do refs[i] = { s[1], s[2], s[3] } end
      redis.call('SET', KEYS[4 + n], cjson.encode(refs), 'PX', ARGV[9])
    end
  end
  local low, flag = lowwater_calc(am - need, tonumber(h[2] or '0'), h[3] == '1', ARGV[8], ARGV[5], ARGV[6], ARGV[7])
  redis.call('HSET', S, 'am', am - need, 'out', tonumber(h[4] or '0') + need, 'wd', tonumber(h[5] or '0') + count, 'lastOut', now, 'lw', flag)
  local meta = cjson.encode({ keys = keys, avail = am - need, low = low })
  local data = table.concat(chunks)
  receipt_set(R, meta, data, ARGV[4])
  return { meta, data, 0 }
end
`;

/**
 * Take exactly the referenced ranges from the peer's lane (the peer withdrew them by size).
 * KEYS: stats, receipt, queue, all, then P:b/P:d of every referenced block. ARGV: P, receiptTtlMs,
 * refsJson ([[[id, off, len], ...], ...] one list per key), nblk, block ids...
 * All ranges are checked before any is taken: a refused request takes nothing.
 */
const TAKE = `
local function take(KEYS, ARGV)
  local S, R, Q, ALL = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local P = ARGV[1]
  local r = receipt_get(R)
  if r then return r end
  local m, err = declared(P, KEYS, 5, ARGV, 5, tonumber(ARGV[4]))
  if not m then return redis.error_reply(err) end
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
      if not m[id] then return redis.error_reply('RANGE block ' .. id .. ' is referenced but not declared') end
      local info = blocks[id]
      if not info then
        local f = redis.call('HMGET', m[id].b, 'st', 'ps', 'pe', 'pu', 'pr', 'cr')
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
  for n, key in ipairs(req) do
    local segs = {}
    for _, s in ipairs(key) do
      local bytes = read(m[s[1]].d, s[2], s[3])
      chunks[#chunks + 1] = bytes
      segs[#segs + 1] = { s[1], s[2], s[3], pos, #bytes }
      pos = pos + #bytes
    end
    keys[n] = segs
  end
  for _, key in ipairs(req) do
    for _, s in ipairs(key) do zero(m[s[1]].d, s[2], s[3]) end
  end
  for _, id in ipairs(order) do
    local info = blocks[id]
    redis.call('HSET', m[id].b, 'pr', cjson.encode(info.iv), 'pu', info.pu + info.add)
    maybe_consumed(m[id], id, S, Q, ALL)
  end
  local ap = tonumber(h[2] or '0') - total
  redis.call('HSET', S, 'ap', ap, 'outRef', tonumber(h[3] or '0') + total, 'wdRef', tonumber(h[4] or '0') + #req, 'lastOut', now)
  local meta = cjson.encode({ keys = keys, avail = ap, low = 0 })
  local data = table.concat(chunks)
  receipt_set(R, meta, data, ARGV[2])
  return { meta, data, 0 }
end
`;

/** Read only. KEYS: staged zset, all, stats. Returns {stage ids past their deadline, committed ids past the key ttl} (256 each at most). */
const EXPIRED = `
local function expired(KEYS, ARGV)
  local now = now_ms()
  return { redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 256), expired_keys(KEYS[3], KEYS[2], now) }
end
`;

/** KEYS: staged zset, all, queue, stats, then P:b/P:d of each block. ARGV: P, nblk, ids...
 *  Expires the declared blocks that are really expired now (others are left alone). Returns {expired stages, expired key bits}. */
const SWEEP = `
local function sweep(KEYS, ARGV)
  local ST, ALL, Q, S = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local m, err = declared(ARGV[1], KEYS, 5, ARGV, 3, tonumber(ARGV[2]))
  if not m then return redis.error_reply(err) end
  local now = now_ms()
  local ttl = hnum(S, 'kttl')
  local stages, old = 0, {}
  for i = 3, #ARGV do
    local id = ARGV[i]
    local dl = redis.call('ZSCORE', ST, id)
    local cr = redis.call('ZSCORE', ALL, id)
    if dl and tonumber(dl) < now then
      expire_stage(m[id], id, S, ST)
      stages = stages + 1
    elseif cr and ttl > 0 and tonumber(cr) < now - ttl then
      old[#old + 1] = id
    end
  end
  return { stages, purge(m, old, S, Q, ALL) }
end
`;

/** KEYS: stats. ARGV: low-water threshold bits, key ttl ms ('' leaves a value unchanged). */
const CONFIGURE = `
local function configure(KEYS, ARGV)
  if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'lwt', ARGV[1]) end
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'kttl', ARGV[2]) end
  return 'ok'
end
`;

/** KEYS: the owner's stats index. ARGV: "<peer>:<kind>". */
const REGISTER = `
local function register(KEYS, ARGV)
  return redis.call('SADD', KEYS[1], ARGV[1])
end
`;

// KEYS[1] decision record; ARGV: want ('commit'|'abort'), owner nonce ('*' = any open record or none), ttl ms.
// Sets `want:owner` when the record is this owner's `open:` (or, for owner '*', any `open:` or none);
// returns the record after the call (decisions.ts).
const DECIDE = `
local function decide(KEYS, ARGV)
  local cur = redis.call('GET', KEYS[1])
  local want, owner = ARGV[1], ARGV[2]
  local mine = (cur == 'open:' .. owner) or (owner == '*' and (not cur or string.sub(cur, 1, 5) == 'open:'))
  if mine then
    local v = want .. ':' .. (owner == '*' and 'recovery' or owner)
    redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
    return v
  end
  return cur or ''
end
`;

const REGISTRATIONS = `
redis.register_function('${FN.stage}', stage)
redis.register_function('${FN.commit}', commit)
redis.register_function('${FN.abort}', abort)
redis.register_function('${FN.withdraw}', withdraw)
redis.register_function('${FN.take}', take)
redis.register_function{ function_name = '${FN.expired}', callback = expired, flags = { 'no-writes' } }
redis.register_function('${FN.sweep}', sweep)
redis.register_function('${FN.configure}', configure)
redis.register_function('${FN.register}', register)
redis.register_function('${FN.decide}', decide)
`;

/** The library source for FUNCTION LOAD REPLACE. */
export const POOL_LIBRARY = `#!lua name=${LIBRARY_NAME}\n` + HELPERS + STAGE + COMMIT + ABORT + WITHDRAW + TAKE + EXPIRED + SWEEP + CONFIGURE + REGISTER + DECIDE + REGISTRATIONS;
