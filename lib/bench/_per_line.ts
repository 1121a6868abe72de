/**
 * Counters of each request line of a many-requests run (`--urls-file`): what `perUrl` in a result
 * holds. Threads each keep their own and add them up at the end, as the recorder does.
 *
 * @module
 */
import { Outcome, type Sample } from "./engine.ts";
import { Series, type SeriesState } from "./_series.ts";
import { PERCENTILES, type PerUrlResult } from "./result.ts";

/** One line's counters as plain data, to cross a worker boundary. */
export interface LineState {
  complete: number;
  failed: number;
  non2xx: number;
  status: Array<[number, number]>;
  total: SeriesState;
}

/** What a line is, for the report. */
export interface LineInfo {
  label: string;
  method: string;
  url: string;
}

class LineStats {
  complete = 0;
  failed = 0;
  non2xx = 0;
  status = new Map<number, number>();
  total = new Series(true);
}

/** Every line's counters. */
export class PerLine {
  #lines: LineStats[];
  #info: LineInfo[];

  constructor(info: LineInfo[]) {
    this.#info = info;
    this.#lines = info.map(() => new LineStats());
  }

  /** Counts one finished request; `totalUs` is its total time (complete ones only). */
  record(s: Sample, totalUs: number): void {
    const l = this.#lines[s.line]!;
    if (s.outcome !== Outcome.Complete) {
      l.failed++;
      return;
    }
    l.complete++;
    if (s.status < 200 || s.status > 299) l.non2xx++;
    l.status.set(s.status, (l.status.get(s.status) ?? 0) + 1);
    l.total.add(totalUs);
  }

  /** Counts a complete response of the wrong length as failed too, as the run's counters do. */
  lengthFailure(line: number): void {
    this.#lines[line]!.failed++;
  }

  state(): LineState[] {
    return this.#lines.map((l) => ({
      complete: l.complete,
      failed: l.failed,
      non2xx: l.non2xx,
      status: [...l.status],
      total: l.total.state(),
    }));
  }

  absorb(states: LineState[]): void {
    states.forEach((o, k) => {
      const l = this.#lines[k];
      if (l === undefined) return;
      l.complete += o.complete;
      l.failed += o.failed;
      l.non2xx += o.non2xx;
      for (const [code, n] of o.status) l.status.set(code, (l.status.get(code) ?? 0) + n);
      l.total.absorb(o.total);
    });
  }

  /** Each line's figures over `seconds` of load. */
  result(seconds: number): PerUrlResult[] {
    return this.#lines.map((l, k) => {
      const percentiles: Record<string, number> = {};
      if (l.complete > 0) {
        for (const p of PERCENTILES) {
          percentiles[String(p)] = p === 100
            ? l.total.max / 1000
            : Math.min(l.total.hist.getValueAtPercentile(p), l.total.max) / 1000;
        }
      }
      return {
        ...this.#info[k]!,
        complete: l.complete,
        failed: l.failed,
        non2xx: l.non2xx,
        requestsPerSecond: seconds > 0 ? l.complete / seconds : 0,
        meanMs: l.complete > 0 ? l.total.sum / l.complete / 1000 : 0,
        percentiles,
        statusCodes: Object.fromEntries([...l.status].sort((a, b) => a[0] - b[0])),
        latencyHistogram: l.total.state().hist,
      };
    });
  }
}
