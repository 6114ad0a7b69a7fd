/**
 * Alerts: the organization's rules (target, destination type, what fires them, state) and the
 * most recent deliveries with their status and last error. Destinations are shown by type only:
 * a channel or address is not a secret, but a plugin's fields may be.
 */
import { AlertDeliveries, Alerting } from "@armature/core"
import { Effect } from "effect"
import { Status, When } from "../ui/format.js"
import { Head, Layout, Table, type View } from "../ui/Layout.js"

export const page = (view: View) =>
  Effect.gen(function* () {
    const [rules, deliveries] = yield* Effect.all(
      [Alerting.listRules(view.caller), AlertDeliveries.list(view.caller, { limit: 50 })],
      { concurrency: "unbounded" }
    )
    return (
      <Layout view={view} title="Alerts" live>
        <h2>Rules</h2>
        {rules.length === 0 ? (
          <p class="muted">
            No alert rules. Add one with <code>POST /api/armature/v1/alert-rules</code> or a config file.
          </p>
        ) : (
          <Table label="Alert rules">
            <Head columns={["Rule", "Watches", "Sends to", "On", "Status"]} />
            <tbody>
              {rules.map((r) => (
                <tr key={r.id}>
                  <td>{r.name}</td>
                  <td>{r.target.type}</td>
                  <td>{r.destination.type}</td>
                  <td>{r.on.join(", ")}</td>
                  <td>
                    <Status value={r.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}

        <h2>Recent deliveries</h2>
        {deliveries.items.length === 0 ? (
          <p class="muted">Nothing was sent yet.</p>
        ) : (
          <Table label="Recent deliveries">
            <Head columns={["When", "Rule", "Subject", "To", "Status"]} />
            <tbody>
              {deliveries.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <When at={d.createdAt} />
                  </td>
                  <td>{d.ruleName}</td>
                  <td>{d.subject}</td>
                  <td>{d.destination.type}</td>
                  <td>
                    <Status value={d.status} />
                    {d.lastError === null ? null : <span class="muted"> {d.lastError}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Layout>
    )
  })
