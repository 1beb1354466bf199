/* libcurl wrapper: one place for timeouts, TLS and size caps. */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "http.h"
#include "registry.h"
#include "util.h"

struct sink {
	struct pp_buf buf;
	size_t max;
	int too_big;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->buf.len + size * n > s->max) {
		s->too_big = 1;
		return 0;
	}
	pp_buf_add(&s->buf, p, size * n);
	return size * n;
}

static void
global_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		atexit(curl_global_cleanup);
		done = 1;
	}
}

char *
pp_http_get(const char *url, size_t max, double connect_timeout,
	double timeout, size_t *len, char *err, size_t errlen)
{
	struct sink s = {{0}, max, 0};
	CURL *c;
	CURLcode rc;
	long status = 0;

	global_init();
	c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "cannot fetch '%s': curl init failed",
			url);
		return NULL;
	}
	pp_buf_add(&s.buf, "", 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		(long)(connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ppscale/" PP_VERSION);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (s.too_big) {
		snprintf(err, errlen, "cannot fetch '%s': answer larger than "
			"%zu bytes", url, max);
		pp_buf_free(&s.buf);
		return NULL;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "cannot fetch '%s': %s", url,
			curl_easy_strerror(rc));
		pp_buf_free(&s.buf);
		return NULL;
	}
	if (status >= 400) {
		snprintf(err, errlen, "cannot fetch '%s': HTTP status %ld",
			url, status);
		pp_buf_free(&s.buf);
		return NULL;
	}
	*len = s.buf.len;
	return s.buf.s;
}

char *
pp_fetch_url(const char *url, size_t max, size_t *len, char *err,
	size_t errlen)
{
	return pp_http_get(url, max, 5, 30, len, err, errlen);
}
