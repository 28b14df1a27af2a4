/* libcurl's multi interface on a libevent loop (curl_loop.h). */
#include "curl_loop.h"

#include <errno.h>
#include <stdlib.h>

#define CURL_LOOP_MAGIC 0x434c6f70U /* "CLop" */

struct curl_loop {
	uint32_t magic;
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	curl_loop_done_fn done;
	void *arg;
};

static void finished(struct curl_loop *l)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(l->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			l->done(l->arg, msg->easy_handle, msg->data.result);
}

static void event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_loop *l = arg;
	int running, flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
			     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	if (l->magic != CURL_LOOP_MAGIC)
		abort();
	curl_multi_socket_action(l->multi, fd, flags, &running);
	finished(l);
}

static void timer_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_loop *l = arg;
	int running;

	if (l->magic != CURL_LOOP_MAGIC)
		abort();
	curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finished(l);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curl_loop *l = userp;
	struct event *ev = socketp;
	short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
			     (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);

	if (what == CURL_POLL_REMOVE) {
		if (ev) {
			event_free(ev);
			curl_multi_assign(l->multi, s, NULL);
		}
		return 0;
	}
	if (ev) {
		event_del(ev);
		event_assign(ev, l->base, s, kind, event_cb, l);
	} else {
		if (!(ev = event_new(l->base, s, kind, event_cb, l)))
			return -1;
		curl_multi_assign(l->multi, s, ev);
	}
	return event_add(ev, NULL);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_loop *l = userp;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(l->timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(l->timer, &tv);
}

struct curl_loop *curl_loop_new(struct event_base *base, curl_loop_done_fn done, void *arg)
{
	struct curl_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->magic = CURL_LOOP_MAGIC;
	l->base = base;
	l->done = done;
	l->arg = arg;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(l->multi = curl_multi_init()) ||
	    !(l->timer = evtimer_new(base, timer_event_cb, l))) {
		curl_loop_free(l);
		errno = EIO;
		return NULL;
	}
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	return l;
}

void curl_loop_free(struct curl_loop *l)
{
	if (!l)
		return;
	if (l->multi)
		curl_multi_cleanup(l->multi);
	if (l->timer)
		event_free(l->timer);
	l->magic = 0;
	free(l);
}

CURLM *curl_loop_multi(const struct curl_loop *l)
{
	return l->multi;
}
