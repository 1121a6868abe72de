/**
 * Child process for the out-of-descriptors test, run under a low `ulimit -n`: an echo server
 * that keeps every connection open until its client closes. Prints its port, then one JSON
 * line per overload report.
 */
import { LINUX, type SocketHandler, TcpListener } from "../../lib/loop/mod.ts";
import { openLoop, say } from "./_fixtures.ts";

// the runtime sets up its signal handling on first use, and cannot without a descriptor: do it
// now, as a server does, rather than when the test's SIGTERM comes
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const loop = openLoop();
const buf = new Uint8Array(1024);
const listener = new TcpListener(loop, { host: "127.0.0.1", port: 0 }, {
  onAccept(fd) {
    const echo: SocketHandler = {
      onReadable() {
        while (true) {
          const n = loop.recv(fd, buf, buf.length);
          if (n > 0) loop.send(fd, buf, n);
          else if (n === -LINUX.EAGAIN) return;
          else return loop.close(fd);
        }
      },
      onWritable() {},
      onHangup: () => loop.close(fd),
    };
    loop.watch(fd, echo);
  },
  onOverload(errno, count) {
    say(JSON.stringify({ errno, count }));
  },
});
say(String(listener.addr.port));
