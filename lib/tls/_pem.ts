/**
 * Loading a certificate chain and its private key from PEM text into an `SSL_CTX`, every
 * OpenSSL object made on the way freed on every path. The PEM bytes are a JavaScript buffer that
 * a memory BIO points at only while this synchronous function runs.
 *
 * @module
 */
import { type OpenSsl, S } from "./_ssl.ts";

/** A certificate or key OpenSSL could not use: the message names which and why. */
export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

/** Runs `use` over a memory BIO on `pem`, freeing the BIO however `use` ends. */
function withBio<T>(ossl: OpenSsl, pem: string, use: (bio: Deno.PointerValue) => T): T {
  const bytes = new TextEncoder().encode(pem);
  const bio = ossl.crypto.BIO_new_mem_buf(bytes, bytes.length);
  if (bio === null) throw new TlsConfigError(`Cannot read PEM: ${ossl.lastError()}`);
  try {
    return use(bio);
  } finally {
    ossl.crypto.BIO_free(bio);
  }
}

/**
 * Puts the chain in `certPem` (leaf first, then intermediates) and the key in `keyPem` on
 * `ctx`, and checks that they belong together.
 *
 * @throws {TlsConfigError} naming the part that is wrong
 */
export function loadIdentity(
  ossl: OpenSsl,
  ctx: Deno.PointerValue,
  certPem: string,
  keyPem: string,
): void {
  const { ssl, crypto } = ossl;
  crypto.ERR_clear_error();
  withBio(ossl, certPem, (bio) => {
    const leaf = crypto.PEM_read_bio_X509_AUX(bio, null, null, null);
    if (leaf === null) {
      throw new TlsConfigError(`the certificate is not PEM (${ossl.lastError()})`);
    }
    // SSL_CTX_use_certificate takes its own reference: ours is dropped either way
    const used = ssl.SSL_CTX_use_certificate(ctx, leaf);
    crypto.X509_free(leaf);
    if (used !== 1) throw new TlsConfigError(`cannot use the certificate (${ossl.lastError()})`);
    for (;;) {
      const extra = crypto.PEM_read_bio_X509(bio, null, null, null);
      if (extra === null) break;
      // SSL_CTX_add_extra_chain_cert takes ownership on success only
      if (ssl.SSL_CTX_ctrl(ctx, S.SSL_CTRL_EXTRA_CHAIN_CERT, 0n, extra) === 0n) {
        crypto.X509_free(extra);
        throw new TlsConfigError(`cannot use the chain (${ossl.lastError()})`);
      }
    }
    crypto.ERR_clear_error(); // the end of the chain reads as "no start line"
  });
  withBio(ossl, keyPem, (bio) => {
    const key = crypto.PEM_read_bio_PrivateKey(bio, null, null, null);
    if (key === null) {
      throw new TlsConfigError(`the key is not a PEM private key (${ossl.lastError()})`);
    }
    const used = ssl.SSL_CTX_use_PrivateKey(ctx, key);
    crypto.EVP_PKEY_free(key);
    if (used !== 1) {
      throw new TlsConfigError(`the key does not match the certificate (${ossl.lastError()})`);
    }
  });
  if (ssl.SSL_CTX_check_private_key(ctx) !== 1) {
    throw new TlsConfigError(`the key does not match the certificate (${ossl.lastError()})`);
  }
}
