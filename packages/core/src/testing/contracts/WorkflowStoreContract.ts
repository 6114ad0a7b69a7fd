import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { StorePorts } from "../../ports/StorePorts.js"
import { WorkflowStore } from "../../ports/WorkflowStore.js"
import { at, newOrg, uid, versionOf, workflow } from "./fixtures.js"

/** Registers the `WorkflowStore` contract tests. */
export const workflowStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("insertWorkflow", () => {
    it.effect("stores the workflow with its first version; a taken name is a Conflict", () =>
      Effect.gen(function* () {
        const store = yield* WorkflowStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const w = workflow(orgA)
        yield* store.insertWorkflow(w.workflow, w.version)
        expect(Option.getOrThrow(yield* store.getWorkflow(orgA, w.workflow.id))).toEqual(w.workflow)
        expect(Option.getOrThrow(yield* store.getVersion(orgA, w.version.id))).toEqual(w.version)

        const same = workflow(orgA, { name: w.workflow.spec.name.toUpperCase().replace(" ", "   ") })
        const error = yield* Effect.flip(store.insertWorkflow(same.workflow, same.version))
        expect(error._tag).toBe("Conflict")
        expect(error._tag === "Conflict" && error.fieldErrors.map((f) => f.field)).toEqual(["name"])
        expect(Option.isNone(yield* store.getWorkflow(orgA, same.workflow.id))).toBe(true)
        // Names are unique per organization only.
        const elsewhere = workflow(orgB, { name: w.workflow.spec.name })
        yield* store.insertWorkflow(elsewhere.workflow, elsewhere.version)
      })
    )

    it.effect("reads never cross organizations", () =>
      Effect.gen(function* () {
        const store = yield* WorkflowStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const w = workflow(orgA)
        yield* store.insertWorkflow(w.workflow, w.version)
        expect(Option.isNone(yield* store.getWorkflow(orgB, w.workflow.id))).toBe(true)
        expect(Option.isNone(yield* store.getVersion(orgB, w.version.id))).toBe(true)
        expect(yield* store.listWorkflows(orgB)).toEqual([])
        expect(yield* store.listVersions(orgB, w.workflow.id)).toEqual([])
      })
    )
  })

  describe("appendVersion", () => {
    it.effect("on the current version: stores the version and makes it current", () =>
      Effect.gen(function* () {
        const store = yield* WorkflowStore
        const orgId = yield* newOrg
        const w = workflow(orgId)
        yield* store.insertWorkflow(w.workflow, w.version)
        const v2 = versionOf(orgId, w.workflow.id, 2, { ...w.version.spec, prompt: "Check Bergen." })
        yield* store.appendVersion(v2, w.version.id, at(100))
        const current = Option.getOrThrow(yield* store.getWorkflow(orgId, w.workflow.id))
        expect(current.currentVersionId).toBe(v2.id)
        expect(current.version).toBe(2)
        expect(current.spec.prompt).toBe("Check Bergen.")
        expect(current.updatedAt).toEqual(at(100))
        expect((yield* store.listVersions(orgId, w.workflow.id)).map((v) => v.version)).toEqual([2, 1])
      })
    )

    it.effect("on a stale version: VersionConflict naming the current version, and nothing stored", () =>
      Effect.gen(function* () {
        const store = yield* WorkflowStore
        const orgId = yield* newOrg
        const w = workflow(orgId)
        yield* store.insertWorkflow(w.workflow, w.version)
        const v2 = versionOf(orgId, w.workflow.id, 2, w.version.spec)
        yield* store.appendVersion(v2, w.version.id, at(100))
        const stale = versionOf(orgId, w.workflow.id, 3, w.version.spec)
        const error = yield* Effect.flip(store.appendVersion(stale, w.version.id, at(200)))
        expect(error._tag).toBe("VersionConflict")
        expect(error._tag === "VersionConflict" && [error.expectedVersionId, error.currentVersionId]).toEqual(
          [w.version.id, v2.id]
        )
        expect(Option.isNone(yield* store.getVersion(orgId, stale.id))).toBe(true)
        expect(Option.getOrThrow(yield* store.getWorkflow(orgId, w.workflow.id)).currentVersionId).toBe(v2.id)
      })
    )

    it.effect("of two appends on the same base, exactly one succeeds", () =>
      Effect.gen(function* () {
        const store = yield* WorkflowStore
        const orgId = yield* newOrg
        const w = workflow(orgId)
        yield* store.insertWorkflow(w.workflow, w.version)
        const attempts = [1, 2].map(() => versionOf(orgId, w.workflow.id, 2, w.version.spec))
        const results = yield* Effect.forEach(
          attempts,
          (v) => Effect.either(store.appendVersion(v, w.version.id, at(100))),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r._tag === "Right")).toHaveLength(1)
        expect(yield* store.listVersions(orgId, w.workflow.id)).toHaveLength(2)
      })
    )
  })

  describe("state and listings", () => {
    it.effect(
      "setState pauses; listWorkflows filters by server; listScheduled holds only active scheduled ones",
      () =>
        Effect.gen(function* () {
          const store = yield* WorkflowStore
          const orgId = yield* newOrg
          const serverId = uid()
          const schedule = { cron: "*/5 * * * *", timezone: "UTC" }
          const scheduled = workflow(orgId, { mcpServerId: serverId, schedule })
          const paused = workflow(orgId, { schedule })
          const manual = workflow(orgId, { mcpServerId: serverId })
          for (const w of [scheduled, paused, manual]) yield* store.insertWorkflow(w.workflow, w.version)
          yield* store.setState(orgId, paused.workflow.id, "paused", at(50))
          const pausedNow = Option.getOrThrow(yield* store.getWorkflow(orgId, paused.workflow.id))
          expect([pausedNow.state, pausedNow.updatedAt]).toEqual(["paused", at(50)])

          const ofServer = yield* store.listWorkflows(orgId, { mcpServerId: serverId })
          expect(ofServer.map((w) => w.id).sort()).toEqual([scheduled.workflow.id, manual.workflow.id].sort())
          expect(yield* store.listWorkflows(orgId)).toHaveLength(3)

          const ids = (yield* store.listScheduled).map((w) => w.id)
          expect(ids).toContain(scheduled.workflow.id)
          expect(ids).not.toContain(paused.workflow.id)
          expect(ids).not.toContain(manual.workflow.id)
        })
    )

    it.effect(
      "an archived workflow is left out of lists unless asked for, fires nothing, and frees its name",
      () =>
        Effect.gen(function* () {
          const store = yield* WorkflowStore
          const orgId = yield* newOrg
          const schedule = { cron: "*/5 * * * *", timezone: "UTC" }
          const old = workflow(orgId, { schedule })
          yield* store.insertWorkflow(old.workflow, old.version)
          yield* store.setState(orgId, old.workflow.id, "archived", at(60))
          expect(Option.getOrThrow(yield* store.getWorkflow(orgId, old.workflow.id)).state).toBe("archived")
          expect(yield* store.listWorkflows(orgId)).toEqual([])
          const all = yield* store.listWorkflows(orgId, { includeArchived: true })
          expect(all.map((w) => w.id)).toEqual([old.workflow.id])
          expect((yield* store.listScheduled).map((w) => w.id)).not.toContain(old.workflow.id)

          // The name is free again, and taken again by the new workflow only.
          const reborn = workflow(orgId, { name: old.workflow.spec.name })
          yield* store.insertWorkflow(reborn.workflow, reborn.version)
          const again = workflow(orgId, { name: old.workflow.spec.name })
          const error = yield* Effect.flip(store.insertWorkflow(again.workflow, again.version))
          expect(error._tag).toBe("Conflict")
          expect((yield* store.listWorkflows(orgId)).map((w) => w.id)).toEqual([reborn.workflow.id])
        })
    )
  })
}
