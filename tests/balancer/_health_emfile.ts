/**
 * Child process for the health-check test: takes every free descriptor, runs three rounds of
 * checks against a listening backend, frees them and runs one more. Prints the backend's state
 * after each phase and the warning lines, as JSON.
 */
import { configure, type LogRecord } from "@logtape/logtape";
import { Backend } from "../../lib/balancer/backend.ts";
import { HealthChecker } from "../../lib/balancer/health.ts";
import { getLogger } from "@logtape/logtape";

const lines: string[] = [];
await configure({
  sinks: { mem: (r: LogRecord) => lines.push(r.message.map(String).join("")) },
  loggers: [
    { category: ["netlab"], sinks: ["mem"], lowestLevel: "warning" },
    { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
  ],
});
using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const backend = new Backend({ host: "127.0.0.1", port: listener.addr.port, weight: 1 });
const checker = new HealthChecker([backend], {
  intervalMs: 60_000,
  timeoutMs: 1000,
  logger: getLogger(["netlab", "balance"]),
});
const files: Deno.FsFile[] = [];
try {
  while (true) files.push(Deno.openSync("/dev/null"));
} catch { /* out of descriptors: what the test wants */ }
for (let i = 0; i < 3; i++) await checker.checkAll();
const whileOut = { state: backend.state, failures: backend.failures };
for (const f of files) f.close();
await checker.checkAll();
await checker.stop();
const out = { whileOut, after: backend.state, filesHeld: files.length, lines };
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(out) + "\n"));
