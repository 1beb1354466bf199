/* The event log: one JSON object per line, appended with one write(2)
 * so concurrent tools never interleave inside a line. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "doc.h"
#include "events.h"
#include "util.h"

static char *events_path;
static const struct pp_config *events_cfg;

static void
free_path(void)
{
	free(events_path);
	events_path = NULL;
}

void
pp_events_init(const struct pp_config *cfg, const char *path)
{
	if (!events_path && path)
		atexit(free_path);
	free(events_path);
	events_path = path ? pp_xstrdup(path) : NULL;
	events_cfg = cfg;
}

void
pp_event(const char *type, json_object *fields)
{
	json_object *ev = json_object_new_object();
	const char *line;
	char *buf;
	size_t len;
	int fd;

	json_object_object_add(ev, "time", pp_jnew_time(pp_now()));
	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_add(ev, "tool", json_object_new_string(
		pp_progname));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(ev, k, json_object_get(v));
		json_object_put(fields);
	}
	if (!events_path)
		goto out;
	line = pp_json_string(ev, 0);
	buf = pp_xasprintf("%s\n", line);
	len = strlen(buf);
	fd = open(events_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		0640);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		pp_warn("cannot append to events file '%s':", events_path);
	if (fd >= 0)
		close(fd);
	free(buf);
out:
	json_object_put(ev);
}
