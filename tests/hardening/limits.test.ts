// Size limits, at their edges, through a real agent: request bodies (64 KiB, with and without a
// Content-Length), batch items (1000), modules by PUT (their own 1 MiB body limit) and modules
// from a file or a URL (1 MiB: refused with reason `size`, a streamed download cut off there).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import { MAX_BODY_BYTES } from "../../host/http/body.ts";
import { MAX_BATCH } from "../../host/http/routes.ts";
import { MAX_MODULE_BYTES } from "../../host/delivery/limits.ts";
import { DEFAULT_VERSION, keyFiles, policyStatus, sign, silent, tempDir, afterChecks, type KeyFiles } from "../shipping/support/fixtures.ts";

const TOKEN = "limits-test-token-0123456789abcdef";
let root: string, keys: KeyFiles;
const agents: Agent[] = [];

beforeAll(async () => {
  root = await tempDir("isoplace-limits-");
  keys = await keyFiles(join(root, "keys"));
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function agent(o: Partial<AgentOptions> = {}): Promise<Agent> {
  const a = await startAgent({ port: 0, logger: silent, trustedKeys: keys.trusted, adminToken: TOKEN, ...o });
  agents.push(a);
  return a;
}

/** A decide request padded with spaces to exactly `size` bytes. */
const paddedDecide = (size: number) => {
  const json = JSON.stringify({ workload: { scenario: "edge" } });
  return json.slice(0, -1) + " ".repeat(size - json.length) + "}";
};

/** The body as a stream: sent chunked, without a Content-Length. */
const streamed = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const bytes = new TextEncoder().encode(text);
      for (let at = 0; at < bytes.length; at += 8192) controller.enqueue(bytes.subarray(at, at + 8192));
      controller.close();
    },
  });

const decide = (url: string, body: BodyInit, extra: RequestInit = {}) =>
  fetch(`${url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json" }, body, ...extra } as RequestInit);

const rejections = async (a: Agent, reason: string) => {
  const line = (await (await fetch(`${a.url}/metrics`)).text()).split("\n").find((l) => l.startsWith(`isoplace_policy_rejections_total{reason="${reason}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

describe("request bodies: 64 KiB", () => {
  it("exactly 64 KiB is read; one byte more is 413 (with a Content-Length, and streamed without one)", async () => {
    const a = await agent();
    expect(MAX_BODY_BYTES).toBe(64 * 1024);
    const ok = await decide(a.url, paddedDecide(MAX_BODY_BYTES));
    expect(ok.status).toBe(200);
    expect((await ok.json()).level).toBe("L4");
    const okStreamed = await decide(a.url, streamed(paddedDecide(MAX_BODY_BYTES)), { duplex: "half" } as RequestInit);
    expect(okStreamed.status).toBe(200);

    for (const res of [
      await decide(a.url, paddedDecide(MAX_BODY_BYTES + 1)),
      await decide(a.url, streamed(paddedDecide(MAX_BODY_BYTES + 1)), { duplex: "half" } as RequestInit),
      await decide(a.url, streamed(paddedDecide(8 * 1024 * 1024)), { duplex: "half" } as RequestInit),
    ]) {
      expect(res.status).toBe(413);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 413, type: "urn:isoplace:problem:body-too-large" });
    }
    expect((await decide(a.url, JSON.stringify({ workload: { scenario: "edge" } }))).status).toBe(200);
  });

  it(`a batch of ${MAX_BATCH} items is answered; ${MAX_BATCH + 1} is 400 naming items`, async () => {
    const a = await agent();
    const batch = (n: number) =>
      fetch(`${a.url}/v1/decide/batch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ items: Array.from({ length: n }, () => ({ workload: { scenario: "edge" } })) }),
      });
    const ok = await batch(MAX_BATCH);
    expect(ok.status).toBe(200);
    expect((await ok.json()).results).toHaveLength(MAX_BATCH);
    const over = await batch(MAX_BATCH + 1);
    expect(over.status).toBe(400);
    expect((await over.json()).errors).toEqual([expect.objectContaining({ path: "items", message: expect.stringContaining(`${MAX_BATCH}`) })]);
  });
});

describe("modules", () => {
  it("PUT /v1/policy: its limit is the module limit (1 MiB): over it is 413 even when signed by a trusted key; nothing changes", async () => {
    const a = await agent();
    const put = async (body: Uint8Array) =>
      fetch(`${a.url}/v1/policy`, {
        method: "PUT",
        body: body as BodyInit,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/wasm", "isoplace-signature": await sign(body, keys) },
      });
    const big = new Uint8Array(MAX_MODULE_BYTES + 1);
    big.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const res = await put(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, type: "urn:isoplace:problem:body-too-large" });
    // over the API's 64 KiB but within 1 MiB: read whole and judged by the pipeline (not a module: 422)
    const mid = big.subarray(0, MAX_BODY_BYTES + 1);
    expect((await put(mid)).status).toBe(422);
    expect((await policyStatus(a.url)).active.version).toBe(DEFAULT_VERSION);
  });

  it("a file over 1 MiB: refused (size) at start and when the watched file grows; the policy stays", async () => {
    const file = join(root, "big.wasm");
    const big = new Uint8Array(MAX_MODULE_BYTES + 1);
    await writeFile(file, big);
    await writeFile(`${file}.sig`, await sign(big, keys));
    const a = await agent({ policy: file, watch: { debounceMs: 20, pollMs: 60_000 } });
    let s = await policyStatus(a.url);
    expect(s.active).toMatchObject({ version: DEFAULT_VERSION, source: "built-in" });
    expect(s.lastError).toMatchObject({ reason: "size" });
    expect(await rejections(a, "size")).toBe(1);

    const bigger = new Uint8Array(MAX_MODULE_BYTES + 4096);
    await writeFile(`${file}.sig`, await sign(bigger, keys));
    await writeFile(file, bigger);
    await afterChecks(a, (st) => st.lastError?.message.includes(`${MAX_MODULE_BYTES + 4096} bytes`));
    expect(await rejections(a, "size")).toBe(2);
    s = await policyStatus(a.url);
    expect(s.active.source).toBe("built-in");
  });

  describe("a URL over 1 MiB", () => {
    let server: Server, url: string;
    const sent = { bytes: 0, finished: false };
    // settles when the policy response's connection is closed: by the server at its end, or by the agent cutting it off
    let responseClosed: Promise<void> = Promise.resolve();
    let mode: "length" | "chunked" = "length";
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url !== "/policy.wasm") return void res.writeHead(404).end();
        if (mode === "length") {
          res.writeHead(200, { "content-type": "application/wasm", "content-length": String(MAX_MODULE_BYTES + 1) });
          res.end(new Uint8Array(MAX_MODULE_BYTES + 1));
          return;
        }
        // 16 MiB, chunked (no Content-Length), written as fast as the client reads
        responseClosed = new Promise((r) => res.once("close", () => r()));
        res.writeHead(200, { "content-type": "application/wasm" });
        const chunk = new Uint8Array(64 * 1024);
        let left = 256;
        const pump = () => {
          while (left > 0) {
            left--;
            sent.bytes += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end(() => {
            sent.finished = true;
          });
        };
        res.on("error", () => {});
        pump();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/policy.wasm`;
    });
    afterAll(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );

    for (const m of ["length", "chunked"] as const) {
      it(`${m === "length" ? "announced by Content-Length" : "streamed chunked, 16 MiB"}: refused (size)${m === "chunked" ? ", the download cut off" : ""}`, async () => {
        mode = m;
        const a = await agent({ policy: url, poll: { firstDelayMs: 0, intervalMs: 60_000 } });
        await afterChecks(a, (st) => st.lastError?.reason === "size");
        expect((await policyStatus(a.url)).active.source).toBe("built-in");
        expect(await rejections(a, "size")).toBe(1);
        if (m === "chunked") {
          await responseClosed;
          expect(sent.finished).toBe(false);
          expect(sent.bytes).toBeLessThan(16 * 1024 * 1024);
        }
      });
    }
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await rm(root, { recursive: true, force: true });
});
