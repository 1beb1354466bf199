#!/usr/bin/env python3
"""unseen-traces.py: demand shapes the shipped profile was not tuned on,
for `make bench-unseen` (pp-sim's CSV: time,value; RFC 3339 UTC).

    python3 t/bench/unseen-traces.py OUTDIR

writes five traces, each stressing one thing the three traces in
../shared/traces do not:

  a-tournament   every Saturday 20:00 UTC demand goes to 2.5x within
                 5 minutes, holds 2 h, falls back over 15 minutes
  b-growth       the daily peak grows 2 % a day (2.3x over 42 days)
  c-launch       one day at 4x the normal peak, reached over 30 minutes
  d-flat-mmo     a 24/7 region: a shallow day (low/high 0.88), heavier
                 noise
  e-sharp-ramp   a daily evening ramp of about 48 % of the day's peak in
                 an hour, twice the shared traces' steepest

Deterministic: each trace has its own fixed random seed (SEED + index).

Common model (1-minute step, as nasa-http-1995.csv: fine enough for a
5-minute jump and a 30-minute ramp), from Monday 2025-09-01 00:00 UTC:

  value = P * daily(h) * weekly(t) * daylevel(t) * (1 + ar(t)) * (1 + white)
          (+ the trace's own feature)

  daily(h)    piecewise cosine-smoothed curve of hour of day (UTC), max 1.0
  weekly(t)   per weekday: Mon .95 Tue .95 Wed .96 Thu .98 Fri 1.05 Sat 1.15
              Sun 1.12, blended over +-3 h around midnight
  daylevel(t) a random level per day, N(1, 0.04), interpolated between noons
  ar(t)       AR(1) per minute, correlation time TAU minutes, stationary sd SD
  white       N(0, W) per sample
"""
import math
import os
import random
import sys
import datetime as dt

SEED = 20250901
START = dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc)  # a Monday
P = 20000.0  # players at a normal weekday peak

# hour-of-day key points (hour, level) of the "game" day (like osrs/steam):
# trough 0.50 at 06:00, afternoon rise, peak 1.00 at 20:30 UTC.
GAME_DAY = [(0, .85), (3, .62), (6, .50), (10, .56), (14, .72), (18, .90),
            (20.5, 1.0), (22.5, .95), (24, .85)]
# (d) MMO region 24/7: shallow day (min/max 0.88)
FLAT_DAY = [(0, .96), (4, .90), (7, .88), (12, .93), (17, .97), (21, 1.0),
            (24, .96)]
# (e) sharp evening ramp: trough .30 at 06:00, slow rise to .38 at 18:30,
# then a LINEAR ramp .38 -> 1.00 in 75 min (18:30 -> 19:45, ~50 % of the
# daily peak per hour; the steepest shared trace, steam, rises ~20 %/h in
# its median day and ~23 %/h in its median day's steepest hour), plateau,
# long evening decline.
SHARP_DAY = [(0, .70), (3, .45), (6, .30), (12, .34), (18.5, .38),
             (19.75, 1.0), (22, .97), (24, .70)]
WEEKLY = [.95, .95, .96, .98, 1.05, 1.15, 1.12]  # Mon..Sun


def curve(points, h, linear_after=None):
    """Cosine-smoothed interpolation between key points (hour, level);
    segments whose start hour is in linear_after are linear."""
    for (h0, v0), (h1, v1) in zip(points, points[1:]):
        if h0 <= h <= h1:
            x = (h - h0) / (h1 - h0)
            if linear_after and h0 in linear_after:
                return v0 + (v1 - v0) * x
            return v0 + (v1 - v0) * (1 - math.cos(math.pi * x)) / 2
    return points[-1][1]


def weekly(t_min):
    """Weekday factor, blended over +-3 h around midnight."""
    day = t_min / 1440.0
    d = int(day)
    frac = day - d
    w = WEEKLY[d % 7]
    if frac < 0.125:  # first 3 h: blend with the previous day
        x = 0.5 + frac / 0.25
        w = WEEKLY[(d - 1) % 7] * (1 - x) + w * x
    elif frac > 0.875:  # last 3 h: blend with the next day
        x = (frac - 0.875) / 0.25
        w = w * (1 - x) + WEEKLY[(d + 1) % 7] * x
    return w


class Noise:
    def __init__(self, rng, days, tau, sd, white, daysd=0.04):
        self.rng = rng
        self.phi = math.exp(-1.0 / tau)
        self.eps = sd * math.sqrt(1 - self.phi ** 2)
        self.ar = rng.gauss(0, sd)
        self.white = white
        self.levels = [rng.gauss(1, daysd) for _ in range(days + 2)]

    def factor(self, t_min):
        self.ar = self.phi * self.ar + self.rng.gauss(0, self.eps)
        x = t_min / 1440.0 - 0.5  # noon to noon
        i = max(0, int(math.floor(x)))
        f = min(max(x - i, 0), 1) if x >= 0 else 0
        lvl = self.levels[i] * (1 - f) + self.levels[i + 1] * f
        return lvl * (1 + self.ar) * (1 + self.rng.gauss(0, self.white))


def write(path, days, value_at):
    with open(path, "w") as out:
        out.write("time,value\n")
        for m in range(days * 1440):
            t = START + dt.timedelta(minutes=m)
            v = max(0.0, value_at(m))
            out.write("%s,%d\n" % (t.strftime("%Y-%m-%dT%H:%M:%SZ"), round(v)))


def base(points, m, linear_after=None):
    return P * curve(points, (m % 1440) / 60.0, linear_after) * weekly(m)


def trace_a(rng):
    """(a) weekly tournament: every Saturday 20:00 UTC demand ramps to 2.5x
    within 5 minutes (linear), holds 2 h, then falls back over 15 minutes."""
    days = 42
    nz = Noise(rng, days, tau=60, sd=0.03, white=0.01)

    def v(m):
        x = base(GAME_DAY, m) * nz.factor(m)
        d, mod = divmod(m, 1440)
        if d % 7 == 5:  # Saturday
            s = 20 * 60
            if s <= mod < s + 5:
                k = 1 + 1.5 * (mod - s + 1) / 5
            elif s + 5 <= mod < s + 125:
                k = 2.5
            elif s + 125 <= mod < s + 140:
                k = 2.5 - 1.5 * (mod - s - 125 + 1) / 15
            else:
                k = 1
            x *= k
        return x
    return days, v


def trace_b(rng):
    """(b) steady growth: the whole curve (so the daily peak) grows 2 % a
    day, continuously (1.02 ** (t / 1 day)); 42 days: x2.30 end to start."""
    days = 42
    nz = Noise(rng, days, tau=60, sd=0.03, white=0.01)

    def v(m):
        return base(GAME_DAY, m) * nz.factor(m) * 1.02 ** (m / 1440.0)
    return days, v


LAUNCH_DAY = 24  # Thursday 2025-09-25 (day 0 = Monday 09-01)


def trace_c(rng):
    """(c) launch/viral day: on day LAUNCH_DAY at 16:00 UTC demand rises
    over 30 minutes (linear) to 4x the normal weekday peak, holds until
    23:00 (the surge follows the evening shape), then decays back to the
    normal curve with a 90-minute half-life; every other day normal."""
    days = 35
    nz = Noise(rng, days, tau=60, sd=0.03, white=0.01)
    t0 = LAUNCH_DAY * 1440 + 16 * 60

    def v(m):
        x = base(GAME_DAY, m) * nz.factor(m)
        if m >= t0:
            dtm = m - t0
            if dtm < 30:
                env = (dtm + 1) / 30.0
            elif m < LAUNCH_DAY * 1440 + 23 * 60:
                env = 1.0
            else:
                env = 0.5 ** ((m - (LAUNCH_DAY * 1440 + 23 * 60)) / 90.0)
            if env > 1e-3:
                # 4x the normal peak at 20:30, ~3.9x at 16:30
                surge = 4.0 * P * (0.85 + 0.15 * curve(GAME_DAY, (m % 1440) / 60.0))
                x = max(x, surge * env * (x / max(base(GAME_DAY, m), 1)))
        return x
    return days, v


def trace_d(rng):
    """(d) flat noisy 24/7 MMO region: shallow day (min/max .88), small
    weekend lift (weekly factors pulled 3/4 toward 1), heavier noise: AR(1)
    sd 6 % with 30-minute correlation, 2 % white, day level sd 5 %."""
    days = 28
    nz = Noise(rng, days, tau=30, sd=0.06, white=0.02, daysd=0.05)

    def v(m):
        w = 1 + (weekly(m) - 1) * 0.25
        return P * curve(FLAT_DAY, (m % 1440) / 60.0) * w * nz.factor(m)
    return days, v


def trace_e(rng):
    """(e) sharp evening ramp: SHARP_DAY (linear .38 -> 1.00 from 18:30 to
    19:45 UTC), weekly pattern and noise as (a)."""
    days = 42
    nz = Noise(rng, days, tau=60, sd=0.03, white=0.01)

    def v(m):
        return base(SHARP_DAY, m, linear_after=(18.5,)) * nz.factor(m)
    return days, v


TRACES = [("a-tournament", trace_a), ("b-growth", trace_b),
          ("c-launch", trace_c), ("d-flat-mmo", trace_d),
          ("e-sharp-ramp", trace_e)]

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: unseen-traces.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for i, (name, fn) in enumerate(TRACES):
        rng = random.Random(SEED + i)
        days, v = fn(rng)
        write(os.path.join(outdir, name + ".csv"), days, v)
        print("%s: %d days" % (name, days), file=sys.stderr)
