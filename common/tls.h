/*
 * TLS server contexts: TLS 1.2 and 1.3 only, AEAD ciphers, no renegotiation,
 * released idle buffers, ALPN "http/1.1", and kernel TLS when asked for.
 */
#ifndef REEL_TLS_H
#define REEL_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Build a server context from the PEM files CERT (chain) and KEY, with the
 * TLS 1.2 cipher list CIPHERS (OpenSSL syntax, NULL for the default) and
 * SSL_OP_ENABLE_KTLS when KTLS.  Returns a new context (the caller frees it
 * with SSL_CTX_free(); servers using it hold no reference of their own), or
 * NULL with a message naming the file and the problem in ERR.
 */
SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *ciphers, bool ktls,
			char *err, size_t errlen);

/*
 * Does the kernel offer the "tls" upper-layer protocol, so kTLS can work?
 * Attaches it to a loopback TCP connection made for the purpose (which also
 * loads the kernel module when it is available but not loaded).
 */
bool tls_kernel_has_ktls(void);

#endif
