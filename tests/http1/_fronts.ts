/**
 * nginx and HAProxy as HTTP front proxies for tests: each in a temporary directory, in the
 * foreground, its pid and error log there, reusing its upstream connections (nginx's `keepalive`
 * pool, HAProxy's `http-reuse always`), stopped on dispose.
 *
 * @module
 */

/** A running front proxy. */
export interface Front extends AsyncDisposable {
  name: string;
  port: number;
  /** what the front wrote to its error log (read on demand) */
  log(): string;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitForPort(port: number, child: Deno.ChildProcess, what: string): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 200 && !exited; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function start(
  name: string,
  dir: string,
  port: number,
  cmd: string,
  args: string[],
  logFile: string,
): Promise<Front> {
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  const log = () => {
    try {
      return Deno.readTextFileSync(logFile);
    } catch {
      return "";
    }
  };
  const front: Front = {
    name,
    port,
    log,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
  try {
    await waitForPort(port, child, `${name} (${log()})`);
  } catch (err) {
    await front[Symbol.asyncDispose]();
    throw err;
  }
  return front;
}

/** nginx proxying HTTP/1.1 to `upstream` over a keep-alive pool. */
export async function startNginx(upstream: number): Promise<Front> {
  const dir = await Deno.makeTempDir({ prefix: "netlab-nginx-front-" });
  const port = freePort();
  const root = Deno.uid() === 0 ? "user root;\n" : ""; // as root, workers would drop to nobody
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `${t}_temp_path ${dir}/${t};`).join("\n  ");
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `${root}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  ${temp}
  upstream netlab { server 127.0.0.1:${upstream}; keepalive 8; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://netlab;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ignore_client_abort on;
    }
  }
}
`,
  );
  return await start(
    "nginx",
    dir,
    port,
    "nginx",
    ["-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`],
    `${dir}/error.log`,
  );
}

/** HAProxy in `mode http`, reusing server connections across clients (`http-reuse always`). */
export async function startHaproxy(upstream: number): Promise<Front> {
  const dir = await Deno.makeTempDir({ prefix: "netlab-haproxy-front-" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/haproxy.cfg`,
    `global
  maxconn 512
  log stderr format raw local0 warning
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 5s
frontend front
  bind 127.0.0.1:${port}
  default_backend netlab
backend netlab
  http-reuse always
  server s1 127.0.0.1:${upstream}
`,
  );
  return await start(
    "HAProxy",
    dir,
    port,
    "haproxy",
    ["-db", "-q", "-f", `${dir}/haproxy.cfg`, "-p", `${dir}/haproxy.pid`],
    `${dir}/none.log`,
  );
}
