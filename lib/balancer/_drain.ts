/**
 * A stopping balancer's drain: open connections get up to the drain timeout to finish, then
 * the rest are closed ("shutdown").
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { counted } from "../runtime/text.ts";
import type { Frontend } from "./engines/frontend.ts";

/** Waits up to `ms` for `frontend`'s connections to end, then ends the rest; resolves once idle. */
export async function drain(frontend: Frontend, ms: number, log: Logger): Promise<void> {
  const open = frontend.active;
  if (open === 0) return;
  log.info(`draining ${counted(open, "open connection")} (up to ${ms} ms)`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    frontend.idle().then(() => true),
    new Promise<false>((r) => timer = setTimeout(() => r(false), ms)),
  ]);
  clearTimeout(timer);
  if (drained) return;
  log.warn(`closing ${counted(frontend.active, "connection")} still open after drain timeout`);
  frontend.closeAll();
  await frontend.idle();
}
