/* cli.c: the flags every tool shares */
#ifndef PP_CLI_H
#define PP_CLI_H

#include <getopt.h>
#include <time.h>

struct pp_config;

struct pp_options {
	const char *config_path; /* -c, else $PP_CONFIG, else the default */
	const char *now_arg;     /* --now as given */
	int dry_run;
	int pretty;
};
extern struct pp_options pp_opt;

/* Option codes for long-only options; tools number theirs from
 * PP_OPT_TOOL upwards. */
enum {
	PP_OPT_NOW = 0x100,
	PP_OPT_VERSION,
	PP_OPT_DRY_RUN,
	PP_OPT_STATE_DIR,
	PP_OPT_TOOL = 0x200
};

#define PP_COMMON_SHORTOPTS "c:pqvh"
#define PP_COMMON_LONGOPTS \
	{"config", required_argument, 0, 'c'}, \
	{"now", required_argument, 0, PP_OPT_NOW}, \
	{"pretty", no_argument, 0, 'p'}, \
	{"quiet", no_argument, 0, 'q'}, \
	{"verbose", no_argument, 0, 'v'}, \
	{"help", no_argument, 0, 'h'}, \
	{"version", no_argument, 0, PP_OPT_VERSION}
#define PP_DRYRUN_LONGOPT {"dry-run", no_argument, 0, PP_OPT_DRY_RUN}
/* --state-dir and -r/--registry, for the tools that take them (add "r:"
 * to the short options for -r) */
#define PP_STATE_DIR_LONGOPT \
	{"state-dir", required_argument, 0, PP_OPT_STATE_DIR}
#define PP_REGISTRY_LONGOPT {"registry", required_argument, 0, 'r'}
#define PP_STATE_DIR_HELP \
	"      --state-dir DIR state directory (default: config, else " \
	"$PP_STATE_DIR,\n" \
	"                      else /var/lib/ppscale)\n"
#define PP_REGISTRY_HELP \
	"  -r, --registry PATH registry file (default: config, else\n" \
	"                      STATE_DIR/registry.json)\n"

/* The common options' lines for usage(). */
#define PP_HELP_CONFIG \
	"  -c, --config FILE   configuration file (default $PP_CONFIG, else\n" \
	"                      /etc/ppscale/ppscale.yaml; built-in defaults\n" \
	"                      when neither exists)\n"
#define PP_HELP_NOW \
	"      --now TIME      the clock, as RFC 3339 (default: system clock)\n"
/* for the tools that take --now, as every tool does, but have no use
 * for the clock (their pages say so too) */
#define PP_HELP_NOW_UNUSED \
	"      --now TIME      accepted like every tool's, not used\n"
#define PP_COMMON_HELP_CONFIG PP_HELP_CONFIG PP_HELP_NOW
#define PP_COMMON_HELP_REST \
	"  -q, --quiet         only errors on stderr\n" \
	"  -v, --verbose       more detail on stderr\n" \
	"  -h, --help          this help\n" \
	"      --version       print the version\n"
#define PP_HELP_PRETTY \
	"  -p, --pretty        pretty-print JSON (default on a terminal)\n"
#define PP_COMMON_HELP PP_COMMON_HELP_CONFIG PP_HELP_PRETTY PP_COMMON_HELP_REST
#define PP_COMMON_HELP_NO_CLOCK PP_HELP_CONFIG PP_HELP_NOW_UNUSED \
	PP_HELP_PRETTY PP_COMMON_HELP_REST
/* For the tools whose output is not JSON: no -p. */
#define PP_TEXT_SHORTOPTS "c:qvh"
#define PP_TEXT_LONGOPTS \
	{"config", required_argument, 0, 'c'}, \
	{"now", required_argument, 0, PP_OPT_NOW}, \
	{"quiet", no_argument, 0, 'q'}, \
	{"verbose", no_argument, 0, 'v'}, \
	{"help", no_argument, 0, 'h'}, \
	{"version", no_argument, 0, PP_OPT_VERSION}
#define PP_TEXT_HELP PP_COMMON_HELP_CONFIG PP_COMMON_HELP_REST
#define PP_TEXT_HELP_NO_CLOCK PP_HELP_CONFIG PP_HELP_NOW_UNUSED \
	PP_COMMON_HELP_REST

/* Handles a common option; returns 1 if c was one, 0 otherwise.
 * usage(status) is called for -h (status 0). */
int pp_common_opt(int c, const char *arg, void (*usage)(int));
/* Call once after option parsing: applies --now, loads the config
 * (dies with status 2 on a bad one). Returns the config, owned by the
 * library. */
const struct pp_config *pp_start(void);
/* Whether JSON on stdout is for people: -p, or stdout is a terminal. */
int pp_pretty(void);
/* After option parsing: a stray operand is bad usage (exit 2). */
void pp_no_operands(int argc, char **argv, void (*usage)(int));
/* Reports an unexpected operand or a getopt error and exits 2. */
_Noreturn void pp_usage_error(void (*usage)(int));
/* The same for the option getopt_long has just refused (it said which):
 * a long option a typo away from one of longopts is named first. */
_Noreturn void pp_bad_option(void (*usage)(int), char **argv,
	const struct option *longopts);
/* The action of doc's decision, for pp-drain and pp-provision: NULL
 * when there is no decision or it names none. A decision that is not
 * an object, an action that is not a string or one no tool knows is a
 * bad document (dies with status 2). */
struct json_object;
const char *pp_decision_action(struct json_object *doc);

#endif
