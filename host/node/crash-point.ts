// Fault injection for the crash test (tests/hardening/crash.test.ts). With ISOPLACE_CRASH_POINT
// set to a point's name, the agent announces on stderr ("isoplace-crash-point NAME") when a policy
// write reaches that point and holds there, blocking, so the test kills it exactly there rather than
// at a random time. Only writes after the first save (the one every start makes) count, and only
// the first arrival fires. Unset (always, outside that test): one string comparison per point.
import { writeSync } from "node:fs";

const wanted = process.env.ISOPLACE_CRASH_POINT || undefined;
let saves = 0;
let fired = false;

/** A save of the data directory begins. */
export function saveBegins(): void {
  if (wanted) saves++;
}

/** The write has reached `name`: save.start, {sig,module,state}.synced (temporary file written and fsynced), {…}.renamed, save.done. */
export function crashPoint(name: string): void {
  if (wanted !== name || saves < 2 || fired) return;
  fired = true;
  writeSync(2, `isoplace-crash-point ${name}\n`);
  // hold the whole process here (no timer, no I/O runs) until the test's SIGKILL; go on after 30 s
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
}
