// JSON for the WASI command: a parser for the request (RFC 8259, with JSON.parse's rules: the
// last of duplicate keys wins, in the first one's place) and a writer for the answer, laid out
// as JSON.stringify(value, null, 2) lays it out.

export const NULL = 0;
export const BOOL = 1;
export const NUMBER = 2;
export const STRING = 3;
export const ARRAY = 4;
export const OBJECT = 5;

const MAX_DEPTH = 64;

export class Json {
  kind: i32;
  num: f64 = 0;
  str: string = "";
  keys: string[] = [];
  items: Json[] = [];

  constructor(kind: i32) { this.kind = kind; }

  static nil(): Json { return new Json(NULL); }
  static ofBool(b: bool): Json { const j = new Json(BOOL); j.num = b ? 1 : 0; return j; }
  static ofNumber(x: f64): Json { const j = new Json(NUMBER); j.num = x; return j; }
  static ofString(s: string): Json { const j = new Json(STRING); j.str = s; return j; }
  static newArray(): Json { return new Json(ARRAY); }
  static newObject(): Json { return new Json(OBJECT); }
  /** A string, or null for "". */
  static stringOrNull(s: string): Json { return s.length ? Json.ofString(s) : Json.nil(); }

  has(key: string): bool { return this.keys.indexOf(key) >= 0; }

  get(key: string): Json | null {
    const i = this.keys.indexOf(key);
    return i < 0 ? null : this.items[i];
  }

  set(key: string, value: Json): Json {
    const i = this.keys.indexOf(key);
    if (i >= 0) this.items[i] = value;
    else { this.keys.push(key); this.items.push(value); }
    return this;
  }

  push(value: Json): Json { this.items.push(value); return this; }

  /** What JSON.stringify(value, null, 2) gives. */
  stringify(indent: string = ""): string {
    switch (this.kind) {
      case NULL: return "null";
      case BOOL: return this.num != 0 ? "true" : "false";
      case NUMBER: return formatNumber(this.num);
      case STRING: return quote(this.str);
    }
    const open = this.kind == ARRAY ? "[" : "{", close = this.kind == ARRAY ? "]" : "}";
    if (this.items.length == 0) return open + close;
    const inner = indent + "  ";
    let s = open;
    for (let i = 0; i < this.items.length; i++) {
      s += (i ? ",\n" : "\n") + inner;
      if (this.kind == OBJECT) s += quote(this.keys[i]) + ": ";
      s += this.items[i].stringify(inner);
    }
    return s + "\n" + indent + close;
  }
}

/** A number as JavaScript prints it (integers without ".0"); JSON has no NaN or Infinity. */
export function formatNumber(x: f64): string {
  if (!isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 1e21) return x == 0 ? "0" : (<i64>x).toString();
  return x.toString();
}

function hex4(c: i32): string {
  const digits = "0123456789abcdef";
  let s = "\\u";
  for (let shift = 12; shift >= 0; shift -= 4) s += digits.charAt((c >> shift) & 15);
  return s;
}

export function quote(s: string): string {
  let out = "\"";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc = "";
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c == 0x08) esc = "\\b";
    else if (c == 0x0c) esc = "\\f";
    else if (c < 0x20) esc = hex4(c);
    else continue;
    out += s.substring(from, i) + esc;
    from = i + 1;
  }
  return out + s.substring(from) + "\"";
}

/** Parses JSON text; on failure returns null and leaves the reason in `error`. */
export class JsonParser {
  text: string;
  pos: i32 = 0;
  error: string = "";

  constructor(text: string) { this.text = text; }

  parse(): Json | null {
    this.space();
    const v = this.value(0);
    if (v === null) return null;
    this.space();
    if (this.pos < this.text.length) return this.fail("unexpected " + this.describe() + " after the JSON value");
    return v;
  }

  private fail(message: string): Json | null {
    if (!this.error.length) this.error = message + " at position " + this.pos.toString();
    return null;
  }

  private describe(): string {
    return this.pos < this.text.length ? "character " + quote(this.text.charAt(this.pos)) : "end of input";
  }

  private peek(): i32 { return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1; }

  private space(): void {
    for (let c = this.peek(); c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; c = this.peek()) this.pos++;
  }

  private word(w: string, v: Json): Json | null {
    if (this.text.substr(this.pos, w.length) != w) return this.fail("unexpected " + this.describe());
    this.pos += w.length;
    return v;
  }

  private value(depth: i32): Json | null {
    if (depth > MAX_DEPTH) return this.fail("nested deeper than " + MAX_DEPTH.toString() + " levels");
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : Json.ofString(s);
    }
    if (c == 0x74) return this.word("true", Json.ofBool(true));
    if (c == 0x66) return this.word("false", Json.ofBool(false));
    if (c == 0x6e) return this.word("null", Json.nil());
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected " + this.describe());
  }

  private object(depth: i32): Json | null {
    const o = Json.newObject();
    this.pos++;
    this.space();
    if (this.peek() == 0x7d) { this.pos++; return o; }
    for (;;) {
      this.space();
      if (this.peek() != 0x22) return this.fail("expected a property name, found " + this.describe());
      const key = this.string();
      if (key === null) return null;
      this.space();
      if (this.peek() != 0x3a) return this.fail("expected ':' after a property name, found " + this.describe());
      this.pos++;
      this.space();
      const v = this.value(depth + 1);
      if (v === null) return null;
      o.set(key, v);
      this.space();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return o;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or '}', found " + this.describe()); }
    }
    return null;  // (the loop only ends by returning)
  }

  private array(depth: i32): Json | null {
    const a = Json.newArray();
    this.pos++;
    this.space();
    if (this.peek() == 0x5d) { this.pos++; return a; }
    for (;;) {
      this.space();
      const v = this.value(depth + 1);
      if (v === null) return null;
      a.push(v);
      this.space();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return a;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or ']', found " + this.describe()); }
    }
    return null;  // (the loop only ends by returning)
  }

  private hexDigits(): i32 {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.peek();
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      if (d < 0) return -1;
      v = (v << 4) | d;
      this.pos++;
    }
    return v;
  }

  private string(): string | null {
    this.pos++;
    let out = "";
    let from = this.pos;
    for (;;) {
      const c = this.peek();
      if (c < 0) { this.fail("unterminated string"); return null; }
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character in a string"); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      out += this.text.substring(from, this.pos);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) out += "\"";
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const u = this.hexDigits();
        if (u < 0) { this.fail("bad \\u escape"); return null; }
        out += String.fromCharCode(u);
      } else { this.pos--; this.fail("bad escape"); return null; }
      from = this.pos;
    }
    out += this.text.substring(from, this.pos);
    this.pos++;
    return out;
  }

  private digits(): i32 {
    let n = 0;
    for (let c = this.peek(); c >= 0x30 && c <= 0x39; c = this.peek()) { this.pos++; n++; }
    return n;
  }

  private number(): Json | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) this.pos++;
    else if (this.digits() == 0) return this.fail("no digits in a number");
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("no digits after a decimal point");
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("no digits in an exponent");
    }
    return Json.ofNumber(parseFloat(this.text.substring(start, this.pos)));
  }
}

/** A whole string as a JSON number (the flags' numbers), or NaN. */
export function parseNumber(s: string): f64 {
  const p = new JsonParser(s.trim());
  const v = p.parse();
  return v !== null && v.kind == NUMBER ? v.num : NaN;
}
