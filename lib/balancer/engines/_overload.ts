/**
 * One log line a second at most for a failure that repeats while the process is out of
 * descriptors, with how often it happened: a full balancer must not also flood its log.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { counted } from "../../runtime/text.ts";

const EVERY_MS = 1000;

/** Whether `err` says this process has no descriptor left (EMFILE, ENFILE), as Deno words it. */
export function outOfDescriptors(err: unknown): boolean {
  return err instanceof Error && /\(os error 2[34]\)$/.test(err.message);
}

/** Counts repeats of one failure and logs them as an error at most once a second. */
export class OverloadLog {
  #log: Logger;
  #count = 0;
  #message = "";
  #loggedAt = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Notes `count` more failures with `message` (the first of a second is logged at once). */
  note(message: string, count = 1): void {
    this.#count += count;
    this.#message = message;
    const wait = this.#loggedAt + EVERY_MS - performance.now();
    if (wait <= 0) return this.#flush();
    // the rest of this second is said when it is up, unless a line is already due
    this.#timer ??= setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#count === 0) return;
    this.#log.error(`${this.#message} (${counted(this.#count, "time")} since the last line)`, {
      count: this.#count,
    });
    this.#count = 0;
    this.#loggedAt = performance.now();
  }

  /** Says what is still untold and stops the timer. */
  close(): void {
    this.#flush();
  }
}
