// One environment variable, read through WASI preview1. (The shim's process.env asks
// environ_get for zero bytes when the environment is empty, which runtimes refuse with EINVAL.)

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function environ_sizes_get(count: usize, size: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_get")
declare function environ_get(environ: usize, buffer: usize): u16;

/** The value of `name`, or "" when it is unset (or the environment cannot be read). */
export function getenv(name: string): string {
  const sizes = memory.data(16);
  if (environ_sizes_get(sizes, sizes + sizeof<usize>()) != 0) return "";
  const count = load<usize>(sizes), size = load<usize>(sizes, sizeof<usize>());
  if (count == 0 || size == 0) return "";
  const pointers = new ArrayBuffer(<i32>(count * sizeof<usize>()));
  const text = new ArrayBuffer(<i32>size);
  if (environ_get(changetype<usize>(pointers), changetype<usize>(text)) != 0) return "";
  const prefix = name + "=";
  for (let i: usize = 0; i < count; i++) {
    const start = load<usize>(changetype<usize>(pointers) + i * sizeof<usize>());
    let end = start;
    while (end < changetype<usize>(text) + size && load<u8>(end) != 0) end++;
    const entry = String.UTF8.decodeUnsafe(start, end - start);
    if (entry.startsWith(prefix)) return entry.substring(prefix.length);
  }
  return "";
}
