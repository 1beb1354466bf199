/* doc.c: the JSON document that flows through the pipe */
#ifndef PP_DOC_H
#define PP_DOC_H

#include <stdio.h>
#include <sys/uio.h>
#include <time.h>
#include "base/json.h"

/* Major schema version of the pipe document. Bump on a breaking change. */
#define PP_DOC_VERSION 1
/* Largest document accepted on stdin. */
#define PP_DOC_MAX (64u * 1024 * 1024)
/* A document generated more than this before the tool's clock, or
 * more than PP_DOC_AHEAD_S after it, is warned about (pp-status's
 * --max-age default is the same 10 minutes). */
#define PP_DOC_STALE_S 600
#define PP_DOC_AHEAD_S 300
/* A document generated more than this before the tool's clock is acted
 * on by none of pp-decide, pp-drain and pp-provision: 15 missed cycles
 * of two minutes, three times the warning above and drain.deadline's
 * default, and far past any cycle that ran as it should; only a
 * snapshot replayed by hand (which gives --now) or a stuck pipeline is
 * that old, and on either its figures would buy or delete servers the
 * fleet no longer needs. */
#define PP_DOC_MAX_AGE_S 1800
/* Reads the document from stdin and checks it: not empty, complete JSON,
 * an object, version not newer than ours, generated_at a time. Dies with
 * status 2 otherwise. */
json_object *pp_doc_read(void);
/* 1 when doc (read by pp_doc_read*) was generated more than
 * PP_DOC_MAX_AGE_S before pp_now(), with the reason, which says to
 * give --now to replay it, in why. */
int pp_doc_too_old(json_object *doc, char *why, size_t len);
/* The same for the tools after pp-fleetstats: when the output is
 * compact (pp_doc_pretty() is false), the nodes list stays text (see
 * pp_jraw_text; pp_enodes_read reads it) instead of a tree of every
 * node, which is most of the time a big fleet's document takes, and is
 * written out as that text. A document the lean reader does not take
 * (an escape in the nodes, invalid JSON, ...) is read the usual way. */
json_object *pp_doc_read_lean(int pretty);
/* The lean reading of a text, or NULL when it cannot take it (invalid
 * JSON among other things: then parse it with pp_json_parse). */
json_object *pp_doc_parse_lean(const char *text, size_t len);
/* A fresh document: version and generated_at. */
json_object *pp_doc_new(time_t now);
/* Writes doc to stdout, pretty or compact (a tool passes pp_pretty():
 * -p or a terminal); always a trailing newline. Returns 0, or -1 on a
 * write error. */
int pp_doc_write(json_object *doc, int pretty);
/* The compact text of doc, in v[0..2]: json-c's text before and after
 * the nodes and the nodes' raw text between, as they lie (no copy of
 * the nodes); one piece when its nodes are not raw text. Valid until
 * doc is serialised again. Returns the count of pieces. */
size_t pp_doc_pieces(json_object *doc, struct iovec v[3]);
/* Flushes stdout without closing it; the status to use (a write
 * error makes it a failure; pp_finish_stdout then says so). */
int pp_flush_stdout(int status);
/* Flushes and closes stdout; returns the exit status to use. */
int pp_finish_stdout(int status);

#endif
