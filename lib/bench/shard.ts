/**
 * Shards: one bench split among N machines (`--shard I/N`) that start together (`--start-at`) and
 * whose results `netlab bench merge` adds up exactly. Each shard sends its share of the requests
 * on its share of the connections at its share of the rate, remainders to the first shards, so
 * the shards together send exactly what one run would.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { shareOf } from "./threads.ts";

/** Shard `index` (0-based) of `count`. */
export interface Shard {
  /** This shard, 0 to count - 1. */
  index: number;
  /** Shards in all. */
  count: number;
}

/** What a shard's result records: which shard it was and the whole run it was a share of. */
export interface ShardInfo extends Shard {
  /** Requests of the whole run (every shard), or null when only a time limit bounds it. */
  requests: number | null;
  /** Connections of the whole run. */
  concurrency: number;
  /** Requests per second of the whole run (open model), or null. */
  rate: number | null;
}

/** Parses `I/N` (0 <= I < N). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count || !Number.isSafeInteger(count)) {
    throw new UsageError(`Invalid shard "${text}": expected I/N with 0 <= I < N, e.g. 0/3`);
  }
  return { index, count };
}

/**
 * Shard `shard.index`'s share of a whole-number `total`: the same for every shard, the remainder
 * going one each to the first shards.
 */
export function shardShare(total: number, shard: Shard): number {
  return shareOf(total, shard.count, shard.index);
}

/**
 * A shard's share of a rate: whole rates split as counts are (so the shards' rates add up to
 * exactly the whole), fractional ones evenly.
 */
export function shardRate(rate: number, shard: Shard): number {
  return Number.isInteger(rate) ? shardShare(rate, shard) : rate / shard.count;
}

/** The whole run's figures, as given before the split. */
export interface WholeRun {
  /** -n, if given. */
  requests?: number;
  /** -c (or each --concurrency-levels level). */
  concurrency: number;
  /** --rate, if given. */
  rate?: number;
}

/**
 * This shard's share of a run; a share that would be empty (fewer connections, requests or
 * requests per second than shards) is a usage error.
 */
export function splitRun(whole: WholeRun, shard: Shard): WholeRun {
  const n = shard.count;
  const concurrency = shardShare(whole.concurrency, shard);
  if (concurrency < 1) {
    throw new UsageError(
      `Cannot split -c ${whole.concurrency} among ${n} shards: each needs at least one connection`,
    );
  }
  const out: WholeRun = { concurrency };
  if (whole.requests !== undefined) {
    out.requests = shardShare(whole.requests, shard);
    if (out.requests < 1) {
      throw new UsageError(
        `Cannot split -n ${whole.requests} among ${n} shards: each needs at least one request`,
      );
    }
  }
  if (whole.rate !== undefined) {
    out.rate = shardRate(whole.rate, shard);
    if (!(out.rate > 0)) {
      throw new UsageError(
        `Cannot split --rate ${whole.rate} among ${n} shards: each needs a rate above 0`,
      );
    }
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses `--start-at`: an RFC 3339 time with its offset (`2026-12-02T09:00:00Z`) or Unix
 * milliseconds (`1796202000000`). A time already past `now` is a usage error.
 *
 * @returns Unix milliseconds
 */
export function parseStartAt(text: string, now: number = Date.now()): number {
  const t = text.trim();
  let at = NaN;
  if (/^\d+$/.test(t)) at = Number(t);
  else if (RFC3339.test(t)) at = Date.parse(t.replace(" ", "T"));
  if (!Number.isSafeInteger(at)) {
    throw new UsageError(
      `Invalid start time "${text}": expected RFC 3339 (2026-12-02T09:00:00Z) or Unix milliseconds`,
    );
  }
  if (at < now) {
    throw new UsageError(
      `Cannot start at "${text}": that time is already past (now ${new Date(now).toISOString()})`,
    );
  }
  return at;
}

/** Resolves at Unix time `at` (ms), or at once when `signal` aborts. */
export function waitUntil(at: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let timer: ReturnType<typeof setTimeout>;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    // setTimeout holds at most 2^31 - 1 ms (about 24.8 days): wait in steps
    const step = () => {
      const left = at - Date.now();
      if (left <= 0) return done();
      timer = setTimeout(step, Math.min(left, 2 ** 31 - 1));
    };
    signal?.addEventListener("abort", done, { once: true });
    step();
  });
}
