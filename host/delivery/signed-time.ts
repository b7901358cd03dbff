// Signed times, read one way on every agent. Runtime-neutral.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * A signed time as milliseconds since the epoch; null unless it is an RFC 3339 date-time with
 * `Z` or an explicit offset (what toISOString and Go's time.RFC3339Nano write), each field in its
 * range and the date a real one. Every signed time is read through this, never Date.parse, whose
 * guesses ("1", "March 7", "2030-02-30", local time for "12/31/2099") would let one statement mean
 * different instants on different agents. A leap second (:60) is refused: JavaScript has none.
 */
export function parseSignedTime(text: unknown): number | null {
  const m = typeof text === "string" ? RFC3339.exec(text) : null;
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const [sign, offsetHours, offsetMinutes] = [m[8], Number(m[9] ?? 0), Number(m[10] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  if (t.getUTCMonth() !== month - 1) return null; // 2030-02-30 would roll over into March
  t.setUTCHours(hour, minute, second, Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3)));
  const offset = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return t.getTime() - offset;
}
