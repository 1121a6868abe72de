/**
 * Run as its own process by balancer_test.ts: counts this process's descriptors around startBalancer()
 * calls that cannot listen, and prints `{"before":N,"after":N}`. A descriptor count is exact only in
 * a process of its own; in the test runner every other module opens and closes sockets meanwhile.
 *
 * Usage: deno run -A --unstable-net _listen_fail_fds.ts ENGINE
 */
// deno-lint-ignore-file no-console
import { ListenFailedError } from "../../lib/balancer/balancer.ts";
import type { EngineName } from "../../lib/balancer/transport/transport.ts";
import { startOn } from "./_helpers.ts";

const engine = Deno.args[0] as EngineName;
const fds = () => Array.from(Deno.readDirSync("/proc/self/fd")).length;
using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const backends = [{ host: "127.0.0.1", port: 9, weight: 1 }];
const attempt = async (options: { port: number; statsPort?: number }) => {
  try {
    await startOn(engine, { ...options, backends, healthIntervalMs: 0 });
  } catch (err) {
    if (err instanceof ListenFailedError) return;
    throw err;
  }
  throw new Error(`startBalancer() listened on ${JSON.stringify(options)}, a busy port`);
};
await attempt({ port: busy.addr.port }); // the runtime opens what it needs on first use
const before = fds();
for (let i = 0; i < 5; i++) {
  await attempt({ port: busy.addr.port });
  await attempt({ port: 0, statsPort: busy.addr.port });
}
console.log(JSON.stringify({ before, after: fds() }));
