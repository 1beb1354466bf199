/* cloud_lscan.c: the local provider's file (cloud_local.c) read
 * without a json-c tree, for listing, finding and deleting servers. */
#ifndef PP_CLOUD_LSCAN_H
#define PP_CLOUD_LSCAN_H

#include <stddef.h>

#include "conf/config.h"

/* The fields of a server that the provider reads. */
enum {
	LCF_ID, LCF_NAME, LCF_TYPE, LCF_LOCATION, LCF_IPV4, LCF_PIP,
	LCF_CREATED, LCF_READY, LCF_LABELS, LCF_N
};

/* One server in the text: the object's bytes, and each field's string
 * (its bytes without quotes; LCF_LABELS: the object's text), NULL when
 * absent or not a string (not an object), as pp_jstr sees it. */
struct lc_srv {
	const char *b, *e;
	const char *f[LCF_N];
	size_t fn[LCF_N];
};

struct lc_text {
	const char *arr;      /* the servers list's '[' */
	size_t n;
	struct lc_srv *v;
};

/* Reads text (len bytes, terminated) into t. Returns 0, or -1 when the
 * scanner does not take it (json-c then judges: invalid JSON, no
 * servers list, an escape, a server that is no object, labels that are
 * not strings). */
int pp_lc_scan(const char *text, size_t len, struct lc_text *t);
void pp_lc_text_free(struct lc_text *t);
/* A field's string (malloc'd), or a copy of def (NULL: NULL). */
char *pp_lc_field(const struct lc_srv *v, int f, const char *def);
/* Whether a field (absent: "") is val. */
int pp_lc_field_is(const struct lc_srv *v, int f, const char *val);
/* Adds the server's labels to m. */
void pp_lc_labels(const struct lc_srv *v, struct pp_strmap *m);
/* The text without server i (and a comma beside it), malloc'd. */
char *pp_lc_without(const struct lc_text *t, const char *text, size_t len,
	size_t i, size_t *outlen);

#endif
