/**
 * How long a server may take to start: a budget that fits a loaded machine. On a quiet machine
 * netlab's children are ready in well under a second; at a load average of 11 on 2 CPUs each one
 * gets a sixth of a CPU, and a fixed 20 s gave up on children that were still busy starting.
 * The budget grows with the load per CPU, and a child still using CPU when it runs out gets more
 * (it is making progress), up to a cap.
 *
 * @module
 */

/** The most a budget grows, as a multiple of its base. */
const MAX_SCALE = 10;

/**
 * `baseMs` scaled by the load per CPU (the 1-minute load average over the CPU count), never less
 * than `baseMs` and at most ten times it.
 *
 * @param baseMs the budget on a quiet machine
 * @param load the 1-minute load average (default: this machine's, 0 when unknown)
 * @param cpus the CPU count (default: this machine's)
 * @returns the budget in milliseconds
 */
export function startupBudgetMs(
  baseMs: number,
  load: number = loadNow(),
  cpus: number = navigator.hardwareConcurrency || 1,
): number {
  const scale = Math.min(MAX_SCALE, Math.max(1, load / Math.max(1, cpus)));
  return Math.round(baseMs * scale);
}

/** The hard limit however much progress a child makes: ten times the base. */
export function startupCapMs(baseMs: number): number {
  return baseMs * MAX_SCALE;
}

function loadNow(): number {
  try {
    return Deno.loadavg()[0] ?? 0;
  } catch {
    return 0; // no sys permission, or no load average on this system: assume a quiet machine
  }
}

/**
 * CPU time (user + system, in clock ticks) process `pid` has used, from `/proc/PID/stat`; null
 * where that cannot be read (not Linux, or the process is gone).
 */
export function cpuTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // the command name (field 2) is in parentheses and may hold spaces: count fields after it
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}
