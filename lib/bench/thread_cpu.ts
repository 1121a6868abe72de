/**
 * CPU time per thread of this process, from Linux's /proc/self/task/TID/stat. The process's CPU
 * over all threads misses the fetch engine's ceiling: Deno's fetch runs its I/O on the JS thread's
 * runtime, so a fetch run is bound when that one thread is busy all the time (event-loop
 * utilization near 100%) while the process as a whole shows 60-75%. The busiest thread's share of
 * the wall time is the figure that says so, for every engine.
 *
 * @module
 */

/** CPU ticks (user + system, in 1/100 s) per thread id, with the thread's name. */
export type ThreadTicks = Map<string, { name: string; ticks: number }>;

const TASKS = "/proc/self/task";
/** USER_HZ: Linux reports times in /proc in 1/100 s whatever the kernel's tick. */
const TICKS_PER_SECOND = 100;

/** Reads every thread's CPU ticks, or null where /proc cannot be read (other systems, no -A). */
export function threadTicks(): ThreadTicks | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.permissions.querySync({ name: "read", path: TASKS }).state !== "granted") return null;
  const out: ThreadTicks = new Map();
  try {
    for (const entry of Deno.readDirSync(TASKS)) {
      const parsed = parseStat(readStat(entry.name));
      if (parsed !== null) out.set(entry.name, parsed);
    }
  } catch (err) {
    // Deno asks for all permissions (-A) to read /proc/self: without them, no per-thread figure
    if (
      err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.NotCapable
    ) {
      return null;
    }
    throw err;
  }
  return out;
}

function readStat(tid: string): string {
  try {
    return Deno.readTextFileSync(`${TASKS}/${tid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return ""; // the thread ended meanwhile
    throw err;
  }
}

/** A stat line's name and utime + stime; the name may hold spaces and parentheses. */
export function parseStat(line: string): { name: string; ticks: number } | null {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  // After ") ": state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt,
  // cmajflt, utime, stime (fields 3-15 of proc(5)).
  const fields = line.slice(close + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) return null;
  return { name: line.slice(open + 1, close), ticks };
}

/** The thread that used most CPU between two readings, as a share of `wallMs` in percent. */
export function busiestThread(
  before: ThreadTicks,
  after: ThreadTicks,
  wallMs: number,
): { name: string; percent: number } | null {
  if (wallMs <= 0) return null;
  let best: { name: string; percent: number } | null = null;
  for (const [tid, { name, ticks }] of after) {
    const used = ticks - (before.get(tid)?.ticks ?? 0);
    const percent = Math.round(used / TICKS_PER_SECOND * 1000 / wallMs * 1000) / 10;
    if (best === null || percent > best.percent) best = { name, percent: Math.min(100, percent) };
  }
  return best;
}
