// RFC 6902 JSON Patch for a pod, base64 as AdmissionReview wants it. Runtime-neutral.
export type PatchOp = { op: "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

/** RFC 6901: "~" → "~0", "/" → "~1" (an annotation key such as isoplace.io/level). */
export const pointerToken = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

/** Base64 of the patch's UTF-8 JSON (an annotation value may be any Unicode). */
export function encodePatch(ops: PatchOp[]): string {
  const json = JSON.stringify(ops);
  if (/^[\x00-\x7f]*$/.test(json)) return btoa(json); // ASCII: its own UTF-8
  const bytes = new TextEncoder().encode(json);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
