/**
 * The leanest HTTPS server on netlab's loop, for comparison with `netlab serve --cert`: accept,
 * handshake (lib/tls), read one request, send one fixed answer (www/page.html) with `Connection:
 * close`, close. No HTTP session, no parser, no deadlines: what is left is the loop, OpenSSL and
 * Deno. docs/performance.md's `## tls` compares its CPU per full handshake with serve's and
 * nginx's in the same run (`ab -n 2000 -c10`, CPU from /proc).
 *
 * `deno run -A bench/_tls_bare.ts PORT CERT.pem KEY.pem` (runs until killed).
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { EventLoop, type SocketHandler, TcpListener } from "../lib/loop/mod.ts";
import { TlsServerContext } from "../lib/tls/server.ts";
import { TLS_AGAIN } from "../lib/tls/stream.ts";

/** Serves `answer` once per connection on 127.0.0.1:`port` until the process ends. */
function serveBare(port: number, cert: string, key: string, answer: Uint8Array): void {
  const ctx = new TlsServerContext({ identities: [{ cert, key }] });
  const loop = new EventLoop();
  const buf = new Uint8Array(16384);
  new TcpListener(loop, { host: "127.0.0.1", port }, {
    onAccept(fd) {
      const tls = ctx.accept(fd);
      if (tls === null) return loop.close(fd);
      let done = false;
      const close = () => {
        if (done) return;
        done = true;
        tls.free();
        loop.close(fd);
      };
      const conn: SocketHandler = {
        onReadable() {
          if (done) return;
          const r = tls.handshake();
          if (r === 0) return;
          if (r < 0) return close();
          const n = tls.read(buf, buf.length);
          if (n === TLS_AGAIN) return;
          if (n > 0) tls.write(answer, answer.length);
          close();
        },
        onWritable() {
          if (!done && tls.handshakeWantsWrite) conn.onReadable(false);
        },
        onHangup: close,
      };
      loop.watch(fd, conn);
    },
  });
  console.log(`tls_bare: listening on https://127.0.0.1:${port}/`);
}

if (import.meta.main) {
  const [port, certFile, keyFile] = Deno.args;
  const body = Deno.readFileSync(new URL("../www/page.html", import.meta.url));
  const head = new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n` +
      "Connection: close\r\n\r\n",
  );
  const answer = new Uint8Array(head.length + body.length);
  answer.set(head);
  answer.set(body, head.length);
  serveBare(
    Number(port),
    Deno.readTextFileSync(certFile!),
    Deno.readTextFileSync(keyFile!),
    answer,
  );
}
