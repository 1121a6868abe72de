/// <reference lib="deno.worker" />
/**
 * A Worker running its own event loop with an echo server. Posts `{ port, epollFd, thread }`;
 * told "stop", closes the server, stops the loop and posts "stopped".
 */
import { currentThreadId } from "../../lib/loop/mod.ts";
import { echoServer, openLoop } from "./_fixtures.ts";

const loop = openLoop();
const server = echoServer(loop);
self.onmessage = async () => {
  server.close();
  await loop.stop();
  self.postMessage("stopped");
};
self.postMessage({ port: server.addr.port, epollFd: loop.fd, thread: currentThreadId() });
