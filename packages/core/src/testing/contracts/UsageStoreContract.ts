import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import { MonitorStore } from "../../ports/MonitorStore.js"
import { OrgStore } from "../../ports/OrgStore.js"
import { RunStore } from "../../ports/RunStore.js"
import { ServerStore } from "../../ports/ServerStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { UsageStore } from "../../ports/UsageStore.js"
import { WorkflowStore } from "../../ports/WorkflowStore.js"
import { at, member, monitor, newOrg, run, server, workflow } from "./fixtures.js"

/** Registers the `UsageStore` contract tests. */
export const usageStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("usage", () => {
    it.effect(
      "counts an organization's servers, live workflows, monitors, members and runs since an instant",
      () =>
        Effect.gen(function* () {
          const usage = yield* UsageStore
          const [orgId, other] = [yield* newOrg, yield* newOrg]
          expect(yield* usage.usage(orgId, at())).toEqual({
            servers: 0,
            workflows: 0,
            monitors: 0,
            runs: 0,
            members: 0
          })

          yield* Effect.flatMap(ServerStore, (s) => s.insertServer(server(orgId)))
          yield* Effect.flatMap(ServerStore, (s) => s.insertServer(server(other)))
          const live = workflow(orgId)
          const archived = workflow(orgId)
          yield* Effect.flatMap(WorkflowStore, (s) => s.insertWorkflow(live.workflow, live.version))
          yield* Effect.flatMap(WorkflowStore, (s) => s.insertWorkflow(archived.workflow, archived.version))
          yield* Effect.flatMap(WorkflowStore, (s) =>
            s.setState(orgId, archived.workflow.id, "archived", at(5))
          )
          yield* Effect.flatMap(MonitorStore, (s) => s.insertMonitor(monitor(orgId)))
          yield* Effect.flatMap(OrgStore, (s) => s.addMember(member(orgId)))
          yield* Effect.flatMap(RunStore, (s) => s.insertRun(run(orgId, { createdAt: at(-60) })))
          yield* Effect.flatMap(RunStore, (s) => s.insertRun(run(orgId, { createdAt: at(60) })))
          yield* Effect.flatMap(RunStore, (s) => s.insertRun(run(other, { createdAt: at(60) })))

          expect(yield* usage.usage(orgId, at())).toEqual({
            servers: 1,
            workflows: 1,
            monitors: 1,
            runs: 1,
            members: 1
          })
        })
    )
  })
}
