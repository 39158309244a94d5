// A downstream app for the gateway tests: verifies every request with npm's
// `standardwebhooks` package and appends one JSON line per request to a records file.
//
//   node app.js --port 0 --secret whsec_... --records FILE [--fail-ratio 0.3]
//               [--status 410] [--retry-after 2]
//
// Prints `listening on PORT` first. A request that does not verify is answered 401 and
// recorded with "ok": false; one that verifies is answered 500 with probability
// --fail-ratio, else --status (default 204), and recorded with the status it got.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const { Webhook } = require("standardwebhooks");

const args = { port: "0", "fail-ratio": "0", status: "204" };
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
if (!args.secret || !args.records) {
  console.error("usage: node app.js --secret whsec_... --records FILE");
  process.exit(2);
}
const webhook = new Webhook(args.secret);
const failRatio = Number(args["fail-ratio"]);
const okStatus = Number(args.status);
const records = fs.openSync(args.records, "a");

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const h = req.headers;
    const entry = {
      app: "node",
      id: h["webhook-id"] || null,
      kind: h["ghl-event-kind"] || null,
      attempt: h["ghl-attempt"] || null,
      verified_by: h["ghl-verified-by"] || null,
      signatures: (h["webhook-signature"] || "").split(" ").filter(Boolean).length,
      sha256: crypto.createHash("sha256").update(body).digest("hex"),
      t: Date.now() / 1000,
    };
    try {
      // The exact bytes: standardwebhooks verifies a string as its UTF-8 encoding.
      webhook.verify(body.toString("utf8"), h);
      entry.ok = true;
    } catch (err) {
      entry.ok = false;
      entry.error = String(err && err.message);
    }
    let status;
    if (!entry.ok) status = 401;
    else if (Math.random() < failRatio) status = 500;
    else status = okStatus;
    entry.status = status;
    fs.writeSync(records, JSON.stringify(entry) + "\n");
    const headers = { "content-length": "0" };
    if (args["retry-after"] !== undefined && (status === 429 || status === 503)) {
      headers["retry-after"] = args["retry-after"];
    }
    res.writeHead(status, headers);
    res.end();
  });
});
server.keepAliveTimeout = 30000;
server.listen(Number(args.port), "127.0.0.1", () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
