/* The registry's parts, shared between registry_{scan,index,file,edit}.c
 * and nothing else (registry.h is the interface). */
#ifndef PP_REGISTRY_INT_H
#define PP_REGISTRY_INT_H

#include <stddef.h>
#include <json-c/json.h>

#include "base/jscan.h"
#include "base/util.h"
#include "store/registry.h"

/* The index's strings in text mode: blocks that never move. */
struct pp_strings {
	struct pp_strings *next;
	size_t used, cap;
	char data[];
};

/* Returned by the text reading for "json-c decides". */
#define NOT_TAKEN (-3)

/* The fields the index reads, in every object of the registry. */
enum {
	K_VERSION, K_NODES, K_ID, K_KIND, K_STATUS, K_ROLE, K_TOTAL,
	K_RESERVED, K_IP, K_LOCATION, K_CLOUD, K_CONTAINERS, K_PROVIDER,
	K_SERVER_ID, K_SERVER_TYPE, K_SERVER_NAME, K_HOURLY, K_CREATED,
	K_RAM, K_STATE, K_PLAYERS, K_DRAINING_SINCE, K_DRAINING_BY,
	K_DELETE_PROTECTED,
	K_COUNT
};
extern const char *const pp_rg_keys[K_COUNT];

/* Where each field's value starts in one object's text (the last one
 * when a key repeats, as json-c keeps the last). */
struct slots {
	unsigned long mask;   /* the keys found: 1 << K_... */
	const char *v[K_COUNT], *ve[K_COUNT];
};

enum { JV_NONE, JV_STR, JV_INT, JV_DBL, JV_BOOL, JV_OBJ, JV_ARR };

/* One value, read from the tree or from the text. JV_NONE is absent
 * or null (pp_jget's view). */
struct jv {
	int t;
	const char *s;    /* JV_STR: the bytes; terminated when kept */
	size_t len;
	int kept;
	long long i;      /* JV_INT, and JV_DBL as json-c converts it */
	double d;         /* JV_DBL, and JV_INT as json-c converts it */
	json_object *o;   /* tree */
	const char *p, *end; /* text: the value's bytes */
	struct slots *sl; /* text objects, once opened */
};

struct rd {
	struct pp_registry *r;
	int text;          /* reading the text, not a tree */
	const char *e;     /* end of the text */
	struct pp_container *tmp;
	size_t tmpcap;
	/* a node's containers, opened with the node (one pass over them) */
	const char *cel_for;
	struct jv *cel;
	struct slots *csl;
	size_t ncel, celcap;
	/* text not checked yet: the strict scanner checks it as it is
	 * read (pp_rg_open_obj_chk); NULL: checked already */
	struct pp_jscan *chk;
};

struct it {
	const struct jv *a;
	size_t i, n;
	const char *p;
};

/* JSON whitespace skipped; compact text (the usual) needs no call */
static inline const char *
ws(const char *p, const char *e)
{
	if (p < e && (unsigned char)*p > ' ')
		return p;
	return pp_jscan_ws(p, e);
}

/* registry_scan.c: strings, messages and the reader */
const char *pp_rg_str_keep(struct pp_registry *r, const char *s, size_t n);
void pp_rg_free_index(struct pp_registry *r);
int pp_rg_bad(char *err, size_t errlen, const char *name, const char *fmt,
	...) __attribute__((format(printf, 4, 5)));
int pp_rg_key_slot(const char *k, size_t n);
int pp_rg_jv_text(struct rd *rd, const char *p, const char *end,
	struct jv *v);
void pp_rg_jv_tree(json_object *o, struct jv *v);
int pp_rg_open_obj(struct rd *rd, struct jv *v, struct slots *sl, int node);
int pp_rg_open_obj_chk(struct rd *rd, struct jv *v, struct slots *sl,
	int node, int d);
int pp_rg_get(struct rd *rd, const struct jv *o, int key, struct jv *v);
const char *pp_rg_keep(struct rd *rd, struct jv *v);
void pp_rg_it_init(struct rd *rd, const struct jv *a, struct it *it);
int pp_rg_it_next(struct rd *rd, struct it *it, struct jv *v,
	struct slots *sl, int node);
int pp_rg_lookup_jv(const struct jv *v, const char **names, int n);

/* registry_index.c: the index of the text or the tree */
/* The first node id (in the nodes' order) that an earlier node has
 * too, or NULL: a hash set of the ids, linear in n. */
const char *pp_rg_dup_id(const struct pp_node *nodes, size_t n);
/* 0 when every node added (pp_registry_nodes) has an id that no kept
 * node and no other added one has; else -1 with the message in err.
 * Asked before a write (pp_rg_save_text, pp_registry_save), so a bad
 * addition leaves the file as it was. */
int pp_rg_added_ok(const struct pp_registry *r, char *err, size_t errlen);
int pp_rg_index_node(struct rd *rd, struct pp_node *n, struct jv *o,
	size_t i, const char *name, char *err, size_t errlen);
int pp_rg_index_text(struct pp_registry *r, char *err, size_t errlen);
int pp_rg_load(struct pp_registry *r, char *text, size_t len, int tree_only,
	char *err, size_t errlen);
char *pp_rg_copy_text(const char *text, size_t len);

/* registry_index.c: the index of a mapped text (r->text, r->len) */
int pp_rg_load_mapped(struct pp_registry *r, char *err, size_t errlen);

/* registry_file.c: r's text let go, malloc'd or mapped (r->maplen) */
void pp_rg_free_text(struct pp_registry *r);
/* ... and the file at fd of len bytes mapped read-only as a text,
 * terminated (NULL when it cannot be: a size of whole pages) */
char *pp_rg_map_text(int fd, size_t len);

/* registry_file.c: gives back the mapped pages before p (index-only;
 * NULL: all, for the index's pass to start over) */
void pp_rg_release(struct pp_registry *r, const char *p);

/* registry_file.c: after r's text was written to r->path under the
 * exclusive lock, holds that file (for the cache) */
void pp_rg_hold_written(struct pp_registry *r);
/* ... and lets it go (the text no longer is the file's) */
void pp_rg_close_fd(struct pp_registry *r);

/* registry_lazy.c: PP_REG_LAZY's reading of r->text (the ids and
 * the nodes' spans; NOT_TAKEN: the whole index must read it), one
 * node's index, and all of them */
int pp_rg_load_lazy(struct pp_registry *r);
/* ... and its skip of an object or array (exposed for the fuzzer,
 * which holds the 64-byte step to the byte-by-byte one) */
const char *pp_rg_block_end(const char *p, const char *e, int base,
	int simd);
int pp_rg_index_lazy(struct pp_registry *r, struct pp_node *n);
int pp_rg_index_all_lazy(struct pp_registry *r);

/* registry_file.c: the stamp of a file checked whole, in its lock
 * file (r->lock held exclusive, r->st the file's stat) */
void pp_rg_stamp(struct pp_registry *r);

/* registry_edit.c: node objects, the splice */
json_object *pp_rg_node_obj(struct pp_node *n);
int pp_rg_save_text(struct pp_registry *r, int reindex);

#endif
