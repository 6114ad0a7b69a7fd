/**
 * One `tools/call`, in the order that keeps a refusal cheap and quiet: the role check first (a
 * key that may not call the tool learns nothing more), then credentials in the arguments (before
 * validation, whose messages may quote short values), then validation of every argument against
 * the tool's schema (all field errors at once, rooted at the argument names), then the use case,
 * whose result is encoded by the tool's output schema — the same schema `tools/list` declared.
 */
import {
  type Caller,
  InternalError,
  Plans,
  Redaction,
  Roles,
  type SecretStore,
  Validation
} from "@armature/core"
import { Effect, Schema } from "effect"
import { argumentsOf, type Tool } from "../Tool.js"

/** The JSON form of a tool's result; fails with the use case's error, or `internal_error`. */
export const call = <R>(
  tool: Tool<R>,
  caller: Caller,
  args: Record<string, unknown>
): Effect.Effect<Record<string, unknown>, unknown, R | SecretStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, tool.name)
    // A lapsed subscription leaves the workspace read-only: only reading tools still run.
    yield* Plans.ensureWritable(caller, tool.name)
    yield* Redaction.refuseSecrets(caller.orgId, args, "")
    yield* Validation.decode(argumentsOf(tool))(args)
    const { telemetry: _telemetry, ...rest } = args
    const result = yield* tool.run(caller, rest)
    return yield* Schema.encode(tool.output)(result).pipe(
      Effect.mapError(
        (cause) =>
          new InternalError({ message: `The result of ${tool.name} does not match its schema`, cause })
      )
    )
  })
