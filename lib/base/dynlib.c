/*
 * libcurl and libpq, loaded when first used.
 *
 * Every tool references both libraries (the cloud, the events webhook,
 * the history import and the PostgreSQL registry are all in libpp.a),
 * and linking them brings in 37 shared libraries through their own
 * dependencies: about 3 ms of every start spent mapping and relocating
 * them, 12 ms of a four-tool cycle, although a cycle on the local
 * provider and the file registry calls neither. So the tools are not
 * linked with them: this file defines each function ppscale calls
 * with the library's own prototype, and the first call dlopen()s the
 * library by its SONAME and forwards every call to it.
 *
 * A library that cannot be loaded is said once on stderr, and its
 * functions answer as they do on failure (no handle, an error code, a
 * bad connection), so the caller's own error path reports it: nothing
 * half-done, no exit from here.
 *
 * Tests compile this file with PP_DL_CURL / PP_DL_PQ naming a library
 * that does not exist (t/unit/dynlib.c).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <libpq-fe.h>

#include "base/util.h"

#ifndef PP_DL_CURL
#define PP_DL_CURL "libcurl.so.4"
#endif
#ifndef PP_DL_PQ
#define PP_DL_PQ "libpq.so.5"
#endif

struct lib {
	const char *file;
	void *h;
	int failed;
	char err[512];
};

static struct lib curl_lib = {PP_DL_CURL, NULL, 0, ""};
static struct lib pq_lib = {PP_DL_PQ, NULL, 0, ""};

/* the function NAME of library L, NULL (and said once) when either
 * cannot be had */
static void *
sym(struct lib *l, const char *name)
{
	void *s;

	if (l->failed)
		return NULL;
	if (!l->h && !(l->h = dlopen(l->file, RTLD_NOW | RTLD_LOCAL))) {
		const char *e = dlerror();

		snprintf(l->err, sizeof l->err, "cannot load %s: %s", l->file,
			e ? e : "unknown error");
		l->failed = 1;
		pp_error("%s", l->err);
		return NULL;
	}
	if (!(s = dlsym(l->h, name))) {
		snprintf(l->err, sizeof l->err, "%s has no %s", l->file, name);
		l->failed = 1;
		pp_error("%s", l->err);
	}
	return s;
}

/* RET NAME(PARAMS), forwarded with ARGS; FAIL when it cannot be */
#define FWD(L, RET, NAME, PARAMS, ARGS, FAIL)                             \
	RET NAME PARAMS                                                   \
	{                                                                 \
		static RET (*f) PARAMS;                                   \
		if (!f && !(f = (RET (*) PARAMS)sym(&L, #NAME)))          \
			return FAIL;                                      \
		return f ARGS;                                            \
	}
#define FWD_VOID(L, NAME, PARAMS, ARGS)                                   \
	void NAME PARAMS                                                  \
	{                                                                 \
		static void (*f) PARAMS;                                  \
		if (!f && !(f = (void (*) PARAMS)sym(&L, #NAME)))         \
			return;                                           \
		f ARGS;                                                   \
	}

/* ---- libcurl ---- */

FWD(curl_lib, CURLcode, curl_global_init, (long flags), (flags),
	CURLE_FAILED_INIT)
FWD_VOID(curl_lib, curl_global_cleanup, (void), ())
FWD(curl_lib, CURL *, curl_easy_init, (void), (), NULL)
FWD_VOID(curl_lib, curl_easy_cleanup, (CURL *c), (c))
FWD_VOID(curl_lib, curl_easy_reset, (CURL *c), (c))
FWD(curl_lib, CURLcode, curl_easy_perform, (CURL *c), (c), CURLE_FAILED_INIT)
FWD(curl_lib, struct curl_slist *, curl_slist_append,
	(struct curl_slist *l, const char *s), (l, s), NULL)
FWD_VOID(curl_lib, curl_slist_free_all, (struct curl_slist *l), (l))
FWD_VOID(curl_lib, curl_free, (void *p), (p))
FWD(curl_lib, time_t, curl_getdate, (const char *p, const time_t *unused),
	(p, unused), -1)
FWD(curl_lib, CURLU *, curl_url, (void), (), NULL)
FWD_VOID(curl_lib, curl_url_cleanup, (CURLU *u), (u))
FWD(curl_lib, CURLUcode, curl_url_get,
	(CURLU *u, CURLUPart what, char **part, unsigned int flags),
	(u, what, part, flags), CURLUE_OUT_OF_MEMORY)
FWD(curl_lib, CURLUcode, curl_url_set,
	(CURLU *u, CURLUPart what, const char *part, unsigned int flags),
	(u, what, part, flags), CURLUE_OUT_OF_MEMORY)
FWD(curl_lib, CURLM *, curl_multi_init, (void), (), NULL)
FWD(curl_lib, CURLMcode, curl_multi_cleanup, (CURLM *m), (m),
	CURLM_INTERNAL_ERROR)
FWD(curl_lib, CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *c), (m, c),
	CURLM_INTERNAL_ERROR)
FWD(curl_lib, CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *c),
	(m, c), CURLM_INTERNAL_ERROR)
FWD(curl_lib, CURLMcode, curl_multi_perform, (CURLM *m, int *running),
	(m, running), CURLM_INTERNAL_ERROR)
FWD(curl_lib, CURLMcode, curl_multi_poll,
	(CURLM *m, struct curl_waitfd extra[], unsigned int n, int timeout_ms,
	 int *ret), (m, extra, n, timeout_ms, ret), CURLM_INTERNAL_ERROR)
FWD(curl_lib, CURLMsg *, curl_multi_info_read, (CURLM *m, int *left),
	(m, left), NULL)

const char *
curl_easy_strerror(CURLcode rc)
{
	static const char *(*f)(CURLcode);

	if (!f && !(f = (const char *(*)(CURLcode))sym(&curl_lib,
	    "curl_easy_strerror")))
		return curl_lib.err;
	return f(rc);
}

/*
 * The variadic three. The argument's type follows from the option's
 * number, as libcurl's own headers define them (CURLOPTTYPE_*): below
 * 10000 a long, then object pointers, function pointers, curl_off_t
 * and blobs (pointers) in steps of 10000. curl_easy_getinfo's is always
 * a pointer.
 */
union arg {
	long l;
	void *p;
	curl_off_t o;
};

static int
arg_of(int option, va_list ap, union arg *a)
{
	if (option < CURLOPTTYPE_OBJECTPOINT) {
		a->l = va_arg(ap, long);
		return 'l';
	}
	if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB) {
		a->o = va_arg(ap, curl_off_t);
		return 'o';
	}
	a->p = va_arg(ap, void *);
	return 'p';
}

CURLcode
curl_easy_setopt(CURL *c, CURLoption option, ...)
{
	static CURLcode (*f)(CURL *, CURLoption, ...);
	union arg a;
	va_list ap;
	int t;

	if (!f && !(f = (CURLcode (*)(CURL *, CURLoption, ...))sym(&curl_lib,
	    "curl_easy_setopt")))
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	t = arg_of((int)option, ap, &a);
	va_end(ap);
	return t == 'l' ? f(c, option, a.l) : t == 'o' ? f(c, option, a.o) :
		f(c, option, a.p);
}

CURLMcode
curl_multi_setopt(CURLM *m, CURLMoption option, ...)
{
	static CURLMcode (*f)(CURLM *, CURLMoption, ...);
	union arg a;
	va_list ap;
	int t;

	if (!f && !(f = (CURLMcode (*)(CURLM *, CURLMoption, ...))sym(
	    &curl_lib, "curl_multi_setopt")))
		return CURLM_INTERNAL_ERROR;
	va_start(ap, option);
	t = arg_of((int)option, ap, &a);
	va_end(ap);
	return t == 'l' ? f(m, option, a.l) : t == 'o' ? f(m, option, a.o) :
		f(m, option, a.p);
}

CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	static CURLcode (*f)(CURL *, CURLINFO, ...);
	void *p;
	va_list ap;

	if (!f && !(f = (CURLcode (*)(CURL *, CURLINFO, ...))sym(&curl_lib,
	    "curl_easy_getinfo")))
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return f(c, info, p);
}

/* ---- libpq ---- */

FWD(pq_lib, PGconn *, PQconnectdbParams,
	(const char *const *keys, const char *const *vals, int expand),
	(keys, vals, expand), NULL)
FWD_VOID(pq_lib, PQfinish, (PGconn *c), (c))
FWD(pq_lib, ConnStatusType, PQstatus, (const PGconn *c), (c),
	CONNECTION_BAD)
FWD(pq_lib, PGTransactionStatusType, PQtransactionStatus, (const PGconn *c),
	(c), PQTRANS_UNKNOWN)
FWD(pq_lib, int, PQsocket, (const PGconn *c), (c), -1)
FWD(pq_lib, int, PQconsumeInput, (PGconn *c), (c), 0)
FWD(pq_lib, PGresult *, PQexec, (PGconn *c, const char *q), (c, q), NULL)
FWD(pq_lib, PGresult *, PQexecParams,
	(PGconn *c, const char *q, int n, const Oid *types,
	 const char *const *vals, const int *lens, const int *formats,
	 int result_format),
	(c, q, n, types, vals, lens, formats, result_format), NULL)
FWD_VOID(pq_lib, PQclear, (PGresult *r), (r))
FWD(pq_lib, ExecStatusType, PQresultStatus, (const PGresult *r), (r),
	PGRES_FATAL_ERROR)
FWD(pq_lib, int, PQntuples, (const PGresult *r), (r), 0)
FWD(pq_lib, char *, PQgetvalue, (const PGresult *r, int row, int col),
	(r, row, col), NULL)
FWD(pq_lib, int, PQgetlength, (const PGresult *r, int row, int col),
	(r, row, col), 0)
FWD(pq_lib, char *, PQresultErrorField, (const PGresult *r, int code),
	(r, code), NULL)
FWD_VOID(pq_lib, PQconninfoFree, (PQconninfoOption *o), (o))

char *
PQerrorMessage(const PGconn *c)
{
	static char *(*f)(const PGconn *);

	if (!f && !(f = (char *(*)(const PGconn *))sym(&pq_lib,
	    "PQerrorMessage")))
		return pq_lib.err;
	return f(c);
}

char *
PQresultErrorMessage(const PGresult *r)
{
	static char *(*f)(const PGresult *);

	if (!f && !(f = (char *(*)(const PGresult *))sym(&pq_lib,
	    "PQresultErrorMessage")))
		return pq_lib.err;
	return f(r);
}

/* the message comes from here (strdup) when libpq cannot be loaded, and
 * goes back through PQfreemem, which frees it then */
PQconninfoOption *
PQconninfoParse(const char *conninfo, char **errmsg)
{
	static PQconninfoOption *(*f)(const char *, char **);

	if (!f && !(f = (PQconninfoOption *(*)(const char *, char **))sym(
	    &pq_lib, "PQconninfoParse"))) {
		if (errmsg)
			*errmsg = strdup(pq_lib.err);
		return NULL;
	}
	return f(conninfo, errmsg);
}

void
PQfreemem(void *p)
{
	static void (*f)(void *);

	if (!f && !(f = (void (*)(void *))sym(&pq_lib, "PQfreemem"))) {
		free(p);
		return;
	}
	f(p);
}
