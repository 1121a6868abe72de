/**
 * Who may read the site (`--auth user:password`, `--auth-file FILE`): credentials as plain data
 * (they cross to pool workers by structured clone), parsed and checked once at start-up. A
 * password from the command line is kept only as its SHA-256.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** One user and how their password is checked. */
export interface Credential {
  user: string;
  /**
   * `sha256`: hex SHA-256 of a password given with `--auth`; `sha1`: htpasswd's `{SHA}` (base64
   * SHA-1); `bcrypt`: htpasswd's `$2y$`, `$2a$` or `$2b$` hash.
   */
  scheme: "sha256" | "sha1" | "bcrypt";
  hash: string;
}

/** The credential of an `--auth user:password` value, or why it is refused. */
export function credentialFromFlag(text: string): Credential | string {
  const colon = text.indexOf(":");
  if (colon < 0) return `Cannot use --auth "${hidden(text)}": expected user:password`;
  const user = text.slice(0, colon);
  const password = text.slice(colon + 1);
  const bad = userError(user) ?? (password === "" ? "the password is empty" : null);
  if (bad !== null) return `Cannot use --auth "${hidden(text)}": ${bad}`;
  return { user, scheme: "sha256", hash: createHash("sha256").update(password).digest("hex") };
}

/** The value with its password masked, for messages. */
function hidden(text: string): string {
  const colon = text.indexOf(":");
  return colon < 0 ? text : `${text.slice(0, colon)}:***`;
}

function userError(user: string): string | null {
  if (user === "") return "the user name is empty";
  // RFC 7617: the user-id cannot contain a colon; control characters cannot be typed at a prompt
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(user)) return "the user name has a control character";
  return null;
}

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const SHA1 = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;

/**
 * The credentials of an htpasswd file's text (`user:hash` per line; blank lines and `#` comments
 * skipped), or the first problem, naming its line. Only bcrypt (`htpasswd -B`) and `{SHA}`
 * (`htpasswd -s`) are taken: `$apr1$` (htpasswd's default MD5), crypt and plain text are refused.
 */
export function parseHtpasswd(text: string, file: string): Credential[] | string {
  const out: Credential[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `Cannot read --auth-file "${file}": line ${i + 1}`;
    const colon = line.indexOf(":");
    if (colon < 0) return `${where}: expected user:hash`;
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    const bad = userError(user);
    if (bad !== null) return `${where}: ${bad}`;
    if (out.some((c) => c.user === user)) return `${where}: user "${user}" is listed twice`;
    if (BCRYPT.test(hash)) out.push({ user, scheme: "bcrypt", hash });
    else if (SHA1.test(hash)) out.push({ user, scheme: "sha1", hash: hash.slice(5) });
    else {
      const what = hash.startsWith("$apr1$")
        ? "an $apr1$ (MD5) hash"
        : hash.startsWith("$")
        ? `a "${hash.split("$")[1]}" hash`
        : "a crypt or plain-text password";
      return `${where}: user "${user}" has ${what}; use bcrypt (htpasswd -B) or SHA-1 (htpasswd -s)`;
    }
  }
  if (out.length === 0) return `Cannot read --auth-file "${file}": it lists no user`;
  return out;
}
