// Linear memory stays flat by construction, not by a loop that happens not to grow it: the
// module contains no memory.grow instruction (counted in its text form, read with binaryen, the
// AssemblyScript compiler's own back end), so its memory can never be larger than the pages it
// declares; every call writes into fixed static buffers. Reported: the declared pages, the count
// of memory.grow instructions (must be 0), and the pages an instance has after its self-test.
import type { Section } from "../section.ts";

export const memorySection: Section = {
  name: "memory",
  title: "Linear memory: flat by construction",
  async run(ctx) {
    const binaryen = (await import("binaryen")).default;
    const m = binaryen.readBinary(ctx.moduleBytes);
    let grows: number, declared: { initial: number; max?: number };
    try {
      grows = (m.emitText().match(/\bmemory\.grow\b/g) ?? []).length;
      declared = m.getMemoryInfo();
    } finally {
      m.dispose();
    }
    const pages = ctx.engine.memoryBytes / 65536;
    return {
      figures: {
        linearMemory: {
          memoryGrowInstructions: grows,
          declaredPages: declared.initial,
          instancePages: pages,
          flatByConstruction: grows === 0,
          method:
            "the module's text form (binaryen readBinary + emitText) searched for memory.grow; a module without it cannot grow its memory, whatever it is called with",
        },
      },
      rows: [
        {
          id: "linearMemory.memoryGrowInstructions",
          label: "memory.grow instructions in the module",
          value: grows,
          unit: "",
          target: { op: "<=", limit: 0 },
          note: `${declared.initial} page(s) declared, ${pages} in use: flat by construction`,
        },
      ],
    };
  },
};
