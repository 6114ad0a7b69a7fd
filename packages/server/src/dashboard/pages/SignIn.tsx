/**
 * The sign-in page: an API key in, a session cookie out. The form carries a token that must match
 * a short-lived cookie set with the form (login CSRF: another site cannot sign a visitor in with
 * its own key). The key is never echoed back, not even after a failed attempt.
 */
import { Document } from "../ui/Layout.js"

export const page = (props: {
  readonly csrf: string
  readonly next: string
  readonly reason?: string | undefined
  readonly error?: string | undefined
}) => (
  <Document title="Sign in">
    <main id="main" class="narrow">
      <h1>Sign in to Armature</h1>
      {props.reason === undefined ? null : <p class="notice warn">{props.reason}</p>}
      {props.error === undefined ? null : (
        <p class="notice bad" role="alert">
          {props.error}
        </p>
      )}
      <form method="post" action="/sign-in">
        <input type="hidden" name="csrf" value={props.csrf} />
        <input type="hidden" name="next" value={props.next} />
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          required
          autocomplete="off"
          spellcheck={false}
          aria-describedby="key-help"
        />
        <p id="key-help" class="muted">
          The owner key printed on the server's first start, a key from Settings, or the personal key shown
          when you accepted an invitation. You act with that key's role.
        </p>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  </Document>
)
