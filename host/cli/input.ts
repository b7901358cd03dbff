// Turning flags (and --input JSON) into the request objects the engine takes.
import { readFile } from "node:fs/promises";
import { UsageError } from "./errors.ts";

export const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function number(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got "${value}"`);
    return n;
  };
}

/** --weight metric=number, repeatable. */
export function weights(pairs: string[] | undefined): Record<string, number> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const at = pair.lastIndexOf("=");
    const key = pair.slice(0, at).trim(),
      value = Number(pair.slice(at + 1));
    if (at <= 0 || !Number.isFinite(value)) throw new UsageError(`--weight expects metric=number (e.g. coldStart=0.4), got "${pair}"`);
    out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

export async function readJsonInput(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`--input: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value;
  } catch (err) {
    throw new UsageError(`--input: ${path} is not a JSON object: ${(err as Error).message}`);
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Drops undefined values, so flags that were not given do not override --input. */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
