// The one kind of wait in the tests that asks on a timer: another process's state that reaches
// us through no event — kube-apiserver's informers and post-start hooks are seen only by asking
// its API. Everything an in-process agent or a child's output can tell is waited on as an event.

/** `probe`'s first truthy answer, asked every `everyMs`; past `ms` an error naming `what` and the last answer. */
export async function pollOtherProcess<T>(
  probe: () => Promise<T>,
  o: { ms: number; everyMs: number; what: string; last?: () => string },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + o.ms;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`${o.what} not within ${o.ms / 1000} s${o.last ? `: ${o.last()}` : ""}`);
    await new Promise((r) => setTimeout(r, o.everyMs));
  }
}
