/**
 * The answers the http-mode proxy gives itself: short plain-text bodies for the statuses a
 * client sees when it, or the backends, cannot be served. Built once, as bytes.
 *
 * @module
 */

const REASONS: Record<number, [string, string]> = {
  400: ["Bad Request", "The request is malformed."],
  408: ["Request Timeout", "The request did not arrive in time."],
  414: ["URI Too Long", "The request line is too long."],
  417: ["Expectation Failed", "Only Expect: 100-continue is supported."],
  431: ["Request Header Fields Too Large", "The request head is too large."],
  501: ["Not Implemented", "CONNECT is not supported."],
  502: ["Bad Gateway", "The backend sent a broken response or closed the connection."],
  503: ["Service Unavailable", "No backend is available to take the request."],
  504: ["Gateway Timeout", "The backend did not answer in time."],
  505: ["HTTP Version Not Supported", "Only HTTP/1.x is supported."],
};

const enc = new TextEncoder();

function build(status: number, close: boolean): Uint8Array {
  const [reason, text] = REASONS[status] ?? ["Error", "The request failed."];
  const body = `${status} ${reason}: ${text}\n`;
  return enc.encode(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\nCache-Control: no-store\r\n` +
      (close ? "Connection: close\r\n" : "") + `\r\n${body}`,
  );
}

const CLOSING = new Map<number, Uint8Array>();
const KEEPING = new Map<number, Uint8Array>();
for (const status of Object.keys(REASONS).map(Number)) {
  CLOSING.set(status, build(status, true));
  KEEPING.set(status, build(status, false));
}

/** The whole answer for `status`, closing the connection or not. */
export function answer(status: number, close: boolean): Uint8Array {
  return (close ? CLOSING : KEEPING).get(status) ?? build(status, close);
}

/** Body bytes of {@link answer} (for the log line). */
export function answerBodyBytes(status: number): number {
  const [reason, text] = REASONS[status] ?? ["Error", "The request failed."];
  return `${status} ${reason}: ${text}\n`.length;
}
