/// <reference lib="deno.worker" />
/**
 * A backend on its own thread that reads 4 bytes of each request and closes with the rest
 * unread, which makes the kernel send a reset. Told `{ signal }` (an Int32Array on shared
 * memory) it listens, posts its port, and after each reset adds one to `signal[0]` and wakes
 * whoever waits on it: the test holds the balancer's thread until the reset has gone out.
 */
self.onmessage = async (e: MessageEvent<{ signal: Int32Array }>) => {
  const { signal } = e.data;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  self.postMessage(listener.addr.port);
  for await (const conn of listener) {
    await conn.read(new Uint8Array(4));
    conn.close(); // unread bytes: a reset, not a FIN
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  }
};
