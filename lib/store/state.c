/* The state file: a JSON object, locked and replaced atomically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "store/state.h"

#define MAX_BYTES (16u << 20)

json_object *
pp_state_parse(const char *text, size_t len, const char *name, char *err,
	size_t errlen)
{
	char jerr[256];
	json_object *o = pp_json_parse(text, len, jerr, sizeof jerr);
	json_object *v;

	if (!o) {
		snprintf(err, errlen, "state file '%s' is corrupt: %s (use "
			"--reset-state to start fresh)", name, jerr);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "state file '%s' is corrupt: not a "
			"JSON object (use --reset-state to start fresh)", name);
		json_object_put(o);
		return NULL;
	}
	v = pp_jget(o, "version");
	if (v && (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) > PP_STATE_VERSION)) {
		snprintf(err, errlen, "state file '%s' has unsupported "
			"version '%s'", name, json_object_get_string(v));
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A failed open owns nothing: the caller need not close it. */
static int
failed(struct pp_state *s, int rc)
{
	pp_unlock(&s->lock);
	free(s->path);
	s->path = NULL;
	return rc;
}

int
pp_state_open(struct pp_state *s, const char *path, int mode, char *err,
	size_t errlen)
{
	size_t len;
	char *text;

	memset(s, 0, sizeof *s);
	s->lock.fd = -1;
	s->path = pp_xstrdup(path);
	if (mode == PP_LOCK_EX) {
		char *dir = pp_dirname(path);

		if (pp_mkdirs(dir, 0755) < 0) {
			snprintf(err, errlen, "cannot create state directory "
				"'%s': %s", dir, strerror(errno));
			free(dir);
			return failed(s, -2);
		}
		free(dir);
	}
	/* Never read or write without the lock: a lock file that
	 * cannot be opened (another user's, 0600; a read-only file
	 * system) is an error that names it, like the registry's. Only
	 * a state file that does not exist, nor its directory, falls
	 * through, for reading to find it missing. */
	if ((mode == PP_LOCK_EX || access(path, F_OK) == 0) &&
	    pp_lock(&s->lock, path, mode ? mode : PP_LOCK_SH, 30) < 0) {
		int e = errno;
		int late = e == ETIMEDOUT || e == EINTR;

		if (late || e != ENOENT || access(path, F_OK) == 0) {
			char *lp = pp_lock_name(path);

			snprintf(err, errlen, "cannot lock state file '%s': "
				"lock file '%s': %s", path, lp, strerror(e));
			free(lp);
			return failed(s, late ? -2 : -3);
		}
	}
	text = pp_read_file(path, MAX_BYTES, &len);
	if (!text) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "cannot read state file '%s': "
				"%s", path, strerror(errno));
			return failed(s, -1);
		}
		s->root = json_object_new_object();
		json_object_object_add(s->root, "version",
			json_object_new_int(PP_STATE_VERSION));
	} else {
		s->root = pp_state_parse(text, len, path, err, errlen);
		free(text);
		if (!s->root)
			return failed(s, -1);
	}
	if (!mode)
		pp_unlock(&s->lock);
	return 0;
}

int
pp_state_save(struct pp_state *s)
{
	const char *text = pp_json_string(s->root, 1);

	return pp_write_atomic(s->path, text, strlen(text), 0644);
}

void
pp_state_close(struct pp_state *s)
{
	json_object_put(s->root);
	s->root = NULL;
	pp_unlock(&s->lock);
	free(s->path);
	s->path = NULL;
}

json_object *
pp_state_section(struct pp_state *s, const char *name)
{
	json_object *o = pp_jget(s->root, name);

	if (!o || !json_object_is_type(o, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(s->root, name, o);
	}
	return o;
}
