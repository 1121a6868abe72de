import type { ChildSpec } from "./children.ts";
import type { LabOptions } from "./lab.ts";

const isListening = (line: string) => line.includes("listening on");
// The pool logs per-worker progress first; only its supervisor's "ready" means every worker listens.
const isPoolReady = (line: string) => /\bready\b/.test(line) && isListening(line);

function serverArgs(command: string, host: string, port: number, demo: boolean): string[] {
  const args = [command, "--host", host, "--port", String(port), "--quiet"];
  return demo ? [...args, "--demo-routes"] : args;
}

/** The standalone async server, the worker pool and the async servers behind the balancer. */
export function serverSpecs(o: Required<LabOptions>): {
  async: ChildSpec;
  pool: ChildSpec;
  backends: ChildSpec[];
} {
  return {
    async: {
      name: "async server",
      args: serverArgs("serve", o.host, o.asyncPort, o.demoRoutes),
      isReady: isListening,
      hint: "change it with --async-port",
    },
    pool: {
      name: "worker pool",
      args: [
        ...serverArgs("pool", o.host, o.poolPort, o.demoRoutes),
        "--workers",
        String(o.workers),
      ],
      isReady: isPoolReady,
      hint: "change it with --pool-port",
    },
    backends: o.backendPorts.map((port, i) => ({
      name: `async server ${i + 1}`,
      args: serverArgs("serve", o.host, port, o.demoRoutes),
      isReady: isListening,
      hint: "change it with --backend-ports",
    })),
  };
}

/**
 * The balancer in front of `backends`. It runs quiet (no line per connection, which would slow the
 * very thing being measured); quiet, it still says where it listens, once its stats endpoint is up.
 */
export function balancerSpec(
  o: Required<LabOptions>,
  backends: string[],
  statsUrl: string,
): ChildSpec {
  return {
    name: "balancer",
    args: [
      "balance",
      "--host",
      o.host,
      "--port",
      String(o.balancerPort),
      "--quiet",
      "--stats-port",
      String(new URL(statsUrl).port),
      ...backends.flatMap((b) => ["--backend", b]),
    ],
    isReady: isListening,
    hint: "change it with --balancer-port",
  };
}
