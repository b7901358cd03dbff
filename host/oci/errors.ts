// The OCI client's errors. Each says what went wrong in words an operator can act on; `kind`
// lets callers (the CLI's exit code, the policy source's rejection reason) tell them apart.
export type OciErrorKind =
  | "reference" // the oci:// reference is malformed
  | "insecure" // plain HTTP to a host that is neither loopback nor named with --insecure-registry
  | "auth" // no or refused credentials
  | "not-found" // the repository, tag, manifest or blob does not exist
  | "digest" // content does not match its digest (or its declared size)
  | "size" // over a size cap
  | "format" // not the artifact layout isoplace expects
  | "registry" // any other HTTP status
  | "network"; // no answer (refused, reset, timed out)

export class OciError extends Error {
  readonly kind: OciErrorKind;
  readonly status?: number;
  constructor(kind: OciErrorKind, message: string, status?: number) {
    super(message);
    this.name = "OciError";
    this.kind = kind;
    this.status = status;
  }
}
