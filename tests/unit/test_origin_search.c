/*
 * The catalog's search index (origin/catalog/search_index.c) over a real
 * LMDB store: folded words and prefixes, whole names, descriptions,
 * language filters with ISO 639-2 aliases, updates and removals, and the
 * rebuild of a store from before the index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "fold.h"
#include "schema.h"
#include "store.h"
#include "test.h"

static char dir[64];
static const uint8_t master[32];

/* Register ID from a minimal manifest named NAME with DESC (may be NULL) and audio in LANG. */
static void add(struct catalog *c, const char *id, const char *name, const char *desc,
		const char *lang)
{
	char body[1024];
	struct title_meta meta = {name, desc};
	json_t *rec = NULL;
	bool created;

	snprintf(body, sizeof(body),
		 "{\"manifest_version\":1,\"duration\":60,\"container\":\"fmp4\","
		 "\"segment_target\":2,\"video\":[],\"audio\":[{\"language\":\"%s\","
		 "\"channels\":2}],\"audio_languages\":[\"%s\"],\"subtitle_languages\":[\"de\"]}",
		 lang, lang);
	CHECK_INT(catalog_record(body, strlen(body), id, &meta, 1700000000, &rec, NULL), 0);
	CHECK_INT(catalog_save(c, rec, &created), 0);
	json_decref(rec);
}

struct found {
	char text[512];
};

static int collect(void *arg, const char *id, enum catalog_match m)
{
	struct found *f = arg;
	char item[96];

	snprintf(item, sizeof(item), "%s:%d ", id, (int)m);
	strcat(f->text, item);
	return 0;
}

/* The matches of QUERY (folded here) with LANG, sorted, as "id:match id:match ". */
static const char *search(struct catalog *c, struct store *st, const char *query, const char *lang)
{
	static struct found f;
	char *items[32], sorted[512] = "", *p;
	size_t n = 0;
	char phrase[256];
	struct store_txn *t;

	f.text[0] = '\0';
	fold_phrase(query, strlen(query), phrase, sizeof(phrase));
	if (store_begin(st, false, &t) != 0)
		return "error";
	if (catalog_search_in(c, t, phrase, lang, collect, &f) != 0)
		strcpy(f.text, "error ");
	store_abort(t);
	for (p = strtok(f.text, " "); p && n < 32; p = strtok(NULL, " "))
		items[n++] = p;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(items[j], items[i]) < 0) {
				char *x = items[i];
				items[i] = items[j];
				items[j] = x;
			}
	for (size_t i = 0; i < n; i++) {
		strcat(sorted, items[i]);
		strcat(sorted, " ");
	}
	strcpy(f.text, sorted);
	return f.text;
}

int main(void)
{
	char tmpl[] = "/tmp/reel-search-XXXXXX", cmd[128], err[256];
	struct store *st = NULL;
	struct store_txn *t;
	struct catalog *c;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s/data", tmpl);
	CHECK_INT(
	    store_open(&st, dir, 16 << 20, origin_db_names, ORIGIN_DB_COUNT, err, sizeof(err)), 0);
	CHECK((c = catalog_new(st, master)) != NULL);
	add(c, "cafe", "Caf\xc3\xa9 de Flore", "A night in Paris", "fre");
	add(c, "paris", "Paris, je t'aime", "Stories of a caf\xc3\xa9 and a city", "fr");
	add(c, "flor", "Florence", NULL, "it");
	add(c, "caff", "Caffeine", "Espresso", "eng");

	CHECK_STR(search(c, st, "cafe", NULL), "cafe:1 paris:3 "); /* its name begins so */
	CHECK_STR(search(c, st, "caf", NULL), "cafe:1 caff:1 paris:3 ");
	CHECK_STR(search(c, st, "CAF\xc3\x89", NULL), "cafe:1 paris:3 ");
	CHECK_STR(search(c, st, "caf\xc3\xa9 de flore", NULL), "cafe:0 ");
	CHECK_STR(search(c, st, "cafe de fl", NULL), "cafe:1 ");
	CHECK_STR(search(c, st, "flore", NULL), "cafe:2 flor:1 ");
	CHECK_STR(search(c, st, "de flore", NULL), "cafe:2 ");
	CHECK_STR(search(c, st, "night paris", NULL), "cafe:3 ");
	CHECK_STR(search(c, st, "espresso", NULL), "caff:3 ");
	CHECK_STR(search(c, st, "nothing", NULL), "");
	CHECK_STR(search(c, st, "", NULL), "");
	CHECK_STR(search(c, st, "caf", "fr"), "cafe:1 paris:3 "); /* "fre" was indexed as "fr" */
	CHECK_STR(search(c, st, "caf", "en"), "caff:1 ");
	CHECK_STR(search(c, st, "caf", "de"), "cafe:1 caff:1 paris:3 "); /* subtitles count */

	/* an update re-indexes; a removal unindexes */
	add(c, "caff", "Decaf", NULL, "en");
	CHECK_STR(search(c, st, "caf", NULL), "cafe:1 paris:3 ");
	CHECK_STR(search(c, st, "decaf", NULL), "caff:0 ");
	CHECK_INT(catalog_remove(c, "cafe"), 0);
	CHECK_STR(search(c, st, "caf", NULL), "paris:3 ");
	CHECK_STR(search(c, st, "flore", NULL), "flor:1 ");
	catalog_free(c);

	/* a store from before the index (no format key) is indexed at start */
	CHECK_INT(store_begin(st, true, &t), 0);
	CHECK_INT(store_del(t, ORIGIN_DB_TERMS, "v", 1), 0);
	CHECK_INT(store_put(t, ORIGIN_DB_TERMS, "wstale\0paris", 12, "\1", 1, false), 0);
	CHECK_INT(store_commit(t), 0);
	CHECK((c = catalog_new(st, master)) != NULL);
	CHECK_STR(search(c, st, "stale", NULL), "");
	CHECK_STR(search(c, st, "je t", NULL), "paris:2 ");
	catalog_free(c);
	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
