/**
 * The proxies `deno task perf balance` puts side by side: HAProxy in TCP mode (one thread,
 * round-robin) and `netlab balance` on either engine, both in front of the same backends.
 *
 * @module
 */
import { type Child, ensureCommands, startNetlab, startProcess } from "./_tools.ts";

/** HAProxy's configuration: `mode tcp`, `nbthread 1`, `balance roundrobin` over `backends`. */
export function haproxyConfig(port: number, backends: number[], maxconn = 4096): string {
  return `global
  nbthread 1
  maxconn ${maxconn}
defaults
  mode tcp
  timeout connect 3s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
${backends.map((p, i) => `  server b${i} 127.0.0.1:${p}`).join("\n")}
`;
}

/** Starts HAProxy on 127.0.0.1:port in front of the 127.0.0.1 `backends`. */
export async function startHaproxy(
  port: number,
  backends: number[],
  maxconn?: number,
): Promise<Child> {
  await ensureCommands({ haproxy: "haproxy" });
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-" });
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyConfig(port, backends, maxconn));
  return startProcess("haproxy", ["-f", `${dir}/haproxy.cfg`, "-db"], port);
}

/** A `netlab balance` engine. */
export type Engine = "epoll" | "deno";

/** Starts `netlab balance --quiet --engine ENGINE` on 127.0.0.1:port in front of `backends`. */
export function startBalance(
  port: number,
  backends: number[],
  engine: Engine,
  extra: string[] = [],
  main?: string,
): Promise<Child> {
  return startNetlab(
    [
      "balance",
      "--quiet",
      "--engine",
      engine,
      "--port",
      String(port),
      "--backend",
      backends.map((p) => `127.0.0.1:${p}`).join(","),
      ...extra,
    ],
    port,
    main,
  );
}

/** Starts a `redis-server` on 127.0.0.1:port that keeps nothing on disk. */
export async function startRedis(port: number): Promise<Child> {
  await ensureCommands({ "redis-server": "redis-server" });
  return startProcess("redis-server", [
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  ], port);
}
