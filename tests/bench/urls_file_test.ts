import assert from "node:assert/strict";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { parseUrlsFile } from "../../lib/bench/urls_file.ts";
import { lineOf, type RequestTable } from "../../lib/bench/request_table.ts";
import { netlab } from "../_netlab.ts";
import type { BenchCell } from "../../lib/bench/cell.ts";

const SCHEMA = new URL("../../docs/bench-result.schema.json", import.meta.url);

Deno.test("parseUrlsFile() reads methods, body files and headers, and skips comments", () => {
  const lines = parseUrlsFile(
    "# a comment\n\nhttp://h:1/a\nPOST http://h:1/b @body.json Content-Type: application/json X-Two: a b\r\nHEAD h:1/c\n",
  );
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.map((l) => [l.lineNumber, l.method, l.url.href, l.bodyFile]), [
    [3, null, "http://h:1/a", null],
    [4, "POST", "http://h:1/b", "body.json"],
    [5, "HEAD", "http://h:1/c", null],
  ]);
  assert.deepEqual(lines[1]!.headers, [["Content-Type", "application/json"], ["X-Two", "a b"]]);
  assert.deepEqual(lines[2]!.headers, []);
});

Deno.test("parseUrlsFile() names the line of every mistake", () => {
  assert.throws(
    () => parseUrlsFile("http://h/\nGET ftp://h/x\n"),
    /^UsageError: Line 2: Invalid URL/,
  );
  assert.throws(() => parseUrlsFile("\n\nhttp://h/ @\n"), /^UsageError: Line 3: "@" names no body/);
  assert.throws(
    () => parseUrlsFile("http://h/ junk\n"),
    /^UsageError: Line 1: expected "Name: value"/,
  );
  assert.throws(() => parseUrlsFile("http://h:99999/\n"), /^UsageError: Line 1: .*port 99999/);
  assert.throws(() => parseUrlsFile("# nothing\n"), /^UsageError: No request in the file/);
});

Deno.test("lineOf() is the same sequence for a seed, whichever thread asks", () => {
  const line = { method: "GET", url: new URL("http://h/"), headers: [], body: null };
  const t: RequestTable = { lines: [line, line, line, line], bodies: [], order: "random", seed: 7 };
  const a = Array.from({ length: 400 }, (_, i) => lineOf(t, i));
  const b = Array.from({ length: 400 }, (_, i) => lineOf(t, i));
  assert.deepEqual(a, b);
  for (let k = 0; k < 4; k++) {
    const n = a.filter((x) => x === k).length;
    assert.ok(n > 60 && n < 140, `line ${k}: ${n} of 400`);
  }
  const other = Array.from({ length: 400 }, (_, i) => lineOf({ ...t, seed: 8 }, i));
  assert.notDeepEqual(a, other);
  assert.deepEqual(
    Array.from({ length: 6 }, (_, i) => lineOf({ ...t, order: "sequential" }, i)),
    [0, 1, 2, 3, 0, 1],
  );
});

/** A server that records "METHOD /path body" per request. */
function recorder(options: { hostname: string; port: number } | { path: string }) {
  const seen: string[] = [];
  const hosts = new Set<string>();
  const handler = async (req: Request) => {
    const u = new URL(req.url);
    hosts.add(req.headers.get("host") ?? "");
    seen.push(`${req.method} ${u.pathname} ${await req.text()}`.trimEnd());
    return new Response(req.method === "HEAD" ? null : `body of ${u.pathname}\n`);
  };
  const server = "path" in options
    ? Deno.serve({ path: options.path, onListen() {} }, handler)
    : Deno.serve({ ...options, onListen() {} }, handler);
  return { server, seen, hosts };
}

async function tempFiles(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "netlab-urls-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("netlab bench --urls-file sends each line in order and counts each apart", async () => {
  const { server, seen } = recorder({ hostname: "127.0.0.1", port: 0 });
  await using _ = server;
  const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  const dir = await tempFiles({
    "urls.txt": `${base}/a\nPOST ${base}/b @bodies/b.txt X-Id: 2\nHEAD ${base}/c\n`,
    "bodies/b.txt": "hello",
  });
  try {
    for (const engine of ["raw", "fetch"]) {
      seen.length = 0;
      const { code, stdout, stderr } = await netlab([
        "bench",
        "-q",
        "-k",
        "-n",
        "9",
        "-c",
        "1",
        "--engine",
        engine,
        "--format",
        "json",
        "--urls-file",
        `${dir}/urls.txt`,
      ]);
      assert.equal(code, 0, stderr);
      assert.deepEqual(
        seen,
        [..."abcabcabc"].map((p) => p === "a" ? "GET /a" : p === "b" ? "POST /b hello" : "HEAD /c"),
        engine,
      );
      const cells: BenchCell[] = JSON.parse(stdout);
      const ajv = new Ajv({ allErrors: true, strict: true });
      addFormats.default(ajv);
      const validate = ajv.compile(JSON.parse(await Deno.readTextFile(SCHEMA)));
      assert.ok(validate(cells), JSON.stringify(validate.errors));
      const per = cells[0]!.summary.perUrl!;
      assert.deepEqual(per.map((p) => [p.label, p.complete, p.failed]), [
        ["GET /a", 3, 0],
        ["POST /b", 3, 0],
        ["HEAD /c", 3, 0],
      ]);
      assert.equal(cells[0]!.runs[0]!.failures.length, 0, "each line has its own length");
    }
    // the text report's per-URL table
    const text = await netlab(["bench", "-q", "-n", "6", "--urls-file", `${dir}/urls.txt`]);
    assert.match(text.stdout, /^Per URL \(3 request lines; times in ms\)$/m);
    assert.match(text.stdout, /^ +2 +POST \/b +2 +0 +0 /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench --order random --seed sends the same lines for the same seed", async () => {
  const { server, seen } = recorder({ hostname: "127.0.0.1", port: 0 });
  await using _ = server;
  const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  const dir = await tempFiles({ "urls.txt": `${base}/a\n${base}/b\n${base}/c\n` });
  try {
    const runs: string[][] = [];
    for (const seed of ["5", "5", "6"]) {
      seen.length = 0;
      const r = await netlab([
        "bench",
        "-q",
        "-k",
        "-n",
        "60",
        "--order",
        "random",
        "--seed",
        seed,
        "--urls-file",
        `${dir}/urls.txt`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      runs.push([...seen]);
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.notDeepEqual(runs[0], runs[2]);
    assert.notDeepEqual(runs[0], [..."abc".repeat(20)].map((p) => `GET /${p}`));
    for (const p of ["a", "b", "c"]) assert.ok(runs[0]!.includes(`GET /${p}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench --body-dir cycles the bodies, --threads 2 keeps every count exact", async () => {
  const { server, seen } = recorder({ hostname: "127.0.0.1", port: 0 });
  await using _ = server;
  const dir = await tempFiles({ "b/1.txt": "one", "b/2.txt": "two", "b/3.txt": "three" });
  try {
    const r = await netlab([
      "bench",
      "-q",
      "-k",
      "-n",
      "30",
      "-c",
      "2",
      "--threads",
      "2",
      "--body-dir",
      `${dir}/b`,
      "--format",
      "json",
      `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/post`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    for (const b of ["one", "two", "three"]) {
      assert.equal(seen.filter((s) => s === `POST /post ${b}`).length, 10, b);
    }
    const run = (JSON.parse(r.stdout) as BenchCell[])[0]!.runs[0]!;
    assert.equal(run.complete, 30);
    assert.ok(run.totalBodySent > 30 * "three".length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench --unix-socket dials the socket with the URL's Host", async () => {
  const dir = await Deno.makeTempDir({ prefix: "netlab-unix-" });
  const path = `${dir}/s.sock`;
  const { server, seen, hosts } = recorder({ path });
  try {
    const r = await netlab([
      "bench",
      "-q",
      "-k",
      "-n",
      "5",
      "--unix-socket",
      path,
      "http://app.test/x",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Engine: +raw \(auto: a Unix socket, which only raw dials\)$/m);
    assert.match(r.stdout, /^Complete requests: +5$/m);
    assert.deepEqual(seen, Array(5).fill("GET /x"));
    assert.deepEqual([...hosts], ["app.test"]);
    const fetch = await netlab(["bench", "--engine", "fetch", "--unix-socket", path, "http://a/"]);
    assert.equal(fetch.code, 2);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("netlab bench --urls-file: a bad file or line is one line, exit 2", async () => {
  const dir = await tempFiles({
    "bad.txt": "http://127.0.0.1:1/a\n\nGET ftp://x/\n",
    "other.txt": "http://127.0.0.1:1/a\nhttp://127.0.0.1:2/b\n",
    "nobody.txt": "http://127.0.0.1:1/a\nPOST http://127.0.0.1:1/b @missing.txt\n",
  });
  try {
    const cases: Array<[string[], RegExp]> = [
      [
        ["--urls-file", `${dir}/bad.txt`],
        /^netlab bench: Invalid --urls-file ".*bad.txt" line 3: invalid URL "ftp:\/\/x\/"/,
      ],
      [["--urls-file", `${dir}/other.txt`], /line 2: http:\/\/127\.0\.0\.1:2 is another server/],
      [
        ["--urls-file", `${dir}/nobody.txt`],
        /body file "missing.txt" \(--urls-file ".*" line 2\): no such file/,
      ],
      [["--urls-file", `${dir}/none.txt`], /Cannot read --urls-file ".*none.txt": no such file/],
      [["--urls-file", `${dir}/bad.txt`, "http://127.0.0.1:1/"], /either URLs or --urls-file/],
      [
        ["--body-dir", `${dir}/none`, "http://127.0.0.1:1/"],
        /Cannot read --body-dir ".*": no such file/,
      ],
      [["--order", "shuffled", "http://127.0.0.1:1/"], /--order/],
    ];
    for (const [args, message] of cases) {
      const r = await netlab(["bench", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length <= 2, true, r.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
