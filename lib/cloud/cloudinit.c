/* The user data a new server boots with: values from the config checked
 * against what each place in the template can hold, the join token read
 * from a private file or a command, and the result checked to be YAML
 * and to fit Hetzner's 32 KiB. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <yaml.h>

#include "cloud/cloudinit.h"
#include "conf/config.h"
#include "base/datadir.h"
#include "base/hook.h"
#include "base/template.h"
#include "base/util.h"

#define TOKEN_MAX 4096
#define TEMPLATE_MAX (1u << 20)

static int
failf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void
wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static int
in_set(const char *s, const char *extra)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c && strchr(extra, c)))
			continue;
		return 0;
	}
	return 1;
}

/* s for a message, unless a control character would break its line. */
static const char *
shown(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "(with a control character)";
	return s;
}

/* http(s) URLs of RFC 3986 characters, less the ones that would need
 * quoting in a shell or an environment file ($ ' and the rest). */
static int
valid_url(const char *s)
{
	/* the scheme in any case (RFC 3986 section 3.1), as the tools
	 * read every other URL */
	if (!pp_url_is(s, "https") && !pp_url_is(s, "http"))
		return 0;
	return strlen(s) <= 2048 && in_set(s, "-._~:/?#[]@!&()*+,;=%") &&
		s[strcspn(s, ":") + 3] != '\0';
}

/* An address or network for nft: IPv4 or IPv6, optional /prefix.
 * Returns 4, 6, or 0 when malformed. Host names are refused: nft would
 * resolve them at boot. */
static int
addr_family(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int fam;

	if (n == 0 || n >= sizeof addr)
		return 0;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		fam = 4;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		fam = 6;
	else
		return 0;
	if (slash) {
		char *end;
		long p;

		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || p < 0 ||
		    p > (fam == 4 ? 32 : 128) || slash[1] == '+' ||
		    slash[1] == '-' || slash[1] == ' ')
			return 0;
	}
	return fam;
}

static int
add_addresses(struct pp_tvars *v, const struct pp_strlist *l,
	const char *key, const char *all, const char *v4, const char *v6,
	char *err, size_t errlen)
{
	pp_tvars_list(v, all);
	pp_tvars_list(v, v4);
	pp_tvars_list(v, v6);
	for (size_t i = 0; i < l->n; i++) {
		int fam = addr_family(l->v[i]);

		if (!fam)
			return failf(err, errlen, "%s: '%s' is not an IPv4 or "
				"IPv6 address or network (host names are not "
				"allowed)", key, shown(l->v[i]));
		pp_tvars_add(v, all, l->v[i]);
		pp_tvars_add(v, fam == 4 ? v4 : v6, l->v[i]);
	}
	return 0;
}

/* "25565:25665", "25565-25665" or "25565". */
static int
parse_ports(const char *s, long *lo, long *hi)
{
	char *end;

	errno = 0;
	*lo = strtol(s, &end, 10);
	if (errno || end == s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	if (*end == ':' || *end == '-') {
		s = end + 1;
		if (*s == '-' || *s == '+' || *s == ' ')
			return -1;
		*hi = strtol(s, &end, 10);
		if (errno || end == s)
			return -1;
	} else {
		*hi = *lo;
	}
	if (*end || *lo < 1 || *hi > 65535 || *lo > *hi)
		return -1;
	return 0;
}

static char *
replace_all(const char *s, const char *from, const char *to)
{
	struct pp_buf b = {0};
	size_t n = strlen(from);
	const char *p;

	while ((p = strstr(s, from)) != NULL) {
		pp_buf_add(&b, s, (size_t)(p - s));
		pp_buf_addstr(&b, to);
		s = p + n;
	}
	pp_buf_addstr(&b, s);
	return b.s;
}

/* A token: what bearer tokens are made of (RFC 6750 b64token, plus ':'),
 * which also needs no quoting in YAML, shell or an HTTP header. */
static int
check_token(const char *t, const char *from, char *err, size_t errlen)
{
	if (!*t)
		return failf(err, errlen, "join token from %s is empty", from);
	if (strlen(t) > TOKEN_MAX)
		return failf(err, errlen, "join token from %s is longer than "
			"%d bytes", from, TOKEN_MAX);
	if (!in_set(t, "-._~+/=:"))
		return failf(err, errlen, "join token from %s holds a "
			"character other than letters, digits and -._~+/=: "
			"(a second line?)", from);
	return 0;
}

/* Drops one trailing newline (LF or CRLF), as echo and editors add. */
static void
chomp(char *s, size_t *len)
{
	if (*len && s[*len - 1] == '\n')
		s[--*len] = '\0';
	if (*len && s[*len - 1] == '\r')
		s[--*len] = '\0';
}

static char *
read_token_file(const char *path, char *err, size_t errlen)
{
	char from[512];
	char *buf;
	size_t len = 0;
	ssize_t r;
	int fd;

	snprintf(from, sizeof from, "'%s'", path);
	fd = pp_secret_open(path, "join token file", err, errlen);
	if (fd < 0)
		return NULL;
	buf = pp_xmalloc(TOKEN_MAX + 3);
	for (;;) {
		r = read(fd, buf + len, TOKEN_MAX + 2 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == TOKEN_MAX + 2)
			break;
	}
	if (r < 0) {
		failf(err, errlen, "cannot read join token file '%s': %s",
			path, strerror(errno));
		close(fd);
		explicit_bzero(buf, TOKEN_MAX + 3);
		free(buf);
		return NULL;
	}
	close(fd);
	buf[len] = '\0';
	chomp(buf, &len);
	if (strlen(buf) != len) {
		failf(err, errlen, "join token from %s holds a NUL byte",
			from);
		wipe_free(buf);
		return NULL;
	}
	if (check_token(buf, from, err, errlen) < 0) {
		wipe_free(buf);
		return NULL;
	}
	return buf;
}

/* Runs the token command through the one process runner (no shell,
 * stdin /dev/null, its own process group, no HCLOUD_TOKEN, a timeout
 * that ends all of it), its stdout captured. */
static char *
run_token_command(const struct pp_strlist *cmd, const char *node,
	const char *host, long timeout, int *status, char *err,
	size_t errlen)
{
	const struct pp_hook_var vars[] = {
		{"node", node}, {"hostname", host},
	};
	char **argv = pp_hook_argv(cmd->v, cmd->n, vars,
		sizeof vars / sizeof *vars);
	char from[300], why[256];
	char *buf = pp_xmalloc(TOKEN_MAX + 3);
	size_t len = 0;
	struct pp_hook_status hs;
	int rc;

	*status = PP_EXIT_FAIL;
	snprintf(from, sizeof from, "command '%s'", cmd->v[0]);
	rc = pp_hook_capture(argv, (double)timeout, buf, TOKEN_MAX + 2, &len,
		&hs, why, sizeof why);
	buf[len] = '\0';
	if (rc == 0) {
		chomp(buf, &len);
		if (strlen(buf) != len) {
			failf(err, errlen, "join token from %s holds a NUL "
				"byte", from);
		} else if (check_token(buf, from, err, errlen) == 0) {
			*status = PP_EXIT_OK;
		}
	} else if (hs.kind == PP_HOOK_TIMED_OUT) {
		failf(err, errlen, "join token %s timed out after %lds", from,
			timeout);
	} else if (hs.kind == PP_HOOK_TOO_LONG) {
		failf(err, errlen, "join token from %s is longer than %d "
			"bytes", from, TOKEN_MAX);
	} else if (hs.kind == PP_HOOK_SIGNALED) {
		failf(err, errlen, "join token %s was killed by signal %d",
			from, hs.code);
	} else if (hs.kind == PP_HOOK_EXITED) {
		failf(err, errlen, "join token %s exited with status %d",
			from, hs.code);
	} else {
		failf(err, errlen, "cannot run join token %s: %s", from, why);
	}
	pp_hook_argv_free(argv);
	if (*status != PP_EXIT_OK) {
		explicit_bzero(buf, TOKEN_MAX + 3);
		free(buf);
		return NULL;
	}
	return buf;
}

char *
pp_cloudinit_template_path(const struct pp_config *cfg)
{
	const char *dir = getenv("PP_SHARE_DIR");

	if (cfg->cloud_init.template_path && *cfg->cloud_init.template_path)
		return pp_xstrdup(cfg->cloud_init.template_path);
	if (!dir || !*dir)
		dir = pp_datadir();
	return pp_xasprintf("%s/%s", dir, PP_CLOUDINIT_TEMPLATE);
}

/* Set, and free of control characters, so that messages can quote it. */
static int
need(const char *v, const char *key, char *err, size_t errlen)
{
	if (!v || !*v)
		return failf(err, errlen, "%s is not set: the user data needs "
			"it", key);
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return failf(err, errlen, "%s holds a newline or "
				"another control character", key);
	return 0;
}

struct pp_tvars *
pp_cloudinit_vars(const struct pp_config *cfg, const char *node_id,
	const char *hostname, const char *join_token, char *err,
	size_t errlen)
{
	const __typeof__(cfg->cloud_init) *ci = &cfg->cloud_init;
	struct pp_tvars *v = pp_tvars_new();
	char *agent_url = NULL, *conductor = NULL, *s;
	char num[64];
	long lo, hi;
	size_t n;

	if (!node_id || !*node_id || strlen(node_id) > 63 ||
	    !in_set(node_id, "-._") || *node_id == '-' || *node_id == '.') {
		failf(err, errlen, "bad node id '%s': use up to 63 letters, "
			"digits, '.', '_' and '-'", node_id ? shown(node_id) : "");
		goto fail;
	}
	if (!hostname)
		hostname = node_id;
	if (!pp_valid_hostname(hostname)) {
		failf(err, errlen, "bad host name '%s': use letters, digits "
			"and '-' in dot-separated labels (RFC 1123)",
			shown(hostname));
		goto fail;
	}
	if (need(ci->agent_version, "cloud_init.agent_version", err,
	    errlen) < 0 ||
	    need(ci->agent_url, "cloud_init.agent_url", err, errlen) < 0 ||
	    need(ci->conductor_url, "cloud_init.conductor_url", err,
	    errlen) < 0 ||
	    need(ci->game_ports, "cloud_init.game_ports", err, errlen) < 0 ||
	    (ci->agent_sha256 && *ci->agent_sha256 &&
	    need(ci->agent_sha256, "cloud_init.agent_sha256", err,
	    errlen) < 0))
		goto fail;
	if (strlen(ci->agent_version) > 64 ||
	    !in_set(ci->agent_version, "-._+~")) {
		failf(err, errlen, "cloud_init.agent_version '%s' holds a "
			"character other than letters, digits and -._+~",
			ci->agent_version);
		goto fail;
	}
	s = replace_all(ci->agent_url, "{version}", ci->agent_version);
	if (!valid_url(s)) {
		failf(err, errlen, "cloud_init.agent_url '%s' is not an "
			"http(s) URL without spaces, quotes or '$'", s);
		free(s);
		goto fail;
	}
	/* the node gets the scheme in lower case, the rest as written:
	 * whatever reads it there may compare it literally */
	agent_url = pp_url_lower(s);
	free(s);
	if (!pp_url_is(agent_url, "https") &&
	    !(ci->agent_sha256 && *ci->agent_sha256))
		pp_warn("cloud_init.agent_url '%s' is not https and "
			"cloud_init.agent_sha256 is not set: the agent "
			"download is not verified", agent_url);
	if (!valid_url(ci->conductor_url)) {
		failf(err, errlen, "cloud_init.conductor_url '%s' is not an "
			"http(s) URL without spaces, quotes or '$'",
			ci->conductor_url);
		goto fail;
	}
	conductor = pp_url_lower(ci->conductor_url);
	n = strlen(conductor);
	while (n > 0 && conductor[n - 1] == '/')
		conductor[--n] = '\0';
	if (ci->agent_sha256 && *ci->agent_sha256 &&
	    (strlen(ci->agent_sha256) != 64 ||
	    strspn(ci->agent_sha256, "0123456789abcdefABCDEF") != 64)) {
		failf(err, errlen, "cloud_init.agent_sha256 must be 64 hex "
			"digits");
		goto fail;
	}
	if (ci->agent_port < 1 || ci->agent_port > 65535) {
		failf(err, errlen, "cloud_init.agent_port %ld is not a port "
			"(1-65535)", ci->agent_port);
		goto fail;
	}
	if (parse_ports(ci->game_ports, &lo, &hi) < 0) {
		failf(err, errlen, "cloud_init.game_ports '%s' is not a port "
			"range such as 25565:25665", ci->game_ports);
		goto fail;
	}
	if (ci->agent_port >= lo && ci->agent_port <= hi) {
		failf(err, errlen, "cloud_init.agent_port %ld is inside "
			"cloud_init.game_ports '%s': it would be open to "
			"everyone", ci->agent_port, ci->game_ports);
		goto fail;
	}
	if (22 >= lo && 22 <= hi) {
		failf(err, errlen, "cloud_init.game_ports '%s' holds port 22: "
			"SSH would be open to everyone", ci->game_ports);
		goto fail;
	}
	if (!ci->conductor_addresses.n) {
		failf(err, errlen, "cloud_init.conductor_addresses is empty: "
			"the conductor could not reach the agent port");
		goto fail;
	}
	if (add_addresses(v, &ci->conductor_addresses,
	    "cloud_init.conductor_addresses", "conductor_addresses",
	    "conductor_v4", "conductor_v6", err, errlen) < 0 ||
	    add_addresses(v, &ci->ssh_sources, "cloud_init.ssh_sources",
	    "ssh_sources", "ssh_v4", "ssh_v6", err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < ci->conductor_addresses.n; i++) {
		const char *a = ci->conductor_addresses.v[i];
		const char *sl = strchr(a, '/');

		if (sl && strcmp(sl, "/0") == 0)
			pp_warn("cloud_init.conductor_addresses '%s' opens "
				"the agent port to everyone", a);
	}

	pp_tvars_set(v, "ppscale_version", PP_VERSION);
	pp_tvars_set(v, "node_id", node_id);
	s = pp_xstrdup(hostname);
	s[strcspn(s, ".")] = '\0';
	pp_tvars_set(v, "hostname", s);
	free(s);
	pp_tvars_set(v, "fqdn", hostname);
	pp_tvars_set(v, "agent_version", ci->agent_version);
	pp_tvars_set(v, "agent_url", agent_url);
	pp_tvars_set(v, "agent_sha256", ci->agent_sha256 ?
		ci->agent_sha256 : "");
	pp_tvars_set(v, "conductor_url", conductor);
	s = pp_xasprintf("%s/api/nodes/%s/ready", conductor, node_id);
	pp_tvars_set(v, "ready_url", s);
	free(s);
	/* every value here is of a charset that needs no JSON escape */
	s = pp_xasprintf("{\"node_id\":\"%s\",\"hostname\":\"%s\","
		"\"agent_version\":\"%s\"}", node_id, hostname,
		ci->agent_version);
	pp_tvars_set(v, "ready_body", s);
	free(s);
	snprintf(num, sizeof num, "%ld", ci->agent_port);
	pp_tvars_set(v, "agent_port", num);
	if (lo == hi)
		snprintf(num, sizeof num, "%ld", lo);
	else
		snprintf(num, sizeof num, "%ld-%ld", lo, hi);
	pp_tvars_set(v, "game_ports", num);
	snprintf(num, sizeof num, "%ld", lo);
	pp_tvars_set(v, "game_port_first", num);
	snprintf(num, sizeof num, "%ld", hi);
	pp_tvars_set(v, "game_port_last", num);
	pp_tvars_set(v, "join_token", join_token);
	free(agent_url);
	free(conductor);
	return v;
fail:
	free(agent_url);
	free(conductor);
	pp_tvars_free(v);
	return NULL;
}

/* The rendered text must be one YAML document of cloud-config. */
static int
check_yaml(const char *s, size_t len, const char *tpath, char *err,
	size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	if (strncmp(s, "#cloud-config\n", 14) != 0)
		return failf(err, errlen, "template '%s' does not start with "
			"a '#cloud-config' line", tpath);
	if (!yaml_parser_initialize(&parser))
		pp_die(PP_EXIT_FAIL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)s, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = failf(err, errlen, "the user data rendered from '%s' is "
			"not valid YAML: line %zu: %s%s%s", tpath,
			parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "error",
			parser.context ? " " : "",
			parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE)
		rc = failf(err, errlen, "the user data rendered from '%s' is "
			"not a YAML mapping", tpath);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

static char *
render_with(const struct pp_config *cfg, const char *node_id,
	const char *hostname, const char *token, const char *tmpl,
	size_t tlen, const char *tpath, size_t *len, char *err,
	size_t errlen)
{
	struct pp_tvars *v;
	char *out;
	size_t n = 0;

	v = pp_cloudinit_vars(cfg, node_id, hostname, token, err, errlen);
	if (!v)
		return NULL;
	out = pp_template_render(tmpl, tlen, tpath, v, &n, err, errlen);
	pp_tvars_free(v);
	if (!out)
		return NULL;
	if (n > PP_CLOUDINIT_MAX) {
		failf(err, errlen, "the user data for node '%s' is %zu bytes, "
			"over Hetzner's limit of %d bytes (32 KiB)", node_id, n,
			PP_CLOUDINIT_MAX);
		pp_template_free(out);
		return NULL;
	}
	if (check_yaml(out, n, tpath, err, errlen) < 0) {
		pp_template_free(out);
		return NULL;
	}
	if (len)
		*len = n;
	return out;
}

char *
pp_cloudinit_render(const struct pp_config *cfg, const char *node_id,
	const char *hostname, int redact, size_t *len, int *status,
	char *err, size_t errlen)
{
	const __typeof__(cfg->cloud_init) *ci = &cfg->cloud_init;
	char *tpath = pp_cloudinit_template_path(cfg);
	char *tmpl = NULL, *token = NULL, *out = NULL;
	struct pp_tvars *check;
	int has_file = ci->join_token_file && *ci->join_token_file;
	int st = PP_EXIT_USAGE;
	size_t tlen;

	/* values first: a bad config is reported before a token is made */
	check = pp_cloudinit_vars(cfg, node_id, hostname, "", err, errlen);
	if (!check)
		goto out;
	pp_tvars_free(check);
	tmpl = pp_read_file(tpath, TEMPLATE_MAX, &tlen);
	if (!tmpl) {
		failf(err, errlen, "cannot read cloud-init template '%s': %s",
			tpath, strerror(errno));
		goto out;
	}
	if (has_file && ci->join_token_command.n) {
		failf(err, errlen, "cloud_init.join_token_file and "
			"cloud_init.join_token_command are both set: keep one");
		goto out;
	}
	if (has_file) {
		token = read_token_file(ci->join_token_file, err, errlen);
		if (!token)
			goto out;
	} else if (ci->join_token_command.n) {
		if (!redact) {
			token = run_token_command(&ci->join_token_command,
				node_id, hostname ? hostname : node_id,
				ci->join_token_timeout, &st, err, errlen);
			if (!token)
				goto out;
			st = PP_EXIT_USAGE;
		}
	} else if (!redact) {
		failf(err, errlen, "no join token: set "
			"cloud_init.join_token_file or "
			"cloud_init.join_token_command");
		goto out;
	} else {
		/* a preview shows the token redacted anyway: render it, but
		 * say what the real render will refuse */
		pp_warn("no join token: set cloud_init.join_token_file or "
			"cloud_init.join_token_command before pp-provision "
			"creates a server");
	}
	if (token) {
		out = render_with(cfg, node_id, hostname, token, tmpl, tlen,
			tpath, len, err, errlen);
		if (!out || !redact)
			goto out;
		pp_template_free(out);
	}
	out = render_with(cfg, node_id, hostname, PP_CLOUDINIT_REDACTED,
		tmpl, tlen, tpath, len, err, errlen);
out:
	if (out)
		st = PP_EXIT_OK;
	*status = st;
	wipe_free(token);
	free(tmpl);
	free(tpath);
	return out;
}

int
pp_cloudinit_check(const struct pp_config *cfg, char *err, size_t errlen)
{
	const __typeof__(cfg->cloud_init) *ci = &cfg->cloud_init;
	char *tpath = pp_cloudinit_template_path(cfg);
	char *tmpl, *out = NULL;
	size_t tlen;
	int rendered;

	if (ci->join_token_file && *ci->join_token_file &&
	    ci->join_token_command.n) {
		failf(err, errlen, "cloud_init.join_token_file and "
			"cloud_init.join_token_command are both set: keep one");
		free(tpath);
		return -1;
	}
	tmpl = pp_read_file(tpath, TEMPLATE_MAX, &tlen);
	if (!tmpl)
		failf(err, errlen, "cannot read cloud-init template '%s': %s",
			tpath, strerror(errno));
	else
		out = render_with(cfg, "pp-config-check", NULL,
			PP_CLOUDINIT_REDACTED, tmpl, tlen, tpath, NULL, err,
			errlen);
	rendered = out != NULL;
	pp_template_free(out);
	free(tmpl);
	free(tpath);
	if (rendered && ci->join_token_file && *ci->join_token_file) {
		char msg[768];
		int fd = pp_secret_open(ci->join_token_file,
			"join token file", msg, sizeof msg);

		if (fd < 0)
			return failf(err, errlen, "cloud_init.join_token_file: "
				"%s", msg);
		close(fd);
	}
	return rendered ? 0 : -1;
}

void
pp_cloudinit_free(char *userdata)
{
	pp_template_free(userdata);
}
