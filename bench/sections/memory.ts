// Linear memory stays flat: the module allocates nothing per call, so its memory has the same
// number of 64 KiB pages after 1,000,000 decisions as before: through the whole engine, and on
// a raw instance.
import { rawCore } from "../wasm-core.ts";
import type { Section } from "../section.ts";

export const memorySection: Section = {
  name: "memory",
  title: "Linear memory",
  async run(ctx) {
    const decisions = ctx.quick ? 10_000 : 1_000_000;
    const { engine } = ctx, requests = ctx.mix.requests, n = requests.length;
    const pages = () => engine.memoryBytes / 65536;
    ctx.log(`memory: ${decisions} decisions through engine.decide, then through the raw export`);
    const before = pages();
    for (let i = 0; i < decisions; i++) engine.decide(requests[i % n]);
    const after = pages();

    const core = rawCore(ctx.module, engine.catalogue.scenarios.length), codes = ctx.mix.codes;
    const rawBefore = core.pages();
    for (let i = 0; i < decisions; i++) core.decide(codes[i % codes.length]);
    const rawAfter = core.pages();
    return {
      figures: {
        linearMemory: { pagesBefore: before, pagesAfter: after, rawPagesBefore: rawBefore, rawPagesAfter: rawAfter, decisions, flat: before === after && rawBefore === rawAfter },
      },
      rows: [
        { id: "linearMemory.growthPages", label: `linear memory growth over ${decisions.toLocaleString("en")} decisions`, value: after - before + (rawAfter - rawBefore), unit: "pages", target: { op: "<=", limit: 0 }, note: `${before} → ${after} pages (raw ${rawBefore} → ${rawAfter})` },
      ],
    };
  },
};
