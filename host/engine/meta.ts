// Reading a policy module's metadata without running it: the `isoplace.meta` custom section.
import { META_SECTION } from "./abi.ts";
import type { PolicyMeta } from "./catalogue.ts";
import { PolicyRejectedError } from "./errors.ts";

export function readMeta(sections: (ArrayBuffer | Uint8Array)[]): PolicyMeta {
  if (sections.length !== 1) throw new PolicyRejectedError("meta", `expected one ${META_SECTION} custom section, found ${sections.length}`);
  let meta: PolicyMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(sections[0]));
  } catch {
    throw new PolicyRejectedError("meta", `the ${META_SECTION} section is not JSON`);
  }
  const ok = meta && typeof meta.name === "string" && typeof meta.version === "string" && typeof meta.sourceSha256 === "string" && typeof meta.abi === "number";
  if (!ok) throw new PolicyRejectedError("meta", `the ${META_SECTION} section lacks name, version, sourceSha256 or abi`);
  return meta;
}

/** Whether the bytes start like a WebAssembly binary module: the magic \0asm and a version. */
export function isWasmModule(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/**
 * The custom sections of a module's bytes, by name, without compiling it (for `policy inspect`
 * and for checks that must not depend on the module being valid code).
 */
export function customSections(bytes: Uint8Array, name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (!isWasmModule(bytes)) return out;
  let at = 8;
  const leb = (): number => {
    let result = 0,
      shift = 0,
      b: number;
    do {
      if (at >= bytes.length) throw new PolicyRejectedError("invalid", "truncated module");
      b = bytes[at++];
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (end > bytes.length) throw new PolicyRejectedError("invalid", "truncated module");
    if (id === 0) {
      const len = leb();
      const sectionName = new TextDecoder().decode(bytes.subarray(at, at + len));
      if (sectionName === name) out.push(bytes.slice(at + len, end));
    }
    at = end;
  }
  return out;
}
