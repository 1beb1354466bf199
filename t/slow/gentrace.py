#!/usr/bin/env python3
"""gentrace.py > trace.csv: a 1 GiB demand trace for the resource-bound
test: 1440 rows a minute apart (one day), each followed by comment
lines of 4 KB, so the file is big but the simulation is short."""
import datetime
import sys

out = sys.stdout.buffer
out.write(b"time,value\n")
pad = b"#" + b"x" * 4000 + b"\n"
t0 = datetime.datetime(2026, 11, 27)
for i in range(1440):
    t = (t0 + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.write(("%s,%d\n" % (t, 1000 + i % 600 * 10)).encode())
    out.write(pad * 186)
