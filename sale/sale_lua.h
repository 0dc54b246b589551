/* sale_lua.h: the batch script every store write goes through (private to sale/).
 *
 * EVALSHA <sha> 0 <stream maxlen> <op>... applies a whole batch atomically and returns
 * one integer per op: 1 applied (or already so: repeats are harmless), 0 refused (the
 * order is not in the state the op expects). The layout it writes is proto/REDIS.md.
 *
 * ops (first argument is the kind):
 *   S room sale sku price stock limit starts_at ends_at pay_window   sale definition
 *   E room sale ts                                                    sale ended
 *   R order room sale sku uid qty price from req created pay_by       reservation
 *   T order to ts          reserved -> to ("paid", "cancelled", "expired")
 *   V order ts             reserved -> "aborted" (a reservation never acknowledged);
 *                          an order Redis never saw is fine (1) */
#ifndef SALE_LUA_H
#define SALE_LUA_H

#define SALE_LUA_PREFIX "lg:"

static const char sale_lua_batch[] =
    "local P = 'lg:'\n"
    "local maxlen = ARGV[1]\n"
    "local out = {}\n"
    "local i = 2\n"
    "local function ev(e, id, f, to, ts)\n"
    "  redis.call('XADD', P..'orders', 'MAXLEN', '~', maxlen, '*', 'event', e,\n"
    "    'order', id, 'room', f[1], 'sale', f[2], 'sku', f[3], 'uid', f[4],\n"
    "    'qty', f[5], 'price', f[6], 'from', f[7], 'state', to, 'created', f[8],\n"
    "    'pay_by', f[9], 'ts', ts)\n"
    "end\n"
    "while i <= #ARGV do\n"
    "  local k = ARGV[i]\n"
    "  if k == 'S' then\n"
    "    local room, sale = ARGV[i+1], ARGV[i+2]\n"
    "    local sk = P..'sale:'..room..':'..sale\n"
    "    redis.call('HSET', sk, 'room', room, 'sale', sale, 'sku', ARGV[i+3],\n"
    "      'price', ARGV[i+4], 'stock', ARGV[i+5], 'limit', ARGV[i+6],\n"
    "      'starts_at', ARGV[i+7], 'ends_at', ARGV[i+8], 'pay_window', ARGV[i+9])\n"
    "    redis.call('HSETNX', sk, 'state', 'live')\n"
    "    redis.call('HSETNX', sk, 'reserved', 0)\n"
    "    redis.call('HSETNX', sk, 'paid', 0)\n"
    "    redis.call('SADD', P..'sales', room..':'..sale)\n"
    "    out[#out+1] = 1\n"
    "    i = i + 10\n"
    "  elseif k == 'E' then\n"
    "    local sk = P..'sale:'..ARGV[i+1]..':'..ARGV[i+2]\n"
    "    redis.call('HSET', sk, 'state', 'ended', 'ended_at', ARGV[i+3])\n"
    "    out[#out+1] = 1\n"
    "    i = i + 4\n"
    "  elseif k == 'R' then\n"
    "    local id, room, sale = ARGV[i+1], ARGV[i+2], ARGV[i+3]\n"
    "    local ok = P..'order:'..id\n"
    "    if redis.call('EXISTS', ok) == 1 then\n"
    "      out[#out+1] = 0\n"
    "    else\n"
    "      local sk = P..'sale:'..room..':'..sale\n"
    "      local f = {room, sale, ARGV[i+4], ARGV[i+5], ARGV[i+6], ARGV[i+7],\n"
    "                 ARGV[i+8], ARGV[i+10], ARGV[i+11]}\n"
    "      redis.call('HSET', ok, 'order', id, 'room', room, 'sale', sale,\n"
    "        'sku', f[3], 'uid', f[4], 'qty', f[5], 'price', f[6], 'from', f[7],\n"
    "        'req', ARGV[i+9], 'state', 'reserved', 'created', f[8], 'pay_by', f[9],\n"
    "        'updated', f[8])\n"
    "      redis.call('HINCRBY', sk, 'reserved', f[5])\n"
    "      redis.call('ZADD', sk..':open', f[9], id)\n"
    "      redis.call('RPUSH', sk..':orders', id)\n"
    "      redis.call('SADD', P..'sales', room..':'..sale)\n"
    "      ev('reserved', id, f, 'reserved', f[8])\n"
    "      out[#out+1] = 1\n"
    "    end\n"
    "    i = i + 12\n"
    "  elseif k == 'T' or k == 'V' then\n"
    "    local id, to, ts\n"
    "    if k == 'T' then\n"
    "      id, to, ts = ARGV[i+1], ARGV[i+2], ARGV[i+3]\n"
    "      i = i + 4\n"
    "    else\n"
    "      id, to, ts = ARGV[i+1], 'aborted', ARGV[i+2]\n"
    "      i = i + 3\n"
    "    end\n"
    "    local ok = P..'order:'..id\n"
    "    local g = redis.call('HMGET', ok, 'state', 'room', 'sale', 'sku', 'uid',\n"
    "      'qty', 'price', 'from', 'created', 'pay_by')\n"
    "    local st = g[1]\n"
    "    if st == 'reserved' then\n"
    "      local f = {g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10]}\n"
    "      local sk = P..'sale:'..f[1]..':'..f[2]\n"
    "      redis.call('HSET', ok, 'state', to, 'updated', ts)\n"
    "      redis.call('HINCRBY', sk, 'reserved', -tonumber(f[5]))\n"
    "      if to == 'paid' then redis.call('HINCRBY', sk, 'paid', f[5]) end\n"
    "      redis.call('ZREM', sk..':open', id)\n"
    "      ev(to, id, f, to, ts)\n"
    "      out[#out+1] = 1\n"
    "    elseif st == to or (not st and k == 'V') then\n"
    "      out[#out+1] = 1\n"
    "    else\n"
    "      out[#out+1] = 0\n"
    "    end\n"
    "  else\n"
    "    return redis.error_reply('ERR livegw batch: unknown op ' .. tostring(k))\n"
    "  end\n"
    "end\n"
    "return out\n";

#endif
