/**
 * Responses of the dashboard: whole HTML documents with the headers every page carries, and the
 * page that explains a refusal in words (the same codes and statuses as the REST API).
 */
import { type ApiErrorBody, statusOf } from "@armature/core"
import { HttpServerResponse } from "@effect/platform"
import type { VNode } from "preact"
import { render } from "preact-render-to-string"
import { Document, Layout, type View } from "./ui/Layout.js"

/**
 * No inline script or style, no framing, forms post only here: an injected tag can neither run
 * nor send a form elsewhere. Pages are personal, so never cached.
 */
export const headers = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "cache-control": "no-store",
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff"
} as const

/** A rendered page; `extra` headers replace those of every page. */
export const html = (page: VNode, status = 200, extra: Record<string, string> = {}) =>
  HttpServerResponse.text(`<!doctype html>${render(page)}`, {
    status,
    contentType: "text/html; charset=utf-8",
    headers: { ...headers, ...extra }
  })

/** A redirect after a form (303: the browser follows with GET). */
export const seeOther = (location: string) =>
  HttpServerResponse.empty({ status: 303, headers: { ...headers, location } })

/** The text of an error body: its message, then each field error. */
const ErrorText = ({ error }: { error: ApiErrorBody }) => {
  const fields = error.details?.fieldErrors
  return (
    <div class="notice bad" role="alert">
      <p>{error.message}</p>
      {fields === undefined || fields.length === 0 ? null : (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <strong>{f.field}</strong>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/**
 * A refusal as a page, from the error body the API would answer with: its status, message and
 * `Retry-After`, with the navigation when signed in.
 */
export const errorPage = (body: ApiErrorBody, view: View | null) => {
  const status = statusOf(body).http
  const title =
    status >= 500
      ? "Something went wrong"
      : body.code === "forbidden_role"
        ? "Not allowed"
        : body.code.endsWith("not_found")
          ? "Not found"
          : "Refused"
  const content = (
    <>
      <ErrorText error={body} />
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </>
  )
  return html(
    view === null ? (
      <Document title={title}>
        <main id="main">
          <h1>{title}</h1>
          {content}
        </main>
      </Document>
    ) : (
      <Layout view={view} title={title}>
        {content}
      </Layout>
    ),
    status,
    body.details?.retryAfterSeconds === undefined
      ? {}
      : { "retry-after": String(body.details.retryAfterSeconds) }
  )
}

export { ErrorText }
