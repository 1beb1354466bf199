/* The agent's health endpoint, for cloud.ready_check health: where an
 * operator configures it, a new node is ready once its agent answers
 * there (DESIGN section 5; issue 13 item 4). */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cloud/cloud.h"
#include "base/hook.h"
#include "base/util.h"

/* Seconds one probe may take: a node that does not answer by then is
 * simply not ready yet; the next cycle asks again. */
#define HEALTH_CONNECT 3L
#define HEALTH_TOTAL 5L

char *
pp_cloud_health_url(const struct pp_config *cfg, const char *name,
	const char *ip, const char *private_ip)
{
	const char *t = cfg->cloud.health_url;
	const struct pp_hook_var vars[] = {
		{"ip", ip ? ip : private_ip},
		{"private_ip", private_ip},
		{"name", name},
	};
	char *const tmpl[1] = {(char *)t};
	char **argv, *url;

	if (!t || !*t)
		return NULL;
	/* a placeholder without its value yet (no address): nothing to ask */
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		char ph[16];

		snprintf(ph, sizeof ph, "{%s}", vars[i].name);
		if (!vars[i].value && strstr(t, ph))
			return NULL;
	}
	/* the move hook's expansion, on a one-element argv */
	argv = pp_hook_argv(tmpl, 1, vars, sizeof vars / sizeof vars[0]);
	url = argv[0];
	free(argv);
	return url;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int
pp_cloud_health(const char *url, char *err, size_t len)
{
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	if (!c) {
		snprintf(err, len, "curl init failed");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, HEALTH_CONNECT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, HEALTH_TOTAL);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ppscale/" PP_VERSION);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(err, len, "%s", curl_easy_strerror(rc));
		return 0;
	}
	if (status < 200 || status > 299) {
		snprintf(err, len, "HTTP %ld", status);
		return 0;
	}
	return 1;
}
