/*
 * libcurl's multi interface driven by a libevent loop: libcurl says which
 * sockets it waits on (CURLMOPT_SOCKETFUNCTION) and when it wants a timeout
 * (CURLMOPT_TIMERFUNCTION); the loop calls curl_multi_socket_action when
 * they fire, then hands every finished transfer to the owner's DONE
 * callback.  The owner adds and removes its easy handles on the multi
 * handle itself (curl_loop_multi) and sets any other multi option.
 *
 * Ownership: every output is the caller's storage; a call that allocates
 * says so and who frees what it returns.
 */
#ifndef REEL_CURL_LOOP_H
#define REEL_CURL_LOOP_H

#include <curl/curl.h>
#include <event2/event.h>

struct curl_loop;

/* A transfer ended: EASY with RESULT; it is still in the multi handle. */
typedef void (*curl_loop_done_fn)(void *arg, CURL *easy, CURLcode result);

/*
 * A multi handle on BASE calling DONE with ARG for each finished transfer.
 * The caller frees it with curl_loop_free(); NULL with errno set.
 */
struct curl_loop *curl_loop_new(struct event_base *base, curl_loop_done_fn done, void *arg);

/* Free L and its multi handle (remove the easy handles first).  NULL does nothing. */
void curl_loop_free(struct curl_loop *l);

/* L's multi handle (L's: for curl_multi_add_handle and options). */
CURLM *curl_loop_multi(const struct curl_loop *l);

#endif
