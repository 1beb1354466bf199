#!/usr/bin/env python3
"""prom_series.py DIR N [LABEL]: promtool input_series from textfiles.

DIR holds K.prom, the metrics textfile as the tools left it at minute K
(1..N); a minute without a file repeats the last one (the textfile stays
until the next run rewrites it), minute 0 and the minutes before the
first file have no sample ('_'). Prints the input_series: list, indented
for a test under tests:, so that promtool test rules sees exactly what
node_exporter would have served. LABEL (say instance="b") is added to
every series, as Prometheus adds the target's labels to a scrape."""
import os
import sys


def read(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, value = line.rsplit(" ", 1)
            out[name] = value
    return out


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    label = sys.argv[3] if len(sys.argv) > 3 else None
    frames, last = [], None
    for k in range(n + 1):
        p = os.path.join(d, "%d.prom" % k)
        if os.path.exists(p):
            last = read(p)
        frames.append(last)
    names = sorted({s for f in frames if f for s in f})
    print("    input_series:")
    for s in names:
        vals = [f[s] if f and s in f else "_" for f in frames]
        name = s
        if label:
            name = (s.replace("{", "{%s," % label, 1) if "{" in s
                    else "%s{%s}" % (s, label))
        print("      - series: '%s'" % name)
        print("        values: '%s'" % " ".join(vals))


main()
