/* engine.c: the decision engine — the policy interface, the context the
 * policies look at, the registration list and the combining rules
 * (DESIGN section 4).
 *
 * The engine does no file, network or event I/O: it reads a context
 * and a state object and returns a decision, so pp-decide and pp-sim
 * run the very same code. pp-decide (cmd/pp-decide.c over lib/run/decide.c)
 * loads and saves the state file and emits the events.
 *
 * Two ways in:
 *
 *   1. From the pipe document (what pp-decide does):
 *
 *	json_object *d = pp_engine_decide(cfg, doc, decide_state,
 *		refusals, now, dry_run);
 *
 *   2. Without JSON per step (what pp-sim does):
 *
 *	struct pp_engine_ctx ctx;
 *	pp_engine_ctx_init(&ctx, cfg, now);
 *	ctx.nodes = my_nodes; ctx.nnodes = n;     (caller owns them)
 *	ctx.catalog = &my_catalog;                 (caller owns it)
 *	ctx.forecast = forecast_json_or_NULL;      (borrowed)
 *	ctx.history = ...;                         (plain figures)
 *	pp_engine_ctx_prepare(&ctx, refusals);    derived figures
 *	pp_engine_run(&ctx, decide_state, dry_run, &dec);
 *	... read dec.action, dec.count, dec.node ...
 *	pp_decision_free(&dec);
 *	pp_engine_ctx_free(&ctx);                  frees only what
 *						    prepare/from_doc made
 *
 * Adding a policy: a new lib/engine/policy_NAME.c defining
 * `const struct pp_policy pp_policy_NAME` with its config section (its
 * keys, defaults, ranges and default-profile values: lib/conf/keys.h),
 * its extern line below, and one line in the table in
 * lib/engine/engine.c. The config, pp-config, pp-status, pp-sim and
 * --explain walk the table. A policy switched off in the config (its
 * `enabled` key) is listed with verdict "off".
 *
 * ---------------------------------------------------------------------
 * State: the "decide" section of STATE_DIR/state.json (in/out), whose
 * shape lib/store/decide_mem.h owns; each policy keeps its own keys in
 * its entry under "policies" (reactive: "below_since", since when the
 * capacity has been below the down threshold without a break).
 *
 * Refusals: the "refusals" section, written by pp-provision when the
 * cloud refuses an order; its shape is lib/store/refusals.h's.
 * ---------------------------------------------------------------------
 */
#ifndef PP_ENGINE_H
#define PP_ENGINE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <json-c/json.h>

struct pp_config;
struct pp_conf_section;
struct pp_catalog;
struct pp_forecast;

enum pp_action {
	PP_ACT_NONE, PP_ACT_SCALE_UP, PP_ACT_PROVISION_SPARE,
	PP_ACT_SCALE_DOWN, PP_ACT_UNCORDON
};
enum pp_urgency {
	PP_URG_LOW, PP_URG_MEDIUM, PP_URG_HIGH, PP_URG_CRITICAL
};
/* What one policy says in one cycle. */
enum pp_verdict_kind {
	PP_V_NONE,   /* nothing to do */
	PP_V_UP,     /* wants capacity (action scale_up or provision_spare) */
	PP_V_DOWN,   /* would remove a node */
	PP_V_VETO,   /* forbids any scale-down this cycle */
	PP_V_OFF     /* switched off in the config */
};

const char *pp_action_name(int action);
const char *pp_urgency_name(int urgency);
const char *pp_verdict_name(int verdict);

/* One node as the engine sees it (the document's per-node summary). */
struct pp_enode {
	const char *id;
	int kind, status, role;     /* enum pp_kind, pp_status, pp_role */
	long long usable_mb;        /* total - reserved */
	long long allocated_mb;     /* held by game servers */
	long long largest_mb;       /* largest game server not stopped */
	long containers;            /* recorded, stopped ones included */
	const long long *container_mb; /* RAM each holds (cloud nodes) */
	size_t ncontainer_mb;
	const char *server_type, *location;
	double hourly_eur;
	time_t created_at;          /* 0 unknown */
	const char *provider;       /* cloud.provider of a cloud node */
	const char *server_id;      /* as the document gives it, or NULL */
	int no_server;              /* a cloud node whose server_id the
				     * document gives as null or empty */
	int maintenance;            /* draining_by maintenance: drained by
				     * hand, not the pipeline's to finish
				     * or to uncordon */
	int expiring;               /* draining_by expire: pp-provision is
				     * deleting a server that did not boot
				     * or join; neither continued nor
				     * uncordoned */
	int delete_protected;       /* the cloud refuses to delete its
				     * server: never removed */
	int stranded;               /* "stranded": its server no longer
				     * carries our labels (pp-provision
				     * reported it): not ours to delete */
	const char *draining_by;    /* as the document says, or NULL */
	time_t draining_since;      /* when its drain began; 0 unknown */
};

/* A server type chosen for new nodes, in a location. */
struct pp_choice {
	int ok;                     /* 0: nothing orderable fits */
	char type[32], location[32];
	double memory_gb, hourly_eur;
	long long usable_mb;        /* memory - cloud.reserved_ram_mb */
	long long short_mb;         /* > 0: no type holds this many MB,
	                             * the type is the largest one */
	char why[160];              /* when !ok: why nothing fits */
};

/* The type choices of earlier cycles, kept by a caller that runs the
 * engine many times on one config and catalog (pp-sim), so a cycle
 * without refusals does not walk the catalog again. Zeroed to start. */
struct pp_type_memo {
	struct {
		const void *cfg, *cat;
		int mode;
		long long need;
		struct pp_choice ch;
	} e[4];
	unsigned next, used;
};

struct pp_history_figures {
	int present;
	double avg_1h_mb, avg_24h_mb;
	long long peak_24h_mb;
	long samples;
};

struct pp_engine_ctx {
	/* inputs */
	const struct pp_config *cfg;
	time_t now;
	size_t nnodes;
	const struct pp_enode *nodes;
	const struct pp_catalog *catalog;  /* NULL: the config's catalog */
	struct pp_history_figures history;
	json_object *forecast;             /* document's forecast, or NULL */
	const struct pp_forecast *fc;      /* the forecast as a struct
					    * (pp-sim: no JSON per cycle);
					    * used before `forecast` */
	int lean;                          /* 1: no figures objects in the
					    * evaluations, no summary reason
					    * for "none" (pp-sim) */
	json_object *doc;                  /* whole document, or NULL */
	struct pp_type_memo *type_memo;    /* NULL, or the caller's memo
					    * (used when no refusal is
					    * given) */
	long long slot_memory_mb;          /* largest game server the
					    * headroom policy remembers
					    * (pp_headroom_memory), 0 none */

	/* derived by pp_engine_ctx_prepare */
	int weekday;       /* local, 0 Sunday .. 6 Saturday; holiday -> 6 */
	int hour;          /* local hour 0..23 */
	int weekend;       /* Saturday or Sunday (after the holiday rule) */
	int holiday;       /* today is a listed holiday */
	char local_date[16];
	long long total_mb;      /* usable RAM of ready nodes */
	long long allocated_mb;  /* held on all nodes */
	long long pending_mb;    /* usable RAM of provisioning nodes */
	double capacity_pct;     /* allocated / total * 100, exact */
	double effective_pct;    /* allocated / (total + pending) * 100 */
	long cloud_nodes;        /* cloud nodes in any status */
	long spares;             /* ready cloud spares holding no RAM (and,
				  * with a slot size, holding a slot) */
	long spares_pending;     /* provisioning cloud nodes with role spare */
	long long largest_mb;    /* largest game server in the fleet */
	long long slot_mb;       /* the headroom's slot size (config, or
				  * the largest now or remembered); 0 when
				  * the headroom policy is off */
	long slots;              /* free slots of slot_mb on ready and
				  * provisioning nodes (pp_engine_slots) */
	double rise_mb;          /* the forecast's rise_mb (largest rise at
				  * this time of day), -1 when it has none */
	double step_mb;          /* the forecast's step_mb (the rise within
				  * the headroom's step_window, now), -1
				  * when it has none */
	int lead_known;          /* lead_rise_mb is set: the headroom's
				  * lead is on and there is a forecast */
	double lead_rise_mb;     /* the forecast's rise within the
				  * headroom's lead over allocated_mb now
				  * (below 0: a fall) */
	long slots_wanted;       /* the headroom's K, raised to hold that
				  * rise (pp_headroom_wanted); 0 when off */
	long spares_small;       /* idle spares too small for a slot: not
				  * counted in spares */
	double cloud_hourly_eur; /* what the cloud nodes cost now */
	struct pp_choice worker_type; /* by cloud.type_choice */
	struct pp_choice spare_type;  /* by policies.spare.type_choice */

	/* set by pp_engine_run from the state, 0 when never */
	time_t last_scale_up;    /* any policy's scale_up or uncordon */
	time_t last_scale_down;

	/* private: what from_doc/prepare allocated */
	void *priv;
};

/* One policy's verdict, filled by its hooks. */
struct pp_verdict {
	int verdict;       /* enum pp_verdict_kind */
	int action;        /* with PP_V_UP: scale_up or provision_spare */
	int urgency;
	long count;
	const char *node;  /* with PP_V_DOWN: a node the policy names
			    * (borrowed from ctx), NULL: the engine picks */
	long keep_spares;  /* spares this policy wants kept (floor for any
			    * scale-down), 0 for none */
	char reason[256];
	json_object *figures; /* object, created by the engine; policies add
			       * the numbers they looked at */
	void *scratch;        /* what should_scale_* leave for the same
			       * cycle's update() (one malloc'd block, the
			       * engine frees it) */
};

struct pp_policy;

/* What a policy's update() sees of the decision. */
struct pp_decision_view {
	int action;
	const struct pp_policy *policy;
};

struct pp_policy {
	const char *name;
	/* its keys under policies.NAME; the struct they fill begins with
	 * struct pp_policy_conf (lib/engine/settings.h) */
	const struct pp_conf_section *conf;
	/* Both hooks read ctx and their own state object `mine` (the
	 * policy's entry under "policies", possibly empty; never NULL) and
	 * must not change either. should_scale_down is called only when
	 * should_scale_up left the verdict at PP_V_NONE; it may set
	 * PP_V_DOWN, PP_V_VETO or leave PP_V_NONE. Either may be NULL. */
	void (*should_scale_up)(const struct pp_policy *p,
		const struct pp_engine_ctx *ctx, json_object *mine,
		struct pp_verdict *v);
	void (*should_scale_down)(const struct pp_policy *p,
		const struct pp_engine_ctx *ctx, json_object *mine,
		struct pp_verdict *v);
	/* Called after the decision when the state is kept (not dry run),
	 * to update the policy's own keys in `mine`; may be NULL. The
	 * engine itself records last_action/last_action_at for the
	 * policy whose action was taken. */
	void (*update)(const struct pp_policy *p,
		const struct pp_engine_ctx *ctx, json_object *mine,
		const struct pp_verdict *v, const struct pp_decision_view *d);
};

/* The registered policies, sorted by priority (highest first) for cfg
 * (cfg NULL: in the table's order); returns the count. */
extern const struct pp_policy pp_policy_reactive;
extern const struct pp_policy pp_policy_spare;
extern const struct pp_policy pp_policy_predictive;
extern const struct pp_policy pp_policy_unneeded;
extern const struct pp_policy pp_policy_headroom;
size_t pp_engine_policies(const struct pp_config *cfg,
	const struct pp_policy **out, size_t max);
/* A policy's settings (its section's struct) and the two every policy
 * has. */
const void *pp_policy_settings(const struct pp_config *cfg,
	const struct pp_policy *p);
int pp_policy_enabled(const struct pp_config *cfg, const struct pp_policy *p);
long pp_policy_priority(const struct pp_config *cfg,
	const struct pp_policy *p);
/* The config with the keys of every policy in the table: what the tools
 * load (pp_config_load with the table's sections). */
struct pp_config *pp_engine_config_load(const char *path, char *err,
	size_t errlen);
struct pp_config *pp_engine_config_parse(const char *yaml, size_t len,
	const char *name, char *err, size_t errlen);
/* Prints every key of that config (pp_config_dump_keys). */
void pp_engine_config_keys(FILE *f);

struct pp_evaluation {
	const struct pp_policy *policy;
	int enabled;
	long priority;
	struct pp_verdict v;
};

/* The one action of the cycle. */
struct pp_decision {
	int action;                 /* enum pp_action */
	const struct pp_policy *policy; /* NULL for none without a winner */
	long priority;
	int urgency;
	long count;
	char server_type[32], location[32];
	char node[128];             /* scale_down and uncordon */
	int role;                   /* PP_ROLE_WORKER / PP_ROLE_SPARE */
	char reason[512];
	int dry_run;
	int continued;              /* scale_down of a node already draining */
	long long overdue_s;        /* continued: how long the node has
				     * drained, when overdue
				     * (pp_drain_overdue_after); else 0 */
	long keep_spares;           /* spares the policies want kept */
	/* a limit clipped the scale-up */
	int clipped;
	char clip_limit[32];        /* max_cloud_nodes, placement_group_limit
	                             * or max_hourly_eur */
	long clip_requested, clip_allowed;
	/* every policy, in priority order */
	size_t neval;
	struct pp_evaluation *eval;
	/* scale-down candidates looked at: [{"node","ok","why"}] */
	json_object *candidates;
	/* draining nodes the pipeline leaves as they are, and why:
	 * [{"node","draining_by","why"}] */
	json_object *drains_left;
};

/* Fills in cfg, now and defaults; nodes/catalog left empty. */
void pp_engine_ctx_init(struct pp_engine_ctx *ctx,
	const struct pp_config *cfg, time_t now);
/* Derives the figures above from nodes, cfg, catalog and refusals (the
 * state's "refusals" section, may be NULL). Local time comes from the
 * configured time zone (TZ is set and restored around localtime_r). */
void pp_engine_ctx_prepare(struct pp_engine_ctx *ctx, json_object *refusals);
/* 1 when node n is booting capacity: provisioning, and (a cloud node)
 * not older than cloud.join_timeout, past which its agent never joined
 * and it counts for nothing. */
int pp_engine_booting(const struct pp_engine_ctx *ctx,
	const struct pp_enode *n);
/* Builds a prepared context from the pipe document (borrowed: keep doc
 * alive while ctx is used). -1 with a message for a document that
 * lacks what the engine needs. */
int pp_engine_ctx_from_doc(struct pp_engine_ctx *ctx,
	const struct pp_config *cfg, json_object *doc, json_object *refusals,
	time_t now, char *err, size_t errlen);
/* Marks stranded the cloud nodes of a context from a document whose
 * servers are in stranded (the state's stranded_servers, by server id:
 * pp-provision found them relabelled out of our pool). pp-decide reads
 * them from its own state, so a document whose pp-fleetstats could not
 * read the state still never has one chosen to go. */
void pp_engine_ctx_strand(struct pp_engine_ctx *ctx, json_object *stranded);
/* Gives a prepared context the headroom's memory from the "decide"
 * state (pp_headroom_memory), preparing it again when that changes the
 * slot size. */
void pp_engine_ctx_recall(struct pp_engine_ctx *ctx,
	json_object *decide_state, json_object *refusals);
void pp_engine_ctx_free(struct pp_engine_ctx *ctx);

/* Runs every policy and combines their verdicts. decide_state is the
 * "decide" section (may be NULL: no memory); it is updated in place
 * unless dry_run, in which case it is only read. */
void pp_engine_run(const struct pp_engine_ctx *ctx, json_object *decide_state,
	int dry_run, struct pp_decision *d);
void pp_decision_free(struct pp_decision *d);
/* The document's "decision" object (see pp-decide(1)). */
json_object *pp_decision_json(const struct pp_decision *d);

/* Adds the engine's own figures ("figures": capacity, cloud nodes,
 * spares, chosen types, local time) to a decision object. */
void pp_engine_figures(const struct pp_engine_ctx *ctx,
	const struct pp_decision *d, json_object *decision);

/* Document in, decision object out: ctx_from_doc + run + json. Returns
 * NULL with a message in err for a document it cannot use. */
json_object *pp_engine_decide(const struct pp_config *cfg, json_object *doc,
	json_object *decide_state, json_object *refusals, time_t now,
	int dry_run, char *err, size_t errlen);

/* Helpers for policies. */
time_t pp_jtime(json_object *o, const char *key);  /* 0 when absent */
void pp_figure_num(struct pp_verdict *v, const char *key, double value,
	int digits);
void pp_figure_int(struct pp_verdict *v, const char *key, long long value);
void pp_figure_str(struct pp_verdict *v, const char *key, const char *s);
/* Formats v's reason (truncated, as pp_say). pp-sim (ctx->lean) reads
 * only the reasons of verdicts that act: there, a verdict still
 * PP_V_NONE gets none (formatting them was a fifth of its time). Set
 * the verdict first; never test a reason as logic. */
/* What needs mb MB of a new node (a pp_choice's short_mb): "the
 * largest game server", "the headroom's slot" or
 * "cloud.min_usable_ram_mb". */
const char *pp_engine_need_name(const struct pp_engine_ctx *c, long long mb);
/* 1 when the type new nodes get holds no headroom slot (no allowed
 * type is that big): buying makes no slot, and no slot floor holds. */
int pp_engine_slot_unbuyable(const struct pp_engine_ctx *c);
/* Seconds a pipeline drain runs before it is overdue (drain.player_grace
 * + drain.deadline; 0: never, drain.deadline 0), its text in lim. */
long pp_drain_overdue_after(const struct pp_config *cfg, char *lim,
	size_t len);
void pp_verdict_say(const struct pp_engine_ctx *c, struct pp_verdict *v,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Spares the spare pool wants now (schedule, bounds), for ctx. */
long pp_spare_target(const struct pp_engine_ctx *ctx);
/* The headroom policy's memory in the "decide" state: the largest game
 * server seen within policies.headroom.memory, 0 when none or when the
 * policy is off. Set it as ctx->slot_memory_mb before preparing. */
long long pp_headroom_memory(const struct pp_config *cfg,
	json_object *decide_state, time_t now);
/* Free slots the headroom wants: K, or more when the largest rise seen
 * at this time of day (ctx->rise_mb, the forecast's), the rise the
 * forecast expects within the lead (ctx->lead_rise_mb) or the rise
 * within the step window now (ctx->step_mb) takes more slots, at most
 * max_slots; 0 when headroom is off or has no slot size. Set
 * by prepare as ctx->slots_wanted. */
long pp_headroom_wanted(const struct pp_engine_ctx *ctx);
/* What the forecast expects allocated RAM to rise by within the
 * headroom's lead (ctx->fc, else the document's forecast), over what is
 * allocated now, in *rise (below 0: a fall). 0 when the lead is off or
 * there is no forecast, else 1. Set by prepare as ctx->lead_known and
 * ctx->lead_rise_mb. */
int pp_headroom_lead_rise(const struct pp_engine_ctx *ctx, double *rise);
/* Free slots any scale-down must leave (slots_wanted plus down_slots),
 * 0 when headroom is off or no type new workers can have holds a slot. */
long pp_headroom_floor(const struct pp_engine_ctx *ctx);

#endif
