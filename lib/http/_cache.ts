/**
 * Resolves file paths to entries, keeping small files in memory. An entry is trusted for
 * `revalidateMs` (1 s by default) and then checked with one stat, so a hot file costs no system
 * call per request while edits still show up within a second.
 *
 * @module
 */
import { isInside } from "./_path.ts";
import { isDenied, isMissing } from "./_fs_errors.ts";
import type { Encoding } from "./_compress.ts";
import {
  buildVariant,
  type Entry,
  type FileEntry,
  fileEntry,
  type Variant,
  variantOf,
} from "./_entry.ts";
import type { Compressor } from "./compressor.ts";
import { findSiblings, type Sibling, siblingEntry, siblingsKey } from "./_precompressed.ts";

/** How the cache is configured. */
export interface CacheOptions {
  /** Absolute root; nothing resolving outside it (through symlinks) is served. */
  root: string;
  /** Files up to this size are kept in memory. */
  maxFileBytes: number;
  /** Total bytes of bodies and their compressed variants kept; older entries are dropped past it. */
  maxTotalBytes: number;
  /** How long an entry is trusted without a stat. */
  revalidateMs: number;
  /** Headers every response carries. */
  common: Record<string, string>;
  /** Whether compressible files get compressed variants. */
  compress: boolean;
  /** The clock entries are stamped with, in ms since the epoch. @default {Date.now} */
  clock?: () => number;
  /** Where variants are made, off this thread; without one they are made here, on first use. */
  compressor?: Compressor;
  /** Serve `FILE.br`/`FILE.gz` siblings for FILE (see `_precompressed.ts`). @default {false} */
  precompressed?: boolean;
  /** Headers a file's responses carry besides `common` (its Cache-Control), by path. */
  headersFor?: (path: string) => Record<string, string> | null;
}

/** A path the server may not read: answered 403. Never cached, so a chmod shows at once. */
export interface DeniedEntry {
  kind: "denied";
  path: string;
}

/** Maps absolute paths under the root to entries, caching what it can. */
export class FileCache {
  #opts: CacheOptions;
  #entries = new Map<string, Entry>();
  #pending = new Map<string, Promise<Entry | DeniedEntry | null>>();
  #bytes = 0;
  #realRoot: Promise<string> | null = null;

  constructor(options: CacheOptions) {
    this.#opts = options;
  }

  /** The entry for `path`, or null when nothing servable is there. */
  lookup(path: string, now: number): Promise<Entry | DeniedEntry | null> | Entry {
    const hit = this.#entries.get(path);
    if (hit !== undefined && now - hit.checkedAt < this.#opts.revalidateMs) return hit;
    let pending = this.#pending.get(path);
    if (pending === undefined) {
      pending = this.#load(path, hit, now).finally(() => this.#pending.delete(path));
      this.#pending.set(path, pending);
    }
    return pending;
  }

  /** The cached file entry for `path` if it was checked within `revalidateMs`, else undefined. */
  fresh(path: string, now: number): FileEntry | undefined {
    const hit = this.#entries.get(path);
    return hit?.kind === "file" && now - hit.checkedAt < this.#opts.revalidateMs ? hit : undefined;
  }

  /** Replaces a streamed entry whose file changed under it (seen through an open handle). */
  refresh(entry: FileEntry, info: Deno.FileInfo): FileEntry {
    const mtimeMs = info.mtime?.getTime() ?? 0;
    if (info.size === entry.size && mtimeMs === entry.mtimeMs) return entry;
    const origin = entry.origin;
    const fresh = fileEntry(
      entry.path,
      info,
      null,
      origin === undefined ? this.#common(entry.path, false) : entry.notModifiedHeaders,
      this.#opts.compress,
      (this.#opts.clock ?? Date.now)(),
      origin,
    );
    // a sibling lives in its original's entry, not under its own name
    if (origin === undefined) this.#store(fresh);
    return fresh;
  }

  /**
   * The compressed variant of a cached entry, made once and counted against the memory bound:
   * null when compression does not pay. With a compressor it is made there, never on this thread,
   * and this is undefined until it is ready (see {@link FileCache.ready}).
   */
  variant(entry: FileEntry, encoding: Encoding): Variant | null | undefined {
    const known = entry.variants[encoding];
    if (known !== undefined) return known;
    const compressor = this.#opts.compressor;
    if (compressor !== undefined && entry.body !== null) {
      const jobs = this.#jobs[encoding];
      if (!jobs.has(entry)) jobs.set(entry, this.#make(compressor, entry, entry.body, encoding));
      return undefined;
    }
    const before = bytesOf(entry);
    const variant = variantOf(entry, encoding);
    this.#count(entry, before);
    return variant;
  }

  /**
   * Settles once `entry`'s `encoding` variant is made, when that is the only compression of its
   * coding under way: waiting for it waits for no other file. Undefined otherwise.
   */
  ready(entry: FileEntry, encoding: Encoding): Promise<void> | undefined {
    const jobs = this.#jobs[encoding];
    return jobs.size === 1 ? jobs.get(entry) : undefined;
  }

  /** Compressions under way, by coding. */
  #jobs: Record<Encoding, Map<FileEntry, Promise<void>>> = { br: new Map(), gzip: new Map() };

  async #make(
    compressor: Compressor,
    entry: FileEntry,
    body: Uint8Array,
    encoding: Encoding,
  ): Promise<void> {
    let out: Uint8Array<ArrayBuffer> | null = null;
    try {
      out = await compressor.compress(body, encoding);
    } catch {
      // a failed compression only means no compressed variant of this version of the file
    }
    this.#jobs[encoding].delete(entry);
    if (entry.variants[encoding] !== undefined) return;
    const before = bytesOf(entry);
    entry.variants[encoding] = buildVariant(entry, encoding, out);
    this.#count(entry, before);
  }

  #count(entry: FileEntry, before: number): void {
    // an entry already dropped or replaced is not counted; it goes with its last response
    if (this.#entries.get(entry.path) === entry) {
      this.#bytes += bytesOf(entry) - before;
      this.#evict();
    }
  }

  /** The root with its symlinks resolved, what served paths must stay inside. */
  realRoot(): Promise<string> {
    this.#realRoot ??= Deno.realPath(this.#opts.root);
    return this.#realRoot;
  }

  async #load(
    path: string,
    hit: Entry | undefined,
    now: number,
  ): Promise<Entry | DeniedEntry | null> {
    let info: Deno.FileInfo;
    let real: string;
    try {
      info = await Deno.stat(path);
      real = await Deno.realPath(path);
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.#drop(path);
      return isDenied(err) ? { kind: "denied", path } : null;
    }
    if (!isInside(await this.realRoot(), real)) {
      this.#drop(path);
      return null;
    }
    if (info.isDirectory) {
      const dir: Entry = { kind: "dir", path, checkedAt: now };
      this.#store(dir);
      return dir;
    }
    if (!info.isFile) return null; // sockets, FIFOs and devices are not content
    const mtimeMs = info.mtime?.getTime() ?? 0;
    const siblings = this.#opts.precompressed
      ? await findSiblings(path, info, await this.realRoot())
      : [];
    const key = siblingsKey(siblings);
    if (
      hit?.kind === "file" && hit.size === info.size && hit.mtimeMs === mtimeMs &&
      (hit.siblingsKey ?? "") === key
    ) {
      hit.checkedAt = now;
      return hit;
    }
    let body: Uint8Array<ArrayBuffer> | null = null;
    try {
      // a streamed file is opened on each request: try once here, so one it may not read is a 403
      if (info.size <= this.#opts.maxFileBytes) body = await Deno.readFile(path);
      else (await Deno.open(path)).close();
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.#drop(path);
      return isDenied(err) ? { kind: "denied", path } : null;
    }
    const has = siblings.length > 0;
    const common = this.#common(path, has);
    // a file with siblings is sent as they are, never compressed on the fly
    const entry = fileEntry(path, info, body, common, this.#opts.compress && !has, now);
    if (has) await this.#attach(entry, siblings, common, key, now);
    this.#store(entry);
    return entry;
  }

  /** The headers every response for the file at `path` carries. */
  #common(path: string, vary: boolean): Record<string, string> {
    const extra = this.#opts.headersFor?.(path) ?? null;
    if (extra === null && !vary) return this.#opts.common;
    const out = { ...this.#opts.common, ...extra };
    if (vary) out["vary"] = "Accept-Encoding";
    return out;
  }

  async #attach(
    entry: FileEntry,
    siblings: Sibling[],
    common: Record<string, string>,
    key: string,
    now: number,
  ): Promise<void> {
    const found: NonNullable<FileEntry["precompressed"]> = {};
    for (const s of siblings) {
      const sib = await siblingEntry(s, entry, common, this.#opts.maxFileBytes, now);
      if (sib !== null) found[s.coding] = sib;
    }
    entry.precompressed = found;
    entry.siblingsKey = key;
  }

  #store(entry: Entry): void {
    this.#drop(entry.path);
    this.#entries.set(entry.path, entry);
    this.#bytes += bytesOf(entry);
    this.#evict();
  }

  #evict(): void {
    for (const [key, old] of this.#entries) {
      if (this.#bytes <= this.#opts.maxTotalBytes) break;
      this.#entries.delete(key);
      this.#bytes -= bytesOf(old);
    }
  }

  #drop(path: string): void {
    const old = this.#entries.get(path);
    if (old === undefined) return;
    this.#entries.delete(path);
    this.#bytes -= bytesOf(old);
  }
}

function bytesOf(entry: Entry): number {
  if (entry.kind === "dir") return 128;
  let n = 512 + (entry.body?.length ?? 0);
  for (const v of Object.values(entry.variants)) n += v?.body.length ?? 0;
  if (entry.precompressed !== undefined) {
    for (const s of Object.values(entry.precompressed)) n += 512 + (s.body?.length ?? 0);
  }
  return n;
}
