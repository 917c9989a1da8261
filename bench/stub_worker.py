"""A stub worker for the bench/ scripts: answers as the worker API does, at once, with one image file.

    python3 bench/stub_worker.py PORT IMAGE [RELEASE_FILE]

GET /health: UP with an idle queue. GET /progress...: 404 (the API then follows a job by its POST alone). Any other
GET: the image (nginx proxy_passes GET /generate here). POST /generate: the image, with X-Seed the seed asked for, else
a new one per generation as Perchance picks, so that each miss is stored under its own key. With RELEASE_FILE, a
prompt starting with "hold" is answered only once that file exists (at most 120 s later). Loopback only.
"""
import http.server
import itertools
import json
import os
import sys
import time

port, image = int(sys.argv[1]), open(sys.argv[2], "rb").read()
release = sys.argv[3] if len(sys.argv) > 3 else None
seeds = itertools.count(1000)


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, kind, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/health"):
            self.answer(200, "application/json", b'{"status":"UP","sessions":[],"queue":{"depth":0,"capacity":16}}')
        elif self.path.startswith("/progress"):
            self.answer(404, "application/problem+json", b'{"type":"about:blank","status":404}')
        else:
            self.answer(200, "image/png", image, [("X-Seed", "1")])

    def do_POST(self):
        asked = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if release and asked.get("prompt", "").startswith("hold"):
            deadline = time.time() + 120
            while not os.path.exists(release) and time.time() < deadline:
                time.sleep(0.05)
        seed = asked.get("seed", -1)
        self.answer(200, "image/png", image, [("X-Seed", str(seed if seed >= 0 else next(seeds)))])


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


Server(("127.0.0.1", port), Stub).serve_forever()
