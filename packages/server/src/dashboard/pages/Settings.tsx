/**
 * Settings (admin+): API keys — create (the secret shown once, on the answer to the form, never
 * again), revoke — and the members and pending invitations, with invite and revoke. Other roles
 * are told who manages these.
 */
import { type ApiErrorBody, ApiKeys, type Role, Roles, SlackInstalls, Team } from "@armature/core"
import { Effect, Option } from "effect"
import * as SlackApp from "../../app/SlackApp.js"
import { ErrorText } from "../respond.js"
import { When } from "../ui/format.js"
import { Csrf, Head, Layout, PostButton, Table, type View } from "../ui/Layout.js"

const roleOptions = (max: Role) => Roles.roles.filter((r) => Roles.atLeast(max, r))

/** What the page shows above the lists after a form: the new key's secret, or the invitation link. */
export interface Notice {
  readonly created?: { readonly name: string; readonly token: string }
  readonly invited?: { readonly email: string | null; readonly link: string }
  readonly error?: ApiErrorBody
  /** A one-time link that installs the Slack app for this organization. */
  readonly slackInstall?: string
}

export const page = (view: View, notice: Notice = {}) =>
  Effect.gen(function* () {
    const role = view.caller.actor.role
    if (!Roles.can(role, "keys.read")) {
      return (
        <Layout view={view} title="Settings">
          <p>
            API keys, members and invitations are managed by admins and the owner. You are signed in as a{" "}
            {role}.
          </p>
        </Layout>
      )
    }
    const [keys, members, invitations, slack, installable] = yield* Effect.all(
      [
        ApiKeys.list(view.caller, { limit: 100 }),
        Team.listMembers(view.caller, { limit: 100 }),
        Team.listInvitations(view.caller, { limit: 100 }),
        SlackInstalls.getInstallation(view.caller),
        Effect.map(SlackApp.current, Option.isSome)
      ],
      { concurrency: "unbounded" }
    )
    return (
      <Layout view={view} title="Settings">
        {notice.error === undefined ? null : <ErrorText error={notice.error} />}
        {notice.created === undefined ? null : (
          <div class="notice good" role="status">
            <p>
              Key <strong>{notice.created.name}</strong> created. Its secret, shown this once — store it now:
            </p>
            <code class="secret" data-testid="new-key">
              {notice.created.token}
            </code>
          </div>
        )}
        {notice.invited === undefined ? null : (
          <div class="notice good" role="status">
            <p>
              Invitation created{notice.invited.email === null ? "" : ` for ${notice.invited.email}`}. Its
              one-time link:
            </p>
            <code class="secret">{notice.invited.link}</code>
          </div>
        )}

        <h2>API keys</h2>
        <Table label="API keys">
          <Head columns={["Name", "Key", "Role", "Last used", { label: "Actions", hidden: true }]} />
          <tbody>
            {keys.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td>{k.role}</td>
                <td>
                  <When at={k.lastUsedAt} />
                </td>
                <td>
                  <PostButton view={view} action={`/settings/keys/${encodeURIComponent(k.id)}/revoke`}>
                    Revoke<span class="sr-only"> {k.name}</span>
                  </PostButton>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
        <form method="post" action="/settings/keys">
          <Csrf view={view} />
          <label for="key-name">New key's name</label>
          <input id="key-name" name="name" type="text" required maxlength={200} />
          <label for="key-role">New key's role</label>
          <select id="key-role" name="role">
            {roleOptions(role).map((r) => (
              <option key={r} value={r} selected={r === "viewer"}>
                {r}
              </option>
            ))}
          </select>
          <p>
            <button type="submit" class="primary">
              Create key
            </button>
          </p>
        </form>

        <h2>Slack</h2>
        {notice.slackInstall === undefined ? null : (
          <p class="notice good" role="status">
            <a href={notice.slackInstall}>Continue to Slack to install the app</a> (this link works once, for
            one hour).
          </p>
        )}
        {Option.match(slack, {
          onNone: () => <p>Not connected to a Slack workspace.</p>,
          onSome: (i) => (
            <p>
              Connected to <strong>{i.teamName ?? i.teamId}</strong> since <When at={i.installedAt} />.
            </p>
          )
        })}
        {!installable ? (
          <p class="muted">
            This server has no Slack app to install: its operator sets <code>SLACK_CLIENT_ID</code> and{" "}
            <code>SLACK_CLIENT_SECRET</code>.
          </p>
        ) : (
          <div class="actions">
            <PostButton view={view} action="/settings/slack/install" primary>
              {Option.isSome(slack) ? "Reinstall in Slack" : "Add to Slack"}
            </PostButton>
            {Option.isSome(slack) ? (
              <PostButton view={view} action="/settings/slack/disconnect">
                Disconnect Slack
              </PostButton>
            ) : null}
          </div>
        )}

        <h2>Members</h2>
        <Table label="Members">
          <Head columns={["Name", "Email", "Role", "Joined"]} />
          <tbody>
            {members.items.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td>
                <td>{m.email}</td>
                <td>{m.role}</td>
                <td>
                  <When at={m.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>

        <h2>Invitations</h2>
        {invitations.items.length === 0 ? (
          <p class="muted">No pending invitation.</p>
        ) : (
          <Table label="Pending invitations">
            <Head columns={["Email", "Role", "Expires", { label: "Actions", hidden: true }]} />
            <tbody>
              {invitations.items.map((i) => (
                <tr key={i.id}>
                  <td>{i.email ?? <span class="muted">link only</span>}</td>
                  <td>{i.role}</td>
                  <td>
                    <When at={i.expiresAt} />
                  </td>
                  <td>
                    <PostButton
                      view={view}
                      action={`/settings/invitations/${encodeURIComponent(i.id)}/revoke`}
                    >
                      Revoke
                      <span class="sr-only">
                        {" "}
                        the invitation {i.email === null ? "by link" : `of ${i.email}`}
                      </span>
                    </PostButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <form method="post" action="/settings/invitations">
          <Csrf view={view} />
          <label for="invite-email">Email (leave empty for a link to pass on yourself)</label>
          <input id="invite-email" name="email" type="email" maxlength={320} />
          <label for="invite-role">Invitee's role</label>
          <select id="invite-role" name="role">
            {roleOptions(Roles.lower(role, "admin")).map((r) => (
              <option key={r} value={r} selected={r === "viewer"}>
                {r}
              </option>
            ))}
          </select>
          <p>
            <button type="submit">Invite</button>
          </p>
        </form>
      </Layout>
    )
  })
