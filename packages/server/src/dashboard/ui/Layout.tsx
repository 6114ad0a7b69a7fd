/**
 * The frame of every signed-in page: skip link, main navigation (the current page marked),
 * who is signed in with which role, and the sign-out form. Live pages refresh in place.
 */
import type { Caller } from "@armature/core"
import type { ComponentChildren } from "preact"

/** What every signed-in page renders with. */
export interface View {
  readonly caller: Caller
  /** The session's CSRF token, carried by every form. */
  readonly csrf: string
  /** The request path, to mark the current page in the navigation. */
  readonly path: string
}

const sections = [
  { href: "/", label: "Overview" },
  { href: "/workflows", label: "Workflows" },
  { href: "/monitors", label: "Monitors" },
  { href: "/servers", label: "Servers" },
  { href: "/alerts", label: "Alerts" },
  { href: "/settings", label: "Settings" }
] as const

const current = (path: string, href: string) =>
  href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`)

/** The hidden field every form posts with. */
export const Csrf = ({ view }: { view: View }) => <input type="hidden" name="csrf" value={view.csrf} />

/** A button that posts to `action` (CSRF token included), with `fields` as hidden inputs. */
export const PostButton = (props: {
  view: View
  action: string
  children: ComponentChildren
  primary?: boolean
  fields?: Readonly<Record<string, string>>
}) => (
  <form method="post" action={props.action}>
    <Csrf view={props.view} />
    {Object.entries(props.fields ?? {}).map(([name, value]) => (
      <input key={name} type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={props.primary === true ? "primary" : undefined}>
      {props.children}
    </button>
  </form>
)

/** The document shell without navigation (sign-in and error pages before a session). */
export const Document = (props: { title: string; live?: boolean; children: ComponentChildren }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${props.title} · Armature`}</title>
      <link rel="stylesheet" href="/assets/dashboard.css" />
      {props.live === true ? <script src="/assets/live.js" defer /> : null}
    </head>
    <body>{props.children}</body>
  </html>
)

export const Layout = (props: { view: View; title: string; live?: boolean; children: ComponentChildren }) => (
  <Document title={props.title} {...(props.live === undefined ? {} : { live: props.live })}>
    <a class="skip" href="#main">
      Skip to content
    </a>
    <header>
      <a class="brand" href="/">
        Armature
      </a>
      <nav aria-label="Main">
        <ul>
          {sections.map((s) => (
            <li key={s.href}>
              <a href={s.href} aria-current={current(props.view.path, s.href) ? "page" : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span>Signed in as {props.view.caller.actor.role}</span>
        <PostButton view={props.view} action="/sign-out">
          Sign out
        </PostButton>
      </div>
    </header>
    <main id="main" data-live={props.live === true ? "" : undefined}>
      <h1>{props.title}</h1>
      {props.children}
    </main>
  </Document>
)

/** A wide table in its own horizontal scroll box, so the page itself never scrolls sideways. */
export const Table = (props: { label: string; children: ComponentChildren }) => (
  // Focusable (tabindex), so a keyboard can scroll the region.
  <section class="scroll" aria-label={props.label} tabindex={0}>
    <table>{props.children}</table>
  </section>
)

/** The link to a list's next page, when there is one. */
export const Pager = (props: { path: string; nextCursor: string | null }) =>
  props.nextCursor === null ? null : (
    <p>
      <a href={`${props.path}?cursor=${encodeURIComponent(props.nextCursor)}`}>Next page</a>
    </p>
  )

/** A column of `Head`: its label, right-aligned for numbers, or read only by screen readers. */
export type Column = string | { readonly label: string; readonly num?: boolean; readonly hidden?: boolean }

/** A table's header row. */
export const Head = ({ columns }: { columns: ReadonlyArray<Column> }) => (
  <thead>
    <tr>
      {columns.map((c) => {
        const { label, num, hidden } = typeof c === "string" ? { label: c } : c
        return (
          <th key={label} scope="col" class={num === true ? "num" : undefined}>
            {hidden === true ? <span class="sr-only">{label}</span> : label}
          </th>
        )
      })}
    </tr>
  </thead>
)
