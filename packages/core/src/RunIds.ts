/**
 * Idempotent run ids (SPEC §9.1 `run_workflow_now`): a repeated dispatch with the same workflow,
 * reason and idempotency key names the same run. The namespace and the normalization are part of
 * the public contract — scripts written against one deployment must get the same ids from another.
 */
import { v5 } from "uuid"

/** The Armature namespace of run ids: UUIDv5 of `https://armature.dev/ns/run` in the URL namespace. */
export const namespace = "e7ae8e5d-2f09-5b0c-b063-7309640999d6"

/** A reason as it counts for idempotency: trimmed, lower-cased, whitespace runs collapsed to one space. */
export const normalizeReason = (reason?: string | null): string =>
  typeof reason === "string" ? reason.trim().toLowerCase().replace(/\s+/g, " ") : ""

/**
 * The UUIDv5 run id of a dispatch over `${workflowId}\n${normalizedReason}\n${idempotencyKey}`.
 * A dispatch to every tester model (`allModels`) adds `\n${testerModel}`, so each model's run has
 * its own id and a repeat is still idempotent; without a model the id is the one above, unchanged.
 */
export const runId = (input: {
  readonly workflowId: string
  readonly reason?: string | null | undefined
  readonly idempotencyKey?: string | null | undefined
  readonly testerModel?: string | null | undefined
}): string =>
  v5(
    `${input.workflowId}\n${normalizeReason(input.reason)}\n${input.idempotencyKey ?? ""}${
      input.testerModel == null ? "" : `\n${input.testerModel}`
    }`,
    namespace
  )
