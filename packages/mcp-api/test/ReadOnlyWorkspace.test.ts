/** A read-only workspace (lapsed subscription, SPEC §11): tools that write are refused, reading tools run. */
import type { Caller } from "@armature/core"
import { MemoryStore } from "@armature/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as ToolCall from "../src/protocol/ToolCall.js"
import * as ToolTable from "../src/ToolTable.js"

const readOnlyEditor: Caller = {
  orgId: "00000000-0000-4000-8000-0000000000aa",
  actor: { keyId: "k", memberId: null, role: "editor" },
  readOnly: true
}

const codeOf = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? (exit.cause.error as { code?: string }).code : "ok"

describe("tools in a read-only workspace", () => {
  it.effect(
    "a tool that writes is refused with read_only_workspace before it runs",
    () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          ToolCall.call(ToolTable.find("run_workflow_now")!, readOnlyEditor, { workflowId: "w" })
        )
        expect(codeOf(exit)).toBe("read_only_workspace")
      }).pipe(Effect.provide(MemoryStore.layer)) as Effect.Effect<void>
  )

  it.effect(
    "a reading tool still runs",
    () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(ToolCall.call(ToolTable.find("search_runs")!, readOnlyEditor, {}))
        expect(codeOf(exit)).not.toBe("read_only_workspace")
      }).pipe(Effect.provide(MemoryStore.layer)) as Effect.Effect<void>
  )
})
