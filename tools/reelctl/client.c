/* The admin API client over libcurl's easy interface. */
#include "client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "progress.h"
#include "reel_config.h"

#define ANSWER_MAX (64u << 20) /* larger answers are cut off: -EIO */

struct ctl_client {
	CURL *curl;
	struct ctl_creds cr;
	char errbuf[CURL_ERROR_SIZE];
};

/* Check that URL is http(s)://HOST[:PORT][/PREFIX] with no query or fragment. */
static int check_url(const char *url, const char *from, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
	int rc = -EINVAL;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] &&
	    curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_NO_QUERY &&
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_NO_FRAGMENT)
		rc = 0;
	else
		snprintf(err, errlen,
			 "%s: '%.200s' is not a URL such as http://127.0.0.1:8091 or "
			 "https://HOST:PORT",
			 from, url);
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

struct ctl_client *ctl_client_new(const struct ctl_creds *cr, bool *einval, char *err,
				  size_t errlen)
{
	struct ctl_client *c;
	size_t n;

	*einval = false;
	if (check_url(cr->url, cr->url_from, err, errlen) != 0) {
		*einval = true;
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->curl = curl_easy_init())) {
		snprintf(err, errlen, "cannot set up libcurl");
		free(c);
		return NULL;
	}
	c->cr = *cr;
	n = strlen(c->cr.url);
	while (n > 0 && c->cr.url[n - 1] == '/')
		c->cr.url[--n] = '\0';
	return c;
}

void ctl_client_free(struct ctl_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	explicit_bzero(c->cr.token, sizeof(c->cr.token));
	free(c);
}

const char *ctl_client_url(const struct ctl_client *c)
{
	return c->cr.url;
}

const char *ctl_client_token_from(const struct ctl_client *c)
{
	return c->cr.token_from;
}

bool ctl_client_has_token(const struct ctl_client *c)
{
	return c->cr.token[0] != '\0';
}

const char *ctl_client_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~", ch)) {
			if (o + 1 >= len)
				return NULL;
			buf[o++] = (char)ch;
		} else {
			if (o + 3 >= len)
				return NULL;
			buf[o++] = '%';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		}
	}
	if (o >= len)
		return NULL;
	buf[o] = '\0';
	return buf;
}

/* ---- one exchange ---- */

struct xfer {
	const struct ctl_body *body;
	size_t sent;
	struct buf answer;
	bool too_large;
	struct ctl_reply *r;
};

static size_t on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct ctl_body *b = x->body;
	size_t want = size * n, left;
	ssize_t got;

	if (!b)
		return 0;
	if (b->fd < 0) {
		left = b->len - x->sent;
		if (want > left)
			want = left;
		memcpy(dst, (const char *)b->mem + x->sent, want);
		x->sent += want;
		return want;
	}
	if ((got = read(b->fd, dst, want)) < 0)
		return CURL_READFUNC_ABORT;
	x->sent += (size_t)got;
	return (size_t)got;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	if (x->answer.len + size * n > ANSWER_MAX) {
		x->too_large = true;
		return 0;
	}
	return buf_append(&x->answer, p, size * n) == 0 ? size * n : 0;
}

/* The status line's reason and the Content-Type, from the last answer's head. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, i;

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);

		x->r->reason[0] = x->r->ctype[0] = '\0';
		if (sp && (sp = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - p)))) {
			size_t rl = strcspn(sp + 1, "\r\n");

			snprintf(x->r->reason, sizeof(x->r->reason), "%.*s", (int)rl, sp + 1);
		}
	} else if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
		const char *v = p + 13;

		v += strspn(v, " \t");
		for (i = 0; i + 1 < sizeof(x->r->ctype) && v < p + len && !strchr(";\r\n \t", *v);
		     i++, v++)
			x->r->ctype[i] = (char)tolower((unsigned char)*v);
		x->r->ctype[i] = '\0';
	}
	return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = arg;

	ctl_progress_set(x->body->progress, x->body->progress_base + (uint64_t)ulnow,
			 ctl_progress_now());
	return 0;
}

/* Append LINE to *H; false (and *H freed) when out of memory. */
static bool add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *next = curl_slist_append(*h, line);

	if (!next)
		curl_slist_free_all(*h);
	*h = next;
	return next != NULL;
}

static struct curl_slist *headers(const struct ctl_client *c, const struct ctl_body *body)
{
	struct curl_slist *h = NULL;
	char line[CTL_TOKEN_MAX + 32];
	bool ok = add_header(&h, "Accept: application/json") && add_header(&h, "Expect:");

	if (ok && body) {
		snprintf(line, sizeof(line), "Content-Type: %.100s", body->type);
		ok = add_header(&h, line);
	}
	if (ok && body && body->header)
		ok = add_header(&h, body->header);
	if (ok && c->cr.token[0]) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", c->cr.token);
		add_header(&h, line);
		explicit_bzero(line, sizeof(line));
	}
	return h;
}

static void setup(struct ctl_client *c, const char *method, const char *url,
		  const struct ctl_body *body, struct curl_slist *hdrs, struct xfer *x)
{
	CURL *k = c->curl;
	bool upload = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0 ||
		      strcmp(method, "PATCH") == 0;

	curl_easy_reset(k);
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(k, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(k, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "reelctl/" REEL_VERSION);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, x);
	if (c->cr.ca[0])
		curl_easy_setopt(k, CURLOPT_CAINFO, c->cr.ca);
	if (c->cr.insecure) {
		curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (upload) {
		curl_easy_setopt(k, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(k, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(k, CURLOPT_READDATA, x);
		curl_easy_setopt(k, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(!body	      ? 0
					      : body->fd >= 0 ? body->size
							      : body->len));
	}
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
	if (body && body->progress) {
		curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(k, CURLOPT_XFERINFODATA, x);
	}
}

/* Why no answer came, in one line. */
static void transport_error(const struct ctl_client *c, CURLcode rc, const struct xfer *x,
			    char *err, size_t errlen)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	if (x->too_large)
		snprintf(err, errlen, "%s: the answer is larger than %u MiB", c->cr.url,
			 ANSWER_MAX >> 20);
	else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		snprintf(err, errlen, "%s: %s (give the origin's CA with --ca FILE or ca =)",
			 c->cr.url, why);
	else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		snprintf(err, errlen, "cannot connect to %s (from %s): %s", c->cr.url,
			 c->cr.url_from, why);
	else
		snprintf(err, errlen, "%s: %s", c->cr.url, why);
}

static void parse_answer(struct xfer *x)
{
	struct ctl_reply *r = x->r;
	json_t *e;

	r->error = r->message = "";
	if (strcmp(r->ctype, "application/json") != 0 || x->answer.len == 0)
		return;
	r->json = json_loadb(x->answer.p, x->answer.len, JSON_REJECT_DUPLICATES, NULL);
	if (r->status >= 400 && json_is_object(r->json)) {
		if (json_is_string(e = json_object_get(r->json, "error")))
			r->error = json_string_value(e);
		if (json_is_string(e = json_object_get(r->json, "message")))
			r->message = json_string_value(e);
	}
}

int ctl_client_call(struct ctl_client *c, const char *method, const char *path,
		    const struct ctl_body *body, struct ctl_reply *r, char *err, size_t errlen)
{
	struct xfer x = {.body = body, .r = r};
	struct curl_slist *hdrs = NULL;
	struct buf url = {0};
	CURLcode rc;
	int ret = -EIO;

	memset(r, 0, sizeof(*r));
	r->error = r->message = "";
	c->errbuf[0] = '\0';
	if (buf_printf(&url, "%s%s", c->cr.url, path) != 0 || !(hdrs = headers(c, body))) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	setup(c, method, url.p, body, hdrs, &x);
	if ((rc = curl_easy_perform(c->curl)) != CURLE_OK) {
		transport_error(c, rc, &x, err, errlen);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	parse_answer(&x);
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	buf_free(&url);
	buf_free(&x.answer);
	return ret;
}

void ctl_reply_free(struct ctl_reply *r)
{
	json_decref(r->json);
	r->json = NULL;
}
