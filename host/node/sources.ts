// The policy sources the Node agent delivers from: a bare path or file:// (watched file),
// http(s):// (polled URL), oci:// (registry). They are registered here, by the first call, and
// never by importing a source's module: a program that uses UrlSource alone (the fleet
// simulation, a test) adds no scheme to the registry. A new source adds one line to register().
import { ociSource } from "../delivery/source-oci.ts";
import { urlSource } from "../delivery/source-url.ts";
import { registeredSchemes as schemes, registerSource, sourceFor as sourceOf, type PolicySource, type SourceContext } from "../delivery/source.ts";
import { fileSource } from "./source-file.ts";

export { schemeOf } from "../delivery/source.ts";

let registered = false;

/** Registers the agent's sources (once). */
function registerNodeSources(): void {
  if (registered) return;
  registered = true;
  registerSource("file", fileSource);
  registerSource("http", urlSource);
  registerSource("https", urlSource);
  registerSource("oci", ociSource);
}

/** The agent's source for a --policy reference (see delivery/source.ts sourceFor). */
export function sourceFor(ref: string, ctx?: SourceContext): PolicySource {
  registerNodeSources();
  return sourceOf(ref, ctx);
}

/** The schemes the agent delivers from, sorted. */
export function registeredSchemes(): string[] {
  registerNodeSources();
  return schemes();
}
