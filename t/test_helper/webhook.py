#!/usr/bin/env python3
"""A webhook receiver for the tests, on 127.0.0.1 only.

usage: webhook.py MODE PORTFILE BODIES [IDLE]

MODE ok answers 200, 500 answers 500, hang reads the request and never
answers; a GET is answered the same way (200 with the body "ok", which
is not JSON). Every request body is appended to BODIES as one line, a
GET as "GET PATH" (before the answer, so a hanging request is recorded
too). In hang mode, how long the client held each unanswered request
open before it gave up (seconds, measured here, not by the client) is
appended to BODIES.held as one line, or "idle" if the receiver gave up
first. The chosen port is
written to PORTFILE. The receiver exits after IDLE seconds without a
request (default 30) or when its parent process goes away.
"""
import http.server
import os
import select
import sys
import threading
import time

mode, portfile, bodies = sys.argv[1], sys.argv[2], sys.argv[3]
idle = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
parent = os.getppid()
last = [time.monotonic()]
lock = threading.Lock()
stop = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.answer(self.rfile.read(n).decode("utf-8", "replace"))

    def do_GET(self):
        self.answer("GET " + self.path)

    def answer(self, body):
        last[0] = time.monotonic()
        with lock, open(bodies, "a") as f:
            f.write(body.replace("\n", " ") + "\n")
        if mode == "hang":
            held = self.hold(time.monotonic())
            with lock, open(bodies + ".held", "a") as f:
                f.write(held + "\n")
            return
        status = 500 if mode == "500" else 200
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def hold(self, since):
        """Waits for the client to close the connection; returns how long
        it took, or "idle" if the receiver stopped first."""
        self.connection.setblocking(False)
        while not stop.is_set():
            r, _, _ = select.select([self.connection], [], [], 0.05)
            if r:
                try:
                    if not self.connection.recv(1):
                        return "%.3f" % (time.monotonic() - since)
                except BlockingIOError:
                    pass
                except OSError:
                    return "%.3f" % (time.monotonic() - since)
        return "idle"

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
tmp = portfile + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, portfile)
t = threading.Thread(target=srv.serve_forever, args=(0.1,), daemon=True)
t.start()
while True:
    time.sleep(0.2)
    if os.getppid() != parent or time.monotonic() - last[0] > idle:
        break
stop.set()
srv.shutdown()
