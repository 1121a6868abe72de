/**
 * How many connections a balancer can hold in its descriptors: two each (client and backend)
 * within the soft limit, raised toward the hard one first, less what is open at start and a
 * reserve.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { raiseFdLimit } from "../loop/fd_limit.ts";

/** Descriptors kept beyond those open at start: stats clients, health checks, log files. */
const FD_SPARE = 32;

/** Descriptors open now (Linux), or 0 when they cannot be counted. */
function openDescriptors(): number {
  try {
    return Array.from(Deno.readDirSync("/proc/self/fd")).length;
  } catch {
    return 0;
  }
}

/**
 * Raises the descriptor limit toward the hard one and returns the `maxConns` to run with:
 * without one given (`given` false), as many connections as the limit allows (up to
 * `maxConns`); with one that cannot fit, the same, after one warning saying so.
 */
export function fitDescriptors(maxConns: number, given: boolean, log: Logger): number {
  const limit = raiseFdLimit();
  if (!limit || !Number.isFinite(limit.soft)) return maxConns;
  const reserve = openDescriptors() + FD_SPARE;
  const fits = Math.max(1, Math.floor((limit.soft - reserve) / 2));
  if (!given) return Math.min(maxConns, fits);
  if (maxConns <= fits) return maxConns;
  log.warn(
    `--max-conns ${maxConns} cannot fit in ${limit.soft} file descriptors ` +
      `(2 per connection plus ${reserve}; hard limit ${limit.hard}): ` +
      `about ${fits} connections can be held, raise the limit with ulimit -n`,
    { maxConns, fits, soft: limit.soft, hard: limit.hard },
  );
  return maxConns;
}
