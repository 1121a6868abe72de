import { createStaticHandler, type Handler, type StaticOptions } from "../../lib/http/handler.ts";

/** A temporary site to serve, removed on dispose. */
export interface Site extends AsyncDisposable {
  root: string;
  /** A handler over the site with `options`. */
  handler(options?: Omit<StaticOptions, "root">): Handler;
}

/** 300 KiB of compressible text: larger than the default cache limit, so it is streamed. */
export const BIG_TEXT: string = "netlab streams large files. ".repeat(11_000);
/** 300 KiB of bytes that do not repeat, for exact range checks. */
export const BIG_BIN: Uint8Array = Uint8Array.from(
  { length: 300 * 1024 },
  (_, i) => (i * 7 + (i >> 8)) & 0xff,
);
/** Small compressible HTML. */
export const PAGE: string = `<!DOCTYPE html><title>page</title>${
  "<p>hello, netlab</p>\n".repeat(40)
}`;

/** Creates the site: files, a subdirectory with an index, dotfiles, symlinks in and out. */
export async function makeSite(): Promise<Site> {
  const root = await Deno.makeTempDir({ prefix: "netlab-site-" });
  const outside = await Deno.makeTempDir({ prefix: "netlab-outside-" });
  await Deno.writeTextFile(`${root}/page.html`, PAGE);
  await Deno.writeTextFile(`${root}/hello.txt`, "hello world\n");
  await Deno.writeTextFile(`${root}/big.txt`, BIG_TEXT);
  await Deno.writeFile(`${root}/big.bin`, BIG_BIN);
  await Deno.writeFile(`${root}/image.png`, new Uint8Array(1000).fill(7));
  await Deno.mkdir(`${root}/sub`);
  await Deno.writeTextFile(`${root}/sub/index.html`, "<p>sub index</p>\n");
  await Deno.mkdir(`${root}/files`);
  await Deno.writeTextFile(`${root}/files/a.txt`, "a\n");
  await Deno.writeTextFile(`${root}/files/<b>&'.txt`, "b\n");
  await Deno.writeTextFile(`${root}/files/.hidden.txt`, "hidden\n");
  await Deno.mkdir(`${root}/files/inner`);
  await Deno.writeTextFile(`${root}/.secret`, "secret\n");
  await Deno.mkdir(`${root}/.git`);
  await Deno.writeTextFile(`${root}/.git/config`, "[core]\n");
  await Deno.writeTextFile(`${root}/with space.txt`, "space\n");
  await Deno.writeTextFile(`${outside}/passwd`, "root:x:0:0\n");
  await Deno.symlink(`${outside}/passwd`, `${root}/link-out`);
  await Deno.symlink(outside, `${root}/dir-out`);
  await Deno.symlink(`${root}/hello.txt`, `${root}/link-in`);
  return {
    root,
    handler: (options = {}) => createStaticHandler({ root, ...options }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    },
  };
}

/** Sends a request with `headers` (and `method`) to `handler`. */
export function request(
  handler: Handler,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Response> {
  return handler(new Request(`http://localhost${path}`, { method, headers }));
}

/** Reads a response body as bytes. */
export async function bytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}
