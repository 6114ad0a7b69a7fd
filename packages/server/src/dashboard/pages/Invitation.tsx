/**
 * The pages an invitation email links to (`/invitations/accept`): the form that accepts it, the
 * welcome that shows the new member's key once and signs them in to the dashboard with one click
 * (a sign-in form carrying that key), and the page of a link that does not work.
 */
import type { ComponentChildren } from "preact"
import { Document } from "../ui/Layout.js"

const Page = (props: { title: string; children: ComponentChildren }) => (
  <Document title={props.title}>
    <main id="main" class="narrow">
      <h1>{props.title}</h1>
      {props.children}
    </main>
  </Document>
)

const Errors = ({ errors }: { errors: ReadonlyArray<string> }) =>
  errors.length === 0 ? null : (
    <div class="notice bad" role="alert">
      {errors.map((e) => (
        <p key={e}>{e}</p>
      ))}
    </div>
  )

export const form = (props: {
  readonly action: string
  readonly token: string
  readonly email?: string
  readonly name?: string
  readonly errors: ReadonlyArray<string>
}) => (
  <Page title="Join on Armature">
    <Errors errors={props.errors} />
    <form method="post" action={props.action}>
      <input type="hidden" name="token" value={props.token} />
      <label for="email">Your email (the invited address, when the invitation was sent by email)</label>
      <input id="email" name="email" type="email" required value={props.email ?? ""} />
      <label for="name">Your name</label>
      <input id="name" name="name" type="text" required maxlength={200} value={props.name ?? ""} />
      <p>
        <button type="submit" class="primary">
          Accept the invitation
        </button>
      </p>
    </form>
  </Page>
)

export const welcome = (props: { readonly role: string; readonly key: string; readonly csrf: string }) => (
  <Page title="Welcome to Armature">
    <p>
      You joined as <strong>{props.role}</strong>. Your personal API key, shown this once:
    </p>
    <code class="secret">{props.key}</code>
    <p>
      Store it now: use it as <code>Authorization: Bearer …</code> with the REST API,{" "}
      <code>armature mcp --key …</code> for coding agents, or to sign in to the dashboard.
    </p>
    <form method="post" action="/sign-in">
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="next" value="/" />
      <input type="hidden" name="key" value={props.key} />
      <button type="submit" class="primary">
        Open the dashboard
      </button>
    </form>
  </Page>
)

export const problem = (props: { readonly errors: ReadonlyArray<string> }) => (
  <Page title="Invitation">
    <Errors errors={props.errors} />
  </Page>
)
