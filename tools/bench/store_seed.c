/*
 * store_seed: fill a reel-edge cache store with many small objects through
 * the store's own code (edge/cache.c), for store_bench.py.
 *
 *   store_seed ROOT INDEX TITLES OBJECTS SIZE
 *
 * writes TITLES titles of OBJECTS objects of SIZE bytes each
 * (<root>/t<i>/o<j>.ts), every one placed and indexed as a pull would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cache.h"

int main(int argc, char **argv)
{
	struct edge_cache_shared *sh;
	struct edge_cache_config cfg = {0};
	struct edge_cache *c = NULL;
	char err[512], *data;
	long titles, objects, size;

	if (argc != 6) {
		fprintf(stderr, "usage: store_seed ROOT INDEX TITLES OBJECTS SIZE\n");
		return 2;
	}
	titles = atol(argv[3]);
	objects = atol(argv[4]);
	size = atol(argv[5]);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || edge_cache_shared_init(sh, "5eed5eed5eed5eed") != 0 ||
	    !(data = calloc(1, (size_t)size ? (size_t)size : 1)))
		return 1;
	cfg = (struct edge_cache_config){
	    .root = argv[1], .index_dir = argv[2], .map_size = 1ULL << 30, .shared = sh};
	if (edge_cache_open(&cfg, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_seed: %s\n", err);
		return 1;
	}
	for (long t = 0; t < titles; t++) {
		for (long o = 0; o < objects; o++) {
			char key[64], title[24];
			struct edge_tmp *tmp;
			struct edge_object rec = {.origin = EDGE_ORIGIN_PULL,
						  .size = (uint64_t)size};
			int rc;

			snprintf(title, sizeof(title), "t%04ld", t);
			snprintf(key, sizeof(key), "%s/o%05ld.ts", title, o);
			memcpy(data, key, strlen(key) < (size_t)size ? strlen(key) : (size_t)size);
			rec.stored = rec.last_hit = edge_record_time() - 60000; /* a minute ago */
			rec.mtime = rec.stored / 1000;
			if ((rc = edge_cache_tmp_open(c, title, (uint64_t)size, &tmp)) != 0 ||
			    (rc = edge_cache_tmp_write(c, tmp, data, (size_t)size)) != 0) {
				fprintf(stderr, "store_seed: %s: %s\n", key, strerror(-rc));
				return 1;
			}
			edge_cache_tmp_digest(tmp, rec.sha256);
			edge_etag_for(rec.sha256, rec.etag);
			if ((rc = edge_cache_tmp_commit(c, tmp, key, &rec, NULL, EDGE_SYNC_NONE,
							NULL)) != 0) {
				fprintf(stderr, "store_seed: %s: %s\n", key, strerror(-rc));
				return 1;
			}
		}
	}
	edge_index_sync(edge_cache_index(c));
	edge_cache_free(c);
	return 0;
}
