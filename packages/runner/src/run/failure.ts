/**
 * How a run goes wrong: every phase fails with one `RunFailed`, and `RunExecutor.execute` turns
 * it into the terminal run with status `error` — so no phase has to pass failures on as values.
 */
import type { RunError } from "@armature/core"
import { Data } from "effect"

/** A phase ended the run with a `RunError` code; `execute` catches it once, at the end. */
export class RunFailed extends Data.TaggedError("RunFailed")<{
  readonly code: RunError["code"]
  readonly message: string
}> {}

/** The failure of a run, its message cut to the length a run stores. */
export const runFailed = (code: RunError["code"], message: string): RunFailed =>
  new RunFailed({ code, message: message.slice(0, 1000) })

/** A tool call error that means the connection broke, not that the tool misbehaved. */
export const isTransportFailure = (error: string | null): boolean =>
  error !== null && /^(transport|not_mcp|http_status|auth_rejected):/.test(error)
