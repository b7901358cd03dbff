// The limits of the agent's and the webhook's HTTP servers (docs/SECURITY.md, "Limits"): header
// and request timeouts, checked every second, and a cap on connections open at once. A small
// module of its own: the CLI reads the defaults for its help without loading the agent.

export interface ServerLimits {
  /** A request's headers must have arrived within this (else the connection is closed). */
  headersTimeoutMs: number;
  /** The whole request, body included (else 408 and the connection closed). */
  requestTimeoutMs: number;
  /** Connections open at once; one more is closed as soon as it is accepted. */
  maxConnections: number;
}

/**
 * The agent's: 50 connections, what the DaemonSet's memory limit was measured with, each
 * holding a 1000-item batch answer (deploy/k3s/README.md).
 */
export const SERVER_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 50 };

/** The webhook's: its requests are AdmissionReviews of up to 3 MiB, from a few API servers. */
export const WEBHOOK_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 16 };

/** How often Node checks the header and request timeouts (its default, 30 s, let them run ~40 s). */
export const TIMEOUT_CHECK_MS = 1000;
