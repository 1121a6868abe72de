/**
 * Batches messages to or from a worker: everything posted during one turn of the event loop goes
 * as one `postMessage`. Under load this turns thousands of thread wake-ups a second into a few
 * hundred, which is most of what queue dispatch costs on a busy machine.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** A batch that has waited this long leaves at the next push (a long synchronous turn, e.g. CPU
 * work, must not hold finished answers back until it ends). */
const MAX_HOLD_MS = 1;

/** Collects messages and sends them as arrays. */
export class Outbox<T> {
  #send: (batch: T[], transfer: Transferable[]) => void;
  #batch: T[] = [];
  #transfer: Transferable[] = [];
  #scheduled = false;
  #since = 0;

  /** @param send posts one batch (e.g. `worker.postMessage(batch, transfer)`) */
  constructor(send: (batch: T[], transfer: Transferable[]) => void) {
    this.#send = send;
  }

  /** Queues `msg`; it leaves at the end of this event-loop turn. */
  push(msg: T, transfer?: Transferable[]): void {
    this.#batch.push(msg);
    if (transfer !== undefined) this.#transfer.push(...transfer);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#since = performance.now();
      // After I/O callbacks, so every request this turn delivered shares one message.
      setImmediate(this.flush);
    } else if (performance.now() - this.#since >= MAX_HOLD_MS) {
      this.#send(this.#take(), this.#takeTransfer());
      this.#since = performance.now();
    }
  }

  /** Sends what is queued now. */
  flush = (): void => {
    this.#scheduled = false;
    if (this.#batch.length === 0) return;
    this.#send(this.#take(), this.#takeTransfer());
  };

  #take(): T[] {
    const batch = this.#batch;
    this.#batch = [];
    return batch;
  }

  #takeTransfer(): Transferable[] {
    const transfer = this.#transfer;
    this.#transfer = [];
    return transfer;
  }
}
