/**
 * HTTP Basic authentication (RFC 7617) in front of the handler. Passwords are compared in constant
 * time (digests of equal length through `timingSafeEqual`; bcryptjs compares its own hashes so).
 * A successful check is remembered under an HMAC of the whole Authorization value with a key made
 * at start-up, so the next request with the same user and password costs a hash, not bcrypt, and a
 * different password never matches; a failed one is remembered the same way, so a browser that
 * sends a wrong password with each of a page's assets costs one check. bcrypt runs on the serving
 * thread: uncached checks get at most {@link BCRYPT_BUDGET_MS} of it per second, past that a 503.
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import bcrypt from "bcryptjs";
import type { Credential } from "./_credentials.ts";

/** The challenge of every 401. */
export const CHALLENGE = 'Basic realm="netlab"';
/** Milliseconds of bcrypt per second of clock a thread spends on checks not remembered. */
export const BCRYPT_BUDGET_MS = 250;
/** Authorization values remembered, each way, before the memory starts over. */
const REMEMBERED = 1024;
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i;

/** Answers requests without valid credentials; lets the rest through. */
export class BasicAuth {
  #users = new Map<string, Credential>();
  #first: Credential;
  #key = randomBytes(32);
  #good = new Set<string>();
  #bad = new Set<string>();
  #clock: () => number;
  #windowStart = 0;
  #spentMs = 0;
  /** Passwords checked in full (not answered from memory): what the memory saves. */
  checked = 0;

  /**
   * @param credentials who may read (at least one)
   * @param clock ms since the epoch, for the bcrypt budget
   */
  constructor(credentials: readonly Credential[], clock: () => number = Date.now) {
    if (credentials.length === 0) throw new TypeError("BasicAuth needs at least one credential");
    for (const c of credentials) this.#users.set(c.user, c);
    this.#first = credentials[0]!;
    this.#clock = clock;
  }

  /**
   * `ok` when the request carries valid credentials, `denied` when not (answer 401), `busy` when
   * they could not be checked now (answer 503).
   */
  check(authorization: string | null): "ok" | "denied" | "busy" {
    if (authorization === null) return "denied";
    const key = createHmac("sha256", this.#key).update(authorization).digest("base64");
    if (this.#good.has(key)) return "ok";
    if (this.#bad.has(key)) return "denied";
    const pair = decode(authorization);
    if (pair === null) return "denied";
    const cred = this.#users.get(pair.user);
    // an unknown user costs what a known one does, so timing does not tell which names exist
    const against = cred ?? this.#first;
    if (against.scheme === "bcrypt" && !this.#budget()) return "busy";
    const started = performance.now();
    this.checked++;
    const match = verify(against, pair.password);
    if (against.scheme === "bcrypt") this.#spentMs += performance.now() - started;
    const ok = match && cred !== undefined;
    const memory = ok ? this.#good : this.#bad;
    if (memory.size >= REMEMBERED) memory.clear();
    memory.add(key);
    return ok ? "ok" : "denied";
  }

  /** Whether this second's bcrypt budget has room left. */
  #budget(): boolean {
    const now = this.#clock();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#spentMs = 0;
    }
    return this.#spentMs < BCRYPT_BUDGET_MS;
  }
}

/** User and password of a Basic Authorization value, or null when it is not one. */
export function decode(authorization: string): { user: string; password: string } | null {
  const m = BASIC.exec(authorization);
  if (m === null) return null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Whether `password` is the credential's, in time independent of where they differ. */
function verify(cred: Credential, password: string): boolean {
  switch (cred.scheme) {
    case "sha256":
      return same(createHash("sha256").update(password).digest(), Buffer.from(cred.hash, "hex"));
    case "sha1":
      return same(createHash("sha1").update(password).digest(), Buffer.from(cred.hash, "base64"));
    case "bcrypt":
      // $2y$ (PHP's and htpasswd's name) is the same algorithm as $2b$
      return bcrypt.compareSync(password, cred.hash.replace(/^\$2y\$/, "$2b$"));
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A handler as the static one is, sync or async. */
type Respond = (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;

/**
 * `respond` behind Basic authentication: a request without valid credentials gets a 401 with the
 * challenge (a 503 while bcrypt's budget is spent), `common` headers on both. CORS preflights
 * (OPTIONS) pass: browsers send them without credentials, and they tell nothing but `Allow`.
 */
export function withAuth(
  respond: Respond,
  credentials: readonly Credential[],
  common: Record<string, string>,
  clock?: () => number,
): Respond {
  const auth = new BasicAuth(credentials, clock);
  const answer = (status: 401 | 503, head: boolean): Response => {
    const text = status === 401 ? "401 Unauthorized\n" : "503 Service Unavailable\n";
    const headers: Record<string, string> = {
      ...common,
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(text.length),
    };
    if (status === 401) headers["www-authenticate"] = CHALLENGE;
    else headers["retry-after"] = "1";
    return new Response(head ? null : text, { status, headers });
  };
  return (req, info) => {
    if (req.method === "OPTIONS") return respond(req, info);
    const verdict = auth.check(req.headers.get("authorization"));
    if (verdict === "ok") return respond(req, info);
    return answer(verdict === "denied" ? 401 : 503, req.method === "HEAD");
  };
}
