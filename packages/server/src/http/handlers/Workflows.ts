/**
 * `/workflows`: create, edit (every PATCH stores a new immutable version), pause/resume, reads (one
 * workflow with its schedule in words and next fire times), version history,
 * and `POST /workflows/{id}/runs`, which only enqueues the run: the runner's worker executes it.
 */
import { Runs, Schedules, toRunSummary, validationFailed, WorkflowState, Workflows } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Clock, Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import { asCaller, withBody } from "./caller.js"
import { isRecord } from "./payload.js"
import * as Params from "./queryParams.js"

const notAnObject = (what: string) =>
  Effect.fail(validationFailed([{ field: "(root)", message: `Expected a JSON object ${what}` }]))

const saved = ({ workflow, warnings }: Workflows.Saved) => ({ ...workflow, warnings })

export const layer = HttpApiBuilder.group(ArmatureApi, "workflows", (handlers) =>
  handlers
    .handleRaw("create", ({ request }) =>
      withBody(request, (caller, body) => Effect.map(Workflows.create(caller, body), saved))
    )
    .handleRaw("update", ({ path, request }) =>
      withBody(request, (caller, body) => {
        if (!isRecord(body)) return notAnObject("of workflow fields to change")
        const { expectedVersionId, ...changes } = body
        if (expectedVersionId !== undefined && typeof expectedVersionId !== "string") {
          return Effect.fail(
            validationFailed([{ field: "expectedVersionId", message: "Expected a version id" }])
          )
        }
        return Effect.map(Workflows.update(caller, path.id, { changes }, expectedVersionId), saved)
      })
    )
    .handle("list", ({ urlParams }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const state = yield* Params.oneOf("state", urlParams.state, WorkflowState.literals)
          return yield* Workflows.list(caller, {
            ...(urlParams.mcpServerId === undefined ? {} : { mcpServerId: urlParams.mcpServerId }),
            ...(state === undefined ? {} : { state }),
            ...(yield* Params.page(urlParams))
          })
        })
      )
    )
    .handle("get", ({ path }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const workflow = yield* Workflows.get(caller, path.id)
          const now = new Date(yield* Clock.currentTimeMillis)
          const { schedule, testerModels } = workflow.spec
          return {
            ...workflow,
            scheduleLabel: Schedules.label(schedule, testerModels.length),
            nextFires: workflow.state === "active" ? Schedules.nextFires(schedule, now, 5) : []
          }
        })
      )
    )
    // A resumed workflow's schedule starts again from the resume: no missed fire is made up.
    .handle("pause", ({ path }) => asCaller((caller) => Workflows.setState(caller, path.id, "paused")))
    .handle("resume", ({ path }) => asCaller((caller) => Workflows.setState(caller, path.id, "active")))
    // Archives: the runs stay readable, the name is free again.
    .handle("delete", ({ path }) => asCaller((caller) => Workflows.archive(caller, path.id)))
    .handle("versions", ({ path }) =>
      asCaller((caller) => Effect.map(Workflows.versions(caller, path.id), (items) => ({ items })))
    )
    .handleRaw("dispatch", ({ path, request }) =>
      withBody(request, (caller, payload) => {
        const body = payload ?? {}
        if (!isRecord(body)) return notAnObject("of dispatch options")
        // The path names the workflow; core's decoder rejects unknown fields and reports the rest.
        const input = { ...body, workflowId: path.id } as Runs.DispatchRequest
        return Effect.map(Runs.dispatch(caller, input), (dispatched) => ({
          run: toRunSummary(dispatched.run),
          created: dispatched.created,
          runs: dispatched.runs.map(toRunSummary),
          sampleGroupId: dispatched.sampleGroupId
        }))
      })
    )
)
