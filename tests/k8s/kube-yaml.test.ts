// plan reads a plain scalar as kubectl does. The tables are the answers of a real kube-apiserver
// (v1.37.2, `npm run peers`) to `kubectl create --dry-run=server` of a ConfigMap with the
// annotation `x: VALUE`: stored as the string VALUE, stored as "" (a null), or refused because
// sigs.k8s.io/yaml made a bool or a number of it ("cannot unmarshal … into … of type string").
// The YAML 1.1 schema plan used before read 16 of them otherwise (a date, 1:20, 0o17, 1e3 …).
import { describe, expect, it } from "vitest";
import { isPlainString } from "../../host/cli/kube-yaml.ts";
import { parseManifestText } from "../../host/cli/manifests.ts";

const STRINGS = ["2024-01-01", "2024-01-01T10:00:00Z", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14", "2024-1-1",
  "tRue", "1:20", "1:20.5", "190:20:30", "12:30:00", "_1", "1.2.3", "<<", "=", "0x", "0b", "0xG", "1,000", "1e400", "0x10000000000000000"];
const NULLS = ["~", "null", "Null", "NULL", ""];
const NOT_STRINGS = ["y", "Y", "n", "N", "yes", "Yes", "YES", "no", "on", "On", "ON", "off", "true", "True", "TRUE", "false",
  "0x1F", "0o17", "0O17", "0b101", "-0b101", "0755", "08", "09.5", "1_000", "1__0", "+12", "-0", "+0x10",
  "1e3", "1E3", "1e+3", "1.5e3", "1.", ".5", "-.5", "+.5", ".nan", ".NaN", ".inf", "-.inf", "+.inf", "0.", "1_0.5",
  "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
  "3.14", "6.8523015e+5", "685.230_15e+03", "685_230.15", "0.5e-3", "-1.5E-3"];

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
  for (const s of ["L4", "gvisor", "default@2025.11.15-1", "isoplace.io/level", "7ad95aac-29c0-8044-bc19-e2d4ebf1bf82", "2024-01-01"]) expect(isPlainString(s), s).toBe(true);
  for (const s of [...NOT_STRINGS, ...NULLS, "a b", "a: b", "#x", "-x", "[x]", "x,y", "<<"]) expect(isPlainString(s), s).toBe(false);
});
