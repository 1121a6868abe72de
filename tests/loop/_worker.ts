/// <reference lib="deno.worker" />
/** A Worker running its own event loop with an echo server; posts the port. */
import { echoServer, openLoop } from "./_fixtures.ts";

const loop = openLoop();
const server = echoServer(loop);
self.postMessage(server.addr.port);
