/* hetzner_int.h: what the files of the Hetzner provider share
 * (cloud_hetzner.c: the connection, reads, deletes and the catalog;
 * cloud_hetzner_create.c: creates and their actions). Not for other
 * files: they go through cloud.h. */
#ifndef PP_HETZNER_INT_H
#define PP_HETZNER_INT_H

#include <json-c/json.h>

#include "base/http.h"
#include "cloud/cloud.h"

/* Polls start at cloud.poll_interval and grow by half each time up to
 * this: a boot or action that takes long must not cost a request a
 * second of the shared hourly budget. */
#define POLL_MAX 10.0

static inline double
pp_hz_next_poll(double d, double first)
{
	d *= 1.5;
	if (d > POLL_MAX)
		d = POLL_MAX > first ? POLL_MAX : first;
	return d;
}

struct hz {
	struct pp_cloud *c;
	struct pp_http_client http;
	double poll_interval;
	double action_timeout;
	int ambiguous;        /* a create attempt may have taken effect */
	int skew_warned;      /* the clock warning was given */
};

/* One API call; *out gets the parsed answer (NULL for an empty one). */
int pp_hz_api(struct hz *h, const char *method, const char *path,
	const char *body, int idempotent, int (*check)(void *), void *arg,
	json_object **out, int *resolved, struct pp_cloud_error *err);
/* The "id" of an object of the API's answer into *id: 0, or -1 with
 * err (bad_answer) when it is missing, not an integer, beyond 64 bits
 * (json-c keeps such a one as the nearest end of int64, silently) or
 * below 1. The API's ids are int64 (hcloud-go: ID int64), and a wrong
 * one could name another server to delete. what: "a server". */
int pp_hz_id(json_object *o, const char *what, long long *id,
	struct pp_cloud_error *err);
/* Puts "METHOD PATH: " before err's message. */
void pp_hz_where(struct pp_cloud_error *err, const char *method,
	const char *path);
/* 0, or -1 with err (bad_answer) when its id is not a server id. */
int pp_hz_parse_server(json_object *o, struct pp_server *s,
	struct pp_cloud_error *err);
/* GETs every page of a collection; calls each() on every item, and
 * fails with the first each() that fails (-1 with err). */
int pp_hz_get_pages(struct hz *h, const char *path, const char *key,
	int (*each)(json_object *, void *, struct pp_cloud_error *),
	void *arg, struct pp_cloud_error *err);
/* each() for pp_hz_get_pages: appends a server to a pp_server_list. */
int pp_hz_add_server(json_object *o, void *arg, struct pp_cloud_error *err);
void pp_hz_sync_counters(struct hz *h);

/* cloud_hetzner_create.c */
/* 0 the action succeeded, -1 failed or unknown (err), 1 (without
 * per_request) still running when the caller's deadline came (err). */
int pp_hz_wait_action(struct hz *h, json_object *action, const char *what,
	int per_request, struct pp_cloud_error *err);
int pp_hz_create(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_error *err);
int pp_hz_create_start(struct pp_cloud *c, const struct pp_server_spec *spec,
	struct pp_server *out, struct pp_cloud_pending *pend,
	struct pp_cloud_error *err);
void pp_hz_wait_actions(struct pp_cloud *c, struct pp_cloud_pending *v,
	size_t n, double timeout);

#endif
