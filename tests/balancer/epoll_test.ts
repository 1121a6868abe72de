import assert from "node:assert/strict";
import { selectEngine } from "../../lib/balancer/engines/select.ts";
import { HAS_IPV6 } from "../_ipv6.ts";
import { readAll, startOn, writeAll } from "./_helpers.ts";

const linux = Deno.build.os === "linux";

Deno.test("selectEngine() keeps deno when asked, and for host names, saying why", () => {
  const deno = selectEngine("deno", ["127.0.0.1"]);
  assert.equal(deno.name, "deno");
  assert.equal(deno.notice, undefined);
  const named = selectEngine("epoll", ["127.0.0.1", "localhost"]);
  assert.equal(named.name, "deno");
  if (linux) {
    assert.equal(named.notice, 'the epoll engine needs IP addresses, not "localhost": using deno');
  }
  const auto = selectEngine("auto", ["localhost"]);
  assert.equal(auto.name, "deno");
  assert.equal(auto.notice, undefined);
});

Deno.test({
  name: "selectEngine() picks epoll on Linux for IP literals, v4 and v6",
  ignore: !linux,
  fn() {
    assert.equal(selectEngine("auto", ["127.0.0.1", "::1", "::ffff:127.0.0.1"]).name, "epoll");
  },
});

for (const engineName of ["epoll", "deno"] as const) {
  Deno.test({
    name:
      `Balancer proxies over IPv6 and logs [::1] addresses (${engineName}; needs IPv6 loopback)`,
    ignore: (engineName === "epoll" && !linux) || !HAS_IPV6,
    async fn() {
      using l6 = Deno.listen({ hostname: "::1", port: 0 });
      const backend = l6.accept().then(async (conn) => {
        await writeAll(conn, await readAll(conn));
        conn.close();
      });
      await using lb = await startOn(engineName, {
        host: "::1",
        backends: [{ host: "::1", port: l6.addr.port, weight: 1 }],
        port: 0,
        healthIntervalMs: 0,
      });
      assert.equal(lb.addr.hostname, "::1");
      using conn = await Deno.connect({ hostname: "::1", port: lb.addr.port });
      await writeAll(conn, new TextEncoder().encode("over six"));
      await conn.closeWrite();
      assert.equal(new TextDecoder().decode(await readAll(conn)), "over six");
      await backend;
    },
  });
}
