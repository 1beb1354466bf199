/* regcheck.c: what the registry's ids and addresses may hold */
#ifndef PP_REGCHECK_H
#define PP_REGCHECK_H

/* An id (node or game server) reaches file names, hook arguments and
 * the cloud's server names: letters, digits, '.', '_' and '-', not
 * starting with '-' (it would read as an option), not "." or "..".
 * 0 when s is such an id, -1 otherwise. */
int pp_regcheck_id(const char *s);
/* An IPv4 or IPv6 address in text form (inet_pton): 0 or -1. */
int pp_regcheck_ip(const char *s);

#endif
