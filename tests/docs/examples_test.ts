/**
 * Runs every code block of README.md and docs/*.md marked runnable (```sh runnable, ```ts
 * runnable), as a reader would from a clone: `netlab` on PATH, a fresh folder to work in. Servers
 * a block starts get port 0 in place of the port written; later commands reach them on the port
 * they bound. Every command must succeed within a minute, and every server stop with exit 0.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN } from "../_netlab.ts";
import { HAS_IPV6 } from "../_ipv6.ts";
import { needs, type Tool } from "../_tools.ts";
import {
  askedPort,
  type Block,
  denoRunFlags,
  isServer,
  runnableBlocks,
  shellCommands,
} from "./_blocks.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TIMEOUT_MS = 60_000;

const files = [
  "README.md",
  ...[...Deno.readDirSync(join(ROOT, "docs"))]
    .filter((e) => e.name.endsWith(".md")).map((e) => `docs/${e.name}`).sort(),
];
const blocks = files.flatMap((f) => runnableBlocks(Deno.readTextFileSync(join(ROOT, f)), f));

/** The outside tools a block runs. */
function toolsOf(block: Block): Tool[] {
  return (["curl", "openssl"] as const).filter((t) => new RegExp(`(^|\\n)${t} `).test(block.text));
}

/** A folder with a `netlab` that runs this checkout's main.ts, first on PATH. */
async function workspace(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "netlab-doc-" });
  await Deno.mkdir(join(dir, "bin"));
  const shim = join(dir, "bin", "netlab");
  await Deno.writeTextFile(
    shim,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --unstable-net "${MAIN}" "$@"\n`,
  );
  await Deno.chmod(shim, 0o755);
  return { dir, env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}`, NO_COLOR: "1" } };
}

/** Runs `cmd args...` in `cwd`; fails the test unless it exits 0 within the time limit. */
async function mustSucceed(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<void> {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const out = await child.output().finally(() => clearTimeout(timer));
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `\`${args.at(-1)}\` exited ${out.code}:\n${text.slice(-2000)}`);
}

interface Background {
  child: Deno.ChildProcess;
  stderr: () => string;
}

/** Starts a server command on port 0; resolves with the port it bound. */
async function startServer(
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ server: Background; port: number }> {
  const asked = / (?:--port|-p) \d+\b/.test(command)
    ? command.replace(/ (--port|-p) \d+\b/, " --port 0")
    : `${command} --port 0`;
  const child = new Deno.Command("bash", {
    args: ["-c", `exec ${asked}`],
    cwd,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const server = { child, stderr: () => text };
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  try {
    for (;;) {
      const m = /listening on https?:\/\/(?:\[[^\]]+\]|[^:/\s]+):(\d+)\//.exec(text);
      if (m) {
        void (async () => {
          for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
        })();
        return { server, port: Number(m[1]) };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`\`${command}\` exited before listening:\n${text}`);
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function runShell(block: Block): Promise<void> {
  const { dir, env } = await workspace();
  const servers: Background[] = [];
  const ports = new Map<number, number>();
  const assignments: string[] = [];
  try {
    for (const written of shellCommands(block.text)) {
      // reach the servers this block started on the ports they bound
      let command = written;
      for (const [from, to] of ports) {
        command = command.replace(new RegExp(`:${from}\\b`, "g"), `:${to}`);
      }
      if (isServer(command)) {
        const { server, port } = await startServer(command, dir, env);
        servers.push(server);
        ports.set(askedPort(written), port);
      } else if (/^[A-Za-z_]\w*=/.test(command)) {
        assignments.push(command);
      } else {
        const script = [...assignments, command].join("\n");
        await mustSucceed("bash", ["-o", "pipefail", "-c", script], dir, env);
      }
    }
  } finally {
    for (const s of servers) {
      try {
        s.child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    const codes = await Promise.all(servers.map(async (s) => (await s.child.status).code));
    await Deno.remove(dir, { recursive: true });
    for (const [i, code] of codes.entries()) {
      assert.equal(
        code,
        0,
        `server ${i + 1} of ${block.where} stopped with ${code}:\n${servers[i]!.stderr()}`,
      );
    }
  }
}

async function runTs(block: Block): Promise<void> {
  // as library.md says to use netlab from another project: a deno.json that links the checkout,
  // and the `deno run` flags the prose before the block names
  const dir = await Deno.makeTempDir({ prefix: "netlab-doc-ts-" });
  try {
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ links: [ROOT], imports: { "@netlab/netlab": "jsr:@netlab/netlab@^0.1.0" } }),
    );
    await Deno.writeTextFile(join(dir, "app.ts"), block.text);
    await mustSucceed(Deno.execPath(), ["run", ...denoRunFlags(block.before), "app.ts"], dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the docs mark some blocks runnable (README.md and docs/*.md)", () => {
  assert.ok(blocks.length >= 4, `${blocks.length} runnable blocks`);
});

for (const block of blocks) {
  const [name, { ignore }] = needs(
    toolsOf(block),
    `the runnable example at ${block.where} runs as written`,
  );
  const noIpv6 = /\[?::1\]?/.test(block.text) && !HAS_IPV6;
  Deno.test({
    name: noIpv6 ? `${name} (skipped: needs IPv6 loopback)` : name,
    ignore: ignore || noIpv6,
    fn: () => block.lang === "sh" ? runShell(block) : runTs(block),
  });
}
