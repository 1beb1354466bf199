/* label.c: the syntax of a Hetzner label, shared by the config check
 * and the providers */
#ifndef PP_LABEL_H
#define PP_LABEL_H

/* Key "[prefix/]name": name up to 63 of [a-zA-Z0-9-_.] starting and
 * ending alphanumeric; prefix a DNS name. Value: like a name, or "". */
int pp_label_key_valid(const char *k);
int pp_label_value_valid(const char *v);

/* Hetzner keeps the keys under this prefix for itself: a server
 * labelled with one is refused (422 invalid_input). */
#define PP_LABEL_RESERVED "hetzner.cloud/"
int pp_label_key_reserved(const char *k);

#endif
