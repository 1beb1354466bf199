/* cloudinit.c: the user data a new server boots with */
#ifndef PP_CLOUDINIT_H
#define PP_CLOUDINIT_H

#include <stddef.h>

struct pp_config;
struct pp_tvars;

/* Hetzner's limit on a server's user_data. */
#define PP_CLOUDINIT_MAX 32768
#define PP_CLOUDINIT_TEMPLATE "cloud-init.yaml.tmpl"
#define PP_CLOUDINIT_REDACTED "<redacted>"

/* Renders the user data for one new node from cfg's cloud_init section
 * and its template. node_id names the node (letters, digits, '.', '_',
 * '-'); hostname is its host name or FQDN (NULL: the node id). The join
 * token comes from cloud_init.join_token_file, or from the output of
 * cloud_init.join_token_command run now with {node} and {hostname}
 * expanded.
 *
 * With redact set, every copy of the token reads "<redacted>" instead:
 * the token file is still read and checked (and the size limit applies
 * with the real token), but the token command is not run, so a dry run
 * never mints a token.
 *
 * Returns the user data (free it with pp_cloudinit_free, which wipes
 * it) and its length in *len, or NULL with a message in err and
 * *status PP_EXIT_USAGE (a missing or bad value, an unusable template or
 * token file, a result over PP_CLOUDINIT_MAX bytes) or PP_EXIT_FAIL (the
 * token command could not be run, failed or timed out). Messages never
 * hold the token. */
char *pp_cloudinit_render(const struct pp_config *cfg, const char *node_id,
	const char *hostname, int redact, size_t *len, int *status,
	char *err, size_t errlen);
void pp_cloudinit_free(char *userdata);

/* The checks pp_cloudinit_render makes of the configuration, for
 * pp-config check: the values, the template, the text rendered with the
 * token redacted, and the token file opened with the checks its reader
 * makes (pp_secret_open), its content not read. No token command is
 * run.
 * Returns 0, or -1 with a message in err. */
int pp_cloudinit_check(const struct pp_config *cfg, char *err,
	size_t errlen);

/* The template used: cloud_init.template, else $PP_SHARE_DIR/, else
 * DATADIR/ + PP_CLOUDINIT_TEMPLATE. Caller frees. */
char *pp_cloudinit_template_path(const struct pp_config *cfg);

/* The placeholders pp_cloudinit_render fills, for a template check or a
 * custom renderer: returns a new set (free with pp_tvars_free) or NULL
 * with err. join_token is the token to fill in (may be the redaction
 * marker). */
struct pp_tvars *pp_cloudinit_vars(const struct pp_config *cfg,
	const char *node_id, const char *hostname, const char *join_token,
	char *err, size_t errlen);

#endif
