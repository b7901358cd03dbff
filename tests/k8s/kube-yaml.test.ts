// plan reads a plain scalar as kubectl does: the table (support/scalars.ts) holds what a real
// kube-apiserver answered for each (tests/k8s-e2e/plan.test.ts asks it again where the peers are
// built). The YAML 1.1 schema plan used before read 16 of them otherwise (a date, 1:20, 0o17, 1e3 …).
import { describe, expect, it } from "vitest";
import { isPlainString } from "../../host/cli/kube-yaml.ts";
import { parseManifestText } from "../../host/cli/manifests.ts";
import { NOT_STRINGS, NULLS, STRINGS } from "./support/scalars.ts";

const read = (yaml: string) => parseManifestText(yaml, "t.yaml").values[0] as Record<string, unknown>;
const x = (scalar: string) => read(`x: ${scalar}\n`).x;

describe("plain scalars, as sigs.k8s.io/yaml reads them for the API server", () => {
  it.each(STRINGS)("%s is the string it spells", (v) => expect(x(v)).toBe(v));
  it.each(NULLS)("%j is a null", (v) => expect(x(v)).toBeNull());
  it.each(NOT_STRINGS)("%s is not a string", (v) => expect(typeof x(v)).not.toBe("string"));
});

describe("tags and keys, as the same API server stored them", () => {
  it("a local tag is ignored, !!binary is its text, !!timestamp and !!str the text as written", () => {
    expect(read("a: !foo bar\nb: !!binary aGVsbG8=\nc: !!timestamp 2024-01-01\nd: !!str 1\n")).toEqual({ a: "bar", b: "hello", c: "2024-01-01", d: "1" });
  });

  it("keys become strings: a date as written, an integer in decimal, y and true as true", () => {
    expect(Object.keys(read("2024-01-01: a\n0x10: b\ny: c\n1: d\n")).sort()).toEqual(["1", "16", "2024-01-01", "true"]);
  });

  it("a key given twice is its last value; a merge key (<<) supplies the keys not given", () => {
    expect(read("x: a\nx: b\n")).toEqual({ x: "b" });
    expect(read("m:\n  <<: {a: m, b: m}\n  a: own\n").m).toEqual({ a: "own", b: "m" });
  });
});

it("a string is written plain only where it reads back as itself", () => {
  for (const s of ["L4", "gvisor", "default@2025.11.15-1", "isoplace.io/level", "7ad95aac-29c0-8044-bc19-e2d4ebf1bf82", "2024-01-01"])
    expect(isPlainString(s), s).toBe(true);
  for (const s of [...NOT_STRINGS, ...NULLS, "a b", "a: b", "#x", "-x", "[x]", "x,y", "<<"]) expect(isPlainString(s), s).toBe(false);
});
