/*
 * HLS AES-128 (RFC 8216 5.2): every media segment file of the video and audio
 * renditions is encrypted whole with AES-128-CBC and PKCS7 padding, in place,
 * after it is final.  The IV is the media sequence number (the default), one
 * fixed IV, or a fresh random IV per segment.  The key stays in memory: it is
 * never written into the package; playlists carry only its URI.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	*buf = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto end;
	}
	if (!(*buf = malloc((size_t)st.st_size + 32))) {
		ret = -ENOMEM;
		goto end;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, *buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto end;
		}
		off += (size_t)n;
	}
	*len = off;
end:
	close(fd);
	if (ret < 0) {
		free(*buf);
		*buf = NULL;
	}
	return ret;
}

/* Encrypt LEN bytes of IN into OUT (LEN + 16 bytes of room); returns the new length or -EIO. */
static int64_t aes128_cbc(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
			  size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv) &&
	     EVP_EncryptUpdate(ctx, out, &n1, in, (int)len) &&
	     EVP_EncryptFinal_ex(ctx, out + n1, &n2);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? (int64_t)n1 + n2 : -EIO;
}

void tc_iv_for(const struct transcoder_options *o, size_t seq, uint8_t iv[16])
{
	int i;

	if (o->iv_mode == TRANSCODER_IV_FIXED) {
		memcpy(iv, o->iv, 16);
		return;
	}
	memset(iv, 0, 16);
	for (i = 15; i >= 8; i--, seq >>= 8)
		iv[i] = (uint8_t)(seq & 0xff);
}

int tc_encrypt_file(const struct transcoder_options *o, const char *path, size_t seq,
		    uint8_t iv_out[16], int64_t *size)
{
	uint8_t *in = NULL, *out = NULL;
	size_t len = 0;
	int64_t n;
	int ret;

	if (o->iv_mode == TRANSCODER_IV_RANDOM) {
		if (RAND_bytes(iv_out, 16) != 1)
			return -EIO;
	} else {
		tc_iv_for(o, seq, iv_out);
	}
	if ((ret = read_all(path, &in, &len)) < 0)
		return ret;
	if (len > INT32_MAX - 32 || !(out = malloc(len + 32))) {
		ret = -ENOMEM;
		goto end;
	}
	n = aes128_cbc(o->key, iv_out, in, len, out);
	if (n < 0) {
		ret = (int)n;
		goto end;
	}
	ret = tc_write_file(path, out, (size_t)n);
	*size = n;
end:
	free(in);
	free(out);
	return ret;
}
