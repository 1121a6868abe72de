/**
 * What a bench report records about where it ran: versions, OS, CPUs, load average, and the load
 * generator's own CPU time (process-wide: Deno has no per-thread CPU clock, and the process's
 * threads are the load generator's).
 *
 * @module
 */
import process from "node:process";
import { VERSION } from "../version.ts";
import type { BenchEnvironment } from "./cell.ts";

/** The 1, 5 and 15 minute load averages, or [] where they cannot be read. */
export function loadAverage(): number[] {
  try {
    return Deno.loadavg().map((x) => Math.round(x * 100) / 100);
  } catch (err) {
    if (
      err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.NotSupported
    ) {
      return [];
    }
    throw err;
  }
}

/**
 * The environment now. A cell takes it at its start (both load averages the same) and fills
 * `loadAverageEnd` when it ends; the lab passes what it measured around the whole lab.
 */
export function environmentNow(
  loadAverageStart: number[] = loadAverage(),
  loadAverageEnd: number[] = loadAverageStart,
): BenchEnvironment {
  return {
    netlab: VERSION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpus: navigator.hardwareConcurrency,
    loadAverageStart,
    loadAverageEnd,
  };
}

/** CPU time (user + system) this process has used so far, in milliseconds. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
