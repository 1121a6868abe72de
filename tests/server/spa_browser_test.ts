/**
 * `netlab serve --spa` in a real browser: headless Chromium (Debian's package, driven by
 * playwright-core) opens a deep link of a client-routed app; the page must render, run its
 * hashed script (sent precompressed) and load its stylesheet and image, with no request failing.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { needs } from "../_tools.ts";
import { spawnNetlab } from "./_spawn.ts";

const CHROMIUM = "/usr/bin/chromium";

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>spa</title>
<link rel="stylesheet" href="/assets/index-C4x9Lq2m.css">
<script type="module" src="/assets/index-BXg2h4Kf.js"></script></head>
<body><div id="app">loading</div><img id="logo" src="/assets/logo.svg" alt="logo"></body></html>
`;
// the app's router: renders the route it was opened at
const SCRIPT = `const route = location.pathname;
document.getElementById("app").textContent = "route " + route;
document.body.dataset.ready = "yes";
// padding, so the bundle is worth its .gz
${"// ".padEnd(400, "x")}
`;
const STYLE = "#app { color: rgb(1, 2, 3); }\n";
const LOGO =
  `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>`;

Deno.test(
  ...needs(["chromium"], "netlab serve --spa renders a deep link in Chromium and loads its assets"),
  async () => {
    const root = await Deno.makeTempDir({ prefix: "netlab-spa-" });
    const profile = await Deno.makeTempDir({ prefix: "netlab-chromium-" });
    try {
      await Deno.writeTextFile(`${root}/index.html`, INDEX);
      await Deno.mkdir(`${root}/assets`);
      await Deno.writeTextFile(`${root}/assets/index-BXg2h4Kf.js`, SCRIPT);
      await Deno.writeFile(`${root}/assets/index-BXg2h4Kf.js.gz`, gzipSync(SCRIPT));
      await Deno.writeTextFile(`${root}/assets/index-C4x9Lq2m.css`, STYLE);
      await Deno.writeTextFile(`${root}/assets/logo.svg`, LOGO);
      for (const engine of ["epoll", "deno"]) {
        await using server = await spawnNetlab([
          "serve",
          root,
          "--engine",
          engine,
          "--port",
          "0",
          "--spa",
          "--cache-control",
          "immutable-hashed",
        ]);
        assert.match(server.stderr(), new RegExp(`\\(engine ${engine}\\)`));
        const context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
        try {
          const page = await context.newPage();
          const failed: string[] = [];
          const encodings = new Map<string, string | undefined>();
          page.on("requestfailed", (r) => failed.push(r.url()));
          page.on("response", (r) => {
            if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
            encodings.set(new URL(r.url()).pathname, r.headers()["content-encoding"]);
          });
          const deep = new URL("/users/42/settings", server.url).href;
          const res = await page.goto(deep, { waitUntil: "load" });
          assert.equal(res?.status(), 200);
          await page.waitForSelector("body[data-ready=yes]", { timeout: 20_000 });
          assert.equal(await page.textContent("#app"), "route /users/42/settings");
          const color = await page.evaluate(
            `getComputedStyle(document.getElementById("app")).color`,
          );
          assert.equal(color, "rgb(1, 2, 3)", "the stylesheet loaded");
          const width = await page.evaluate(`document.getElementById("logo").naturalWidth`);
          assert.equal(width, 8, "the image loaded");
          assert.deepEqual(failed, []);
          assert.equal(encodings.get("/assets/index-BXg2h4Kf.js"), "gzip", "sent precompressed");
        } finally {
          await context.close();
        }
      }
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(profile, { recursive: true });
    }
  },
);
