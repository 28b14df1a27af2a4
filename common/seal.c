/*
 * Secrets at rest: AES-256-GCM blobs with a version byte and a random nonce
 * under a master key (OpenSSL 3 EVP), and the master key's hex file format.
 */
#include "seal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "hex.h"

/*
 * One AES-256-GCM pass (ENC 1 seals, 0 opens) over IN (LEN bytes) into OUT,
 * authenticating AAD; the tag is written to, or checked against, TAG.
 * 0, -EBADMSG (opening: the tag does not match), -ENOMEM, -EIO.
 */
static int gcm(int enc, const uint8_t key[SEAL_KEY_LEN], const uint8_t nonce[SEAL_NONCE_LEN],
	       const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
	       uint8_t tag[SEAL_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t fin[SEAL_TAG_LEN];
	int n, rc = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		goto end;
	if (aadlen && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto end;
	if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto end;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEAL_TAG_LEN, tag) != 1)
		goto end;
	if (EVP_CipherFinal_ex(ctx, fin, &n) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto end;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEAL_TAG_LEN, tag) != 1)
		goto end;
	rc = 0;
end:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int seal_encrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const void *pt,
		 size_t ptlen, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t *nonce, *ct;
	int rc;

	*outlen = 0;
	if (ptlen > SEAL_DATA_MAX || aadlen > SEAL_DATA_MAX)
		return -EINVAL;
	if (cap < ptlen + SEAL_OVERHEAD)
		return -ENOSPC;
	out[0] = SEAL_VERSION;
	nonce = out + 1;
	ct = nonce + SEAL_NONCE_LEN;
	if (RAND_bytes(nonce, SEAL_NONCE_LEN) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	rc = gcm(1, key, nonce, aad, aadlen, pt, ptlen, ct, ct + ptlen);
	if (rc < 0) {
		OPENSSL_cleanse(out, ptlen + SEAL_OVERHEAD);
		return rc;
	}
	*outlen = ptlen + SEAL_OVERHEAD;
	return 0;
}

int seal_decrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const void *in,
		 size_t inlen, uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *blob = in;
	uint8_t tag[SEAL_TAG_LEN];
	size_t ptlen;
	int rc;

	*outlen = 0;
	if (inlen > SEAL_DATA_MAX + SEAL_OVERHEAD || aadlen > SEAL_DATA_MAX)
		return -EINVAL;
	if (inlen < SEAL_OVERHEAD || blob[0] != SEAL_VERSION)
		return -EBADMSG;
	ptlen = inlen - SEAL_OVERHEAD;
	if (cap < ptlen)
		return -ENOSPC;
	memcpy(tag, blob + inlen - SEAL_TAG_LEN, SEAL_TAG_LEN);
	rc = gcm(0, key, blob + 1, aad, aadlen, blob + 1 + SEAL_NONCE_LEN, ptlen, out, tag);
	if (rc < 0) {
		if (ptlen)
			OPENSSL_cleanse(out, ptlen);
		return rc;
	}
	*outlen = ptlen;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int seal_key_parse(const char *text, size_t len, uint8_t key[SEAL_KEY_LEN])
{
	while (len && is_blank(text[0])) {
		text++;
		len--;
	}
	while (len && is_blank(text[len - 1]))
		len--;
	if (hex_decode(text, len, key, SEAL_KEY_LEN) == 0)
		return 0;
	OPENSSL_cleanse(key, SEAL_KEY_LEN);
	return -EINVAL;
}
