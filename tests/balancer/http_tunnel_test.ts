/** `--mode http`: Upgrade becomes a tunnel (WebSocket), and a browser loads page.html. */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { serve } from "../../lib/server/async.ts";
import { defaultRoot } from "../../lib/runtime/assets.ts";
import { collectLogs } from "./_helpers.ts";
import { httpBackend, httpBalancer } from "./_http.ts";
import { needs } from "../_tools.ts";

const linux = Deno.build.os === "linux";

Deno.test({
  name: "Balancer (http mode) tunnels a WebSocket through Upgrade to one backend",
  ignore: !linux,
  async fn() {
    await using ws = httpBackend("ws", (req) => {
      if (req.headers.get("upgrade") !== "websocket") return new Response("plain");
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(`echo ${e.data}`);
      return response;
    });
    await using lb = await httpBalancer([ws.port]);
    const socket = new WebSocket(`ws://127.0.0.1:${lb.addr.port}/chat`);
    const opened = Promise.withResolvers<void>();
    const messages: string[] = [];
    const got = Promise.withResolvers<void>();
    socket.onopen = () => opened.resolve();
    socket.onerror = (e) =>
      opened.reject(new Error(`WebSocket failed: ${(e as ErrorEvent).message}`));
    socket.onmessage = (e) => {
      messages.push(String(e.data));
      if (messages.length === 3) got.resolve();
    };
    await opened.promise;
    for (const m of ["one", "two", "x".repeat(100_000)]) socket.send(m);
    await got.promise;
    assert.deepEqual(messages.slice(0, 2), ["echo one", "echo two"]);
    assert.equal(messages[2]!.length, 100_005);
    const closed = Promise.withResolvers<void>();
    socket.onclose = () => closed.resolve();
    socket.close();
    await closed.promise;
    const res = await fetch(`http://127.0.0.1:${lb.addr.port}/`);
    assert.equal(await res.text(), "plain");
  },
});

const CHROMIUM = "/usr/bin/chromium";
const browserTest = needs(
  ["chromium"],
  "Balancer (http mode) serves page.html and its images to Chromium from different backends",
);

Deno.test(browserTest[0], { ignore: browserTest[1].ignore || !linux }, async () => {
  await using logs = await collectLogs();
  const root = await defaultRoot();
  const ac = new AbortController();
  const servers = await Promise.all(
    [0, 1, 2, 3].map(() => serve({ root, port: 0, accessLog: false, signal: ac.signal })),
  );
  const profile = await Deno.makeTempDir({ prefix: "netlab-chromium-" });
  try {
    await using lb = await httpBalancer(servers.map((s) => s.addr.port));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    try {
      const page = await context.newPage();
      const failures: string[] = [];
      page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
      const response = await page.goto(`http://127.0.0.1:${lb.addr.port}/page.html`, {
        waitUntil: "load",
      });
      assert.equal(response?.status(), 200);
      const images = await page.$$eval(
        "img",
        (imgs) => imgs.map((i) => ({ src: i.currentSrc, width: i.naturalWidth })),
      );
      assert.ok(images.length >= 3, `page.html shows ${images.length} images`);
      for (const img of images) assert.ok(img.width > 0, `${img.src} did not decode`);
      await page.reload({ waitUntil: "load" }); // the same connections, kept alive
      assert.deepEqual(failures, []);
    } finally {
      await context.close();
    }
    const served = logs.lines.filter((l) => / from 127\.0\.0\.1:\d+ forwarded to /.test(l));
    const clients = new Set(served.map((l) => l.match(/from (\S+) /)![1]));
    const counts = new Map<string, number>();
    for (const l of served) {
      const to = l.match(/forwarded to (\S+):/)![1]!;
      counts.set(to, (counts.get(to) ?? 0) + 1);
    }
    const spread = [...counts.values()];
    // round-robin per request: the backends' counts differ by at most one, whatever connections
    // the browser opened and however many requests each carried
    assert.ok(
      served.length > clients.size,
      `${served.length} requests, ${clients.size} connections`,
    );
    assert.equal(counts.size, 4, served.join("\n"));
    assert.ok(Math.max(...spread) - Math.min(...spread) <= 1, `per backend: ${spread}`);
  } finally {
    ac.abort();
    await Promise.all(servers.map((s) => s.finished));
    await Deno.remove(profile, { recursive: true });
  }
});
