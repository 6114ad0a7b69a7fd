/**
 * Monitors: the list with each one's state and a sparkline of its recent checks, and one
 * monitor's page — success rate and latency percentiles, the p50/p95 chart over 1 h / 24 h / 7 d,
 * the outcome strip, recent errors, and pause / resume / mute / unmute for editors. Both live.
 */
import { type Monitor, Monitors, OrganizationHealth, Roles } from "@armature/core"
import { Clock, Effect } from "effect"
import { LatencyChart, Sparkline } from "../ui/charts.js"
import { duration, percent, Status, When } from "../ui/format.js"
import { Head, Layout, Pager, PostButton, Table, type View } from "../ui/Layout.js"

/** Checks in a sparkline. */
const strip = 30

/** The order of the list: what needs attention first. */
const urgency = { erroring: 0, failing: 1, degraded: 2, pending: 3, healthy: 4, muted: 5, paused: 6 }

export const list = (view: View, cursor: string | undefined) =>
  Effect.gen(function* () {
    const page = yield* Monitors.list(view.caller, { limit: 50, ...(cursor === undefined ? {} : { cursor }) })
    const recent = yield* Monitors.recentChecks(
      view.caller,
      page.items.map((m) => m.id),
      strip
    )
    const at = new Date(yield* Clock.currentTimeMillis)
    const rows = page.items.map((monitor) => ({
      monitor,
      state: OrganizationHealth.monitorState(monitor, at),
      checks: [...(recent.get(monitor.id) ?? [])].reverse()
    }))
    rows.sort((a, b) => urgency[a.state] - urgency[b.state] || a.monitor.name.localeCompare(b.monitor.name))
    return (
      <Layout view={view} title="Monitors" live>
        {rows.length === 0 ? (
          <p class="muted">
            No monitors yet. Create one with <code>POST /api/armature/v1/monitors</code>, a config file, or an
            agent's <code>create_monitor</code>.
          </p>
        ) : (
          <Table label="Monitors">
            <Head columns={["Monitor", "Tool", "State", "Recent checks", "Last check"]} />
            <tbody>
              {rows.map(({ monitor, state, checks }) => (
                <tr key={monitor.id}>
                  <td>
                    <a href={`/monitors/${encodeURIComponent(monitor.id)}`}>{monitor.name}</a>
                  </td>
                  <td>{monitor.toolName}</td>
                  <td>
                    <Status value={state} />
                  </td>
                  <td>
                    <Sparkline checks={checks} label={monitor.name} />
                  </td>
                  <td>
                    <When at={monitor.lastCheckedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <Pager path="/monitors" nextCursor={page.nextCursor} />
      </Layout>
    )
  })

const windows: ReadonlyArray<Monitors.Window> = ["1h", "24h", "7d"]

/** The chart's window from `?window=`: 24 h unless one of the others is named. */
export const windowOf = (value: string | null): Monitors.Window => windows.find((w) => w === value) ?? "24h"

const Actions = ({ view, monitor, muted }: { view: View; monitor: Monitor; muted: boolean }) => {
  if (!Roles.can(view.caller.actor.role, "monitors.write") || monitor.state === "archived") return null
  const base = `/monitors/${encodeURIComponent(monitor.id)}`
  return (
    <div class="actions">
      {monitor.state === "paused" ? (
        <PostButton view={view} action={`${base}/resume`}>
          Resume
        </PostButton>
      ) : (
        <PostButton view={view} action={`${base}/pause`}>
          Pause
        </PostButton>
      )}
      {muted ? (
        <PostButton view={view} action={`${base}/unmute`}>
          Unmute
        </PostButton>
      ) : (
        <PostButton view={view} action={`${base}/mute`}>
          Mute
        </PostButton>
      )}
    </div>
  )
}

export const detail = (view: View, id: string, window: Monitors.Window) =>
  Effect.gen(function* () {
    // The monitor, its stats, the chart and the strip from one load and one read of the week.
    const { monitor, stats, series, checks } = yield* Monitors.report(view.caller, id, window)
    const errors = checks.filter((c) => c.outcome === "fail" || c.outcome === "error").slice(0, 10)
    const base = `/monitors/${encodeURIComponent(monitor.id)}`
    const at = new Date(yield* Clock.currentTimeMillis)
    // Muted for a while (`mutedUntil` ahead) reads like muted, with its end; unmuting ends either.
    const muted = Monitors.isMuted(monitor, at)
    const mutedFor = !monitor.muted && muted ? monitor.mutedUntil : null
    return (
      <Layout view={view} title={monitor.name} live>
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <Status value={OrganizationHealth.monitorState(monitor, at)} />
            {mutedFor === null ? null : (
              <>
                {" until "}
                <When at={mutedFor} />
              </>
            )}
          </dd>
          <dt>Tool</dt>
          <dd>{monitor.toolName}</dd>
          <dt>Every</dt>
          <dd>{duration(monitor.intervalSeconds * 1000)}</dd>
          <dt>Last check</dt>
          <dd>
            <When at={monitor.lastCheckedAt} />
          </dd>
        </dl>
        <Actions view={view} monitor={monitor} muted={muted} />

        <h2>Success rate and latency</h2>
        <Table label="Success rate and latency by window">
          <Head
            columns={[
              "Window",
              { label: "Checks", num: true },
              { label: "Success", num: true },
              { label: "p50", num: true },
              { label: "p95", num: true },
              { label: "p99", num: true }
            ]}
          />
          <tbody>
            {stats.map((s) => (
              <tr key={s.window}>
                <th scope="row">{s.window}</th>
                <td class="num">{s.checks}</td>
                <td class="num">{s.successRate === null ? "—" : percent(s.successRate)}</td>
                <td class="num">{s.p50 === null ? "—" : duration(s.p50)}</td>
                <td class="num">{s.p95 === null ? "—" : duration(s.p95)}</td>
                <td class="num">{s.p99 === null ? "—" : duration(s.p99)}</td>
              </tr>
            ))}
          </tbody>
        </Table>

        <h2 id="chart">Latency over the last {window}</h2>
        <nav aria-label="Chart window" class="actions">
          {windows.map((w) => (
            <a
              key={w}
              class="button"
              href={`${base}?window=${w}#chart`}
              aria-current={w === window ? "true" : undefined}
            >
              {w}
            </a>
          ))}
        </nav>
        <LatencyChart buckets={series} label={`${monitor.name} latency over the last ${window}`} />

        <h2>Recent checks</h2>
        <Sparkline checks={[...checks].reverse()} label={monitor.name} />

        <h2>Recent errors</h2>
        {errors.length === 0 ? (
          <p class="muted">No failed check among the last {checks.length}.</p>
        ) : (
          <Table label="Recent errors">
            <Head columns={["When", "Outcome", "Error"]} />
            <tbody>
              {errors.map((c) => (
                <tr key={c.id}>
                  <td>
                    <When at={c.startedAt} />
                  </td>
                  <td>
                    <Status value={c.outcome} />
                  </td>
                  <td>{c.error ?? c.resultExcerpt ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Layout>
    )
  })
