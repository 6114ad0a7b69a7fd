/**
 * `/runs`: search with filters (`range` 24h/7d/30d, workflow, status, text, cursor), one run, its
 * trace, evaluation, tool calls and multi-sample result, and its replay — core loads and
 * authorizes what to replay, the runner's `Replay` makes the calls again.
 */
import { Conflict, Run, Runs, toRunSummary, validationFailed } from "@armature/core"
import { Replay } from "@armature/runner"
import { HttpApiBuilder } from "@effect/platform"
import { Clock, Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import * as S from "../ApiSchemas.js"
import { asCaller, respondWith } from "./caller.js"
import * as Params from "./queryParams.js"

const ranges = { "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const
const rangeNames = Object.keys(ranges) as ReadonlyArray<keyof typeof ranges>

const runPage = respondWith(S.RunPage)
const run = respondWith(Run)

export const layer = HttpApiBuilder.group(ArmatureApi, "runs", (handlers) =>
  handlers
    .handle("list", ({ urlParams }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const { range, limit, after, ...rest } = urlParams
          const window = yield* Params.oneOf("range", range, rangeNames)
          if (window !== undefined && after !== undefined) {
            return yield* validationFailed([{ field: "range", message: "Give either `range` or `after`" }])
          }
          const size = yield* Params.integer("limit", limit, { min: 1, max: 100 })
          const since =
            window === undefined
              ? after
              : new Date((yield* Clock.currentTimeMillis) - ranges[window]).toISOString()
          // `status`, `before`, `after` and ids are checked by core, which names the parameter.
          const filter: Runs.SearchRequest = {
            ...rest,
            ...(size === undefined ? {} : { limit: size }),
            ...(since === undefined ? {} : { after: since })
          } as Runs.SearchRequest
          const page = yield* Runs.search(caller, filter)
          return runPage({ items: page.runs, nextCursor: page.nextCursor })
        })
      )
    )
    .handle("get", ({ path }) => asCaller((caller) => Effect.map(Runs.get(caller, path.id), run)))
    .handle("trace", ({ path }) =>
      asCaller((caller) =>
        Effect.map(Runs.get(caller, path.id), (run) => ({
          runId: run.id,
          status: run.status,
          toolCalls: run.toolCalls,
          trace: run.trace,
          finalAnswer: run.finalAnswer
        }))
      )
    )
    .handle("evaluation", ({ path }) =>
      asCaller((caller) =>
        Effect.map(Runs.get(caller, path.id), (run) => ({
          runId: run.id,
          status: run.status,
          judgeModel: run.judgeModel,
          criteria: run.criteria,
          assertions: run.assertions,
          error: run.error
        }))
      )
    )
    .handle("toolCalls", ({ path }) =>
      asCaller((caller) =>
        Effect.map(Runs.get(caller, path.id), (run) => ({
          runId: run.id,
          status: run.status,
          items: run.toolCalls
        }))
      )
    )
    .handle("samples", ({ path }) =>
      asCaller((caller) =>
        Effect.map(Runs.sampleGroup(caller, path.id), ({ sampleGroupId, runs, result }) => {
          const texts = new Map(
            runs.flatMap((run) => run.criteria.map((c) => [c.criterionId, c.text] as const))
          )
          return {
            sampleGroupId,
            status: result.status,
            passRate: result.passRate,
            sampleCount: result.runs,
            flaky: result.flaky.map((f) => ({ ...f, text: texts.get(f.criterionId) ?? "" })),
            runs: runs.map(toRunSummary)
          }
        })
      )
    )
    .handle("replay", ({ path }) =>
      asCaller((caller) =>
        Effect.flatMap(Runs.replayTarget(caller, path.id), ({ run, server, profile }) =>
          Replay.replay(run, server, profile).pipe(
            // Core already refused non-terminal runs; this only covers the runner's own check.
            Effect.catchTag("NotReplayable", (e) => Effect.fail(new Conflict({ message: e.message })))
          )
        )
      )
    )
)
