#!/usr/bin/env python3
"""prom_series.py DIR N: promtool input_series from textfiles.

DIR holds K.prom, the metrics textfile as the tools left it at minute K
(1..N); a minute without a file repeats the last one (the textfile stays
until the next run rewrites it), minute 0 and the minutes before the
first file have no sample ('_'). Prints the input_series: list, indented
for a test under tests:, so that promtool test rules sees exactly what
node_exporter would have served."""
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
        print("      - series: '%s'" % s)
        print("        values: '%s'" % " ".join(vals))


main()
