// isoplace's OCI distribution client: fetch and WebCrypto only, so it runs on Node and on Workers.
export { OciError, type OciErrorKind } from "./errors.ts";
export { parseReference, formatReference, pinned, isOciReference, isLoopback, schemeFor, type OciReference } from "./reference.ts";
export { credentialsFor, parseDockerConfig, type Credentials, type DockerConfig } from "./auth.ts";
export { ANNOTATION, CAPS, MEDIA, parseIndex, parseManifest, referrersTag, signatureTag, type Descriptor, type Manifest, type Referrer } from "./artifact.ts";
export { Repository, type HeadResult } from "./registry.ts";
export { Transport, type TransportOptions } from "./transport.ts";
export { pullPolicy, pullSignature, pushPolicy, MAX_POLICY_BYTES, type PulledPolicy, type PushResult, type SignaturePath } from "./policy.ts";
