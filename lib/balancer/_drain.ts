/**
 * A stopping balancer's shutdown: no new connections, health checks off, then the drain (open
 * connections get up to the drain timeout to finish, then the rest are closed), then the stats
 * endpoint and the frontend closed.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { counted } from "../runtime/text.ts";
import type { Frontend, StatsEndpoint } from "./engines/frontend.ts";
import type { HealthChecker } from "./health.ts";

/** Stops `frontend` and what serves beside it, draining its connections for up to `ms`. */
export async function shutDown(
  frontend: Frontend,
  health: HealthChecker,
  stats: StatsEndpoint | undefined,
  ms: number,
  log: Logger,
): Promise<void> {
  await frontend.stopAccepting();
  await health.stop();
  await drain(frontend, ms, log);
  await stats?.close();
  await frontend.close();
}

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
