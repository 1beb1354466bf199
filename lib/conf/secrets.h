/* secrets.c: the secrets a command line could leak, for the config
 * check of every *_command key */
#ifndef PP_SECRETS_H
#define PP_SECRETS_H

#include "conf/config.h"

struct pp_secrets;

/* The secrets known to this process: the Hetzner token ($HCLOUD_TOKEN,
 * cloud.token_file), the join token (cloud_init.join_token_file), the
 * database password ($PGPASSWORD, the password libpq would read from
 * its password file for c's registry and control.database). */
struct pp_secrets *pp_secrets_load(const struct pp_config *c);

/* Which secret argument a holds, as a phrase for a message that never
 * shows it ("the join token (cloud_init.join_token_file)"), or NULL. */
const char *pp_secrets_find(const struct pp_secrets *s, const char *a);

/* Wipes the secrets and frees s; NULL is fine. */
void pp_secrets_free(struct pp_secrets *s);

#endif
