/**
 * The lab's pages in a real browser: headless Chromium (Debian's package) driven by playwright-core.
 * No Chromium is a failure, not a skip: CI installs it.
 */
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { ChildGroup } from "../../lib/lab/children.ts";
import { labSettings } from "../../lib/lab/lab.ts";
import { balancerSpec, serverSpecs } from "../../lib/lab/_specs.ts";
import { writeLabReport } from "../../lib/lab/write.ts";
import { sampleResult } from "./_fixture.ts";
import { needs } from "../_tools.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = fileURLToPath(new URL("../output/", import.meta.url));

interface Browser extends AsyncDisposable {
  context: BrowserContext;
}

/** Headless Chromium with a fresh profile, closed and removed on dispose. */
async function launch(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch (err) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`, {
      cause: err,
    });
  }
  const profile = await Deno.makeTempDir({ prefix: "netlab-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
  return {
    context,
    async [Symbol.asyncDispose]() {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}

Deno.test(
  ...needs(
    ["chromium"],
    "page.html through the balancer: every image decodes and no request fails",
  ),
  async () => {
    await using servers = new ChildGroup();
    const o = labSettings({ backendPorts: [0, 0], balancerPort: 0 });
    const ports = {
      backendPorts: [0, 0],
      balancerPort: 0,
      asyncPort: 0,
      poolPort: 0,
      statsPort: 0,
    };
    const backends = await servers.startAll(serverSpecs(o, ports).backends);
    const addresses = backends.map((b) => `127.0.0.1:${b.port}`);
    const balancer = await servers.start(balancerSpec(o, ports, addresses));
    await using browser = await launch();
    const page = await browser.context.newPage();
    const failures: string[] = [];
    page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
    });
    const url = `http://127.0.0.1:${balancer.port}/page.html`;
    const response = await page.goto(url, { waitUntil: "load" });
    assert.equal(response?.status(), 200);
    const images = await page.$$eval(
      "img",
      (imgs) =>
        imgs.map((i) => ({ src: i.currentSrc, width: i.naturalWidth, complete: i.complete })),
    );
    assert.ok(images.length >= 3, `page.html shows ${images.length} images, expected at least 3`);
    for (const img of images) {
      assert.ok(img.complete && img.width > 0, `${img.src} did not decode`);
    }
    await Deno.mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}page.png`, fullPage: true });
    assert.deepEqual(failures, []);
  },
);

Deno.test(
  ...needs(["chromium"], "report.html: every chart is an SVG with drawn marks, offline"),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "netlab-report-" });
    try {
      const files = await writeLabReport(sampleResult(), dir);
      await using browser = await launch();
      const page = await browser.context.newPage();
      const remote: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) remote.push(r.url());
      });
      await page.goto(pathToFileURL(files.html).href, { waitUntil: "load" });
      const charts = await page.$$eval("figure.chart", (figures) =>
        figures.map((f) => {
          const svg = f.querySelector("svg");
          const lines = [
            ...(svg?.querySelectorAll('path[aria-roledescription="line mark"]') ?? []),
          ];
          const box = svg?.getBoundingClientRect();
          return {
            id: f.id,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            lines: lines.filter((p) =>
              (p as unknown as { getTotalLength(): number }).getTotalLength() > 0
            ).length,
            points: svg?.querySelectorAll('[aria-roledescription="point"]').length ?? 0,
            // An error bar is drawn when its rule has a height on the page.
            errorbars: [...(svg?.querySelectorAll('[aria-roledescription="errorbar"]') ?? [])]
              .filter((e) =>
                e.getBoundingClientRect().height > 0
              ).length,
          };
        }));
      assert.deepEqual(charts.map((c) => c.id), ["throughput-page-html", "latency-page-html"]);
      for (const c of charts) {
        assert.ok(c.width > 100 && c.height > 100, `${c.id} is ${c.width}x${c.height}`);
        assert.ok(c.points >= 9, `${c.id} draws ${c.points} points`);
      }
      assert.equal(charts[0]!.lines, 3);
      // The spread of every cell's runs: the fixture's runs differ, so each bar has a height.
      assert.equal(charts[0]!.errorbars, 9);
      assert.equal(charts[1]!.lines, 6);
      await Deno.mkdir(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}report.png`, fullPage: true });
      assert.deepEqual(remote, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
