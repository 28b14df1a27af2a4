/* JSON records in the store's tables (records.h). */
#include "records.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int records_put(struct store_txn *t, unsigned db, const void *key, size_t klen, json_t *obj,
		bool nooverwrite)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	int rc = text ? store_put(t, db, key, klen, text, strlen(text), nooverwrite) : -ENOMEM;

	free(text);
	json_decref(obj);
	return rc;
}

int records_get(struct store_txn *t, unsigned db, const void *key, size_t klen, json_t **out)
{
	const void *v;
	size_t vlen;
	int rc = store_get(t, db, key, klen, &v, &vlen);

	*out = NULL;
	if (rc != 0)
		return rc;
	*out = json_loadb(v, vlen, 0, NULL);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

struct scan {
	int (*fn)(void *arg, const void *key, size_t klen, json_t *obj);
	void *arg;
};

static int decode_one(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct scan *s = arg;
	json_t *obj = json_loadb(val, vlen, 0, NULL);
	int rc = s->fn(s->arg, key, klen, obj);

	json_decref(obj);
	return rc;
}

int records_scan(struct store_txn *t, unsigned db, const void *prefix, size_t plen,
		 int (*fn)(void *arg, const void *key, size_t klen, json_t *obj), void *arg)
{
	struct scan s = {fn, arg};

	return store_scan(t, db, prefix, plen, decode_one, &s);
}
