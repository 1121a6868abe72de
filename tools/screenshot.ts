/**
 * `deno task screenshot [DIR]`: photographs a lab report (DIR/report.html, by default the
 * lab-report/latest/ that `deno task lab` writes) in headless Chromium and writes
 * docs/lab-report.png, the picture at the top of the README. It runs no load itself: run the lab first.
 *
 * Usage: `deno run -A tools/screenshot.ts [DIR] [--out FILE] [--width PX] [--height PX]`
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Debian's package; playwright-core brings no browser of its own. */
const CHROMIUM = Deno.env.get("CHROMIUM") || "/usr/bin/chromium";

/**
 * Takes the screenshot.
 *
 * @param argv the script's arguments
 * @returns the exit code
 */
export async function screenshot(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      width: { type: "string" },
      height: { type: "string" },
    },
  });
  const dir = resolve(positionals[0] ?? `${ROOT}lab-report/latest`);
  const out = resolve(values.out ?? `${ROOT}docs/lab-report.png`);
  const width = Number(values.width ?? 1200);
  const height = Number(values.height ?? 580);
  const report = `${dir}/report.html`;
  try {
    await Deno.stat(report);
  } catch {
    console.error(`screenshot: no ${report}; run \`deno task lab\` first (or name its directory)`);
    return 1;
  }
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    console.error(
      `screenshot: no Chromium at ${CHROMIUM}; install Debian's chromium or set CHROMIUM`,
    );
    return 1;
  }
  const profile = await Deno.makeTempDir({ prefix: "netlab-screenshot-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height },
    deviceScaleFactor: 1,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(report).href, { waitUntil: "load" });
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width, height } });
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
  }
  console.error(`screenshot: wrote ${out} from ${report}`);
  return 0;
}

if (import.meta.main) Deno.exit(await screenshot(Deno.args));
