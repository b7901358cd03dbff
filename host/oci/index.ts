// isoplace's OCI distribution client: fetch and WebCrypto only, so it runs on Node and on Workers.
export { OciError } from "./errors.ts";
export { parseReference, schemeFor, type OciReference } from "./reference.ts";
export { credentialsFor, parseDockerConfig } from "./auth.ts";
export { CAPS, MEDIA, parseManifest, policyLayer, signatureTag } from "./artifact.ts";
export { Repository } from "./registry.ts";
export { Transport, type TransportOptions } from "./transport.ts";
export { pullPolicy, pullSignatures, pushPolicy, MAX_REFERRERS, type SignaturePath } from "./policy.ts";
