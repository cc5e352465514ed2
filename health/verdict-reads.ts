/**
 * Reading verdict hashes back for a resync (health/redis-reader.ts), a chunk of keys per round
 * trip: one script call returns Redis's TIME and every key's fields as one JSON text, instead of a
 * pipeline of one HGETALL per key. At 10,000 keys the pipeline meant 10,000 ioredis commands per
 * resync, whose replies lived just long enough to be promoted, so every scavenge during a resync
 * took 10–40 ms on the DNS servers (issue 15); one string per chunk is parsed and dropped in one
 * turn. Should a reply not parse, that chunk is read the old way (a pipeline), so a resync never
 * depends on it.
 */
import type { Redis } from 'ioredis';

/** Each key's fields as `key, field count, field, value, …`, after Redis's TIME (epoch ms); a key that is not a hash reads as empty. */
const READ_VERDICTS_LUA = `local t = redis.call('TIME')
local out = { string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) }
for _, key in ipairs(KEYS) do
  local fields = redis.pcall('HGETALL', key)
  if type(fields) ~= 'table' or fields.err ~= nil then fields = {} end
  out[#out + 1] = key
  out[#out + 1] = #fields / 2
  for i = 1, #fields do out[#out + 1] = fields[i] end
end
return cjson.encode(out)`;

/** Redis's own clock, epoch milliseconds (a script with a key, so a cluster runs it where the keys are). */
const REDIS_TIME_LUA = `local t = redis.call('TIME')
return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

interface VerdictReadCommands {
  rondoReadVerdicts(numKeys: number, ...keys: string[]): Promise<unknown>;
  rondoTime(key: string): unknown;
}

export interface VerdictHashes {
  /** Redis's TIME when it read them, epoch milliseconds (undefined: not known). */
  readonly redisNow: number | undefined;
  /** The keys read, each with its fields (checker → stored verdict text); a missing key has none. */
  readonly hashes: readonly (readonly [key: string, fields: Readonly<Record<string, string>>])[];
}

/** Defines the scripts on a command connection (once per client). */
export function defineVerdictReads(client: Redis): void {
  client.defineCommand('rondoReadVerdicts', { lua: READ_VERDICTS_LUA });
  client.defineCommand('rondoTime', { numberOfKeys: 1, lua: REDIS_TIME_LUA });
}

/**
 * Reads the verdict hashes of `keys` (all in one cluster slot: Rondo's keys share the `{prefix}`
 * hash tag). Redis errors reject, as the resync's other reads do.
 */
export async function readVerdictHashes(client: Redis, keys: readonly string[], timeKey: string): Promise<VerdictHashes> {
  if (keys.length === 0) return { redisNow: undefined, hashes: [] };
  const reply = await (client as unknown as VerdictReadCommands).rondoReadVerdicts(keys.length, ...keys);
  return (typeof reply === 'string' ? parseReply(reply) : undefined) ?? (await readByPipeline(client, keys, timeKey));
}

/** The script's reply, or undefined when it is not what the script makes. */
export function parseReply(text: string): VerdictHashes | undefined {
  let flat: unknown;
  try {
    flat = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(flat) || typeof flat[0] !== 'string') return undefined;
  const time = Number(flat[0]);
  const hashes: (readonly [string, Record<string, string>])[] = [];
  let i = 1;
  while (i < flat.length) {
    const key: unknown = flat[i];
    const count: unknown = flat[i + 1];
    if (typeof key !== 'string' || typeof count !== 'number' || !Number.isInteger(count) || count < 0 || i + 2 + 2 * count > flat.length) return undefined;
    const fields: Record<string, string> = {};
    for (let f = 0; f < count; f++) {
      const name: unknown = flat[i + 2 + 2 * f];
      const value: unknown = flat[i + 3 + 2 * f];
      if (typeof name !== 'string' || typeof value !== 'string') return undefined;
      fields[name] = value;
    }
    hashes.push([key, fields]);
    i += 2 + 2 * count;
  }
  return { redisNow: Number.isFinite(time) ? time : undefined, hashes };
}

/** The fallback: TIME and one HGETALL per key, pipelined; a key whose read fails reads as empty. */
async function readByPipeline(client: Redis, keys: readonly string[], timeKey: string): Promise<VerdictHashes> {
  const pipe = client.pipeline();
  (pipe as unknown as VerdictReadCommands).rondoTime(timeKey);
  for (const key of keys) pipe.hgetall(key);
  const results = (await pipe.exec()) ?? [];
  const [timeErr, time] = results[0] ?? [null, null];
  const hashes = keys.map((key, j) => {
    const [err, fields] = results[j + 1] ?? [null, null];
    const ok = err === null && fields !== null && typeof fields === 'object';
    return [key, ok ? (fields as Record<string, string>) : {}] as const;
  });
  return { redisNow: timeErr === null && typeof time === 'number' ? time : undefined, hashes };
}
