/**
 * Batches messages to or from a worker: everything posted during one turn of the event loop goes
 * as one `postMessage`. Under load this turns thousands of thread wake-ups a second into a few
 * hundred, which is most of what queue dispatch costs on a busy machine.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Collects messages and sends them as arrays. */
export class Outbox<T> {
  #send: (batch: T[], transfer: Transferable[]) => void;
  #batch: T[] = [];
  #transfer: Transferable[] = [];
  #scheduled = false;

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
      // After I/O callbacks, so every request this turn delivered shares one message.
      setImmediate(this.flush);
    }
  }

  /** Sends what is queued now. */
  flush = (): void => {
    this.#scheduled = false;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    const transfer = this.#transfer;
    this.#batch = [];
    this.#transfer = [];
    this.#send(batch, transfer);
  };
}
