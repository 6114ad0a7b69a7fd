/**
 * The audit entry of one `tools/call` (SPEC §9.1): who called which tool, with which arguments
 * (credentials redacted), why (`telemetry.intent`), with which result code, in how long. Written
 * for refused calls too — a key probing tools above its role is what an admin wants to see.
 */
import { Audit, type Caller, type SecretStore } from "@armature/core"
import { Effect } from "effect"
import type { ToolName } from "../Tool.js"
import type { Requirements } from "../ToolTable.js"

/**
 * Outcomes of calls stopped before `Redaction.refuseSecrets` had looked at the arguments (see
 * `ToolCall`'s order), or by it: only their arguments may still hold a stored secret verbatim.
 */
const unchecked = new Set(["rate_limited", "forbidden_role", "secret_in_arguments", "internal_error"])

/** The argument naming what a call is about, in order of preference. */
const targetArguments = ["runId", "proposalId", "workflowId", "mcpServerId"] as const

const targetOf = (args: Record<string, unknown>): string | null => {
  for (const name of targetArguments) {
    const value = args[name]
    if (typeof value === "string") return value.slice(0, 200)
  }
  return null
}

const intentOf = (args: Record<string, unknown>): string | null => {
  const telemetry = args.telemetry
  if (typeof telemetry !== "object" || telemetry === null) return null
  const intent = (telemetry as Record<string, unknown>).intent
  return typeof intent === "string" ? intent : null
}

/** Records the call; a failure to write is logged, never the caller's problem. */
export const record = (
  caller: Caller,
  tool: ToolName,
  args: Record<string, unknown>,
  outcome: string,
  durationMs: number
): Effect.Effect<void, never, Requirements | SecretStore> =>
  Effect.gen(function* () {
    const logged = (yield* Audit.loggedArguments(caller.orgId, args, unchecked.has(outcome))) as Record<
      string,
      unknown
    >
    const { telemetry: _, ...rest } = logged
    yield* Audit.record(caller.orgId, caller.actor, {
      action: tool,
      targetId: targetOf(logged),
      intent: intentOf(logged),
      outcome,
      arguments: rest,
      durationMs
    })
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logError(`Could not write the audit entry of a ${tool} call`, cause)
    )
  )
