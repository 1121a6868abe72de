/**
 * `--plot` pages in a real browser: headless Chromium (Debian's package) through playwright-core
 * finds every chart drawn, with a line per URL, run or side.
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { netlab } from "../_netlab.ts";
import { needs } from "../_tools.ts";
import { spectrumPoints } from "../../lib/plot/spectrum.ts";
import { Series } from "../../lib/bench/_series.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Each chart of a page: its id, how many lines vega drew, and the SVG's drawn size. */
async function chartsOf(file: string) {
  const profile = await Deno.makeTempDir({ prefix: "netlab-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    return await page.$$eval("figure.chart", (figures) =>
      figures.map((f) => {
        const svg = f.querySelector("svg");
        const box = svg?.getBoundingClientRect();
        const drawn = (selector: string) =>
          [...f.querySelectorAll(selector)].filter((p) => (p.getAttribute("d") ?? "").length > 10)
            .length;
        return {
          id: f.id,
          lines: drawn("g.mark-line path"),
          // a run shorter than a second has one point per line: a dot, not a line
          marks: drawn("g.mark-line path") + drawn("g.mark-symbol path"),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          legend: [...f.querySelectorAll("g.role-legend-label text")].map((t) => t.textContent),
        };
      }));
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
  }
}

Deno.test("spectrumPoints() spaces 0%, 90%, 99%... evenly and stops where the count does", () => {
  const s = new Series();
  for (let i = 1; i <= 1000; i++) s.add(i * 10); // 10 µs to 10 ms
  const points = spectrumPoints(s.state().hist);
  assert.equal(points[0]!.x, 1);
  assert.equal(points[0]!.percentile, 0);
  const at = (x: number) => points.find((p) => Math.abs(p.x - x) < 1e-9)!;
  assert.equal(at(10).percentile, 90);
  assert.equal(at(100).percentile, 99);
  assert.ok(Math.abs(at(10).ms - 9) < 0.02, `${at(10).ms}`);
  assert.ok(Math.abs(at(100).ms - 9.9) < 0.02, `${at(100).ms}`);
  // 1000 requests tell nothing past 99.9%: the last point is the maximum, at x = 1000
  assert.deepEqual(points.at(-1), { x: 1000, percentile: 100, ms: points.at(-1)!.ms });
  assert.ok(Math.abs(points.at(-1)!.ms - 10) < 0.02);
  assert.deepEqual(spectrumPoints(""), []);
});

Deno.test(
  ...needs(
    ["chromium"],
    "netlab bench --plot and bench compare --plot: every chart drawn in Chromium",
  ),
  async () => {
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => new Response(new URL(req.url).pathname === "/b" ? "bb" : "a"),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const dir = await Deno.makeTempDir({ prefix: "netlab-plot-" });
    try {
      await Deno.writeTextFile(`${dir}/urls.txt`, `${base}/a\n${base}/b\n`);
      const run = await netlab([
        "bench",
        "-q",
        "-k",
        "-n",
        "400",
        "-c",
        "4",
        "--urls-file",
        `${dir}/urls.txt`,
        "--plot",
        `${dir}/plot.html`,
        "--format",
        "json",
        "--out",
        `${dir}/a.json`,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const one = await chartsOf(`${dir}/plot.html`);
      assert.deepEqual(one.map((c) => c.id), [
        "latency-spectrum",
        "timeline-rps",
        "timeline-latency",
        "timeline-errors",
      ]);
      for (const c of one) {
        assert.ok(c.width > 300 && c.height > 150, `${c.id}: ${c.width}x${c.height}`);
        assert.ok(c.marks >= 1, `${c.id}: nothing drawn`);
      }
      // one spectrum line per URL of the file
      assert.equal(one[0]!.lines, 2);
      assert.deepEqual(one[0]!.legend, ["GET /a", "GET /b"]);
      // both sides of a comparison
      const again = await netlab([
        "bench",
        "-q",
        "-k",
        "-n",
        "300",
        "-c",
        "2",
        "--repeat",
        "2",
        "--format",
        "json",
        "--out",
        `${dir}/b.json`,
        `${base}/a`,
      ]);
      assert.equal(again.code, 0, again.stderr);
      const cmp = await netlab([
        "bench",
        "compare",
        `${dir}/b.json`,
        `${dir}/a.json`,
        "--plot",
        `${dir}/cmp.html`,
      ]);
      assert.equal(cmp.code, 0, cmp.stderr);
      const both = await chartsOf(`${dir}/cmp.html`);
      assert.equal(both[0]!.lines, 3, "BASE's cell and NEW's two URLs");
      assert.deepEqual(both[0]!.legend, ["BASE: c=2", "NEW: GET /a", "NEW: GET /b"]);
      // the time series: one line per run, both of BASE's and NEW's one
      assert.deepEqual(both[1]!.legend, ["BASE: c=2 run 1", "BASE: c=2 run 2", "NEW: c=4"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
