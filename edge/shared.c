/* The edge's shared memory (see shared.h). */
#include "shared.h"

#include <errno.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hex.h"

#define SHARED_MAGIC 0x53686172U /* "Shar" */

struct edge_shared *edge_shared_new(void)
{
	struct edge_shared *sh =
	    mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t rnd[8];
	char run_id[17];
	int rc;

	if (sh == MAP_FAILED)
		return NULL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		munmap(sh, sizeof(*sh));
		errno = EIO;
		return NULL;
	}
	hex_encode(rnd, sizeof(rnd), run_id);
	if ((rc = edge_cache_shared_init(&sh->cache, run_id)) != 0 ||
	    (rc = edge_inflight_init(&sh->inflight)) != 0) {
		munmap(sh, sizeof(*sh));
		errno = -rc;
		return NULL;
	}
	sh->magic = SHARED_MAGIC;
	return sh;
}

void edge_shared_free(struct edge_shared *sh)
{
	if (!sh)
		return;
	for (int i = 0; i < EDGE_WAKE_SLOTS; i++)
		close(sh->inflight.wake_fd[i]);
	sh->magic = 0;
	munmap(sh, sizeof(*sh));
}

void edge_shared_process_gone(struct edge_shared *sh, pid_t pid)
{
	edge_cache_shared_release(&sh->cache, pid);
	edge_inflight_process_gone(&sh->inflight, pid);
}
