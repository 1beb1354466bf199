#!/usr/bin/env python3
"""canned_http.py DIR: an http server on 127.0.0.1 (a free port, printed
as "port N") answering GET /NAME (query string ignored) with DIR/NAME as
the body, with the status in DIR/NAME.status (else 200) and, when
DIR/NAME.location exists, its text as the Location header: so a test
serves Prometheus's error answers (400 bad_data, 503 timeout) and
redirects as a real server sends them."""
import http.server
import os
import sys
import urllib.parse

ROOT = sys.argv[1]


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = os.path.basename(urllib.parse.urlsplit(self.path).path)
        path = os.path.join(ROOT, name)
        if not name or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 200
        if os.path.exists(path + ".status"):
            status = int(read(path + ".status").decode().strip())
        body = read(path)
        self.send_response(status)
        if os.path.exists(path + ".location"):
            self.send_header("Location",
                             read(path + ".location").decode().strip())
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print("port", s.server_address[1], flush=True)
s.serve_forever()
