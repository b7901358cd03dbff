import { createServer } from "node:http";
import { writeSync } from "node:fs";
import pino from "pino";
import { loadPolicy } from "/work/main/dist/host/index.js";
import { apiRoutes } from "/work/main/dist/host/http/app.js";
import { jsonLane } from "/work/main/dist/host/node/json-lane.js";
import { AgentMetrics } from "/work/main/dist/host/node/metrics.js";
import { requestLog } from "/work/main/dist/host/node/request-log.js";
import { stdoutDestination } from "/work/main/dist/host/node/log-destination.js";
const engine = await loadPolicy();
const v = process.env.VARIANT;
const metrics = new AgentMetrics();
const destination = stdoutDestination();
const logger = pino({ level: "info", base: { service: "isoplace" } }, destination.stream);
let write, logBatch;
if (v === "rope") write = (l) => destination.stream.write(l);
else if (v === "array") {
  let lines = [], timer;
  const flush = () => { timer = undefined; const s = lines.join(""); lines = []; destination.stream.write(s); };
  write = (l) => { lines.push(l); if (lines.length >= 256) flush(); else if (!timer) timer = setTimeout(flush, 20); };
} else if (v === "buffer") {
  let buf = Buffer.allocUnsafe(65536), pos = 0, timer;
  const flush = () => { timer = undefined; const b = buf.subarray(0, pos); buf = Buffer.allocUnsafe(65536); pos = 0; writeSync(1, b); };
  write = (l) => { if (pos + l.length * 3 > buf.length) flush(); pos += buf.utf8Write(l, pos); if (!timer) timer = setTimeout(flush, 20); };
} else if (v === "batch") {
  // records kept, lines made at flush
  let es = [], ts = [], timer;
  const fmt = requestLog(logger, (l) => { out += l; });
  let out = "";
  const flush = () => { timer = undefined; const a = es, b = ts; es = []; ts = []; out = ""; for (let i = 0; i < a.length; i++) fmt(a[i]); destination.stream.write(out); };
  logBatch = (e) => { es.push(e); ts.push(Date.now()); if (es.length >= 256) flush(); else if (!timer) timer = setTimeout(flush, 20); };
  write = () => {};
} else if (v === "drop") write = (l) => {};
const MS = process.env.MS;
const log0 = requestLog(logger, write);
const log = MS === "round" ? (e) => { e.ms = Math.round(e.ms * 1000) / 1000; log0(e); } : MS === "const" ? (e) => { e.ms = 0.083; log0(e); } : MS === "keep" ? (e) => { e.ms = e.ms; log0(e); } : log0;
const constLine = '{"level":30,"time":1764406158000,"service":"isoplace","method":"POST","route":"/v1/decide","status":200,"ms":0.0834539999,"decisionId":"06b02fc4-383f-4e21-b357-69a76bbcfc76","placement":"L4","msg":"request"}\n';
const onResponse = v === "ascii" || v === "raw" ? (e) => metrics.response(e) : v === "batch" ? (e) => { metrics.response(e); logBatch(e); } : v === "none" ? (e) => metrics.response(e) : v === "const" ? (e) => { metrics.response(e); destination.stream.write(constLine); } : (e) => { metrics.response(e); log(e); };
const asciiEngine = Object.create(engine);
asciiEngine.decide = (b) => { const d = engine.decide(b); for (const r of d.ranking) r.reasons = r.reasons.map((x) => x.replaceAll("✅", "+")); return d; };
const rawEngine = Object.create(engine);
const esc = (x) => JSON.rawJSON(JSON.stringify(x).replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")));
const memo = new Map();
rawEngine.decide = (b) => { const d = engine.decide(b); for (const r of d.ranking) r.reasons = r.reasons.map((x) => /[^\x00-\x7f]/.test(x) ? (memo.get(x) ?? (memo.set(x, esc(x)), memo.get(x))) : x); return d; };
const opts = { engine: () => (v === "ascii" ? asciiEngine : v === "raw" ? rawEngine : engine), onResponse, onDecision: (l) => metrics.decision(l) };
createServer(jsonLane(apiRoutes(opts), opts, (req, res) => res.writeHead(404).end())).listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => process.exit(0));
