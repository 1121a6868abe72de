/**
 * Tests that drive a real outside tool (ab, Chromium, openssl, curl, HAProxy, nginx, python3) declare it
 * here. Where the tool is missing they are reported as skipped, with the tool and its Debian package
 * in the test's name, so `deno task test` still works on a fresh machine and says what it did not
 * check. `.ci/run` installs every tool and sets NETLAB_REQUIRE_TOOLS=1: there a missing tool fails
 * the run instead of skipping anything.
 *
 * @module
 */

/** The Debian package that provides each tool. */
const PACKAGES = {
  ab: "apache2-utils",
  chromium: "chromium",
  curl: "curl",
  haproxy: "haproxy",
  htpasswd: "apache2-utils",
  // the `stream` block netlab's --emit nginx writes is a separate module on Debian
  nginx: "nginx libnginx-mod-stream",
  openssl: "openssl",
  python3: "python3",
  "redis-benchmark": "redis-tools",
  "redis-server": "redis-server",
  tmux: "tmux",
} as const;

/** An outside tool some tests need. */
export type Tool = keyof typeof PACKAGES;

/** Tools whose presence takes more than being on PATH: a shell test that succeeds when usable. */
const PROBES: Partial<Record<Tool, string>> = {
  nginx: "f=$(mktemp) && printf 'include /etc/nginx/modules-enabled/*.conf;" +
    ' events {} stream {}\' >"$f" && nginx -q -t -e stderr -c "$f" 2>/dev/null; r=$?; rm -f "$f"; exit $r',
};

function installed(tool: Tool): boolean {
  const probe = PROBES[tool] ?? `command -v ${tool}`;
  return new Deno.Command("sh", { args: ["-c", probe], stdout: "null", stderr: "null" })
    .outputSync().success;
}

/**
 * The first two arguments of `Deno.test(name, options, fn)` for a test that needs `tools`.
 *
 * @param tools the commands the test runs
 * @param name the test's name
 * @returns `[name, { ignore }]`, the name saying why when it is skipped
 */
export function needs(tools: Tool[], name: string): [string, { ignore: boolean }] {
  const missing = tools.filter((tool) => !installed(tool));
  if (missing.length === 0) return [name, { ignore: false }];
  const what = missing.map((tool) => `${tool} (Debian package ${PACKAGES[tool]})`).join(", ");
  if (Deno.env.get("NETLAB_REQUIRE_TOOLS") === "1") {
    throw new Error(`${name}: needs ${what}, which is not installed`);
  }
  return [`${name} (skipped: needs ${what}; .ci/run installs it)`, { ignore: true }];
}
