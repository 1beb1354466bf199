/* The placement module: the fit, the slot count and the promise that a
 * scale-down the engine allows is one pp-drain can plan.
 * Usage: placement fit|slots|agree|types; exits 1 on a miss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp.h"
#include "conf/catalog.h"
#include "engine/placement.h"

static int failed;

static void
check(const char *what, int ok)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	failed |= !ok;
}

static void
fit(void)
{
	struct pp_bin b[3] = {{"a", 10, 0, 0}, {"b", 6, 0, 0},
		{"s", 20, 0, 1}};
	long long sizes[] = {8, 6, 4};
	size_t to[3];

	/* best fit: 8 onto a (10), 6 onto b (6), 4 onto the spare: a has
	 * 2 left */
	check("all fit", pp_place_fit(b, 3, sizes, 3, to) == 3);
	check("8 on a", to[0] == 0);
	check("6 on b, the tightest", to[1] == 1);
	check("4 on the spare, last", to[2] == 2);
	b[0].free = 10, b[1].free = 6, b[2].free = 20, b[2].spare = 0;
	{
		long long big[] = {21};

		check("a size no bin holds is index 0",
			pp_place_fit(b, 3, big, 1, NULL) == 0);
	}
}

static void
slots(void)
{
	struct pp_bin b[3] = {{"a", 15, 0, 0}, {"b", 7, 0, 0},
		{"c", 8, 0, 0}};

	/* each node on its own: 15/8 = 1, 7/8 = 0, 8/8 = 1 */
	check("fragmented: 30 free, 2 slots of 8",
		pp_place_slots(b, 3, 8) == 2);
	check("slots of 4: 3 + 1 + 2", pp_place_slots(b, 3, 4) == 6);
	check("no slot size, no slots", pp_place_slots(b, 3, 0) == 0);
}

/* A node of the engine's view; sizes are borrowed. */
static struct pp_enode
en(const char *id, int kind, int status, int role, long long usable,
	const long long *sizes, size_t n)
{
	struct pp_enode e;
	long long used = 0;

	memset(&e, 0, sizeof e);
	for (size_t i = 0; i < n; i++)
		used += sizes[i];
	e.id = id;
	e.kind = kind;
	e.status = status;
	e.role = role;
	e.usable_mb = usable;
	e.allocated_mb = used;
	e.container_mb = sizes;
	e.ncontainer_mb = n;
	e.containers = (long)n;
	return e;
}

static void
engine_slots(const struct pp_config *cfg)
{
	static const long long d[] = {4096, 4096, 4096}, c1[] = {2048};
	struct pp_enode nodes[5];
	struct pp_engine_ctx c;

	nodes[0] = en("ded", PP_KIND_DEDICATED, PP_ST_READY, PP_ROLE_WORKER,
		16384, d, 3);                    /* 4096 free: 1 slot */
	nodes[1] = en("boot", PP_KIND_CLOUD, PP_ST_PROVISIONING,
		PP_ROLE_WORKER, 15872, NULL, 0); /* 3 slots */
	nodes[2] = en("spare", PP_KIND_CLOUD, PP_ST_READY, PP_ROLE_SPARE,
		8192, NULL, 0);                  /* 2 slots */
	nodes[3] = en("drain", PP_KIND_CLOUD, PP_ST_DRAINING,
		PP_ROLE_WORKER, 15872, NULL, 0); /* none: going away */
	nodes[4] = en("w", PP_KIND_CLOUD, PP_ST_READY, PP_ROLE_WORKER,
		7680, c1, 1);                    /* 5632 free: 1 slot */
	pp_engine_ctx_init(&c, cfg, 1764000000);
	c.nodes = nodes;
	c.nnodes = 5;
	c.slot_mb = 4096;
	check("ready, booting and spare slots; draining left out",
		pp_engine_slots(&c, NULL) == 1 + 3 + 2 + 1);
	/* without w: its 2048 moves onto ded (best fit, spares left out):
	 * ded keeps 2048 free, no slot there; w's own slot goes */
	check("without a node: its slot gone, its game server moved",
		pp_engine_slots(&c, &nodes[4]) == 3 + 2);
	c.nnodes = 1;
	check("a full fragmented fleet", pp_engine_slots(&c, NULL) == 1);
	c.slot_mb = 0;
	check("no slot size, no slots", pp_engine_slots(&c, NULL) == 0);
	pp_engine_ctx_free(&c);
}

/* The type choices a caller's memo keeps (pp-sim) are the ones the
 * catalog gives: a fleet whose largest game server grows, then shrinks,
 * gets each time the type it would get without the memo. */
static void
types(const struct pp_config *cfg)
{
	static const long long sizes[3] = {2048, 6144, 2048};
	struct pp_type_memo memo;
	struct pp_catalog cat;
	char got[2][3][2][32];

	memset(&memo, 0, sizeof memo);
	/* one catalog for every cycle, as pp-sim has */
	pp_catalog_from_config(cfg, &cat);
	for (int round = 0; round < 2; round++)
		for (int k = 0; k < 3; k++) {
			struct pp_enode n = en("w", PP_KIND_CLOUD, PP_ST_READY,
				PP_ROLE_WORKER, 31744, &sizes[k], 1);
			struct pp_engine_ctx c;

			n.largest_mb = sizes[k];
			pp_engine_ctx_init(&c, cfg, 1764000000);
			c.nodes = &n;
			c.nnodes = 1;
			c.catalog = &cat;
			c.type_memo = round ? &memo : NULL;
			pp_engine_ctx_prepare(&c, NULL);
			snprintf(got[round][k][0], 32, "%s",
				c.worker_type.ok ? c.worker_type.type : "-");
			snprintf(got[round][k][1], 32, "%s",
				c.spare_type.ok ? c.spare_type.type : "-");
			pp_engine_ctx_free(&c);
		}
	printf("spares for 2 and 6 GB: %s, %s\n", got[0][0][1], got[0][1][1]);
	check("a larger game server asks for a larger spare",
		strcmp(got[0][0][1], got[0][1][1]) != 0 &&
		strcmp(got[0][0][1], "-") != 0);
	for (int k = 0; k < 3; k++)
		for (int w = 0; w < 2; w++)
			check(w ? "the memo's spare type is the catalog's" :
				"the memo's worker type is the catalog's",
				!strcmp(got[0][k][w], got[1][k][w]));
	check("the memo kept four answers", memo.used == 4);
	pp_catalog_free(&cat);
}

/* Random fleets: whenever the engine says a node's game servers fit
 * elsewhere, the drain planner finds them a home on the same fleet. */
static void
agree(const struct pp_config *cfg)
{
	unsigned long long s = 88172645463325252ULL;
	long agreed = 0, yes = 0, bounded = 0, pruned = 0, under = 0;

	for (int round = 0; round < 2000; round++) {
		struct pp_registry r;
		struct pp_enode e[8];
		long long sz[8][6];
		char ids[8][8];
		size_t nn = 2 + round % 6;

		memset(&r, 0, sizeof r);
		r.nodes = pp_xcalloc(nn, sizeof *r.nodes);
		r.nnodes = nn;
		for (size_t i = 0; i < nn; i++) {
			struct pp_node *n = &r.nodes[i];
			size_t nc;
			long long used = 0;

			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			nc = s % 6;
			snprintf(ids[i], sizeof ids[i], "n%zu", i);
			n->id = ids[i];
			n->kind = PP_KIND_CLOUD;
			n->status = s % 11 ? PP_ST_READY : PP_ST_PROVISIONING;
			n->role = s % 7 ? PP_ROLE_WORKER : PP_ROLE_SPARE;
			n->usable_ram_mb = 4096 * (long long)(1 + s % 8);
			n->containers = pp_xcalloc(nc ? nc : 1,
				sizeof *n->containers);
			for (size_t k = 0; k < nc; k++) {
				long long mb;

				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				mb = 1024LL << (s % 4);
				if (used + mb > n->usable_ram_mb)
					break;
				n->containers[n->ncontainers].id = "c";
				n->containers[n->ncontainers].ram_mb = mb;
				n->containers[n->ncontainers].state =
					PP_CS_RUNNING;
				sz[i][n->ncontainers++] = mb;
				used += mb;
			}
			n->allocated_ram_mb = used;
			if (n->role == PP_ROLE_SPARE && used)
				n->role = PP_ROLE_WORKER;
			e[i] = en(ids[i], n->kind, n->status, n->role,
				n->usable_ram_mb, sz[i], n->ncontainers);
		}
		for (size_t v = 0; v < nn; v++) {
			struct pp_engine_ctx c;
			struct pp_plan plan;
			char why[256];
			int ok;

			if (e[v].status != PP_ST_READY)
				continue;
			pp_engine_ctx_init(&c, cfg, 1764000000);
			c.nodes = e;
			c.nnodes = nn;
			ok = pp_engine_fits_elsewhere(&c, &e[v], why,
				sizeof why);
			/* the unneeded rule's shortcut never says fewer
			 * slots than the fit finds */
			c.slot_mb = 2048LL << (round % 3);
			{
				long most = pp_engine_slots_most(&c, &e[v]);
				long exact = pp_engine_slots(&c, &e[v]);

				bounded++;
				pruned += most < 2;
				if (most < exact && ++under)
					printf("FAIL round %d node %zu: bound "
						"%ld under %ld\n", round, v,
						most, exact);
			}
			pp_drain_plan(&r, ids[v], &plan);
			if (ok) {
				yes++;
				agreed += plan.ok;
			}
			pp_plan_free(&plan);
			pp_engine_ctx_free(&c);
		}
		for (size_t i = 0; i < nn; i++)
			free(r.nodes[i].containers);
		free(r.nodes);
	}
	printf("%ld scale-downs the engine allowed, %ld planned\n", yes,
		agreed);
	check("the engine's yes is the planner's yes", yes > 100 &&
		agreed == yes);
	printf("%ld slot counts bounded, %ld under 2 slots by the bound\n",
		bounded, pruned);
	check("the slot bound is never under the fit's count",
		bounded > 1000 && pruned > 100 && !under);
}

int
main(int argc, char **argv)
{
	char err[256];
	struct pp_config *cfg = pp_engine_config_parse(NULL, 0, "t", err,
		sizeof err);
	const char *c = argc > 1 ? argv[1] : "";

	if (!cfg)
		return 2;
	if (!strcmp(c, "fit")) {
		fit();
	} else if (!strcmp(c, "slots")) {
		slots();
		engine_slots(cfg);
	} else if (!strcmp(c, "types")) {
		types(cfg);
	} else if (!strcmp(c, "agree")) {
		agree(cfg);
	} else {
		pp_config_free(cfg);
		return 2;
	}
	pp_config_free(cfg);
	return failed;
}
