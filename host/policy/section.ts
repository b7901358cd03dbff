// Appending a custom section to a module's bytes (AssemblyScript source cannot declare one).
function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export function appendCustomSection(module: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb128(nameBytes.length), ...nameBytes];
  const header = [0, ...leb128(body.length + payload.length), ...body];
  const out = new Uint8Array(module.length + header.length + payload.length);
  out.set(module, 0);
  out.set(header, module.length);
  out.set(payload, module.length + header.length);
  return out;
}
