// The policy sources the Node agent can deliver from, registered by scheme on import: a bare path
// or file:// (watched file), http(s):// (polled URL). A new source (oci://) adds one import here.
import "./source-file.ts";
import "../delivery/source-url.ts";

export { registeredSchemes, schemeOf, sourceFor } from "../delivery/source.ts";
