/**
 * Child process for the wake-up leak test, run under a low `ulimit -n`: fills every descriptor
 * but `free`, then opens an event loop, whose epoll set takes a descriptor and whose wake-up
 * eventfd then finds none. Prints one JSON line: what the constructor threw, and how many of the
 * `free` descriptors could be opened again afterwards (all of them unless one leaked).
 */
import { EventLoop } from "../../lib/loop/mod.ts";

const free = Number(Deno.args[0]);
const files: Deno.FsFile[] = [];
/** Opens /dev/null until no descriptor is left, then gives `free` of them back. */
function fillAllBut(free: number): void {
  while (true) {
    try {
      files.push(Deno.openSync("/dev/null"));
    } catch (err) {
      if (!(err instanceof Error && /too many open files|os error 24/i.test(err.message))) {
        throw err;
      }
      break;
    }
  }
  for (let i = 0; i < free; i++) files.pop()!.close();
}
let error = "";
// A descriptor another thread of the runtime held for a moment while the table filled comes free
// afterwards, and the loop then finds two: fill again and retry (a few times at most).
for (let attempt = 0; attempt < 5 && error === ""; attempt++) {
  fillAllBut(free);
  try {
    await new EventLoop().stop();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
}
let reopened = 0;
for (let i = 0; i < free; i++) {
  try {
    files.push(Deno.openSync("/dev/null"));
    reopened++;
  } catch {
    break;
  }
}
for (const f of files) f.close();
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ error, reopened }) + "\n"));
