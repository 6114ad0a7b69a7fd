/**
 * Servers: the list with each server's state and last probe, and one server's page — its catalog
 * version history with what changed in each (classification and details), and its coverage:
 * which tools workflows cover, which monitors watch, which arguments and error paths were
 * exercised.
 */
import { Servers as CoreServers, Coverage, type Drift } from "@armature/core"
import { Effect } from "effect"
import { Badge, Status, When } from "../ui/format.js"
import { Head, Layout, Pager, Table, type View } from "../ui/Layout.js"

export const list = (view: View, cursor: string | undefined) =>
  Effect.map(
    CoreServers.list(view.caller, { limit: 50, ...(cursor === undefined ? {} : { cursor }) }),
    (page) => (
      <Layout view={view} title="Servers" live>
        {page.items.length === 0 ? (
          <p class="muted">
            No MCP server is registered yet. Register one with <code>POST /api/armature/v1/mcp-servers</code>.
          </p>
        ) : (
          <Table label="Servers">
            <Head columns={["Server", "Transport", "State", "Last probe"]} />
            <tbody>
              {page.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`/servers/${encodeURIComponent(s.id)}`}>{s.name}</a>
                  </td>
                  <td>{s.transport}</td>
                  <td>
                    <Status value={s.state} />
                  </td>
                  <td>
                    <When at={s.lastProbedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <Pager path="/servers" nextCursor={page.nextCursor} />
      </Layout>
    )
  )

const joined = (items: ReadonlyArray<string>) => (items.length === 0 ? "—" : items.join(", "))

/** The workflows and monitors a catalog change touches, linked. */
const Affected = ({ impact }: { impact: Drift.Impact | undefined }) => {
  if (impact === undefined) return null
  const { affectedWorkflows: workflows, affectedMonitors: monitors } = impact
  if (workflows.length === 0 && monitors.length === 0) return <li>Affects no workflow or monitor.</li>
  const links = [
    ...workflows.map((w) => (
      <a key={w.workflowId} href={`/workflows/${encodeURIComponent(w.workflowId)}`}>
        {w.name}
      </a>
    )),
    ...monitors.map((m) => (
      <a key={m.monitorId} href={`/monitors/${encodeURIComponent(m.monitorId)}`}>
        {m.name}
      </a>
    ))
  ]
  return <li>Affects {links.flatMap((link, i) => (i === 0 ? [link] : [", ", link]))}</li>
}

export const detail = (view: View, id: string) =>
  Effect.gen(function* () {
    const [{ server }, catalog, coverage] = yield* Effect.all(
      [
        CoreServers.get(view.caller, id),
        CoreServers.catalog(view.caller, id, { limit: 20 }),
        Coverage.report(view.caller, id)
      ],
      { concurrency: "unbounded" }
    )
    const monitoredBy = new Map(coverage.monitored.map((m) => [m.tool, m.monitors]))
    // The tests the newest changes touch (a removed or changed tool), for the newest three.
    const changes = catalog.history
      .filter((e) => e.diff !== null && (e.diff.removed.length > 0 || e.diff.changed.length > 0))
      .slice(0, 3)
    const affected = yield* CoreServers.driftImpacts(
      view.caller,
      id,
      changes.map((e) => e.diff!)
    )
    const impacts = new Map(changes.map((e, i) => [e.version, affected[i]!]))
    return (
      <Layout view={view} title={server.name}>
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <Status value={server.state} />
            {server.lastProbeError === null ? null : <span> {server.lastProbeError}</span>}
          </dd>
          <dt>Transport</dt>
          <dd>{server.transport}</dd>
          {server.baseUrl === null ? null : (
            <>
              <dt>URL</dt>
              <dd>{server.baseUrl}</dd>
            </>
          )}
          <dt>Catalog</dt>
          <dd>
            {catalog.latest === null
              ? "not read yet"
              : `v${catalog.latest.version}, ${catalog.latest.tools.length} tools`}
          </dd>
          <dt>Coverage</dt>
          <dd>
            {coverage.percentage === null ? "—" : `${coverage.percentage} %`} of {coverage.consideredTools}{" "}
            tools
          </dd>
        </dl>

        <h2>Tools</h2>
        <Table label="Tool coverage">
          <Head columns={["Tool", "Workflows", "Monitors"]} />
          <tbody>
            {coverage.covered.map((t) => (
              <tr key={t.tool}>
                <td>{t.tool}</td>
                <td>{joined(t.workflows.map((w) => w.name ?? w.workflowId))}</td>
                <td>{joined((monitoredBy.get(t.tool) ?? []).map((m) => m.name))}</td>
              </tr>
            ))}
            {coverage.uncovered.map((tool) => (
              <tr key={tool}>
                <td>{tool}</td>
                <td>
                  <Badge tone="warn">not covered</Badge>
                </td>
                <td>{joined((monitoredBy.get(tool) ?? []).map((m) => m.name))}</td>
              </tr>
            ))}
          </tbody>
        </Table>

        {coverage.arguments.length === 0 ? null : (
          <>
            <h2>Arguments exercised</h2>
            <Table label="Arguments exercised">
              <Head columns={["Tool", "Exercised", "Never sent"]} />
              <tbody>
                {coverage.arguments.map((a) => (
                  <tr key={a.tool}>
                    <td>{a.tool}</td>
                    <td>{joined(a.exercised)}</td>
                    <td>{joined(a.unexercised)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}

        {coverage.errorPaths.length === 0 ? null : (
          <>
            <h2>Error paths seen</h2>
            <ul>
              {coverage.errorPaths.map((e) => (
                <li key={e.tool}>
                  {e.tool}: {e.count} error{e.count === 1 ? "" : "s"}
                </li>
              ))}
            </ul>
          </>
        )}

        <h2>Catalog history</h2>
        {catalog.history.length === 0 ? (
          <p class="muted">No catalog read yet.</p>
        ) : (
          <ol class="timeline">
            {catalog.history.map((entry) => (
              <li key={entry.version} class={entry.diff?.severity === "breaking" ? "error" : undefined}>
                <strong>v{entry.version}</strong> <When at={entry.createdAt} /> · {entry.toolCount} tools
                {entry.diff === null ? null : (
                  <ul>
                    {entry.diff.added.length === 0 ? null : <li>Added: {entry.diff.added.join(", ")}</li>}
                    {entry.diff.removed.length === 0 ? null : (
                      <li>Removed: {entry.diff.removed.join(", ")}</li>
                    )}
                    {entry.diff.changed.map((c) => (
                      <li key={c.tool}>
                        <Badge tone={c.classification === "breaking" ? "bad" : "warn"}>
                          {c.classification}
                        </Badge>{" "}
                        {c.tool}: {c.details.join("; ")}
                      </li>
                    ))}
                    <Affected impact={impacts.get(entry.version)} />
                  </ul>
                )}
              </li>
            ))}
          </ol>
        )}
      </Layout>
    )
  })
