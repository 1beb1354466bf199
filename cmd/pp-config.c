/* pp-config: checks a configuration before it is deployed.
 *
 * `pp-config check` loads the config (-c, else $PP_CONFIG, else
 * /etc/ppscale/ppscale.yaml) with every check the tools make, refuses
 * what they load but cannot act on as configured, and prints the
 * effective configuration as YAML: every key, with the defaults and
 * the profile applied, secrets in URLs and connection strings
 * redacted. Reads nothing on stdin and changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pp.h"

/* Whether s holds a password= (sslpassword=, blanks around '=', any
 * case) whose value is not "<redacted>" */
static int
shows_password(const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *v = p + strlen("password");

		if (strncasecmp(p, "password", 8))
			continue;
		v += strspn(v, " \t");
		if (*v++ != '=')
			continue;
		v += strspn(v, " \t");
		if (*v && !strchr("&;#", *v) && strncmp(v, "<redacted>", 10))
			return 1;
	}
	return 0;
}

/* A path key's value as the tools use it: literally, against the
 * working directory when relative. Warned of, not refused: a relative
 * path works for whoever always runs the tools from one directory, but
 * cron starts them in the home directory and the systemd unit in /,
 * and no shell expands a "$HOME" or "~" written in the config. A value
 * may be a URL or a libpq string with credentials that is read as a
 * path (" postgresql://u:pw@h/db", with a blank first): it is shown
 * redacted, as the effective config shows it, and not at all when a
 * password= would still show (a path's segment "rel/password=x"). */
static void
path_note(const char *key, const char *v)
{
	char *s;

	if (!v || !*v || *v == '/')
		return;
	s = pp_config_redact(v);
	if (shows_password(s)) {
		free(s);
		s = NULL;
	}
	if (*v == '$' || *v == '~')
		pp_warn("%s %s%s%s is used as written: the config expands no "
			"'%c' (that is a directory or file of that name); give "
			"an absolute path", key, s ? "'" : "", s ? s :
			"(not shown: it may hold a password)", s ? "'" : "",
			*v);
	else
		pp_warn("%s %s%s%s is a relative path: it resolves against "
			"the working directory (the home directory under cron, "
			"/ under the systemd unit); give an absolute path", key,
			s ? "'" : "", s ? s :
			"(not shown: it may hold a password)", s ? "'" : "");
	free(s);
}

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: pp-config [-qv] [-c FILE] [--now TIME] check\n\n"
		"Loads and checks the configuration as every tool does "
		"(exit 2 naming the key\n"
		"and line of the first problem) and renders the cloud-init "
		"user data as\n"
		"pp-provision would, then prints the effective configuration "
		"as YAML:\n"
		"defaults and profile applied, secrets redacted.\n\n"
		PP_TEXT_HELP_NO_CLOCK);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		PP_TEXT_LONGOPTS,
		{0, 0, 0, 0},
	};
	const struct pp_config *cfg;
	char err[1024], *dir;
	int c, rc;

	pp_setprogname(argv[0]);
	while ((c = getopt_long(argc, argv, PP_TEXT_SHORTOPTS, longopts, NULL)) != -1)
		if (!pp_common_opt(c, optarg, usage))
			pp_bad_option(usage, argv, longopts);
	if (optind >= argc) {
		pp_warn("a command is required: check");
		pp_usage_error(usage);
	}
	if (strcmp(argv[optind], "check") != 0) {
		pp_warn("unexpected argument '%s' (the command is check)",
			argv[optind]);
		pp_usage_error(usage);
	}
	optind++;
	pp_no_operands(argc, argv, usage);
	cfg = pp_start();
	/* what the tools load and pp-decide reports at decide time */
	if (cfg->verdict)
		pp_die(PP_EXIT_USAGE, "%s", cfg->verdict);
	/* what pp-provision checks only when the fleet has to grow */
	if (pp_cloudinit_check(cfg, err, sizeof err) < 0)
		pp_die(PP_EXIT_USAGE, "config '%s': %s", cfg->path ?
			cfg->path : "(built-in defaults)", err);
	rc = pp_cloud_token_check(cfg, err, sizeof err);
	if (rc < 0)
		pp_die(PP_EXIT_USAGE, "config '%s': cloud.token_file: %s",
			cfg->path ? cfg->path : "(built-in defaults)", err);
	if (rc > 0)
		pp_warn("config '%s': cloud.token_file: %s", cfg->path ?
			cfg->path : "(built-in defaults)", err);
	path_note("state_dir", cfg->state_dir);
	/* a URL as pp_registry_open tells one apart, by its scheme: a
	 * relative path with "://" further on is still a path */
	if (cfg->registry && !pp_url_scheme_len(cfg->registry))
		path_note("registry", cfg->registry);
	path_note("cloud.token_file", cfg->cloud.token_file);
	path_note("cloud.local.file", cfg->cloud.local.file);
	path_note("cloud_init.template", cfg->cloud_init.template_path);
	path_note("cloud_init.join_token_file",
		cfg->cloud_init.join_token_file);
	path_note("events.file", cfg->events.file);
	path_note("metrics.textfile", cfg->metrics.textfile);
	pp_config_check_notes(cfg);
	/* not the config's, but what stops the pipeline just as well */
	dir = pp_state_path(cfg, NULL, "state.json");
	if (pp_state_peek(dir, err, sizeof err) < 0)
		pp_warn("%s: the pipeline's tools fail on it", err);
	free(dir);
	pp_note("config '%s' is valid", cfg->path ? cfg->path :
		"(built-in defaults)");
	dir = pp_state_dir(cfg, NULL);
	printf("# the effective configuration of %s\n", cfg->path ?
		cfg->path : "(built-in defaults)");
	/* the config's state_dir beats $PP_STATE_DIR: say which won */
	printf("# state directory: %s (%s)\n", dir, cfg->state_dir &&
		*cfg->state_dir ? "the config's state_dir" :
		getenv("PP_STATE_DIR") && *getenv("PP_STATE_DIR") ?
		"$PP_STATE_DIR" : "the default");
	free(dir);
	pp_config_print(cfg, stdout);
	return pp_finish_stdout(PP_EXIT_OK);
}
