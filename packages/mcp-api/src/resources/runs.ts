/**
 * The run resources (SPEC §9.4): a run split into what an agent reads for different questions —
 * the trace (what happened) and the artifacts (what came out and how it was judged) — both read
 * through `Runs.get`, which checks the role and the organization.
 */
import { Run, Runs } from "@armature/core"
import { Effect, Schema } from "effect"
import { define } from "../Resource.js"

const run = Run.fields

export const RunTrace = Schema.Struct({
  runId: run.id,
  status: run.status,
  toolCalls: run.toolCalls,
  trace: run.trace
})

export const trace = define({
  uri: "armature://runs/{id}/trace",
  name: "run-trace",
  title: "Run trace",
  description:
    "The trace of a run: every tool call (arguments, result, error, timing) and every trace event " +
    "(messages, progress, policy refusals, errors), with the ids diagnose_run and proposals cite as evidence.",
  output: RunTrace,
  read: (caller, id) =>
    Effect.map(Runs.get(caller, id), (r) => ({
      runId: r.id,
      status: r.status,
      toolCalls: r.toolCalls,
      trace: r.trace
    }))
})

export const RunArtifacts = Schema.Struct({
  runId: run.id,
  status: run.status,
  finalAnswer: run.finalAnswer,
  judge: Schema.Struct({ model: run.judgeModel, criteria: run.criteria }),
  assertions: run.assertions,
  error: run.error
})

export const artifacts = define({
  uri: "armature://runs/{id}/artifacts",
  name: "run-artifacts",
  title: "Run artifacts",
  description:
    "What a run produced: the tester's final answer, the judge's verdict, reasoning and evidence per " +
    "criterion, the assertion results, and the run's error if it had one.",
  output: RunArtifacts,
  read: (caller, id) =>
    Effect.map(Runs.get(caller, id), (r) => ({
      runId: r.id,
      status: r.status,
      finalAnswer: r.finalAnswer,
      judge: { model: r.judgeModel, criteria: r.criteria },
      assertions: r.assertions,
      error: r.error
    }))
})
