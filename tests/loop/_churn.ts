/**
 * Child process for the descriptor test: 5,000 connections through an echo server, both ends on
 * one loop, half of them refused first. Prints the open descriptors before and after as JSON.
 */
import { connectSocket, encodeSockAddr, LINUX, type SocketHandler } from "../../lib/loop/mod.ts";
import { echoServer, openLoop, say } from "./_fixtures.ts";
import { deadPort } from "../_ports.ts";

const openFds = () => Array.from(Deno.readDirSync("/proc/self/fd")).length;

// what the runtime opens once on first use is opened before counting: its signal driver (a
// socket pair, which a busy machine sees it make mid-run) and its I/O driver
const onTerm = () => Deno.exit(0);
Deno.addSignalListener("SIGTERM", onTerm);
// held, never listening: refused, and no other process's listener can take it meanwhile
const dead = encodeSockAddr("127.0.0.1", deadPort());
await new Promise((r) => setTimeout(r, 10));
await using loop = openLoop();
const before = openFds();
const server = echoServer(loop);
const live = encodeSockAddr("127.0.0.1", server.addr.port);
const TOTAL = 5000;
const buf = new Uint8Array(64);
let started = 0;
let finished = 0;
const done = Promise.withResolvers<void>();

function one(): void {
  if (started === TOTAL) return;
  const refused = started++ % 2 === 0;
  let fd = -1;
  const end = () => {
    loop.close(fd);
    if (++finished === TOTAL) done.resolve();
    else one();
  };
  const client: SocketHandler = {
    onWritable() {
      loop.send(fd, buf, 1);
    },
    onReadable() {
      const n = loop.recv(fd, buf, buf.length);
      if (n !== -LINUX.EAGAIN) end();
      else return;
    },
    onHangup: end,
  };
  fd = connectSocket(loop, refused ? dead : live, client);
  if (fd < 0) {
    if (++finished === TOTAL) done.resolve();
    else one();
  }
}
for (let i = 0; i < 50; i++) one();
await done.promise;
server.close();
// the server's side of the last connections closes when their FIN arrives
while (loop.watched > 0) await new Promise((r) => setTimeout(r, 1));
say(JSON.stringify({ before, after: openFds(), finished }));
