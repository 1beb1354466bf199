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
/* Probes at once: a scale-up of many nodes is asked in one go. */
#define HEALTH_PARALLEL 64L

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

static CURL *
probe_handle(const char *url)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, HEALTH_CONNECT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, HEALTH_TOTAL);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ppscale/" PP_VERSION);
	return c;
}

static void
verdict(struct pp_health_probe *p, CURL *c, CURLcode rc)
{
	long status = 0;

	p->ok = 0;
	if (rc != CURLE_OK) {
		snprintf(p->why, sizeof p->why, "%s", curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(p->why, sizeof p->why, "HTTP %ld", status);
		return;
	}
	p->ok = 1;
}

void
pp_cloud_health_all(struct pp_health_probe *p, size_t n)
{
	CURLM *m;
	CURL **h;
	int running = 0;

	for (size_t i = 0; i < n; i++) {
		p[i].ok = 0;
		snprintf(p[i].why, sizeof p[i].why, "curl init failed");
	}
	if (!n || !(m = curl_multi_init()))
		return;
	h = pp_xcalloc(n, sizeof *h);
	for (size_t i = 0; i < n; i++)
		if ((h[i] = probe_handle(p[i].url)) &&
		    curl_multi_add_handle(m, h[i]) != CURLM_OK) {
			curl_easy_cleanup(h[i]);
			h[i] = NULL;
		}
	/* each probe has its own timeouts: together they take as long as
	 * the slowest, not as long as all of them */
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, HEALTH_PARALLEL);
	do {
		CURLMcode mc = curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;

		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
		while ((msg = curl_multi_info_read(m, &left)))
			for (size_t i = 0; msg->msg == CURLMSG_DONE && i < n;
			    i++)
				if (h[i] == msg->easy_handle)
					verdict(&p[i], h[i], msg->data.result);
		if (mc != CURLM_OK)
			break;
	} while (running);
	for (size_t i = 0; i < n; i++)
		if (h[i]) {
			curl_multi_remove_handle(m, h[i]);
			curl_easy_cleanup(h[i]);
		}
	curl_multi_cleanup(m);
	free(h);
}

int
pp_cloud_health(const char *url, char *err, size_t len)
{
	struct pp_health_probe p = {url, 0, ""};

	pp_cloud_health_all(&p, 1);
	if (!p.ok)
		snprintf(err, len, "%s", p.why);
	return p.ok;
}
