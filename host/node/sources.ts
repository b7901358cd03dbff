// The policy sources the Node agent can deliver from, registered by scheme on import: a bare path
// or file:// (watched file), http(s):// (polled URL). A new source (oci://) adds one import here.
import "./source-file.ts";
import "../delivery/source-url.ts";
import "../delivery/source-oci.ts";

export { registeredSchemes, schemeOf, sourceFor } from "../delivery/source.ts";
