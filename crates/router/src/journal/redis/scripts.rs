//! The Lua scripts that make each transition of an entry one atomic step in Redis.
//!
//! Every script takes the key prefix as `ARGV[1]` and names the keys from it (see the
//! `redis` module's docs for the layout), so all of a journal's keys must live on one Redis
//! node (no Redis Cluster, or a prefix with a hash tag). Redis runs a script to its end
//! without interleaving other commands, but does not roll back the writes before an error:
//! so each script reads and checks everything it needs before its first write.
//!
//! Times are milliseconds since the Unix epoch, computed by the client and passed as
//! strings; the scripts never do arithmetic on them (Lua numbers are doubles), only compare
//! them as sorted-set scores.

/// Appends an entry unless its key is journaled; the dedupe check, the stream entry, the
/// entry's hash and its places in the sorted sets are written together or not at all.
///
/// `ARGV`: prefix, group, key, now, then field/value pairs of the hash. Returns 1 (new) or 0
/// (duplicate).
pub(super) const APPEND: &str = r"
local p, group, key, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local h = p .. 'e:' .. key
local found = redis.call('TYPE', h)['ok']
if found == 'hash' and redis.call('HEXISTS', h, 'sid') == 1 then
  return 0
end
if found ~= 'none' then
  -- Never a duplicate (answered 200) on the word of a key this SDK did not write.
  return redis.error_reply('FOREIGN the key ' .. h .. ' holds a ' .. found ..
                           ' this SDK did not write')
end
local log = p .. 'log'
local log_type = redis.call('TYPE', log)['ok']
if log_type ~= 'stream' and log_type ~= 'none' then
  return redis.error_reply('FOREIGN the key ' .. log .. ' holds a ' .. log_type ..
                           ', not the journal stream')
end
if log_type == 'none' then
  redis.call('XGROUP', 'CREATE', log, group, '0', 'MKSTREAM')
end
local sid = redis.call('XADD', log, '*', 'ghl', '1', 'key', key)
local seq = redis.call('INCR', p .. 'seq')
local fields = {'key', key, 'state', 'pending', 'seq', seq, 'sid', sid, 'new', '1', 'att', '0',
                'gen', '0', 'next', now, 'upd', now}
local ok = false
for i = 5, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'ok' then ok = ARGV[i + 1] end
end
redis.call('HSET', h, unpack(fields))
redis.call('ZADD', p .. 'all', seq, key)
redis.call('ZADD', p .. 'open', seq, key)
if ok then
  redis.call('ZADD', p .. 'o:' .. ok, seq, key)
end
return 1
";

/// Leases up to `max` entries: expired leases first, then due pending entries, then new
/// entries read from the stream through the consumer group (`XREADGROUP ... >`). An entry
/// with an order key is taken only when it is the first open entry of its key.
///
/// `ARGV`: prefix, group, consumer, now, max, lease_until, scan (how many candidates of each
/// kind one call looks at). Returns `{foreign stream ids skipped, {hash of each leased entry}}`.
pub(super) const LEASE: &str = r"
local p, group, consumer, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local max, lease_until, scan = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local log = p .. 'log'
local leased, foreign = {}, {}

local function first_of_its_order_key(key, ok)
  if not ok then return true end
  local first = redis.call('ZRANGE', p .. 'o:' .. ok, 0, 0)
  return first[1] == key
end

local function take(key, h, sid)
  redis.call('HSET', h, 'state', 'in_progress', 'lease', lease_until, 'upd', now)
  redis.call('HINCRBY', h, 'att', 1)
  redis.call('HINCRBY', h, 'gen', 1)
  redis.call('ZREM', p .. 'due', key)
  redis.call('ZADD', p .. 'leases', lease_until, key)
  if sid then
    -- The pending-entries list names the consumer that holds the entry now.
    redis.pcall('XCLAIM', log, group, consumer, 0, sid, 'JUSTID')
  end
  leased[#leased + 1] = redis.call('HGETALL', h)
end

for _, set in ipairs({'leases', 'due'}) do
  if #leased >= max then break end
  local expected = 'in_progress'
  if set == 'due' then expected = 'pending' end
  local keys = redis.call('ZRANGEBYSCORE', p .. set, '-inf', now, 'LIMIT', 0, scan)
  for _, key in ipairs(keys) do
    if #leased >= max then break end
    local h = p .. 'e:' .. key
    local f = redis.call('HMGET', h, 'state', 'ok', 'sid')
    if f[1] ~= expected then
      -- Purged or changed behind the journal's back: not a candidate any more.
      redis.call('ZREM', p .. set, key)
    elseif first_of_its_order_key(key, f[2]) then
      take(key, h, f[3])
    end
  end
end

if redis.call('EXISTS', log) == 1 then
  local budget = scan
  while #leased < max and budget > 0 do
    local want = math.min(max - #leased, budget)
    local read = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', want,
                             'STREAMS', log, '>')
    if type(read) == 'table' and read.err then
      if not string.find(read.err, 'NOGROUP', 1, true) then
        return redis.error_reply(read.err)
      end
      -- The group is gone (the stream was recreated): entries already handled are
      -- recognised by their hash and skipped.
      redis.call('XGROUP', 'CREATE', log, group, '0')
      read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', want,
                        'STREAMS', log, '>')
    end
    if not read or not read[1] then break end
    local entries = read[1][2]
    if #entries == 0 then break end
    budget = budget - #entries
    for _, item in ipairs(entries) do
      local sid, fields = item[1], item[2]
      local ghl, key = false, false
      if type(fields) == 'table' then
        for i = 1, #fields, 2 do
          if fields[i] == 'ghl' then ghl = fields[i + 1]
          elseif fields[i] == 'key' then key = fields[i + 1] end
        end
      end
      if ghl ~= '1' or not key then
        redis.call('XACK', log, group, sid)
        foreign[#foreign + 1] = sid
      else
        local h = p .. 'e:' .. key
        local f = redis.call('HMGET', h, 'sid', 'new', 'ok', 'next', 'state')
        if f[1] ~= sid or f[2] ~= '1' or f[5] ~= 'pending' then
          -- Purged since (or appended again under a later id): nothing to do.
          redis.call('XACK', log, group, sid)
        else
          redis.call('HDEL', h, 'new')
          if first_of_its_order_key(key, f[3]) then
            take(key, h, false)
          else
            redis.call('ZADD', p .. 'due', f[4], key)
          end
        end
      end
    end
  end
end

return {foreign, leased}
";

/// Settles a lease: `complete`, `retry`, `dead`, `hold` or `release`, only with the token of the
/// current lease.
///
/// `ARGV`: prefix, group, key, generation, operation, now, error, not_before. Returns `ok`,
/// `lost` or `not_found`.
pub(super) const SETTLE: &str = r"
local p, group, key, gen, op, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local h = p .. 'e:' .. key
local f = redis.call('HMGET', h, 'state', 'gen', 'sid', 'ok', 'next', 'att')
if not f[1] then return 'not_found' end
if f[1] ~= 'in_progress' or f[2] ~= gen then return 'lost' end
redis.call('ZREM', p .. 'leases', key)
redis.call('HDEL', h, 'lease')
if op == 'complete' or op == 'dead' then
  redis.call('ZREM', p .. 'open', key)
  if f[4] then redis.call('ZREM', p .. 'o:' .. f[4], key) end
  if f[3] then redis.pcall('XACK', p .. 'log', group, f[3]) end
end
if op == 'complete' then
  redis.call('HSET', h, 'state', 'done', 'upd', now)
  redis.call('ZADD', p .. 'done', now, key)
elseif op == 'dead' then
  redis.call('HSET', h, 'state', 'dead', 'err', ARGV[7], 'upd', now)
  redis.call('ZADD', p .. 'dead', now, key)
  redis.call('XADD', p .. 'dead-letters', '*', 'key', key, 'error', ARGV[7],
             'attempts', f[6] or '0')
elseif op == 'retry' then
  redis.call('HSET', h, 'state', 'pending', 'err', ARGV[7], 'next', ARGV[8], 'upd', now)
  redis.call('ZADD', p .. 'due', ARGV[8], key)
else
  local att = (tonumber(f[6]) or 1) - 1
  if att < 0 then att = 0 end
  if op == 'hold' then
    redis.call('HSET', h, 'state', 'pending', 'att', att, 'err', ARGV[7], 'next', ARGV[8], 'upd', now)
    redis.call('ZADD', p .. 'due', ARGV[8], key)
  else
    redis.call('HSET', h, 'state', 'pending', 'att', att, 'upd', now)
    redis.call('ZADD', p .. 'due', f[5] or now, key)
  end
end
return 'ok'
";

/// Brings finished entries back to pending, due now, attempts reset.
///
/// `ARGV`: prefix, now, mode (`one`, `dead` or `kind`), kind, then the keys to look at.
/// Returns how many came back, or -1 when mode `one` names an unknown key.
pub(super) const REPLAY: &str = r"
local p, now, mode, kind = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local n = 0
for i = 5, #ARGV do
  local key = ARGV[i]
  local h = p .. 'e:' .. key
  local f = redis.call('HMGET', h, 'state', 'kind', 'seq', 'ok')
  if not f[1] then
    if mode == 'one' then return -1 end
  elseif f[1] == 'done' and redis.call('HSTRLEN', h, 'raw') == 0 then
    if mode == 'one' then return -2 end
  elseif (f[1] == 'dead' or (f[1] == 'done' and mode ~= 'dead'))
      and (mode ~= 'kind' or f[2] == kind) then
    redis.call('HSET', h, 'state', 'pending', 'att', 0, 'next', now, 'upd', now)
    redis.call('HDEL', h, 'lease', 'new')
    redis.call('ZREM', p .. 'done', key)
    redis.call('ZREM', p .. 'dead', key)
    redis.call('ZADD', p .. 'due', now, key)
    redis.call('ZADD', p .. 'open', f[3], key)
    if f[4] then redis.call('ZADD', p .. 'o:' .. f[4], f[3], key) end
    n = n + 1
  end
end
return n
";

/// Drops the bodies of done entries finished before the cutoff, from where the previous call
/// stopped (`P:bodies-to`, inclusive, so that an entry finished later in that same millisecond
/// is not missed): up to `batch` of them, and every other entry finished in the same
/// millisecond as the last one.
///
/// `ARGV`: prefix, cutoff, batch. Returns the bodies dropped, and 1 if the mark moved on (0:
/// nothing after it, the caller stops).
pub(super) const DROP_BODIES: &str = r"
local p, cutoff, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local mark = p .. 'bodies-to'
local from = redis.call('GET', mark) or '-inf'
local found = redis.call('ZRANGEBYSCORE', p .. 'done', from, '(' .. cutoff,
  'WITHSCORES', 'LIMIT', 0, batch)
if #found == 0 then return {0, 0} end
local last = found[#found]
local dropped = 0
for _, key in ipairs(redis.call('ZRANGEBYSCORE', p .. 'done', from, last)) do
  local h = p .. 'e:' .. key
  if redis.call('HSTRLEN', h, 'raw') > 0 then
    redis.call('HSET', h, 'raw', '')
    redis.call('HDEL', h, 'type', 'ok', 'err')
    dropped = dropped + 1
  end
end
redis.call('SET', mark, last)
local moved = 1
if from ~= '-inf' and tonumber(last) <= tonumber(from) then moved = 0 end
return {dropped, moved}
";

/// Deletes up to `batch` done (and with `dead_too`, dead) entries last updated before the
/// cutoff, then trims the stream below both the cutoff and its oldest open entry.
///
/// `ARGV`: prefix, cutoff, dead_too (`1` or `0`), batch. Returns how many were deleted.
pub(super) const DELETE: &str = r"
local p, cutoff, dead_too, batch = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local sets = {'done'}
if dead_too == '1' then sets[2] = 'dead' end
local n = 0
for _, set in ipairs(sets) do
  local keys = redis.call('ZRANGEBYSCORE', p .. set, '-inf', '(' .. cutoff, 'LIMIT', 0, batch)
  for _, key in ipairs(keys) do
    redis.call('DEL', p .. 'e:' .. key)
    redis.call('ZREM', p .. set, key)
    redis.call('ZREM', p .. 'all', key)
    n = n + 1
  end
end

local function older(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  if not ams or not bms then return false end
  if #ams ~= #bms then return #ams < #bms end
  if ams ~= bms then return ams < bms end
  return tonumber(aseq) < tonumber(bseq)
end

local log = p .. 'log'
if redis.call('EXISTS', log) == 1 then
  local minid = cutoff .. '-0'
  local first = redis.call('ZRANGE', p .. 'open', 0, 0)
  if first[1] then
    local sid = redis.call('HGET', p .. 'e:' .. first[1], 'sid')
    if sid and older(sid, minid) then minid = sid end
  end
  redis.call('XTRIM', log, 'MINID', minid)
end
if dead_too == '1' and redis.call('EXISTS', p .. 'dead-letters') == 1 then
  redis.call('XTRIM', p .. 'dead-letters', 'MINID', cutoff .. '-0')
end
return n
";

/// Counts by state, and the received time of the earliest pending entry.
///
/// `ARGV`: prefix. Returns `{pending, in_progress, done, dead, oldest received or ''}`.
pub(super) const STATS: &str = r"
local p = ARGV[1]
local in_progress = redis.call('ZCARD', p .. 'leases')
local open = redis.call('ZCARD', p .. 'open')
local done = redis.call('ZCARD', p .. 'done')
local dead = redis.call('ZCARD', p .. 'dead')
local oldest = ''
local start = 0
while oldest == '' do
  local keys = redis.call('ZRANGE', p .. 'open', start, start + 99)
  if #keys == 0 then break end
  for _, key in ipairs(keys) do
    local f = redis.call('HMGET', p .. 'e:' .. key, 'state', 'recv')
    if f[1] == 'pending' and f[2] then
      oldest = f[2]
      break
    end
  end
  start = start + 100
end
local pending = open - in_progress
if pending < 0 then pending = 0 end
return {pending, in_progress, done, dead, oldest}
";
