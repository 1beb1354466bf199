#!/usr/bin/env python3
"""Agents' health endpoints that answer only together, on 127.0.0.1.

usage: health_barrier.py N PORTFILE LOG [OPENFILE]

While OPENFILE (if given) does not exist every GET answers 404 at once.
Once it does, a GET waits until N requests are waiting together, then
all of them answer 200; a request still alone after 8 s answers 503.
A client that asks one endpoint after the other never gathers N, so
its probes time out: only probes sent at once are answered. Every
request path is appended to LOG. The chosen port is written to
PORTFILE; the server exits after 60 s or when its parent goes away.
"""
import http.server
import os
import sys
import threading
import time

n, portfile, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
openfile = sys.argv[4] if len(sys.argv) > 4 else None
parent = os.getppid()
lock = threading.Lock()
barrier = threading.Barrier(n)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with lock, open(log, "a") as f:
            f.write("GET %s\n" % self.path)
        status = 404
        if not openfile or os.path.exists(openfile):
            try:
                barrier.wait(timeout=8)
                status = 200
            except threading.BrokenBarrierError:
                status = 503
        try:
            self.send_response(status)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")
        except OSError:
            pass

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(portfile + ".tmp", portfile)
threading.Thread(target=srv.serve_forever, daemon=True).start()
end = time.monotonic() + 60
while time.monotonic() < end and os.getppid() == parent:
    time.sleep(0.2)
srv.shutdown()
