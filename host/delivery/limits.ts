// Size limits of what a source may hand to the pipeline (host/net/response.ts's readLimited
// enforces them on a fetch Response without buffering past the limit).
export const MAX_MODULE_BYTES = 1024 * 1024;
/** A signature file (a DSSE envelope with a few signatures) is small; anything bigger is not one. */
export const MAX_ENVELOPE_BYTES = 16 * 1024;
