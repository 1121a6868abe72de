/**
 * The four requests nginx, h2o and caddy answer while input is left unread, each with the status
 * it gets: a lingering close must let every answer reach the client (plain and TLS alike).
 *
 * @module
 */

const MIB = 1024 * 1024;

/** [what, request, status] for each case; the last one asks for /hello.txt, cached first. */
export function lingerCases(): [string, string, number][] {
  const pad = "a".repeat(70_000);
  const body = "x".repeat(MIB);
  return [
    ["a 70 KB header", `GET /hello.txt HTTP/1.1\r\nHost: a\r\nX-Big: ${pad}\r\n\r\n`, 431],
    ["a 70 KB path", `GET /${pad} HTTP/1.1\r\nHost: a\r\n\r\n`, 414],
    [
      "Transfer-Encoding and Content-Length with 1 MiB",
      `POST /hello.txt HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n` +
      `Content-Length: ${MIB}\r\n\r\n${body}`,
      400,
    ],
    [
      "Connection: close with 1 MiB on a cached file",
      `GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${MIB}\r\n\r\n${body}`,
      200,
    ],
  ];
}
