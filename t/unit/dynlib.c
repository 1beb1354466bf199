/* lib/base/dynlib.c, compiled in: libcurl and libpq loaded on first use.
 * Usage: dynlib real     the real libraries: calls reach them, values
 *                        of each argument type arrive
 *        dynlib missing  libraries that do not exist: every function
 *                        answers as on failure, the reason is said once
 * Prints one line per check; exits 1 on the first that fails. */
#include "../../lib/base/dynlib.c"

static int bad;

static void
check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		bad = 1;
}

static int
real(void)
{
	CURL *c;
	CURLM *m;
	CURLU *u;
	char *host = NULL, *p = NULL;
	int x;

	check(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "global init");
	check((c = curl_easy_init()) != NULL, "easy init");
	/* a long, checked by libcurl: under -1 is refused */
	check(curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, -2L) ==
	    CURLE_BAD_FUNCTION_ARGUMENT, "a long option arrives");
	/* a curl_off_t, checked the same way */
	check(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)10) ==
	    CURLE_OK && curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)-1) == CURLE_BAD_FUNCTION_ARGUMENT,
	    "a curl_off_t option arrives");
	/* a pointer, and back through getinfo */
	check(curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)&x) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_PRIVATE, &p) == CURLE_OK &&
	    p == (char *)&x, "a pointer option arrives and comes back");
	check(strcmp(curl_easy_strerror(CURLE_OK), "No error") == 0,
	    "strerror");
	curl_easy_cleanup(c);
	check((m = curl_multi_init()) != NULL &&
	    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 4L) ==
	    CURLM_OK && curl_multi_cleanup(m) == CURLM_OK, "multi");
	check((u = curl_url()) != NULL &&
	    curl_url_set(u, CURLUPART_URL, "http://127.0.0.1:9/x", 0) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) ==
	    CURLUE_OK && strcmp(host, "127.0.0.1") == 0, "url");
	curl_free(host);
	curl_url_cleanup(u);
	curl_global_cleanup();
	{
		char *msg = NULL;
		PQconninfoOption *o = PQconninfoParse("host=/x dbname=y", &msg);

		check(o && !msg, "libpq parses a conninfo");
		PQconninfoFree(o);
		o = PQconninfoParse("host", &msg);
		check(!o && msg && strstr(msg, "host"), "libpq's own error");
		PQfreemem(msg);
	}
	return bad;
}

static int
missing(void)
{
	char *msg = NULL;
	PGconn *pg;
	const char *k[] = {"dbname", NULL}, *v[] = {"x", NULL};

	curl_lib.file = "libppscale-test-missing-curl.so.4";
	pq_lib.file = "libppscale-test-missing-pq.so.5";
	check(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_FAILED_INIT,
	    "global init fails");
	check(curl_easy_init() == NULL, "no easy handle");
	check(curl_multi_init() == NULL && curl_url() == NULL &&
	    curl_slist_append(NULL, "a: b") == NULL, "no other handle");
	check(strstr(curl_easy_strerror(CURLE_FAILED_INIT),
	    "cannot load libppscale-test-missing-curl.so.4") != NULL,
	    "strerror says why");
	curl_easy_cleanup(NULL);
	curl_global_cleanup();
	check((pg = PQconnectdbParams(k, v, 0)) == NULL &&
	    PQstatus(pg) == CONNECTION_BAD, "no connection");
	check(strstr(PQerrorMessage(pg),
	    "cannot load libppscale-test-missing-pq.so.5") != NULL,
	    "libpq's error message says why");
	PQfinish(pg);
	check(PQconninfoParse("dbname=x", &msg) == NULL && msg &&
	    strstr(msg, "cannot load") != NULL, "conninfo parse says why");
	PQfreemem(msg);
	return bad;
}

int
main(int argc, char **argv)
{
	pp_setprogname("dynlib");
	if (argc == 2 && strcmp(argv[1], "real") == 0)
		return real();
	if (argc == 2 && strcmp(argv[1], "missing") == 0)
		return missing();
	fprintf(stderr, "usage: dynlib real|missing\n");
	return 2;
}
