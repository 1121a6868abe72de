/**
 * Cross-check against the real ApacheBench on the same server with the same flags: the raw engine
 * must agree with ab on Complete, Failed, Document Length, Total transferred and HTML transferred;
 * the fetch engine on Complete, Failed and HTML transferred.
 */
import assert from "node:assert/strict";
import { bench, type BenchOptions } from "../../lib/bench/run.ts";
import { response, startServer, type TestServer } from "./_servers.ts";
import { needs } from "../_tools.ts";

interface AbNumbers {
  complete: number;
  failed: number;
  documentLength: number;
  totalTransferred: number;
  htmlTransferred: number;
  serverSoftware: string;
  non2xx: number;
}

async function runAb(args: string[]): Promise<AbNumbers> {
  const out = await new Deno.Command("ab", {
    args: ["-q", ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `ab failed: ${new TextDecoder().decode(out.stderr)}\n${text}`);
  const field = (label: string) => {
    const m = new RegExp(`^${label}:\\s+(.*)$`, "m").exec(text);
    return m?.[1]?.trim() ?? "";
  };
  return {
    complete: parseInt(field("Complete requests")),
    failed: parseInt(field("Failed requests")),
    documentLength: parseInt(field("Document Length")),
    totalTransferred: parseInt(field("Total transferred")),
    htmlTransferred: parseInt(field("HTML transferred")),
    serverSoftware: field("Server Software"),
    non2xx: parseInt(field("Non-2xx responses") || "0"),
  };
}

/** A server whose answers do not depend on the HTTP version of the request (ab speaks 1.0). */
function labServer(body: (index: number) => string, status = (_i: number) => "200 OK"): TestServer {
  return startServer(({ head, index, keepAlive }) => {
    const bytes = response(body(index), { keepAlive, status: status(index) });
    if (head.startsWith("HEAD ")) {
      const text = new TextDecoder().decode(bytes);
      return {
        bytes: new TextEncoder().encode(text.slice(0, text.indexOf("\r\n\r\n") + 4)),
        close: !keepAlive,
      };
    }
    return { bytes, close: !keepAlive };
  });
}

interface Case {
  name: string;
  ab: string[];
  options: Omit<BenchOptions, "url" | "engine">;
  server: () => TestServer;
}

const BODY = new TextEncoder().encode("name=netlab&value=42");
const BODY_FILE = "{body}";

const CASES: Case[] = [
  {
    name: "-n 200 -c 10",
    ab: ["-n", "200", "-c", "10"],
    options: { requests: 200, concurrency: 10 },
    server: () => labServer(() => "<html>hello from the lab</html>\n"),
  },
  {
    name: "-k -n 300 -c 7",
    ab: ["-k", "-n", "300", "-c", "7"],
    options: { requests: 300, concurrency: 7, keepAlive: true },
    server: () => labServer(() => "x".repeat(3000)),
  },
  {
    name: "changing lengths (Length failures)",
    ab: ["-n", "20", "-c", "1"],
    options: { requests: 20, concurrency: 1 },
    server: () => labServer((i) => (i % 3 === 0 ? "short" : "a longer body")),
  },
  {
    name: "Non-2xx",
    ab: ["-n", "30", "-c", "3"],
    options: { requests: 30, concurrency: 3 },
    server: () => labServer(() => "nope", (i) => (i % 2 ? "404 Not Found" : "200 OK")),
  },
  {
    name: "-i (HEAD)",
    ab: ["-i", "-n", "25", "-c", "5"],
    options: { requests: 25, concurrency: 5, method: "HEAD" },
    server: () => labServer(() => "body ab never sees"),
  },
  {
    name: "-p -T (POST)",
    ab: ["-p", BODY_FILE, "-T", "application/x-www-form-urlencoded", "-n", "40", "-c", "4"],
    options: {
      requests: 40,
      concurrency: 4,
      body: BODY,
      contentType: "application/x-www-form-urlencoded",
    },
    server: () => labServer(() => "posted"),
  },
];

for (const c of CASES) {
  Deno.test(...needs(["ab"], `bench() agrees with ab on ${c.name}`), async () => {
    let abResult: AbNumbers;
    const bodyFile = await Deno.makeTempFile({ prefix: "netlab-ab-body-" });
    try {
      await Deno.writeFile(bodyFile, BODY);
      await using server = c.server();
      const args = c.ab.map((a) => (a === BODY_FILE ? bodyFile : a));
      abResult = await runAb([...args, `${server.url}page.html`]);
    } finally {
      await Deno.remove(bodyFile);
    }
    // raw runs on one thread by default: check it on three as well (capped at -c), where the
    // counters of every thread must add up to ab's.
    for (const [engine, threads] of [["raw", 1], ["raw", 3], ["fetch", 2]] as const) {
      await using server = c.server();
      const r = await bench({ ...c.options, url: `${server.url}page.html`, engine, threads });
      const where = `${engine} on ${threads} thread(s) vs ab on ${c.name}`;
      assert.equal(r.complete, abResult.complete, `Complete requests, ${where}`);
      assert.equal(r.failed, abResult.failed, `Failed requests, ${where}`);
      assert.equal(r.htmlTransferred, abResult.htmlTransferred, `HTML transferred, ${where}`);
      assert.equal(r.non2xx, abResult.non2xx, `Non-2xx, ${where}`);
      assert.equal(r.serverSoftware, abResult.serverSoftware, `Server Software, ${where}`);
      if (engine === "raw") {
        assert.equal(r.documentLength, abResult.documentLength, `Document Length, ${where}`);
        assert.equal(r.totalTransferred, abResult.totalTransferred, `Total transferred, ${where}`);
      }
    }
  });
}
