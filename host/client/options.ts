// createClient's options, checked once when the client is made. A mistake there (a baseUrl
// without its scheme, a negative retry count, a fetch function where a fetcher goes) is a
// TypeError naming the option and what it takes, never a failure of every call that the retries
// and the fallback would then hide.
import type { ClientOptions, Fetcher } from "./index.ts";

const OPTIONS = ["baseUrl", "fetcher", "timeoutMs", "retries", "backoffMs", "headers", "fallback", "onRetry", "onFallback"];
/** The longest delay a timer takes (setTimeout fires at once past it). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type Settings = Required<Pick<ClientOptions, "timeoutMs" | "retries" | "backoffMs">> &
  Pick<ClientOptions, "fallback" | "onRetry" | "onFallback"> & {
    /** The agent's URL without its trailing slash; the API's paths follow it. */
    base: string;
    fetcher: Fetcher;
    /** Sent with a GET, and with a POST (content-type added). */
    get: Headers;
    post: Headers;
  };

export const isFetcher = (value: unknown): value is Fetcher => typeof (value as Fetcher | undefined)?.fetch === "function";

/** The TypeError for an option given a value it does not take. */
export const refuse = (option: string, allowed: string, value: unknown) =>
  new TypeError(
    `isoplace/client: ${option} must be ${allowed}, got ${typeof value === "string" ? JSON.stringify(value) : typeof value === "number" || value == null ? value : typeof value}`,
  );

function checkNumber(option: string, value: unknown, min: number, max: number, integer = false): void {
  if (typeof value !== "number" || !(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    throw refuse(option, `${integer ? "an integer" : "a number"} from ${min} to ${max}`, value);
  }
}

export function settings(options: unknown): Settings {
  if (typeof options !== "object" || options === null) throw refuse("options", 'an object such as { baseUrl: "http://127.0.0.1:8787" }', options);
  const given = options as Partial<Record<string, unknown>>;
  const unknown = Object.keys(given).find((key) => !OPTIONS.includes(key));
  if (unknown) throw new TypeError(`isoplace/client: unknown option "${unknown}"; the options are ${OPTIONS.join(", ")}`);
  const { timeoutMs = 100, retries = 1, backoffMs = 25, baseUrl, fetcher, headers, fallback, onRetry, onFallback } = given;
  checkNumber("timeoutMs", timeoutMs, 1, MAX_TIMER_MS);
  checkNumber("retries", retries, 0, 10, true);
  checkNumber("backoffMs", backoffMs, 0, 60_000);
  if (fetcher !== undefined && !isFetcher(fetcher)) {
    throw refuse("fetcher", "an object with a fetch(request) method, such as a Workers service binding ({ fetch } for a fetch function)", fetcher);
  }
  if (fallback !== undefined && !isFetcher(fallback)) {
    throw refuse(
      "fallback",
      'a fetcher (an object with a fetch(request) method); for "embedded" or an engine, import createClient from "isoplace/client/embedded"',
      fallback,
    );
  }
  for (const [option, hook] of [
    ["onRetry", onRetry],
    ["onFallback", onFallback],
  ]) {
    if (hook !== undefined && typeof hook !== "function") throw refuse(option as string, "a function", hook);
  }

  let base = "http://isoplace";
  if (baseUrl !== undefined || !fetcher) {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl as string);
    } catch {
      /* refused below */
    }
    // fetch refuses credentials in a URL; a query or fragment would swallow the API's paths
    if (typeof baseUrl !== "string" || !url || !/^https?:$/.test(url.protocol) || url.username || url.password || /[?#]/.test(url.href)) {
      throw refuse("baseUrl", 'an http: or https: URL such as "http://127.0.0.1:8787", without credentials, query or fragment (or give a fetcher)', baseUrl);
    }
    base = url.href.replace(/\/+$/, "");
  }

  let get: Headers;
  try {
    get = new Headers(headers as HeadersInit | undefined);
  } catch (err) {
    throw refuse("headers", `HTTP header names and values (${(err as Error).message})`, headers);
  }
  const post = new Headers(get);
  post.set("content-type", "application/json");
  return {
    base,
    fetcher: (fetcher as Fetcher | undefined) ?? { fetch: (request) => globalThis.fetch(request) },
    get,
    post,
    timeoutMs: timeoutMs as number,
    retries: retries as number,
    backoffMs: backoffMs as number,
    fallback: fallback as Fetcher | undefined,
    onRetry: onRetry as Settings["onRetry"],
    onFallback: onFallback as Settings["onFallback"],
  };
}
