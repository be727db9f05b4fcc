/** Table-driven error checks: each call must throw an instance of its type whose message matches. */
export type ErrorCase = [call: () => unknown, type: ErrorConstructor, message: RegExp];

/** Checks every case and reports them all at once, each labelled by its call's source (cut to `width`). */
export function expectErrors(cases: ErrorCase[], width = Infinity): void {
  for (const [call, type, re] of cases) {
    let err: unknown = null;
    try {
      call();
    } catch (e) {
      err = e;
    }
    const label = String(call).slice(0, width);
    expect([label, err instanceof type, String(err)]).toEqual([label, true, expect.stringMatching(re)]);
  }
}
