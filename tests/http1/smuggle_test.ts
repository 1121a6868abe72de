import assert from "node:assert/strict";
import { needs } from "../_tools.ts";
import { spawnNetlab } from "../server/_spawn.ts";
import { type Front, startHaproxy, startNginx } from "./_fronts.ts";
import { type SmuggleCase, smuggleCorpus } from "./_smuggle_corpus.ts";

// Request smuggling tried for real (the method of HTTP Garden and smuggler): `netlab serve`
// (epoll engine) behind nginx and HAProxy, both reusing upstream connections, fed ambiguous
// requests, each followed on the same front connection by a canary. Every path's file names
// itself, so each answer says which request it answers. Fails when an answer reaches the wrong
// client or the wrong request, or when netlab answered a request the client never saw answered
// (netlab and the front cut the bytes into requests differently).

const CASES = 248;
const SEED = 0x5eed;
const CONCURRENCY = 48;
/**
 * How long one exchange may take before the client gives up on it (not an assertion): a front
 * that took a request's remains for a body waits for more, and this ends the wait. Once netlab
 * has answered the smuggled request, the client waits up to EXTRA_MS more for that answer, so
 * that a busy machine's slow relay is not mistaken for an answer lost to another client.
 */
const GUARD_MS = 4_000;
const EXTRA_MS = 30_000;

interface Reply {
  status: number;
  /** "r", "s" or "k" and the case's id, when the body is one of the files */
  name: string | null;
}

/** The answers in `text`, as far as they can be read. */
function replies(text: string): Reply[] {
  const out: Reply[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\r\n\r\n", at);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(text.slice(at, at + 16));
    if (end < 0 || !m) break;
    const head = text.slice(at, end).toLowerCase();
    const status = Number(m[1]);
    at = end + 4;
    let body = "";
    const cl = /\r\ncontent-length: *(\d+)/.exec(head);
    if (status < 200 || status === 204 || status === 304) body = "";
    else if (/\r\ntransfer-encoding: *chunked/.test(head)) {
      while (at < text.length) {
        const eol = text.indexOf("\r\n", at);
        const size = parseInt(text.slice(at, eol), 16);
        if (!(size >= 0) || eol < 0) break;
        body += text.slice(eol + 2, eol + 2 + size);
        at = eol + 4 + size;
        if (size === 0) break;
      }
    } else if (cl) {
      body = text.slice(at, at + Number(cl[1]));
      at += Number(cl[1]);
    } else {
      body = text.slice(at);
      at = text.length;
    }
    if (status >= 200) out.push({ status, name: /^([rsk]\d+)\n$/.exec(body)?.[1] ?? null });
  }
  return out;
}

/**
 * Sends one case and its canary on a new connection to the front; returns what came back.
 * `served()` says whether netlab has logged its answer to the case's smuggled request.
 */
async function exchange(port: number, c: SmuggleCase, served: () => boolean): Promise<string> {
  const canary = `GET /k${c.id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const bytes = new TextEncoder().encode(c.request + canary);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const parts: Uint8Array[] = [];
  const dec = new TextDecoder("latin1");
  const seen = () => parts.map((p) => dec.decode(p)).join("").includes(`s${c.id}\n`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = (extra: number) => {
    timer = setTimeout(() => {
      if (extra > 0 && served() && !seen()) guard(extra - 1000);
      else conn.close();
    }, extra === EXTRA_MS ? GUARD_MS : 1000);
  };
  guard(EXTRA_MS);
  try {
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    // no FIN: HAProxy drops pipelined requests still buffered once the client half-closes
  } catch {
    // the front closed first: read what it answered
  }
  try {
    const buf = new Uint8Array(65536);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      parts.push(buf.slice(0, n));
    }
  } catch {
    // reset, or closed by the guard
  } finally {
    clearTimeout(timer);
  }
  return parts.map((p) => dec.decode(p)).join("");
}

/** What went wrong with one case, or null. */
function verdict(c: SmuggleCase, got: Reply[], servedSmuggled: boolean): string | null {
  const order = { r: 0, s: 1, k: 2 } as Record<string, number>;
  let last = -1;
  for (const r of got) {
    if (r.name === null) continue;
    if (r.name.slice(1) !== String(c.id)) return `got another request's answer (${r.name})`;
    const rank = order[r.name[0]!]!;
    if (rank <= last) return `answers out of order (${got.map((g) => g.name).join(",")})`;
    last = rank;
  }
  const names = got.map((r) => r.name);
  if (servedSmuggled && !names.includes(`s${c.id}`)) {
    return "netlab answered /s it was smuggled, the client never saw that answer";
  }
  if (names.includes(`s${c.id}`) && !names.includes(`k${c.id}`) && got.length === 2) {
    return "the canary's place holds the smuggled request's answer";
  }
  return null;
}

async function runFront(
  front: Front,
  corpus: SmuggleCase[],
  netlabLog: () => string,
): Promise<string[]> {
  const from = netlabLog().length;
  const texts: string[] = new Array(corpus.length);
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < corpus.length) {
      const c = corpus[next++]!;
      const served = () => netlabLog().slice(from).includes(` GET /s${c.id} 200 `);
      texts[c.id] = await exchange(front.port, c, served);
    }
  }));
  // the access log lines this front caused: which smuggled paths did netlab answer?
  const served = new Set(
    netlabLog().slice(from).match(/ GET \/s\d+ 200 /g)?.map((s) => s.split(" ")[2]),
  );
  const kinds = new Map<string, number>();
  const lines: string[] = [];
  const failures: string[] = [];
  for (const c of corpus) {
    const got = replies(texts[c.id]!);
    const seen = got.map((r) => `${r.status}${r.name ? ":" + r.name[0] : ""}`).join(" ") || "-";
    kinds.set(seen, (kinds.get(seen) ?? 0) + 1);
    const bad = verdict(c, got, served.has(`/s${c.id}`));
    // worth a line: the front lost the canary or said nothing (a front that split off the
    // hidden request itself and answered all three is consistent: it is in the summary)
    const trivial = got.length > 0 && (got.at(-1)!.name?.[0] === "k" || got.at(-1)!.status >= 400);
    if (bad !== null) failures.push(`${front.name} case ${c.id} (${c.kind}): ${bad}`);
    if (bad !== null || !trivial) {
      lines.push(
        `  ${c.id} ${c.kind}: ${seen}${bad ? "  <- " + bad : ""}  ${
          JSON.stringify(c.request.slice(0, 100))
        }`,
      );
    }
  }
  const summary = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}x[${k}]`).join(" ");
  const report = [`${front.name}: ${corpus.length} cases, answers seen: ${summary}`, ...lines];
  Deno.stdout.writeSync(new TextEncoder().encode(report.slice(0, 40).join("\n") + "\n"));
  return failures;
}

Deno.test(
  ...needs(
    ["nginx", "haproxy"],
    "netlab serve behind nginx and HAProxy: no canary gets another request's answer",
  ),
  async () => {
    const corpus = smuggleCorpus(CASES, SEED);
    const www = await Deno.makeTempDir({ prefix: "netlab-smuggle-" });
    try {
      for (const c of corpus) {
        for (const p of ["r", "s", "k"]) {
          await Deno.writeTextFile(`${www}/${p}${c.id}`, `${p}${c.id}\n`);
        }
      }
      await using netlab = await spawnNetlab(["serve", "--engine", "epoll", "--port", "0", www]);
      assert.match(netlab.stderr(), /\(engine epoll\)/);
      const port = Number(new URL(netlab.url).port);
      const failures: string[] = [];
      for (const start of [startNginx, startHaproxy]) {
        await using front = await start(port);
        failures.push(...await runFront(front, corpus, () => netlab.stderr()));
      }
      assert.deepEqual(failures, []);
    } finally {
      await Deno.remove(www, { recursive: true });
    }
  },
);
