/** Waiting in a bench: a plain pause, and polling until a condition holds. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `ok()` holds, checking every 100 ms, at most `seconds`. */
export const until = async (what: string, ok: () => boolean | Promise<boolean>, seconds: number) => {
  const end = Date.now() + seconds * 1000
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`not reached in ${seconds} s: ${what}`)
    await sleep(100)
  }
}
