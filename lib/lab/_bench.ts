import type { LabModel, LabRun } from "./types.ts";

/** How one run of the matrix is made. */
export interface MeasureOptions {
  requests: number;
  concurrency: number;
  keepAlive: boolean;
  signal?: AbortSignal | undefined;
}

/** Runs one bench run and turns its result into a {@link LabRun}. */
export function measure(
  _model: LabModel,
  _route: string,
  _url: string,
  _options: MeasureOptions,
): Promise<LabRun> {
  return Promise.reject(new Error("bench is not merged yet"));
}
