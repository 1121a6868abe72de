/**
 * The warning behind a 403: which file the server may not read, said at most once a second per
 * cause (a path and why), so a client hammering an unreadable file costs one line a second, not
 * one per request as in nginx. The requests in between are counted and the next line for that
 * cause says how many there were.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";

/** Distinct causes remembered; past it the oldest is forgotten (and may log again). */
const MAX_CAUSES = 64;

/** Logs why requests were refused, one line per cause per `intervalMs`. */
export class DeniedLog {
  #logger: Logger;
  #clock: () => number;
  #intervalMs: number;
  /** cause -> when it was last logged and how many were held back since */
  #causes = new Map<string, { at: number; held: number }>();

  constructor(logger: Logger, clock: () => number = Date.now, intervalMs = 1000) {
    this.#logger = logger;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** A request for `target` was refused with 403 because `path` could not be read (`cause`). */
  note(method: string, target: string, path: string, cause: string): void {
    const now = this.#clock();
    const key = `${cause}\0${path}`;
    const seen = this.#causes.get(key);
    if (seen !== undefined && now - seen.at < this.#intervalMs) {
      seen.held++;
      return;
    }
    const held = seen?.held ?? 0;
    this.#causes.delete(key);
    if (this.#causes.size >= MAX_CAUSES) this.#causes.delete(this.#causes.keys().next().value!);
    this.#causes.set(key, { at: now, held: 0 });
    const more = held > 0 ? `; ${held} more like it since the last such line` : "";
    const line = `403 for ${method} ${encodeURI(target)}: cannot read "${path}" (${cause})${more}`;
    // braces in a path are text, not LogTape placeholders
    this.#logger.warn(line.replaceAll("{", "{{").replaceAll("}", "}}"), {
      method,
      path,
      cause,
      held,
    });
  }
}
