/** Waiting in the alert tests, which watch deliveries arrive at loopback destinations. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `ok()` holds, checking every 100 ms; fails naming `what` after `seconds`. */
export const until = async (what: string, ok: () => boolean | Promise<boolean>, seconds = 60) => {
  const end = Date.now() + seconds * 1000
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`not reached in ${seconds} s: ${what}`)
    await sleep(100)
  }
}
