/** Signing in to the dashboard the way a browser does, for tests that drive it with `fetch`. */

/** The `csrf` field of a page's forms. */
export const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ""

/** Fills the sign-in form with `key`: the session cookie (`name=value`) to send with every page. */
export const sessionCookie = async (origin: string, key: string) => {
  const form = await fetch(`${origin}/sign-in`)
  const formCookie = form.headers.getSetCookie()[0]!.split(";")[0]!
  const signedIn = await fetch(`${origin}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
    body: new URLSearchParams({ csrf: csrfOf(await form.text()), next: "/", key }).toString()
  })
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`)
  return signedIn.headers
    .getSetCookie()
    .find((c) => c.startsWith("armature_session="))!
    .split(";")[0]!
}

/** Posts a dashboard form with the session and its CSRF token; redirects are not followed. */
export const postForm = (origin: string, cookie: string, path: string, fields: Record<string, string>) =>
  fetch(`${origin}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: new URLSearchParams(fields).toString()
  })
