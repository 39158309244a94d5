"""A downstream app for the gateway tests: verifies every request with PyPI's
`standardwebhooks` package and appends one JSON line per request to a records file.

    python app.py --port 0 --secret whsec_... --records FILE [--fail-ratio 0.3]
                  [--status 410] [--retry-after 2] [--delay SECONDS]
                  [--tls-cert CERT.pem --tls-key KEY.pem]

Prints `listening on PORT` first. A request that does not verify is answered 401 and
recorded with "ok": false; one that verifies is answered 500 with probability --fail-ratio,
else --status (default 204), and recorded with the status it got (before the answer,
which --delay holds back). With --tls-cert and --tls-key it serves https.
"""
import argparse
import hashlib
import json
import random
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--records", required=True)
    parser.add_argument("--fail-ratio", type=float, default=0.0)
    parser.add_argument("--status", type=int, default=204)
    parser.add_argument("--retry-after", default=None)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--tls-cert", default=None)
    parser.add_argument("--tls-key", default=None)
    args = parser.parse_args()
    webhook = Webhook(args.secret)
    lock = threading.Lock()
    records = open(args.records, "a", encoding="utf-8")

    def record(entry):
        with lock:
            records.write(json.dumps(entry) + "\n")
            records.flush()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = {
                "app": "python",
                "id": headers.get("webhook-id"),
                "kind": headers.get("ghl-event-kind"),
                "attempt": headers.get("ghl-attempt"),
                "verified_by": headers.get("ghl-verified-by"),
                "signatures": len(headers.get("webhook-signature", "").split()),
                "sha256": hashlib.sha256(body).hexdigest(),
                "t": time.time(),
            }
            try:
                webhook.verify(body, headers)
                entry["ok"] = True
            except WebhookVerificationError as err:
                entry["ok"] = False
                entry["error"] = str(err)
            if not entry["ok"]:
                status = 401
            elif random.random() < args.fail_ratio:
                status = 500
            else:
                status = args.status
            entry["status"] = status
            record(entry)
            if args.delay:
                time.sleep(args.delay)
            self.send_response(status)
            if args.retry_after is not None and status in (429, 503):
                self.send_header("retry-after", args.retry_after)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on {server.server_address[1]}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
