/* Fuzzes the cloud-init template renderer with the names the cloud-init
 * renderer declares: values (one with YAML and shell specials, one
 * empty), lists (one empty) and a name without a value. */
#include "fuzz.h"

static struct pp_tvars *v;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *out;
	size_t olen;

	if (!v) {
		FUZZ_INIT();
		v = pp_tvars_new();
		pp_tvars_set(v, "node_id", "cloud-7f3a");
		pp_tvars_set(v, "hostname", "cloud-7f3a");
		pp_tvars_set(v, "join_token", "s3cr'et\"\\ $(x) `y` #z: {{a}}");
		pp_tvars_set(v, "empty", "");
		pp_tvars_set(v, "agent_sha256", NULL);
		pp_tvars_add(v, "ssh_keys", "ssh-ed25519 AAAA a@b");
		pp_tvars_add(v, "ssh_keys", "ssh-rsa BBBB c@d");
		pp_tvars_list(v, "dns");
	}
	out = pp_template_render((const char *)data, size, "fuzz", v,
		&olen, err, sizeof err);
	pp_template_free(out);
	return 0;
}
