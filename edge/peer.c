/*
 * Peer fill's copies (peer.h): the order's parser, and one GET per copy on
 * libcurl's multi interface (curl_loop.h) on the worker's loop.
 */
#include "peer.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_loop.h"
#include "hex.h"
#include "httpsig.h"

#define PEERS_MAGIC	0x50656572U /* "Peer" */
#define COPY_CONNECT_MS 5000L
#define COPY_IDLE_S	30L /* a copy ends when nothing came for this long */

struct copy {
	struct edge_peers *p;
	CURL *easy;
	struct curl_slist *hdr;
	const struct edge_peer_ops *ops;
	void *arg;
	uint64_t size, got;
	int error; /* on_data's, or -EPROTO for a wrong status or length */
	struct copy *prev, *next;
};

struct edge_peers {
	uint32_t magic;
	struct curl_loop *loop;
	struct copy *copies;
};

/* ---- the order ------------------------------------------------------------------ */

/* A string member of J that fits CAP - 1 bytes of printable ASCII into OUT. */
static int printable(json_t *j, const char *name, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(j, name));
	size_t n = s ? strlen(s) : 0;

	if (!s || n == 0 || n >= cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return -EINVAL;
	memcpy(out, s, n + 1);
	return 0;
}

int edge_peer_order_parse(const char *body, size_t len, struct edge_peer_order *o)
{
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *size = json_object_get(j, "size");
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	size_t n, scheme;
	int rc = -EINVAL;

	memset(o, 0, sizeof(*o));
	if (!json_is_object(j) || !json_is_integer(size) || json_integer_value(size) < 0 || !sha ||
	    hex_decode(sha, strlen(sha), o->sha256, 32) != 0 ||
	    printable(j, "peer", o->peer, sizeof(o->peer)) != 0 ||
	    printable(j, "signature_input", o->sig_input, sizeof(o->sig_input)) != 0 ||
	    printable(j, "signature", o->sig, sizeof(o->sig)) != 0)
		goto out;
	if (strncmp(o->peer, "http://", 7) == 0)
		scheme = 7;
	else if (strncmp(o->peer, "https://", 8) == 0)
		scheme = 8;
	else
		goto out;
	n = strlen(o->peer);
	while (n > scheme && o->peer[n - 1] == '/')
		o->peer[--n] = '\0';
	if (n == scheme || strpbrk(o->peer, " ?#"))
		goto out;
	o->size = (uint64_t)json_integer_value(size);
	rc = 0;
out:
	json_decref(j);
	if (rc != 0)
		memset(o, 0, sizeof(*o));
	return rc;
}

/* ---- copies ------------------------------------------------------------------------- */

static void copy_free(struct copy *c)
{
	struct edge_peers *p = c->p;

	curl_multi_remove_handle(curl_loop_multi(p->loop), c->easy);
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdr);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->copies = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* C ends with RESULT: tell the owner, then forget it. */
static void copy_end(struct copy *c, int result)
{
	const struct edge_peer_ops *ops = c->ops;
	void *arg = c->arg;
	long status = 0;

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	copy_free(c);
	ops->on_done(arg, result, status);
}

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct copy *c = arg;
	long status = 0;

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 || c->got + n > c->size) {
		c->error = status == 404 ? -ENOENT : -EPROTO;
		return 0;
	}
	if ((c->error = c->ops->on_data(c->arg, ptr, n)) != 0)
		return 0;
	c->got += n;
	return n;
}

static int result_of(const struct copy *c, CURLcode code, long status)
{
	if (c->error)
		return c->error;
	switch (code) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	default:
		return -EPROTO;
	}
	if (status == 404)
		return -ENOENT;
	return status == 200 && c->got == c->size ? 0 : -EPROTO;
}

static void copy_done(void *arg, CURL *easy, CURLcode code)
{
	struct edge_peers *p = arg;
	struct copy *c = NULL;
	long status = 0;

	if (p->magic != PEERS_MAGIC)
		abort();
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
	if (!c)
		return;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	copy_end(c, result_of(c, code, status));
}

struct edge_peers *edge_peers_new(struct event_base *base)
{
	struct edge_peers *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->magic = PEERS_MAGIC;
	if (!(p->loop = curl_loop_new(base, copy_done, p))) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void edge_peers_free(struct edge_peers *p)
{
	if (!p)
		return;
	while (p->copies)
		copy_end(p->copies, -ECANCELED);
	curl_loop_free(p->loop);
	p->magic = 0;
	free(p);
}

/* The request's header lines: the empty body's digest and the origin's signature. */
static struct curl_slist *copy_headers(const struct edge_peer_order *o)
{
	char line[EDGE_PEER_SIG_MAX + 32];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Digest: " HTTPSIG_EMPTY_DIGEST), *t;

	snprintf(line, sizeof(line), "Signature-Input: %s", o->sig_input);
	if (!h || !(t = curl_slist_append(h, line)))
		goto fail;
	snprintf(line, sizeof(line), "Signature: %s", o->sig);
	if (!(t = curl_slist_append(h, line)))
		goto fail;
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

int edge_peers_copy(struct edge_peers *p, const struct edge_peer_order *o, const char *path,
		    const struct edge_peer_ops *ops, void *arg)
{
	struct copy *c = calloc(1, sizeof(*c));
	char url[EDGE_PEER_URL_MAX + 1200];
	CURL *e;

	if (!c)
		return -ENOMEM;
	*c = (struct copy){.p = p, .ops = ops, .arg = arg, .size = o->size};
	snprintf(url, sizeof(url), "%s%s", o->peer, path);
	if (!(e = c->easy = curl_easy_init()) || !(c->hdr = copy_headers(o))) {
		curl_easy_cleanup(c->easy);
		free(c);
		return -ENOMEM;
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdr);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, COPY_CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, COPY_IDLE_S);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "reel-edge");
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 262144L);
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_multi_add_handle(curl_loop_multi(p->loop), e) != CURLM_OK) {
		curl_slist_free_all(c->hdr);
		curl_easy_cleanup(e);
		free(c);
		return -EINVAL;
	}
	c->next = p->copies;
	if (p->copies)
		p->copies->prev = c;
	p->copies = c;
	return 0;
}
