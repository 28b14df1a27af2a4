/*
 * Viewing: what subscribers watch and what it suggests.  Resume points and
 * watch history from the positions players report with their lease
 * heartbeats; recommendations from co-watching (viewers who finished X also
 * finished Y); popularity (plays in a sliding window of days); and the
 * catalog's search ranked by it.
 *
 * History changes are kept in memory (pending.h) and saved once a tick in
 * one transaction, as leases are, so a position report costs no disk sync;
 * every read sees them.  A finish updates the co-watching counts at once in
 * that save: the viewer's finishes form a sequence, and each pair of titles
 * at most FANOUT apart in it counts once (a finish adds at most FANOUT
 * pairs, whatever the size of the viewer's history; removing an entry takes
 * its pairs away and joins its neighbours).  Similarity is the cosine over
 * viewers, count(X, Y) / sqrt(finishers(X) * finishers(Y)), so popular
 * titles do not drown the rest.
 *
 * Ownership: every output (OUT, *U, *S, KEY and the like) is the caller's
 * storage, written by the call; a call that allocates says so and who frees
 * what it returns.
 */
#ifndef ORIGIN_VIEWING_H
#define ORIGIN_VIEWING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"

struct store;
struct catalog;
struct playback;

#define VIEWING_PENDING_MAX 262144 /* unsaved history entries at most (a full store) */
#define VIEWING_SEEDS	    20	   /* latest finishes a recommendation starts from */

struct viewing_params {
	uint32_t window_days; /* popularity: plays of the last N days (1..31) */
	uint32_t fanout;      /* co-watching: a finish pairs with the viewer's N before it */
	int64_t half_life_s;  /* a finish this old weighs half in one's recommendations */
};

struct viewing;

/*
 * The viewing service over ST, CAT and PB (none owned; each must outlive
 * it) with P copied, its popularity counted as of NOW.  Returns 0 with *OUT
 * (free it with viewing_free()), or a negative errno.
 */
int viewing_new(struct store *st, struct catalog *cat, struct playback *pb,
		const struct viewing_params *p, int64_t now, struct viewing **out);

/* Free V (its unsaved changes are lost: viewing_save() first).  NULL is a no-op. */
void viewing_free(struct viewing *v);

/*
 * UID started playing TITLE at NOW (after playback_start()): *RESUME gets
 * where to start (0: the beginning), and the play counts for the title's
 * popularity once a day per viewer.  Returns 0, -ENOSPC (too many unsaved
 * changes: the store is failing) or a negative errno; *RESUME is 0 then.
 */
int viewing_started(struct viewing *v, const char *uid, const char *title, int64_t now,
		    double *resume);

/*
 * The heartbeat of UID's lease LEASE at NOW, with the player's POSITION in
 * seconds (NULL: none): the lease goes on until *EXPIRES and, with a
 * position, the title's history records it (viewing_report).  Returns 0,
 * -ENOENT (no such live lease of UID) or -ERANGE (POSITION negative, not
 * finite, or past the title's duration by more than WATCH_POSITION_SLACK:
 * *WHY says it), in which case nothing changed, or a negative errno.
 */
int viewing_heartbeat(struct viewing *v, const char *lease, const char *uid, const double *position,
		      int64_t now, int64_t *expires, struct origin_reason *why);

/*
 * End UID's lease LEASE at NOW, with the player's last POSITION (NULL:
 * none) recorded first, checked as viewing_heartbeat() checks it: the
 * position and the lease's end are kept together or not at all (a stop
 * and a last report cannot cross).  When the lease's title left the
 * catalog the lease ends and the position is dropped.  Returns 0, -ENOENT
 * (no such live lease of UID), -ERANGE (POSITION refused: *WHY says it),
 * in which case nothing changed, or a negative errno (the lease goes on).
 */
int viewing_stop(struct viewing *v, const char *lease, const char *uid, const double *position,
		 int64_t now, struct origin_reason *why);

/*
 * Record that UID's player of TITLE was at POSITION (0..the duration) at
 * NOW; the caller checked UID's lease.  0, -ENOENT (no such title), -ENOSPC
 * (too many unsaved changes), or a negative errno.
 */
int viewing_report(struct viewing *v, const char *uid, const char *title, double position,
		   int64_t now);

/*
 * UID's titles in progress (a resume point past 0, still in the catalog),
 * the most recently watched first, at most LIMIT: *OUT gets a new
 * {"titles": [{"title", "name", "position", "duration", "progress",
 * "last_watched"}]}.  0 or a negative errno.
 */
int viewing_continue(struct viewing *v, const char *uid, size_t limit, json_t **out);

/*
 * UID's history, the most recently watched first, skipping OFFSET and at
 * most LIMIT: *OUT gets a new {"history": [{"title", "name", "status",
 * "position", "duration", "progress", "watched", "first_watched",
 * "last_watched", "finished"}], "total": N}.  0 or a negative errno.
 */
int viewing_history(struct viewing *v, const char *uid, size_t offset, size_t limit, json_t **out);

/*
 * All of UID's history at NOW, as the user may take it away: *OUT gets a
 * new {"format": "reel-history-v1", "user", "exported", "history": [...]}
 * (entries as viewing_history's).  0 or a negative errno.
 */
int viewing_export(struct viewing *v, const char *uid, int64_t now, json_t **out);

/*
 * Remove UID's history entry for TITLE, and with it everything it added:
 * its co-watching pairs, its finish, its plays still in the window.  Saves
 * the unsaved changes first, in the same transaction.  0, -ENOENT (no such
 * entry), or a negative errno.
 */
int viewing_forget(struct viewing *v, const char *uid, const char *title);

/*
 * Up to LIMIT titles for UID at NOW, best first: *OUT gets a new
 * {"recommendations": [{"title", "name", "duration", "reason", "why", ...}]}
 * where reason is "co_watched" (with "because": {"title", "name"}, the
 * finished title that weighs most for it, and "score"), "language" (with
 * "because" and "language": titles in the language of a recent finish that
 * co-watching could not fill, the newest titles no one finished among
 * them) or "popular" (with "plays"); titles UID has in the history are left
 * out.  0 or a negative errno.
 */
int viewing_recommend(struct viewing *v, const char *uid, size_t limit, int64_t now, json_t **out);

/*
 * The most played titles of the window, at most LIMIT, with audio in LANG
 * when not NULL (a canonical tag): *OUT gets a new {"titles": [{"title",
 * "name", "duration", "plays"}], "window_days": N}.  0 or a negative errno.
 */
int viewing_popular(struct viewing *v, const char *lang, size_t limit, json_t **out);

/*
 * TITLE's plays in the popularity window (viewers who played it, once a
 * day each), as last counted: at start and once a minute, from the store,
 * so the count survives a restart.
 */
uint32_t viewing_plays(const struct viewing *v, const char *title);

/*
 * The titles matching QUERY (any text: it is folded, common/fold.h), with
 * audio or subtitles in LANG when not NULL (a canonical tag), best first:
 * the whole name, then names that begin with it, then every word in the
 * name, then in the name or description (the last word as a prefix), each
 * group the most played first; at most LIMIT.  *OUT gets a new {"query":
 * the folded query, "results": [{"title", "name", "duration", "match",
 * "plays"}]}.  0 or a negative errno.
 */
int viewing_search(struct viewing *v, const char *query, const char *lang, size_t limit,
		   json_t **out);

/*
 * Once a tick at NOW: save the unsaved changes (one transaction), and once
 * a minute count the popularity window again (dropping the days before
 * it).  0 or a negative errno (the changes stay for the next tick).
 */
int viewing_tick(struct viewing *v, int64_t now);

/* Save the unsaved changes (at shutdown).  0 or a negative errno. */
int viewing_save(struct viewing *v);

/* Unsaved history entries now. */
size_t viewing_unsaved(const struct viewing *v);

#endif
