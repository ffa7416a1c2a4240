"""The instance metadata service as the static-IP script uses it, served from a directory.

IMDSv2 as documented in the EC2 user guide ("Use the Instance Metadata Service to access instance
metadata", "How Instance Metadata Service Version 2 works"): a session token is got with
`PUT /latest/api/token` carrying `X-aws-ec2-metadata-token-ttl-seconds`; every read carries it in
`X-aws-ec2-metadata-token`, and a read without it gets 401. A category that holds others lists its
entries one per line, sub-categories with a trailing `/` (`network/interfaces/macs/` lists
`02:..:01/`). The files are read at each request, so a test can change them while the script runs.

Usage: imds.py ROOT PORT_FILE SECONDS. Listens on 127.0.0.1 (a free port, written to PORT_FILE)
and stops by itself after SECONDS.
"""

import http.server
import os
import secrets
import sys
import threading

ROOT, PORT_FILE, SECONDS = sys.argv[1], sys.argv[2], float(sys.argv[3])
TOKEN = secrets.token_hex(16)


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.reply(404)
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400)
        self.reply(200, TOKEN.encode())

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.reply(401)
        prefix = "/latest/meta-data/"
        if not self.path.startswith(prefix):
            return self.reply(404)
        path = os.path.normpath(os.path.join(ROOT, self.path[len(prefix):]))
        if not path.startswith(os.path.normpath(ROOT)):
            return self.reply(404)
        if os.path.isdir(path):
            entries = sorted(os.listdir(path))
            lines = [e + "/" if os.path.isdir(os.path.join(path, e)) else e for e in entries]
            return self.reply(200, "\n".join(lines).encode())
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return self.reply(200, f.read().strip())
        self.reply(404)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Timer(SECONDS, server.shutdown).start()
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
