import type { ChildSpec } from "./children.ts";
import type { LabOptions } from "./lab.ts";

function serverArgs(command: string, host: string, port: number, demo: boolean): string[] {
  const args = [command, "--host", host, "--port", String(port), "--quiet"];
  return demo ? [...args, "--demo-routes"] : args;
}

/** The ports the lab's servers are started on (0: any free one, learnt from the ready line). */
export interface LabPorts {
  backendPorts: number[];
  balancerPort: number;
  asyncPort: number;
  poolPort: number;
  statsPort: number;
}

/** The standalone async server, the worker pool and the async servers behind the balancer. */
export function serverSpecs(o: Required<LabOptions>, ports: LabPorts): {
  async: ChildSpec;
  pool: ChildSpec;
  backends: ChildSpec[];
} {
  return {
    async: {
      name: "async server",
      args: serverArgs("serve", o.host, ports.asyncPort, o.demoRoutes),
      hint: "change it with --async-port",
    },
    pool: {
      name: "worker pool",
      args: [
        ...serverArgs("pool", o.host, ports.poolPort, o.demoRoutes),
        "--workers",
        String(o.workers),
      ],
      hint: "change it with --pool-port",
    },
    backends: ports.backendPorts.map((port, i) => ({
      name: `async server ${i + 1}`,
      args: serverArgs("serve", o.host, port, o.demoRoutes),
      hint: "change it with --backend-ports",
    })),
  };
}

/**
 * The balancer in front of `backends`. It runs quiet (no line per connection, which would slow the
 * very thing being measured); its ready line carries the stats endpoint's port too.
 */
export function balancerSpec(
  o: Required<LabOptions>,
  ports: LabPorts,
  backends: string[],
): ChildSpec {
  return {
    name: "balancer",
    args: [
      "balance",
      "--host",
      o.host,
      "--port",
      String(ports.balancerPort),
      "--quiet",
      "--stats-port",
      String(ports.statsPort),
      ...(o.balancerMode === "http" ? ["--mode", "http"] : []),
      ...backends.flatMap((b) => ["--backend", b]),
    ],
    hint: "change it with --balancer-port",
  };
}
