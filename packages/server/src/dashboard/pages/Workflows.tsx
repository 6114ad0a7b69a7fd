/**
 * Workflows: the list with schedule, 7-day pass rate (coloured), last run and state; one
 * workflow's page with its prompt and criteria, recent runs, version history with the diff
 * between two versions, and Run now / Pause / Resume for editors.
 */
import { randomUUID } from "node:crypto"
import { OrganizationHealth, Roles, Runs, Schedules, type Workflow, Workflows } from "@armature/core"
import { Clock, Effect } from "effect"
import { PassRate, Status, When } from "../ui/format.js"
import { Head, Layout, Pager, PostButton, Table, type View } from "../ui/Layout.js"

const weekAgo = Effect.map(
  Clock.currentTimeMillis,
  (now) => new Date(now - OrganizationHealth.WINDOW_DAYS * 86_400_000)
)

export const list = (view: View, cursor: string | undefined) =>
  Effect.gen(function* () {
    const page = yield* Workflows.list(view.caller, {
      limit: 50,
      ...(cursor === undefined ? {} : { cursor })
    })
    const rates = new Map((yield* Runs.passRates(view.caller, yield* weekAgo)).map((r) => [r.workflowId, r]))
    return (
      <Layout view={view} title="Workflows" live>
        {page.items.length === 0 ? (
          <p class="muted">
            No workflows yet. Create one with <code>POST /api/armature/v1/workflows</code> or a config file.
          </p>
        ) : (
          <Table label="Workflows">
            <Head columns={["Workflow", "Schedule", "Pass rate, 7 days", "Last run", "State"]} />
            <tbody>
              {page.items.map((w) => {
                const rate = rates.get(w.id)
                return (
                  <tr key={w.id}>
                    <td>
                      <a href={`/workflows/${encodeURIComponent(w.id)}`}>{w.spec.name}</a>
                    </td>
                    <td>{Schedules.label(w.spec.schedule, w.spec.testerModels.length)}</td>
                    <td>
                      <PassRate rate={rate?.passRate ?? null} />
                    </td>
                    <td>
                      {rate?.lastStatus == null ? (
                        <span class="muted">none</span>
                      ) : (
                        <>
                          <Status value={rate.lastStatus} /> <When at={rate.lastRunAt} />
                        </>
                      )}
                    </td>
                    <td>
                      <Status value={w.state} />
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </Table>
        )}
        <Pager path="/workflows" nextCursor={page.nextCursor} />
      </Layout>
    )
  })

const Actions = ({ view, workflow }: { view: View; workflow: Workflow }) => {
  const role = view.caller.actor.role
  if (workflow.state === "archived") return null
  const base = `/workflows/${encodeURIComponent(workflow.id)}`
  return (
    <div class="actions">
      {Roles.can(role, "runs.dispatch") && workflow.state === "active" ? (
        // One run per rendered button: a double click or a re-sent form dispatches it once.
        <PostButton view={view} action={`${base}/run`} primary fields={{ idempotencyKey: randomUUID() }}>
          Run now
        </PostButton>
      ) : null}
      {Roles.can(role, "workflows.write") ? (
        workflow.state === "paused" ? (
          <PostButton view={view} action={`${base}/resume`}>
            Resume
          </PostButton>
        ) : (
          <PostButton view={view} action={`${base}/pause`}>
            Pause
          </PostButton>
        )
      ) : null}
    </div>
  )
}

const show = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value, null, 2))

export const detail = (view: View, id: string, compare: { from?: string | null; to?: string | null }) =>
  Effect.gen(function* () {
    const workflow = yield* Workflows.get(view.caller, id)
    const [runs, versions] = yield* Effect.all(
      [Runs.search(view.caller, { workflowId: id, limit: 20 }), Workflows.versions(view.caller, id)],
      { concurrency: "unbounded" }
    )
    const from = compare.from ?? versions[1]?.id ?? null
    const to = compare.to ?? versions[0]?.id ?? null
    const diff =
      from !== null && to !== null && from !== to
        ? yield* Workflows.diffVersions(view.caller, id, from, to)
        : null
    const { spec } = workflow
    const now = new Date(yield* Clock.currentTimeMillis)
    const next = workflow.state === "active" ? Schedules.nextFires(spec.schedule, now, 3) : []
    const versionLabel = (versionId: string) => `v${versions.find((v) => v.id === versionId)?.version ?? "?"}`
    return (
      <Layout view={view} title={spec.name} live>
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <Status value={workflow.state} />
          </dd>
          <dt>Schedule</dt>
          <dd>{Schedules.label(spec.schedule, spec.testerModels.length)}</dd>
          {next.length === 0 ? null : (
            <>
              <dt>Next runs</dt>
              <dd>
                {next.map((at, i) => (
                  <span key={i}>
                    {i > 0 ? ", " : ""}
                    <When at={at} />
                  </span>
                ))}
              </dd>
            </>
          )}
          <dt>Tester models</dt>
          <dd>{spec.testerModels.join(", ")}</dd>
          <dt>Judge model</dt>
          <dd>{spec.judgeModel}</dd>
          <dt>Version</dt>
          <dd>v{workflow.version}</dd>
        </dl>
        <Actions view={view} workflow={workflow} />

        <h2>Recent runs</h2>
        {runs.runs.length === 0 ? (
          <p class="muted">No runs yet.</p>
        ) : (
          <Table label="Recent runs">
            <Head columns={["Run", "Status", "Trigger", "Model", "Finished"]} />
            <tbody>
              {runs.runs.map((r) => (
                <tr key={r.runId}>
                  <td>
                    <a href={`/runs/${encodeURIComponent(r.runId)}`}>{r.runId.slice(0, 8)}</a>
                  </td>
                  <td>
                    <Status value={r.status} />
                  </td>
                  <td>{r.trigger}</td>
                  <td>{r.testerModel}</td>
                  <td>
                    <When at={r.finishedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}

        <h2>Prompt</h2>
        <pre>{spec.prompt}</pre>
        <h2>Criteria</h2>
        <ul>
          {spec.criteria.map((c) => (
            <li key={c.id}>
              {c.text} {c.required ? null : <span class="muted">(optional)</span>}
            </li>
          ))}
        </ul>

        <h2 id="versions">Versions</h2>
        <Table label="Versions">
          <Head columns={["Version", "Saved", "By"]} />
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <td>v{v.version}</td>
                <td>
                  <When at={v.createdAt} />
                </td>
                <td>{v.createdBy ?? "system"}</td>
              </tr>
            ))}
          </tbody>
        </Table>
        {versions.length < 2 ? null : (
          <form method="get" action={`/workflows/${encodeURIComponent(id)}#versions`} class="actions">
            <label for="from">From</label>
            <select id="from" name="from">
              {versions.map((v) => (
                <option key={v.id} value={v.id} selected={v.id === from}>
                  v{v.version}
                </option>
              ))}
            </select>
            <label for="to">To</label>
            <select id="to" name="to">
              {versions.map((v) => (
                <option key={v.id} value={v.id} selected={v.id === to}>
                  v{v.version}
                </option>
              ))}
            </select>
            <button type="submit">Compare</button>
          </form>
        )}
        {diff === null || from === null || to === null ? null : diff.length === 0 ? (
          <p class="muted">
            {versionLabel(from)} and {versionLabel(to)} are the same.
          </p>
        ) : (
          <Table label={`Changes from ${versionLabel(from)} to ${versionLabel(to)}`}>
            <Head columns={["Field", versionLabel(from), versionLabel(to)]} />
            <tbody>
              {diff.map((d) => (
                <tr key={d.field}>
                  <th scope="row">{d.field}</th>
                  <td>
                    <pre>{d.before === null ? "—" : show(d.before)}</pre>
                  </td>
                  <td>
                    <pre>{d.after === null ? "—" : show(d.after)}</pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Layout>
    )
  })
