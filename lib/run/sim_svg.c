/* pp-sim --svg: demand, capacity and actions over time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/catalog.h"
#include "conf/config.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/forecast.h"
#include "store/history.h"
#include "store/registry.h"
#include "run/sim.h"
#include "run/sim_int.h"
#include "run/trace.h"
#include "base/util.h"

/* ---- the picture ------------------------------------------------- */

#define SVG_W 1200
#define SVG_H 420
#define ML 70
#define MR 20
#define MT 40
#define MB 60

static double
nice_step(double range)
{
	double raw = range / 6, mag = pow(10, floor(log10(raw)));

	if (raw / mag < 2)
		return 2 * mag;
	if (raw / mag < 5)
		return 5 * mag;
	return 10 * mag;
}

static void
polyline(struct pp_buf *b, const struct sim *S, int which, const char *color,
	const char *extra)
{
	double pw = SVG_W - ML - MR, ph = SVG_H - MT - MB;

	pp_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"1.5\"%s points=\"", color, extra);
	for (size_t i = 0; i < S->nbins; i++) {
		const struct svgbin *bn = &S->bins[i];
		double v;

		if (!bn->set)
			continue;
		v = which == 0 ? bn->demand : which == 1 ? bn->ready :
			bn->pending;
		pp_buf_printf(b, "%.1f,%.1f ", ML + pw * (double)i /
			(double)S->nbins, MT + ph - ph * v / S->ymax);
	}
	pp_buf_addstr(b, "\"/>\n");
}

void
pp_sim_write_svg(struct sim *S)
{
	struct pp_buf b = {0};
	double pw = SVG_W - ML - MR, ph = SVG_H - MT - MB;
	time_t t0 = S->d.t0, t1 = S->d.t0 + (time_t)S->d.n * S->d.step;
	double ystep, gbmax;
	long days = (long)((t1 - t0) / 86400) + 1, dstep;
	double y;

	S->ymax *= 1.08;
	gbmax = S->ymax / 1024;
	ystep = nice_step(gbmax);
	pp_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
		"font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n", SVG_W, SVG_H);
	pp_buf_printf(&b, "<text x=\"%d\" y=\"18\" font-size=\"14\">pp-sim: "
		"%s — cost %.2f EUR, %lld/%lld starts refused</text>\n", ML,
		S->o->trace, S->cost, S->p.refused, S->p.starts);
	for (y = 0; y <= gbmax; y += ystep) {
		double py = MT + ph - ph * y / gbmax;

		pp_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n", ML, SVG_W - MR, py,
			py, ML - 6, py + 4, y);
	}
	pp_buf_printf(&b, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 "
		"%d)\" text-anchor=\"middle\">RAM (GB)</text>\n",
		MT + (SVG_H - MT - MB) / 2, MT + (SVG_H - MT - MB) / 2);
	dstep = days <= 10 ? 1 : days <= 30 ? 7 : days <= 120 ? 14 : 30;
	for (time_t t = t0 - t0 % 86400 + 86400; t < t1;
	     t += 86400 * dstep) {
		double px = ML + pw * (double)(t - t0) / (double)(t1 - t0);
		char buf[PP_TIME_LEN];

		pp_format_time(t, buf, sizeof buf);
		buf[10] = '\0';
		pp_buf_printf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
			"y2=\"%d\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">%s</text>\n", px, px, MT,
			SVG_H - MB, px, SVG_H - MB + 16, buf);
	}
	pp_buf_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		"time (UTC)</text>\n", ML + (int)pw / 2, SVG_H - MB + 34);
	y = MT + ph - ph * (double)S->ded_mb / S->ymax;
	pp_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#555\" stroke-dasharray=\"6 3\"/>\n", ML, SVG_W - MR,
		y, y);
	polyline(&b, S, 2, "#f0a030", " stroke-dasharray=\"3 2\"");
	polyline(&b, S, 1, "#2a7ab9", "");
	polyline(&b, S, 0, "#c0392b", "");
	for (size_t i = 0; i < S->nacts; i++) {
		const struct act *a = &S->acts[i];
		double px = ML + pw * (double)(a->t - t0) / (double)(t1 - t0);
		const char *c = a->kind == PP_ACT_SCALE_DOWN ? "#8e44ad" :
			a->kind == PP_ACT_PROVISION_SPARE ? "#16a085" :
			a->kind == PP_ACT_UNCORDON ? "#7f8c8d" : "#27ae60";
		int up = a->kind != PP_ACT_SCALE_DOWN;

		pp_buf_printf(&b, "<path d=\"M%.1f %d l-3 %d h6 z\" fill=\"%s\">"
			"<title>%s</title></path>\n", px, SVG_H - MB - (up ? 0 :
			6), up ? -6 : 6, c, pp_action_name(a->kind));
	}
	pp_buf_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" "
		"height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n", ML, MT, pw,
		ph);
	{
		static const struct {
			const char *c, *t, *dash;
		} L[] = {
			{"#c0392b", "demand", ""},
			{"#2a7ab9", "ready capacity", ""},
			{"#f0a030", "ready + pending", "3 2"},
			{"#555", "dedicated base", "6 3"},
			{"#27ae60", "\xe2\x96\xb2 scale-up", NULL},
			{"#16a085", "\xe2\x96\xb2 spare", NULL},
			{"#8e44ad", "\xe2\x96\xbc scale-down", NULL},
		};
		int x = ML + 10;

		for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
			if (L[i].dash)
				pp_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" "
					"y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
					"stroke-width=\"2\" stroke-dasharray="
					"\"%s\"/>", x, x + 20, MT - 10, MT - 10,
					L[i].c, L[i].dash);
			pp_buf_printf(&b, "<text x=\"%d\" y=\"%d\" fill=\"%s\">"
				"%s</text>\n", x + (L[i].dash ? 24 : 0),
				MT - 6, L[i].dash ? "#000" : L[i].c, L[i].t);
			x += 150;
		}
	}
	pp_buf_addstr(&b, "</svg>\n");
	if (pp_write_atomic(S->o->svg, b.s, b.len, 0644) < 0)
		pp_die(PP_EXIT_FAIL, "cannot write '%s':", S->o->svg);
	pp_buf_free(&b);
}

