/**
 * The overview: organization health (core's `OrganizationHealth`, as `get_organization_health`
 * gives agents) — what fails first, then servers with drift and coverage per server. Live.
 */
import { OrganizationHealth, Runs } from "@armature/core"
import { Effect } from "effect"
import { PassTrend } from "../ui/charts.js"
import { Badge, PassRate, Status, When } from "../ui/format.js"
import { Head, Layout, Table, type View } from "../ui/Layout.js"

export const page = (view: View) =>
  Effect.map(
    Effect.all(
      [OrganizationHealth.get(view.caller), Runs.dailyPassRates(view.caller, OrganizationHealth.WINDOW_DAYS)],
      {
        concurrency: "unbounded"
      }
    ),
    ([health, trend]) => {
      const { counts, attention } = health.monitors
      const down = counts.failing + counts.erroring
      return (
        <Layout view={view} title="Overview" live>
          <div class="cards">
            <div class="card">
              <div class="value">
                <PassRate rate={health.passRate} />
              </div>
              <div class="label">Workflow pass rate, last {health.windowDays} days</div>
            </div>
            <div class="card">
              <div class="value">{health.failingWorkflows.length}</div>
              <div class="label">Failing workflows of {health.workflows.length}</div>
            </div>
            <div class="card">
              <div class="value">{down}</div>
              <div class="label">
                Failing monitors of {counts.total} ({counts.healthy} healthy, {counts.degraded} degraded)
              </div>
            </div>
            <div class="card">
              <div class="value">{health.serversWithDrift.length}</div>
              <div class="label">Servers with drift</div>
            </div>
          </div>

          <h2>Pass rate by day</h2>
          <PassTrend days={trend} label="Workflow pass rate by day, UTC" />

          <h2>Failing workflows</h2>
          {health.failingWorkflows.length === 0 ? (
            <p class="muted">No workflow's last run failed.</p>
          ) : (
            <Table label="Failing workflows">
              <Head columns={["Workflow", "Last run", "When"]} />
              <tbody>
                {health.failingWorkflows.map((w) => (
                  <tr key={w.workflowId}>
                    <td>
                      <a href={`/workflows/${encodeURIComponent(w.workflowId)}`}>{w.name}</a>
                    </td>
                    <td>
                      {w.lastRunId === null ? (
                        <Status value={w.lastStatus} />
                      ) : (
                        <a
                          href={`/runs/${encodeURIComponent(w.lastRunId)}`}
                          aria-label={`Run ${w.lastStatus}`}
                        >
                          <Status value={w.lastStatus} />
                        </a>
                      )}
                    </td>
                    <td>
                      <When at={w.lastRunAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}

          <h2>Monitors needing attention</h2>
          {attention.length === 0 ? (
            <p class="muted">Every monitor is healthy.</p>
          ) : (
            <Table label="Monitors needing attention">
              <Head columns={["Monitor", "Tool", "State", "Last check"]} />
              <tbody>
                {attention.map((m) => (
                  <tr key={m.monitorId}>
                    <td>
                      <a href={`/monitors/${encodeURIComponent(m.monitorId)}`}>{m.name}</a>
                    </td>
                    <td>{m.toolName}</td>
                    <td>
                      <Status value={m.state} />
                    </td>
                    <td>
                      <When at={m.lastCheckedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}

          <h2>Servers with drift</h2>
          {health.serversWithDrift.length === 0 ? (
            <p class="muted">No server's tools changed in a breaking way.</p>
          ) : (
            <ul>
              {health.serversWithDrift.map((s) => (
                <li key={s.mcpServerId}>
                  <a href={`/servers/${encodeURIComponent(s.mcpServerId)}`}>{s.name}</a>: catalog v
                  {s.baselineVersion} → v{s.latestVersion}, since <When at={s.detectedAt} />
                  <ul>
                    {s.changes.map((c, i) => (
                      <li key={i}>
                        <Badge tone={c.classification === "breaking" ? "bad" : "warn"}>
                          {c.classification}
                        </Badge>{" "}
                        {c.tool}: {c.details.join("; ")}
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          )}

          <h2>Coverage per server</h2>
          {health.coverage.length === 0 ? (
            <p class="muted">No MCP server is registered yet.</p>
          ) : (
            <Table label="Coverage per server">
              <Head columns={["Server", "State", { label: "Covered", num: true }, "Not covered"]} />
              <tbody>
                {health.coverage.map((s) => (
                  <tr key={s.mcpServerId}>
                    <td>
                      <a href={`/servers/${encodeURIComponent(s.mcpServerId)}`}>{s.name}</a>
                    </td>
                    <td>
                      <Status value={s.state} />
                    </td>
                    <td class="num">
                      {s.percentage === null ? "—" : `${s.percentage} %`} ({s.coveredTools}/
                      {s.consideredTools})
                    </td>
                    <td>{s.uncovered.length === 0 ? "—" : s.uncovered.join(", ")}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Layout>
      )
    }
  )
