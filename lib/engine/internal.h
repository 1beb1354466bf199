/* internal.h: what the engine's own files share and nothing else
 * includes (engine.c, ctx.c, placement.c) */
#ifndef PP_ENGINE_INTERNAL_H
#define PP_ENGINE_INTERNAL_H

#include <stddef.h>
#include <json-c/json.h>

#include "engine/engine.h"

/* snprintf that accepts truncation: reasons are for people, and a
 * long node id must not fail the cycle. */
void pp_say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Picks the node to remove for the policy's verdict, or explains why
 * none can go (placement.c). Returns the node or NULL (reason in why);
 * every candidate looked at is added to cands. */
const struct pp_enode *pp_engine_choose_victim(const struct pp_engine_ctx *c,
	const struct pp_verdict *v, long keep_spares, json_object *cands,
	char *why, size_t whylen);

#endif
