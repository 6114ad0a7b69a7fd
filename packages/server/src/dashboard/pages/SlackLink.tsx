/**
 * The page `/armature link` sends a Slack user to: confirms, as the member signed in to the
 * dashboard, that this Slack user acts as them (with their role) from Slack.
 */
import { Csrf, Layout, type View } from "../ui/Layout.js"

export const confirm = (view: View, props: { readonly token: string; readonly slackUserId: string }) => (
  <Layout view={view} title="Link your Slack user">
    <p>
      Slack user <code>{props.slackUserId}</code> asked to act as you in Slack: its commands will run with
      your role, <strong>{view.caller.actor.role}</strong>, and be recorded under your name.
    </p>
    <form method="post" action="/slack/link">
      <Csrf view={view} />
      <input type="hidden" name="token" value={props.token} />
      <button type="submit" class="primary">
        Link this Slack user to me
      </button>
    </form>
  </Layout>
)

export const linked = (view: View) => (
  <Layout view={view} title="Slack user linked">
    <p>
      Done: in Slack, <code>/armature</code> now acts as you. Try <code>/armature status</code>.
    </p>
  </Layout>
)

export const invalid = (view: View) => (
  <Layout view={view} title="Link expired">
    <p class="notice bad" role="alert">
      This link is not valid or has expired (links work for 15 minutes). Type <code>/armature link</code> in
      Slack for a new one.
    </p>
  </Layout>
)
