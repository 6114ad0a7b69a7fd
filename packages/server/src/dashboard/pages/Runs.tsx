/**
 * A run: its prompt, tester and judge models, each criterion's verdict with the judge's reasoning
 * and evidence, assertion results, the trace as a timeline of tool calls (arguments, results,
 * durations, errors), tokens and cost, and the comparison with the workflow's previous run.
 * Live while the run is queued or running.
 */
import { type Run, RunComparison, Runs, type ToolCall, Workflows } from "@armature/core"
import { Effect, Option } from "effect"
import { Badge, duration, Status, type Tone, When } from "../ui/format.js"
import { Head, Layout, Table, type View } from "../ui/Layout.js"

const json = (value: unknown) => JSON.stringify(value, null, 2)

const usd = (amount: number) => `$${amount.toFixed(4)}`

/** The text of a tool result: its text parts, else the structured content, else the raw content. */
const resultText = (call: ToolCall) => {
  const texts = call.content.flatMap((part) =>
    typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text"
      ? [String((part as { text?: unknown }).text ?? "")]
      : []
  )
  if (texts.length > 0) return texts.join("\n")
  return json(call.structuredContent ?? call.content)
}

const Timeline = ({ calls }: { calls: ReadonlyArray<ToolCall> }) =>
  calls.length === 0 ? (
    <p class="muted">No tool was called.</p>
  ) : (
    <ol class="timeline">
      {calls.map((call) => {
        const failed = call.isError || call.refused || call.error !== null
        return (
          <li key={call.id} class={failed ? "error" : undefined}>
            <strong>{call.name}</strong>{" "}
            <span class="muted">
              ({call.phase}, step {call.step})
            </span>{" "}
            {call.refused ? (
              <Status value="refused" />
            ) : failed ? (
              <Status value="error" />
            ) : (
              <Status value="pass" />
            )}{" "}
            <span class="muted">
              {duration(call.durationMs)} at <When at={call.startedAt} />
            </span>
            {call.error === null ? null : <p class="notice bad">{call.error}</p>}
            <details>
              <summary>Arguments</summary>
              <pre>{json(call.arguments)}</pre>
            </details>
            <details>
              <summary>Result</summary>
              <pre>{resultText(call)}</pre>
            </details>
          </li>
        )
      })}
    </ol>
  )

/** The workflow's run before this one, to compare with. */
const previousOf = (view: View, run: Run) =>
  Effect.map(
    Effect.option(
      Runs.search(view.caller, {
        workflowId: run.workflowId,
        before: run.createdAt.toISOString(),
        limit: 1
      })
    ),
    (found) => Option.flatMap(found, (page) => Option.fromNullable(page.runs[0]))
  )

const live = (run: Run) => run.status === "pending" || run.status === "running"

export const detail = (view: View, id: string) =>
  Effect.gen(function* () {
    const run = yield* Runs.get(view.caller, id)
    const [version, previous] = yield* Effect.all(
      [
        Effect.option(Workflows.getVersion(view.caller, run.workflowId, run.workflowVersionId)),
        previousOf(view, run)
      ],
      { concurrency: "unbounded" }
    )
    const tokens = run.usage.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0)
    return (
      <Layout view={view} title={`Run of ${run.workflowName}`} live={live(run)}>
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <Status value={run.status} />
            {live(run) ? <span class="muted"> (this page refreshes until the run ends)</span> : null}
          </dd>
          <dt>Workflow</dt>
          <dd>
            <a href={`/workflows/${encodeURIComponent(run.workflowId)}`}>{run.workflowName}</a> v
            {run.workflowVersion}
          </dd>
          <dt>Trigger</dt>
          <dd>{run.trigger}</dd>
          <dt>Tester model</dt>
          <dd>{run.testerModel}</dd>
          <dt>Judge model</dt>
          <dd>{run.judgeModel}</dd>
          <dt>Started</dt>
          <dd>
            <When at={run.startedAt} />
          </dd>
          <dt>Duration</dt>
          <dd>{run.durationMs === null ? "—" : duration(run.durationMs)}</dd>
          <dt>Tokens</dt>
          <dd>{tokens.toLocaleString("en")}</dd>
          <dt>Cost</dt>
          <dd>{usd(run.costUsd)}</dd>
        </dl>
        {Option.match(previous, {
          onNone: () => null,
          onSome: (p) => (
            <p>
              <a href={`/runs/${encodeURIComponent(run.id)}/compare/${encodeURIComponent(p.runId)}`}>
                Compare with the previous run
              </a>{" "}
              (<Status value={p.status} />)
            </p>
          )
        })}
        {run.error === null ? null : (
          <p class="notice bad" role="alert">
            {run.error.code}: {run.error.message}
          </p>
        )}

        <h2>Criteria</h2>
        {run.criteria.length === 0 ? (
          <p class="muted">Not graded yet.</p>
        ) : (
          <ul class="timeline">
            {run.criteria.map((c) => (
              <li key={c.criterionId} class={c.verdict === "pass" ? undefined : "error"}>
                <Status value={c.verdict} /> <strong>{c.text}</strong>
                {c.required ? null : <span class="muted"> (optional)</span>}
                <p>{c.reasoning}</p>
                {c.evidence.length === 0 ? null : (
                  <details>
                    <summary>Evidence ({c.evidence.length})</summary>
                    <ul>
                      {c.evidence.map((e, i) => (
                        <li key={i}>{e}</li>
                      ))}
                    </ul>
                  </details>
                )}
              </li>
            ))}
          </ul>
        )}

        {run.assertions.length === 0 ? null : (
          <>
            <h2>Assertions</h2>
            <Table label="Assertions">
              <Head columns={["Assertion", "Result", "Message"]} />
              <tbody>
                {run.assertions.map((a) => (
                  <tr key={a.index}>
                    <td>{a.type}</td>
                    <td>
                      <Status value={a.passed ? "pass" : "fail"} />
                    </td>
                    <td>{a.message}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}

        <h2>Trace</h2>
        <Timeline calls={run.toolCalls} />
        {run.finalAnswer === null ? null : (
          <>
            <h2>Final answer</h2>
            <pre>{run.finalAnswer}</pre>
          </>
        )}

        <h2>Prompt</h2>
        {Option.match(version, {
          onNone: () => <p class="muted">The workflow version of this run is not readable.</p>,
          onSome: (v) => <pre>{v.spec.prompt}</pre>
        })}

        {run.usage.length === 0 ? null : (
          <>
            <h2>Usage</h2>
            <Table label="Model usage">
              <Head
                columns={[
                  "Model",
                  "Role",
                  { label: "Input tokens", num: true },
                  { label: "Output tokens", num: true },
                  { label: "Cost", num: true }
                ]}
              />
              <tbody>
                {run.usage.map((u, i) => (
                  <tr key={i}>
                    <td>{u.model}</td>
                    <td>{u.role}</td>
                    <td class="num">{u.inputTokens}</td>
                    <td class="num">{u.outputTokens}</td>
                    <td class="num">{usd(u.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        )}
      </Layout>
    )
  })

const changeTone: Record<RunComparison.ResultChange, Tone> = {
  regressed: "bad",
  fixed: "good",
  still_failing: "bad",
  still_passing: "good",
  new: "idle",
  removed: "idle"
}

/** This run against an earlier one: per criterion regressed, fixed, still failing… */
export const compare = (view: View, candidateRunId: string, baseRunId: string) =>
  Effect.gen(function* () {
    const c = yield* RunComparison.compare(view.caller, { baseRunId, candidateRunId })
    const link = (id: string) => <a href={`/runs/${encodeURIComponent(id)}`}>{id.slice(0, 8)}</a>
    return (
      <Layout view={view} title={`Comparing runs of ${c.candidate.workflowName}`}>
        <p>
          Base {link(c.base.runId)} (<Status value={c.base.status} />) → this run {link(c.candidate.runId)} (
          <Status value={c.candidate.status} />)
        </p>
        <Table label="Criteria compared">
          <Head columns={["Criterion", "Change", "Reasoning"]} />
          <tbody>
            {c.criteria.map((k) => (
              <tr key={k.criterionId}>
                <td>{k.text}</td>
                <td>
                  <Badge tone={changeTone[k.status]}>{k.status.replace("_", " ")}</Badge>
                </td>
                <td>{k.reasoning}</td>
              </tr>
            ))}
          </tbody>
        </Table>
        <h2>Tools</h2>
        <dl class="facts">
          <dt>Only in the base run</dt>
          <dd>{c.tools.onlyInBase.join(", ") || "—"}</dd>
          <dt>Only in this run</dt>
          <dd>{c.tools.onlyInCandidate.join(", ") || "—"}</dd>
          <dt>Tool errors</dt>
          <dd>
            {c.base.toolErrors} → {c.candidate.toolErrors}
          </dd>
          <dt>Tester model</dt>
          <dd>
            {c.base.testerModel} → {c.candidate.testerModel}
          </dd>
          <dt>Workflow version</dt>
          <dd>
            v{c.base.workflowVersion} → v{c.candidate.workflowVersion}
          </dd>
        </dl>
      </Layout>
    )
  })
