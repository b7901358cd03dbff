// YAML as kubectl reads a manifest: sigs.k8s.io/yaml turns it into JSON through its go-yaml v2
// fork, decoding into interface{}, and the API server then decodes that JSON. What a plain scalar
// becomes there decides whether an annotation is a string, so plan resolves plain scalars the
// same way (tests/k8s/kube-yaml.test.ts holds the table checked against a real kube-apiserver):
// - booleans and nulls are YAML 1.1's words (y, yes, on, off, ~ …);
// - integers are Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, a leading 0 for
//   octal) after dropping every `_`; a value out of range for 64 bits is no integer;
// - floats match go-yaml's own pattern and must be finite (1e400 stays a string);
// - no timestamps: go-yaml gives interface{} the text of a date, so a date is a string, and an
//   explicit !!timestamp is its text too;
// - no sexagesimal numbers (1:20 is a string);
// - a local tag (!foo bar) is ignored on a scalar, and !!binary is its decoded text.
import { Buffer } from "node:buffer";
import { boolYaml11Tag, defineScalarTag, mapTag, mergeTag, NOT_RESOLVED, nullYaml11Tag, Schema, seqTag, strTag } from "js-yaml";

const INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const MIN_INT64 = -(2n ** 63n),
  MAX_UINT64 = 2n ** 64n - 1n;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** A scalar starting with `.` goes to strconv.ParseFloat as it is (no `_` dropped). */
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;
const SPECIAL_FLOATS: Record<string, number> = {
  ".nan": NaN,
  ".NaN": NaN,
  ".NAN": NaN,
  ".inf": Infinity,
  ".Inf": Infinity,
  ".INF": Infinity,
  "+.inf": Infinity,
  "+.Inf": Infinity,
  "+.INF": Infinity,
  "-.inf": -Infinity,
  "-.Inf": -Infinity,
  "-.INF": -Infinity,
};

function goInt(source: string): number | typeof NOT_RESOLVED {
  const plain = source.replace(/_/g, "");
  if (!INT.test(plain)) return NOT_RESOLVED;
  const negative = plain[0] === "-";
  const digits = plain.replace(/^[-+]/, "");
  // BigInt reads 0x, 0o and 0b; a leading 0 alone means octal, as in Go
  let n = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits);
  if (negative) n = -n;
  // ParseInt's int64, else ParseUint's uint64 (which takes no sign)
  const fits = n >= MIN_INT64 && (n < 2n ** 63n || (plain[0] !== "+" && !negative && n <= MAX_UINT64));
  return fits ? Number(n) : NOT_RESOLVED;
}

function goFloat(source: string): number | typeof NOT_RESOLVED {
  if (Object.hasOwn(SPECIAL_FLOATS, source)) return SPECIAL_FLOATS[source];
  const plain = source[0] === "." ? source : source.replace(/_/g, "");
  if (!(source[0] === "." ? DOT_FLOAT : FLOAT).test(plain)) return NOT_RESOLVED;
  const n = Number(plain);
  return Number.isFinite(n) ? n : NOT_RESOLVED;
}

const isNumber = (v: unknown) => typeof v === "number";
const intTag = defineScalarTag("tag:yaml.org,2002:int", {
  implicit: true,
  implicitFirstChars: ["-", "+", ..."0123456789"],
  resolve: goInt,
  identify: (v) => Number.isInteger(v),
});
const floatTag = defineScalarTag("tag:yaml.org,2002:float", {
  implicit: true,
  implicitFirstChars: ["-", "+", ".", ..."0123456789"],
  resolve: goFloat,
  identify: isNumber,
});
const never = () => false;
const timestampText = defineScalarTag("tag:yaml.org,2002:timestamp", { resolve: (s) => s, identify: never });
const binaryText = defineScalarTag("tag:yaml.org,2002:binary", {
  resolve: (s) => (/^[A-Za-z0-9+/=\s]*$/.test(s) ? Buffer.from(s.replace(/\s/g, ""), "base64").toString("utf8") : NOT_RESOLVED),
  identify: never,
});
const localTag = defineScalarTag("!", { matchByTagPrefix: true, resolve: (s) => s, identify: never });

const IMPLICIT = [nullYaml11Tag, boolYaml11Tag, intTag, floatTag, mergeTag];

/** The schema plan reads manifests with: the scalars of sigs.k8s.io/yaml (above), merge keys. */
export const KUBE_SCHEMA = new Schema([strTag, seqTag, mapTag, ...IMPLICIT, timestampText, binaryText, localTag]);

const PLAIN = /^[A-Za-z0-9][\w./@-]*$/;

/** Whether a string may be written plain (unquoted) and read back as itself. */
export const isPlainString = (s: string): boolean => PLAIN.test(s) && IMPLICIT.every((t) => t.resolve(s, false, t.tagName) === NOT_RESOLVED);
