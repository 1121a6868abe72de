/**
 * The client half of `deno task perf tls`: `netlab bench --engine raw` (one thread, OpenSSL on the
 * loop) against wrk (one thread) over https to the same nginx, keep-alive and a new connection per
 * request, in alternating turns; each row is the median of the per-round ratios, with its range.
 *
 * @module
 */
import { wrkRun } from "./_load.ts";
import type { PerfLock } from "./_lock.ts";
import { netlabBench } from "./bench.ts";
import { median, type PerfRow } from "./_tools.ts";

const SECONDS = 3;
const CONNECTIONS = 50;

/** netlab bench's req/s, or NaN when the run had failures (the round is then voided). */
async function netlabRps(url: string, keepAlive: boolean, caFile: string): Promise<number> {
  const r = await netlabBench([
    "--threads",
    "1",
    ...(keepAlive ? ["-k"] : []),
    "-c",
    String(CONNECTIONS),
    "-t",
    String(SECONDS),
    "--engine",
    "raw",
    "--cacert",
    caFile,
    url,
  ]);
  return (r.failed as number) > 0 || (r.non2xx as number) > 0 ? NaN : r.requestsPerSecond as number;
}

/** Rows for the raw engine against wrk over https to `url` (served with the cert in `caFile`). */
export async function clientRows(
  url: string,
  caFile: string,
  lock: PerfLock,
  rounds: number,
): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  for (const keepAlive of [true, false]) {
    const ratios: number[] = [];
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const wrkFirst = round % 2 === 1;
      let w = NaN, n = NaN;
      const runWrk = async () => {
        const run = await lock.run(() =>
          wrkRun(url, { connections: CONNECTIONS, seconds: SECONDS, close: !keepAlive })
        );
        w = run.problem ? NaN : run.rps;
      };
      const runOurs = async () => {
        n = await lock.run(() => netlabRps(url, keepAlive, caFile));
      };
      if (wrkFirst) await runWrk();
      await runOurs();
      if (!wrkFirst) await runWrk();
      if (Number.isNaN(w) || Number.isNaN(n)) continue;
      ours.push(n);
      theirs.push(w);
      ratios.push(n / w);
    }
    const kept = ratios.length;
    const row: PerfRow = {
      section: "tls",
      what: `bench --engine raw over https, c${CONNECTIONS} ${
        keepAlive ? "keep-alive" : "a new connection per request"
      } (nginx) vs wrk`,
      netlab: kept > 0 ? median(ours) : NaN,
      anchor: kept > 0 ? median(theirs) : NaN,
      anchorName: "wrk",
      unit: "req/s",
      ratio: kept > 0 ? median(ratios) : NaN,
      goal: 1.0,
    };
    if (kept > 0) row.range = [Math.min(...ratios), Math.max(...ratios)];
    const each = ours.map((n, i) => `${n.toFixed(0)}/${theirs[i]!.toFixed(0)}`).join(", ");
    row.note = `rounds (req/s, netlab/wrk): ${each}`;
    if (kept < rounds) row.note += `; ${rounds - kept} of ${rounds} rounds voided (errors)`;
    rows.push(row);
  }
  return rows;
}
