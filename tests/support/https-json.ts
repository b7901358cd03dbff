// One HTTPS request, its answer read whole and parsed when it is JSON: how the tests talk to the
// webhook and to kube-apiserver.
import type { IncomingHttpHeaders } from "node:http";
import { request, type RequestOptions } from "node:https";
import type { TLSSocket } from "node:tls";

export interface JsonAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed, or undefined when it is not JSON. */
  json: any;
  text: string;
  /** The server certificate's SHA-256 fingerprint. */
  fingerprint256: string;
}

export function httpsJson(url: string, options: RequestOptions, payload?: string): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, json, text, fingerprint256 });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}
