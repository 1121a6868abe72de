/**
 * Checks the TLS tests of several commands share: flags refused in one line with their exit
 * code, and Chromium loading page.html with its images over HTTPS.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { netlabCommand } from "../_netlab.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Runs netlab to its end: exit code and stderr. */
export async function netlab(args: string[]): Promise<{ code: number; err: string }> {
  const out = await netlabCommand({ args, stdout: "null", stderr: "piped", stdin: "null" })
    .output();
  return { code: out.code, err: new TextDecoder().decode(out.stderr) };
}

/** Runs `command` with each case's flags: its exit code, and one line (besides a hint) matching. */
export async function assertRefusedInOneLine(
  command: string[],
  cases: [string[], number, RegExp][],
): Promise<void> {
  for (const [flags, code, message] of cases) {
    const r = await netlab([...command, ...flags]);
    assert.equal(r.code, code, `${flags.join(" ")}: ${r.err}`);
    const lines = r.err.trim().split("\n").filter((l) => !l.startsWith("Try "));
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, message);
  }
}

/** Chromium (headless, the test CA not trusted) loads each URL: 200, TLS 1.3, every image decoded. */
export async function assertChromiumLoads(urls: string[]): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "netlab-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // the test CA is in no trust store Chromium reads
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors"],
  });
  try {
    for (const url of urls) {
      const page = await context.newPage();
      const failures: string[] = [];
      page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
      const response = await page.goto(url, { waitUntil: "load" });
      assert.equal(response?.status(), 200);
      assert.equal(await response?.securityDetails()?.then((d) => d?.protocol), "TLS 1.3");
      const images = await page.$$eval(
        "img",
        (imgs) => imgs.map((i) => ({ src: i.currentSrc, width: i.naturalWidth })),
      );
      assert.ok(images.length >= 3, `${images.length} images`);
      for (const img of images) {
        assert.ok(img.src.startsWith("https:") && img.width > 0, `${img.src} did not decode`);
      }
      assert.deepEqual(failures, []);
      await page.close();
    }
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
  }
}
