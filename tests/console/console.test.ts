// The web console end to end: a real agent on 127.0.0.1 (ephemeral port), Debian's Chromium
// through playwright-core, and the page checked against the API's own answers.
import { readFile } from "node:fs/promises";
import axe from "axe-core";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Agent } from "../../host/node/agent.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { buildDefault, defaultSourceText } from "../core/support/policy.ts";
import { launchChromium, openConsole, screenshot, skipBrowser, type Watched } from "./support/browser.ts";
import { getJson, postJson, startConsoleAgent } from "./support/server.ts";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const startsWith = (s: string) => new RegExp(`^${escapeRegExp(s)}`);

// vitest has no web-first assertions: expect.poll retries a read until it matches (or times out).
const textOf = async (loc: Locator) => ((await loc.textContent()) ?? "").trim();
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 5_000 });
/** The text of the elements named by a control's aria-describedby. */
const descriptionOf = (loc: Locator) =>
  loc.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" "),
  );

/** axe-core's WCAG 2.1 A/AA and best-practice rules on the page as it is: the violations, by rule and target. */
async function axeViolations(p: Page, scope?: string): Promise<string[]> {
  await p.evaluate(axe.source); // through the debugger protocol, so the page's CSP does not apply
  const result = await p.evaluate(
    (sel) =>
      (window as any).axe.run(sel ? document.querySelector(sel) : document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      }),
    scope,
  );
  return result.violations.flatMap((v: any) => v.nodes.map((n: any) => `${v.id}: ${n.target.join(" ")} — ${n.failureSummary}`));
}

/** The cells of a table's body rows, as text. */
const bodyTexts = (table: Locator) =>
  table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => (c.textContent ?? "").trim())));

describe.skipIf(skipBrowser)("web console (Chromium)", () => {
  let agent: Agent;
  let browser: Browser;
  let w: Watched;
  let page: Page;
  let levels: any;
  let scenarios: any;
  const watched: Watched[] = [];

  beforeAll(async () => {
    agent = await startConsoleAgent((await buildDefault()).wasm);
    browser = await launchChromium();
    levels = await getJson(`${agent.url}/v1/levels`);
    scenarios = await getJson(`${agent.url}/v1/scenarios`);
    w = await openConsole(browser, agent.url);
    watched.push(w);
    page = w.page;
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
  });

  it("shows the core matrix with every figure of /v1/levels", async () => {
    const table = page.getByRole("table", { name: /^Core matrix/ });
    const header = await table.locator("thead th").allTextContents();
    expect(header.slice(1).map((t) => t.trim().split(/\s+/)[0])).toEqual(levels.levels.map((l: any) => l.id));
    const rows = await bodyTexts(table);
    expect(rows).toHaveLength(levels.metrics.length);
    levels.metrics.forEach((m: any, i: number) => {
      expect(rows[i][0]).toContain(m.name);
      expect(rows[i][0]).toContain(m.direction === "lower" ? "lower is better" : "higher is better");
      levels.levels.forEach((l: any, j: number) => {
        const fig = l.figures[m.id];
        expect(rows[i][j + 1], `${m.id} ${l.id}`).toContain(fig ? fig.text : "N/A");
      });
    });
    // anchors from the source: the page shows real figures, not placeholders
    expect(rows.flat()).toEqual(expect.arrayContaining(["< 10 ms", "128 MB +", "5–30 s"]));
    // stars carry a spoken label beside the glyphs
    await poll(() => textOf(table.locator(".stars .sr-only").first())).toMatch(/^\d stars$/);
  });

  it("shows the technical matrix", async () => {
    const rows = await bodyTexts(page.getByRole("table", { name: /^Technical matrix/ }));
    expect(rows).toHaveLength(levels.technical.length);
    levels.technical.forEach((t: any, i: number) => {
      expect(rows[i][0]).toContain(t.name);
      levels.levels.forEach((l: any, j: number) => expect(rows[i][j + 1]).toBe(l.technical[t.id]));
    });
  });

  it("shows each runtime's own figures beside its level's, with their sources", async () => {
    const rows = await bodyTexts(page.getByRole("table", { name: /^Runtime figures/ }));
    const expected = levels.levels.flatMap((l: any) => l.runtimes.map((r: any) => [l.id, r]));
    expect(rows).toHaveLength(expected.length);
    const gvisor = rows.find((r) => r[0].startsWith("L4") && r[0].includes("gVisor"))!;
    expect(gvisor).toBeDefined();
    expect(gvisor[1]).toBe("container");
    expect(gvisor[2]).toBe("81–280 ms");
    expect(gvisor[3]).toBe("as L4: 1–5 MB"); // no published figure: the level's holds
    expect(gvisor[5]).toMatch(/Apoxy/);
  });

  it("decides for an artifact chosen in the form", async () => {
    const form = page.locator("#decide-form");
    await form.getByLabel("Artifact").selectOption("container");
    await form.getByRole("button", { name: "Decide" }).click();
    const fact = page
      .locator("#decide-result .facts div")
      .filter({ has: page.locator("dt", { hasText: /^Artifact$/ }) })
      .locator("dd");
    await poll(() => textOf(fact)).toBe("container");
    const sent = await page.locator("#decide-result details pre").textContent();
    expect(JSON.parse(sent!.slice(sent!.indexOf("\n") + 1)).workload.artifact).toBe("container");
    await form.getByRole("button", { name: "Clear" }).click();
    expect(await form.getByLabel("Artifact").inputValue()).toBe("");
  });

  it("charts the chosen metrics, normalised and direction-aware, and redraws on a new choice", async () => {
    const chart = page.locator("#chart");
    await poll(() => textOf(chart.locator(".legend"))).toContain("higher = better");
    const bars = chart.locator("svg.chart rect.bar");
    const placeable = levels.levels.filter((l: any) => l.placeable);
    const checked = await chart
      .locator("fieldset")
      .first()
      .locator("input:checked")
      .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(checked.length).toBeGreaterThan(0);
    await poll(() => bars.count()).toBe(checked.length * placeable.length);

    // a lower-is-better metric: the smallest midpoint gets 1, the largest 0
    const lower = levels.metrics.find((m: any) => m.direction === "lower");
    const mid = (f: any) => (f.max === null ? f.min : (f.min + f.max) / 2);
    const byMid = [...placeable].sort((a: any, b: any) => mid(a.figures[lower.id]) - mid(b.figures[lower.id]));
    const value = (level: string) => chart.locator(`rect.bar[data-metric="${lower.id}"][data-level="${level}"]`).getAttribute("data-value");
    await chart.getByLabel(lower.name, { exact: true }).check();
    expect(Number(await value(byMid[0].id))).toBe(1);
    expect(Number(await value(byMid[byMid.length - 1].id))).toBe(0);

    // a metric off and another on: the chart follows
    const off = levels.metrics.find((m: any) => m.id !== lower.id && checked.includes(m.id));
    const on = levels.metrics.find((m: any) => !checked.includes(m.id) && m.id !== lower.id);
    const before = await bars.count();
    await chart.getByLabel(off.name, { exact: true }).uncheck();
    await poll(() => bars.count()).toBe(before - placeable.length);
    await chart.getByLabel(on.name, { exact: true }).check();
    await poll(() => bars.count()).toBe(before);
    await poll(() => chart.locator(`rect.bar[data-metric="${on.id}"]`).count()).toBe(placeable.length);
    await poll(() => chart.locator(`rect.bar[data-metric="${off.id}"]`).count()).toBe(0);
    // a level off: one bar fewer per metric
    await chart.getByLabel(startsWith(placeable[0].id)).uncheck();
    await poll(() => bars.count()).toBe(before - before / placeable.length);
    await chart.getByLabel(startsWith(placeable[0].id)).check();
  });

  it("shows the scenario table with suitability, stacks and the 'added beyond the source' marks", async () => {
    const table = page.getByRole("table", { name: /^Scenarios/ });
    const rows = await bodyTexts(table);
    expect(rows).toHaveLength(scenarios.scenarios.length);
    let added = 0;
    scenarios.scenarios.forEach((s: any, i: number) => {
      expect(rows[i][0]).toContain(s.name);
      if (s.added) added++;
      Object.values(s.levels).forEach((cell: any, j: number) => {
        expect(rows[i][j + 1]).toContain(cell.symbol);
        expect(rows[i][j + 1]).toContain(cell.note);
        expect(rows[i][j + 1]).toContain(cell.stack);
        if (cell.added) added++;
      });
      expect(rows[i].at(-1)).toContain(`${s.first.level}: ${s.first.stack}`);
    });
    expect(added).toBeGreaterThan(0);
    await poll(() => table.getByText("(added beyond the source)").count()).toBe(added);
  });

  it("decides through POST /v1/decide and shows level, runtime, stack, fallback, ranking and explanation", async () => {
    const form = page.locator("#decide-form");
    // docs/API.md's own example request
    const request = { workload: { scenario: "edge", performance: ["fast-cold-start"] }, node: { runtimes: ["containerd", "wasmedge"] } };
    const expected = await postJson(`${agent.url}/v1/decide`, request);
    expect(expected.level).toBe("L4");

    await form.getByLabel("Scenario").selectOption("edge");
    const need = scenarios.needs.find((n: any) => n.id === "fast-cold-start");
    await form.getByRole("checkbox", { name: startsWith(need.name) }).check();
    for (const id of request.node.runtimes) {
      const rt = scenarios.runtimes.find((r: any) => r.id === id);
      await form.getByRole("checkbox", { name: startsWith(rt.name) }).check();
    }
    await form.getByRole("button", { name: "Decide" }).click();

    const summary = page.locator("#decide-summary");
    await poll(() => textOf(summary.locator(".verdict"))).toBe(`${expected.level} ${expected.levelName}`);
    await poll(() => textOf(summary.locator(".explanation"))).toBe(expected.explanation);
    const result = page.locator("#decide-result");
    const fact = (term: string) =>
      result
        .locator(".facts div")
        .filter({ has: page.locator("dt", { hasText: new RegExp(`^${term}$`) }) })
        .locator("dd");
    await poll(() => textOf(fact("Runtime"))).toBe(expected.runtime);
    await poll(() => textOf(fact("RuntimeClass"))).toBe(expected.runtimeClassName);
    await poll(() => textOf(fact("Stack"))).toBe(expected.stack);
    await poll(() => textOf(fact("Fallback"))).toContain(`${expected.fallback.level} ${expected.fallback.levelName}`);
    await poll(() => textOf(fact("Fallback"))).toContain(expected.fallback.stack);
    await poll(() => textOf(fact("Rule"))).toBe(expected.rule);

    const ranking = result.getByRole("table", { name: /^Ranking/ });
    const rows = await ranking.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        level: tr.getAttribute("data-level"),
        head: tr.querySelector("th")!.textContent,
        reasons: [...tr.querySelectorAll("li")].map((li) => li.textContent),
      })),
    );
    expect(rows.map((r) => r.level)).toEqual(expected.ranking.map((r: any) => r.level));
    expected.ranking.forEach((r: any, i: number) => {
      expect(rows[i].reasons).toEqual(r.reasons);
      expect(rows[i].head).toContain(r.feasible ? `score ${r.score.toFixed(2)}` : "infeasible");
    });
    // the form sent exactly the request a client would write
    const sent = await result.locator("details pre").textContent();
    expect(JSON.parse(sent!.slice(sent!.indexOf("\n") + 1))).toEqual(request);
  });

  it("shows 'no feasible level' with every level's reason", async () => {
    // continues from the form as the previous test left it, with a cold-start budget no level meets
    const form = page.locator("#decide-form");
    await form.getByLabel("Max cold start (ms)").fill("5");
    await form.getByRole("button", { name: "Decide" }).click();
    const expected = await postJson(`${agent.url}/v1/decide`, {
      workload: { scenario: "edge", performance: ["fast-cold-start"], constraints: { maxColdStartMs: 5 } },
      node: { runtimes: ["containerd", "wasmedge"] },
    });
    expect(expected.level).toBeNull();
    await poll(() => textOf(page.locator("#decide-summary .verdict"))).toBe("No feasible level");
    const reasons = await page.locator("#decide-result table li").allTextContents();
    expect(reasons).toEqual(expected.ranking.flatMap((r: any) => r.reasons));
  });

  it("shows a problem's errors next to the fields they name, and clears them", async () => {
    const form = page.locator("#decide-form");
    await form.getByLabel("Max cold start (ms)").fill("-1");
    await form.getByLabel("Min isolation (stars, 1–5)").fill("7");
    const problem = await postJson(`${agent.url}/v1/decide`, { workload: { constraints: { maxColdStartMs: -1, minIsolation: 7 } } });
    await form.getByRole("button", { name: "Decide" }).click();

    for (const [label, key] of [
      ["Max cold start (ms)", "maxColdStartMs"],
      ["Min isolation (stars, 1–5)", "minIsolation"],
    ]) {
      const message = problem.errors.find((e: any) => e.path === `workload.constraints.${key}`).message;
      const input = form.getByLabel(label);
      await poll(() => input.getAttribute("aria-invalid")).toBe("true");
      const field = form.locator(`[data-path="workload.constraints.${key}"]`);
      await poll(() => textOf(field.locator(".field-error"))).toBe(message);
      expect(await descriptionOf(input)).toMatch(new RegExp(escapeRegExp(message)));
    }
    await poll(() => textOf(page.locator("#decide-summary"))).toContain("refused");
    await poll(() => page.locator("#decide-result").innerHTML()).toBe("");

    // an error on a list item (node.runtimes[0]) lands on its fieldset: a page left open while
    // the policy dropped a runtime sends an id the server no longer knows
    const box = form.locator("input[name=runtime]").first();
    await box.evaluate((el) => {
      (el as HTMLInputElement).value = "retired-runtime";
    });
    await form.getByLabel("Max cold start (ms)").fill("");
    await form.getByLabel("Min isolation (stars, 1–5)").fill("");
    await form.locator("input[name=runtime]").evaluateAll((els) =>
      els.forEach((e) => {
        (e as HTMLInputElement).checked = false;
      }),
    );
    await box.check();
    await form.getByRole("button", { name: "Decide" }).click();
    const runtimes = form.locator('fieldset[data-path="node.runtimes"]');
    await poll(() => textOf(runtimes.locator(":scope > .field-error"))).toContain('unknown runtime "retired-runtime"');
    await poll(() => form.getByLabel("Max cold start (ms)").getAttribute("aria-invalid")).toBeNull();

    await form.getByRole("button", { name: "Clear" }).click();
    await poll(() => form.locator(".field-error:visible").count()).toBe(0);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
  });

  it("compares two levels metric by metric with the winner marked", async () => {
    const placeable = levels.levels.filter((l: any) => l.placeable);
    const [a, b] = [placeable[0].id, placeable[placeable.length - 1].id];
    const expected = await getJson(`${agent.url}/v1/compare?a=${a}&b=${b}`);
    const form = page.locator("#compare-form");
    await form.getByLabel("First level").selectOption(a);
    await form.getByLabel("Second level").selectOption(b);
    await form.getByRole("button", { name: "Compare" }).click();
    const table = page.getByRole("table", { name: new RegExp(`^${a} against ${b}`) });
    await table.waitFor();
    const rows = await table.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        metric: tr.getAttribute("data-metric"),
        winners: [...tr.querySelectorAll("td")].map((td) => td.classList.contains("winner")),
        better: tr.querySelector("td.better")!.textContent,
      })),
    );
    expect(rows.map((r) => r.metric)).toEqual(expected.metrics.map((m: any) => m.metric));
    expected.metrics.forEach((m: any, i: number) => {
      expect(rows[i].winners.slice(0, 2), m.metric).toEqual([m.better === a, m.better === b]);
      expect(rows[i].better).toContain(m.better === null ? "no figure" : m.better);
    });
    const tally = await page.locator("#compare-summary").textContent();
    for (const [k, n] of Object.entries(expected.wins)) expect(tally).toContain(k === "tie" ? `${n} tied` : `${k} better on ${n}`);
  });

  it("is reachable by keyboard: Tab reaches the form, Space ticks, Enter decides, focus is visible", async () => {
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    const reached: string[] = [];
    let outline = "";
    for (let i = 0; i < 120 && !reached.includes("button:Decide"); i++) {
      await page.keyboard.press("Tab");
      const el = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement;
        const inForm = !!a.closest("#decide-form");
        const name = a.tagName === "BUTTON" ? a.textContent : (a as HTMLInputElement).name;
        return { id: `${a.tagName.toLowerCase()}:${name}`, inForm, outline: getComputedStyle(a).outlineStyle };
      });
      if (el.inForm) reached.push(el.id);
      if (el.id === "select:scenario") {
        outline = el.outline;
        await page.keyboard.press("ArrowDown"); // the first scenario
      }
      if (el.id === "input:performance" && !reached.slice(0, -1).includes("input:performance")) await page.keyboard.press("Space");
    }
    expect(outline).toBe("solid");
    expect(reached).toEqual(
      expect.arrayContaining(["select:scenario", "input:performance", "input:maxColdStartMs", "input:minIsolation", "input:runtime", "button:Decide"]),
    );
    await page.keyboard.press("Enter");
    const first = scenarios.scenarios[0];
    const need = scenarios.needs.find((n: any) => n.group === "performance");
    const expected = await postJson(`${agent.url}/v1/decide`, { workload: { scenario: first.id, performance: [need.id] } });
    await poll(() => textOf(page.locator("#decide-summary .explanation"))).toBe(expected.explanation);
  });

  it("passes axe-core's WCAG 2.1 AA checks (contrast, labels, table headers) with a decision, an error and a comparison shown", async () => {
    expect(await axeViolations(page)).toEqual([]);
    const form = page.locator("#decide-form");
    await form.getByLabel("Min isolation (stars, 1–5)").fill("9");
    await form.getByRole("button", { name: "Decide" }).click();
    await poll(() => form.getByLabel("Min isolation (stars, 1–5)").getAttribute("aria-invalid")).toBe("true");
    expect(await axeViolations(page)).toEqual([]);
    await form.getByRole("button", { name: "Clear" }).click();
    // the check itself finds what it must: an unlabelled control is a violation
    await page.evaluate(() => document.querySelector("#decide-form")!.append(Object.assign(document.createElement("input"), { id: "probe" })));
    expect((await axeViolations(page, "#decide-form")).join("\n")).toMatch(/^label: #probe/m);
    await page.evaluate(() => document.getElementById("probe")!.remove());
  });

  it("fits 375 px: no horizontal page scroll, wide tables scroll in their own box", async () => {
    const narrow = await openConsole(browser, agent.url, { width: 375, height: 812 });
    watched.push(narrow);
    const p = narrow.page;
    const form = p.locator("#decide-form");
    const layout = () =>
      p.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        // no content (a leaf element: text, control, bar) outside a table's box reaches into the 1rem side margin
        outside: [...document.querySelectorAll("body *")]
          .filter(
            (el) =>
              el.childElementCount === 0 &&
              !el.closest(".table-wrap, .sr-only") &&
              el.getBoundingClientRect().right > document.documentElement.clientWidth - 15.5,
          )
          .map((el) => `${el.tagName} ${(el.textContent ?? "").slice(0, 40)}`),
        wraps: [...document.querySelectorAll(".table-wrap")].map((el) => el.getBoundingClientRect().right),
      }));
    const expectFits = async () => {
      const l = await layout();
      expect(l.client).toBe(375);
      expect(l.scroll).toBe(375);
      expect(l.outside).toEqual([]);
      for (const right of l.wraps) expect(right).toBeLessThanOrEqual(375);
    };
    await expectFits();
    // with a refused request's errors beside their fields
    await form.getByLabel("Min isolation (stars, 1–5)").fill("9");
    await form.getByRole("button", { name: "Decide" }).click();
    await poll(() => form.getByLabel("Min isolation (stars, 1–5)").getAttribute("aria-invalid")).toBe("true");
    await expectFits();
    // with a decision, its facts and its ranking
    await form.getByRole("button", { name: "Clear" }).click();
    await form.getByLabel("Scenario").selectOption({ index: 1 });
    await form.getByRole("button", { name: "Decide" }).click();
    await p.locator("#decide-result table").waitFor();
    await expectFits();
    await screenshot(p, "test-results/console-375.png");
  });

  it("a screenshot of the whole page shows the decision (test-results/console.png)", async () => {
    const form = page.locator("#decide-form");
    await form.getByRole("button", { name: "Clear" }).click();
    await form.getByLabel("Scenario").selectOption("edge");
    for (const name of ["containerd", "WasmEdge"]) await form.getByRole("checkbox", { name: startsWith(name) }).check();
    await form.getByRole("button", { name: "Decide" }).click();
    await page.locator("#decide-result table").waitFor();
    // what the picture must show: the decision, in the result panel, inside the viewport's width
    // biome-ignore lint/performance/useDomNodeTextContent: what is displayed, as the reader sees it
    await expect.poll(() => page.locator("#decide-result").innerText()).toMatch(/L4[\s\S]*WasmEdge/);
    const size = await page.evaluate(() => ({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight }));
    await screenshot(page, "test-results/console.png");
    // the PNG is the whole page: its header's width and height are the page's
    const png = await readFile("test-results/console.png");
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual(size);
    expect(size.width).toBe(1280);
  });

  it("at 1280 px (test-results/console-1280.png): no table scrolls sideways, no word split inside, no glyph that needs a CJK or emoji font", async () => {
    const form = page.locator("#decide-form");
    await form.getByRole("button", { name: "Clear" }).click();
    await form.getByLabel("Scenario").selectOption("microservices");
    await form.getByRole("button", { name: "Decide" }).click();
    await page.locator("#decide-result table").waitFor();
    await page.locator("#compare-form").getByRole("button").click();
    await page.locator("#compare-result table").waitFor();
    const seen = await page.evaluate(() => {
      const overflowing = [...document.querySelectorAll(".table-wrap")]
        .filter((w) => w.scrollWidth > w.clientWidth)
        .map((w) => `${w.querySelector("caption")?.textContent?.slice(0, 40)}: ${w.scrollWidth} > ${w.clientWidth}`);
      // a run of letters whose rendered boxes sit on two lines was broken inside (a break at "-" is between words)
      const split: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (const m of n.textContent!.matchAll(/\p{L}{4,}/gu)) {
          const range = document.createRange();
          range.setStart(n, m.index!);
          range.setEnd(n, m.index! + m[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (lines.size > 1) split.push(m[0]);
        }
      }
      // what the reader sees (innerText leaves out what is not displayed)
      // biome-ignore lint/performance/useDomNodeTextContent lint/suspicious/noMisleadingCharacterClass: displayed text only; U+FE0F is listed on its own, as the emoji presentation selector that makes a glyph of the mark before it
      const glyphs = document.body.innerText.match(/[\u2E80-\u9FFF\u3000-\u303F\uFF00-\uFFEF\u2600-\u27BF\uFE0F\u{1F000}-\u{1FAFF}]/gu) ?? [];
      return {
        width: document.documentElement.scrollWidth,
        overflowing,
        split,
        glyphs: [...new Set(glyphs)],
        marks: document.querySelectorAll("svg.mark").length,
      };
    });
    expect(seen.width).toBe(1280);
    expect(seen.overflowing).toEqual([]);
    expect(seen.split).toEqual([]);
    expect(seen.glyphs).toEqual([]);
    expect(seen.marks).toBeGreaterThan(50); // the fit marks and stars, drawn
    await screenshot(page, "test-results/console-1280.png");
    const png = await readFile("test-results/console-1280.png");
    expect(png.readUInt32BE(16)).toBe(1280);

    // the Chinese names, on request: the same text nodes, now displayed
    const zh = page.locator("#core-matrix thead .zh").first();
    expect(await zh.isVisible()).toBe(false);
    await page.getByLabel(/^Show the Chinese names/).check();
    expect(await zh.isVisible()).toBe(true);
    expect(await zh.textContent()).toBe(levels.levels[0].zh);
    await page.getByLabel(/^Show the Chinese names/).uncheck();
    // and the icon the browser asks for
    const icon = await fetch(`${agent.url}/${await page.locator("link[rel=icon]").getAttribute("href")}`);
    expect(icon.status).toBe(200);
  });

  describe("another policy, the same page", () => {
    let other: Agent;
    let o: Watched;
    // A policy with a scenario, a runtime and a level name the default does not have.
    beforeAll(async () => {
      const source = parse(await defaultSourceText());
      source.name = "batch-fleet";
      source.scenarios.push({
        id: "batch",
        name: "batch jobs",
        zh: "批处理",
        first: "L3",
        second: "L1",
        added: true,
        levels: {
          L1: { fit: "✅", note: "long jobs, own kernel", stack: "Slurm + KVM" },
          L2: { fit: "⚠️", note: "workable, little gain", stack: { orchestrator: "Slurm", runtime: "kata" } },
          L3: { fit: "✅✅✅", note: "dense, standard images", stack: "Volcano + youki" },
          L4: { fit: "❌", note: "no long-running jobs", stack: { orchestrator: "Volcano", runtime: "wasmedge" } },
        },
      });
      source.runtimes.splice(2, 0, { id: "youki", name: "youki (Rust OCI)", levels: ["L3"], runtimeClassName: "youki" });
      source.levels.find((l: any) => l.id === "L3").name = "OS container";
      const built = await buildPolicy(stringify(source), "batch-fleet.yaml");
      other = await startConsoleAgent(built.wasm);
      o = await openConsole(browser, other.url);
      watched.push(o);
    });
    afterAll(async () => {
      await other?.close();
    });

    it("shows the new scenario, runtime and level name, and decides with them", async () => {
      const row = o.page
        .getByRole("table", { name: /^Scenarios/ })
        .locator("tbody tr")
        .last();
      expect(await textOf(row)).toContain("batch jobs");
      expect(await textOf(row)).toContain("Volcano + youki");
      expect(await textOf(o.page.getByRole("table", { name: /^Core matrix/ }).locator("thead"))).toContain("OS container");

      const form = o.page.locator("#decide-form");
      await form.getByLabel("Scenario").selectOption("batch");
      await form.getByRole("checkbox", { name: /^youki \(Rust OCI\)/ }).check();
      await form.getByRole("button", { name: "Decide" }).click();
      const expected = await postJson(`${other.url}/v1/decide`, { workload: { scenario: "batch" }, node: { runtimes: ["youki"] } });
      expect(expected).toMatchObject({ level: "L3", runtime: "youki", runtimeClassName: "youki", stack: "Volcano + youki" });
      await poll(() => textOf(o.page.locator("#decide-summary .verdict"))).toBe("L3 OS container");
      await poll(() => textOf(o.page.locator("#decide-summary .explanation"))).toBe(expected.explanation);
    });
  });

  it("made no request beyond the test server and logged no error (CSP violations included)", () => {
    // Chromium logs each 4xx answer; the refused decisions of the errors and axe tests are the only ones.
    const refused = /^error: Failed to load resource: the server responded with a status of 400 \(Bad Request\)$/;
    for (const x of watched) {
      expect(x.requests.filter((u) => new URL(u).origin !== x.origin)).toEqual([]);
      expect(x.problems.filter((p) => !refused.test(p))).toEqual([]);
    }
    expect(w.problems.filter((p) => refused.test(p))).toHaveLength(3);
    const paths = new Set(w.requests.map((u) => new URL(u).pathname));
    for (const p of ["/", "/console.js", "/console.css", "/v1/levels", "/v1/scenarios", "/v1/decide", "/v1/compare"]) expect(paths).toContain(p);
  });
});
