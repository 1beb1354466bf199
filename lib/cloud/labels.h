/* labels.c: label maps and label selectors (keys and values: label.h) */
#ifndef PP_LABELS_H
#define PP_LABELS_H

#include <stddef.h>

#include "conf/config.h"
#include "conf/label.h"

/* Label maps (struct pp_strmap from config.h). */
const char *pp_strmap_get(const struct pp_strmap *m, const char *key);
/* Adds or replaces key (both strings are copied). */
void pp_strmap_set(struct pp_strmap *m, const char *key, const char *val);
void pp_strmap_copy(struct pp_strmap *dst, const struct pp_strmap *src);
void pp_strmap_clear(struct pp_strmap *m);

enum pp_sel_op {
	PP_SEL_EQ, PP_SEL_NE, PP_SEL_EXISTS, PP_SEL_NOT_EXISTS, PP_SEL_IN,
	PP_SEL_NOTIN
};

struct pp_selector_term {
	char *key;
	int op;
	size_t nvals;
	char **vals;
};

/* A parsed selector: the terms are ANDed. The empty selector matches
 * everything. Grammar as Hetzner's: k=v, k==v, k!=v, k, !k,
 * k in (a,b), k notin (a,b), joined by commas. */
struct pp_selector {
	size_t n;
	struct pp_selector_term *t;
};

/* Returns 0, or -1 with a message naming the bad term in err. */
int pp_selector_parse(const char *s, struct pp_selector *sel, char *err,
	size_t errlen);
int pp_selector_match(const struct pp_selector *sel,
	const struct pp_strmap *labels);
void pp_selector_free(struct pp_selector *sel);

#endif
