/* The master's part of the cache store (see master_store.h). */
#include "master_store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "index.h"
#include "token_keyring.h"
#include "log.h"
#include "manager.h"

static int read_secret(const char *path, struct edge_store_keys *k, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, k->secret, sizeof(k->secret));
	close(fd);
	while (n > 0 && isspace(k->secret[n - 1]))
		n--;
	if (n < EDGE_SECRET_MIN || n >= (ssize_t)sizeof(k->secret)) {
		snprintf(err, errlen, "%s: a secret is %d to %d bytes", path, EDGE_SECRET_MIN,
			 EDGE_SECRET_MAX - 1);
		return -1;
	}
	k->secret_len = (size_t)n;
	return 0;
}

int edge_store_keys_load(const struct edge_config *cfg, struct edge_store_keys *k, char *err,
			 size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (cfg->control_keys[0] &&
	    edge_token_keyring_load(cfg->control_keys, &k->control, err, errlen) != 0)
		return -1;
	if (cfg->secret_file[0] && read_secret(cfg->secret_file, k, err, errlen) != 0) {
		edge_store_keys_free(k);
		return -1;
	}
	return 0;
}

void edge_store_keys_free(struct edge_store_keys *k)
{
	paseto_keyring_free(k->control);
	memset(k, 0, sizeof(*k));
}

struct edge_store_ctx edge_store_ctx(const struct edge_store_keys *k, struct edge_shared *sh,
				     int wake_slot)
{
	return (struct edge_store_ctx){sh, wake_slot, k->control, k->secret_len ? k->secret : NULL,
				       k->secret_len};
}

int edge_store_check(const struct edge_config *cfg, char *err, size_t errlen)
{
	struct edge_index *ix = NULL;
	char boot[EDGE_BOOT_ID_MAX];
	uint64_t from, to;
	int rc;

	if (!cfg->store)
		return 0;
	if (edge_index_open(cfg->store_index, cfg->store_map_size, &ix, err, errlen) != 0)
		return -1;
	/* before any worker serves: what a system crash may have lost is not served */
	edge_boot_id(boot);
	if ((rc = edge_index_sync_boot(ix, boot, &from, &to)) != 0) {
		snprintf(err, errlen, "%s: %s", cfg->store_index, strerror(-rc));
		edge_index_free(ix);
		return -1;
	}
	if (from)
		log_info("store: the system restarted before generations %llu to %llu were "
			 "durable: their objects are re-checked before they are served",
			 (unsigned long long)from, (unsigned long long)to);
	edge_index_free(ix);
	return 0;
}

pid_t edge_store_manager_spawn(const struct edge_config *cfg, struct edge_shared *sh,
			       void (*child_setup)(void))
{
	struct edge_cache_config cc = {
	    .root = cfg->root,
	    .index_dir = cfg->store_index,
	    .map_size = cfg->store_map_size,
	    .max_size = cfg->store_max_size,
	    .min_free = cfg->store_min_free,
	    .sync_each = cfg->store_sync_each,
	    .sync_interval_ms = cfg->store_sync_interval_ms,
	    .shared = &sh->cache,
	};
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork (store manager)");
		return -1;
	}
	if (pid > 0)
		return pid;
	child_setup();
	exit(edge_manager_run(&cc));
}
