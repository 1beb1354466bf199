/* template.c: a small, safe text template renderer
 *
 *   {{name}}          the value as a YAML double-quoted string
 *   {{name|raw}}      the value as it is
 *   {{name|sh}}       the value in POSIX shell single quotes
 *   {{#name}}..{{/name}}  for a list: once per item, {{.}} is the item;
 *                     for a value: once when it is not empty
 *   {{^name}}..{{/name}}  once when the list or value is empty
 *   {{! comment }}    dropped
 *
 * A section or comment tag alone on its line takes the line with it.
 * Every name is checked when the template is parsed, whether or not its
 * section is rendered: an unknown name, a name without a value, a list
 * used as a value, an unknown filter or an unbalanced section is an
 * error naming it and its line. No value may hold a control character
 * (a newline above all), so no value can start a new YAML line: a value
 * is either quoted ({{name}}) or, with |raw, meant for block scalars and
 * comments, where a single line cannot end the block. */
#ifndef PP_TEMPLATE_H
#define PP_TEMPLATE_H

#include <stddef.h>

struct pp_tvars;

struct pp_tvars *pp_tvars_new(void);
/* Wipes the values (they may hold secrets) and frees the set. */
void pp_tvars_free(struct pp_tvars *v);
/* Sets a value (copied). value NULL declares the name without a value:
 * a template that uses it fails with "no value for 'name'". */
void pp_tvars_set(struct pp_tvars *v, const char *name, const char *value);
/* Declares name as a list (empty until items are added). */
void pp_tvars_list(struct pp_tvars *v, const char *name);
/* Appends an item (copied) to the list name, declaring it if needed. */
void pp_tvars_add(struct pp_tvars *v, const char *name, const char *item);

/* Renders tmpl (len bytes; label names it in errors). Returns the
 * NUL-terminated result (caller frees, with pp_template_free when it
 * may hold a secret) and its length in *outlen, or NULL with
 * "template 'LABEL' line N: ..." in err. */
char *pp_template_render(const char *tmpl, size_t len, const char *label,
	const struct pp_tvars *v, size_t *outlen, char *err, size_t errlen);
/* Wipes and frees a rendered text. */
void pp_template_free(char *s);

#endif
