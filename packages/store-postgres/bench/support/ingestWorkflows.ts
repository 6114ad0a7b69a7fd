/**
 * The ingest bench's organization: per worker a server and its workflows, each workflow with an
 * alert rule on `fail` that notifies recovery, and the worker's fires of them in turn.
 */
import { AlertStore, OrgStore, ServerStore, type Workflow, WorkflowStore } from "@armature/core"
import { Effect } from "effect"

/** One worker's workflows, each with its alert rule, and its count of fires so far. */
export interface Lane {
  readonly workflows: ReadonlyArray<{ readonly workflow: Workflow; readonly ruleId: string }>
  fires: number
}

export const t0 = new Date("2026-12-07T00:00:00.000Z")

/** An organization, a server per worker, and `workflowsPerWorker` workflows per worker with an alert rule each. */
export const setup = (workers: number, workflowsPerWorker: number) =>
  Effect.gen(function* () {
    const orgId = crypto.randomUUID()
    yield* (yield* OrgStore).createOrganization({
      id: orgId,
      name: "Ingest",
      slug: `ingest-${orgId.slice(0, 8)}`,
      createdAt: t0
    })
    const servers = Array.from({ length: workers }, (_, i) => ({
      id: crypto.randomUUID(),
      orgId,
      name: `shop-${i}`,
      transport: "streamable_http" as const,
      baseUrl: `https://shop-${i}.example.com/mcp`,
      command: null,
      args: [],
      env: {},
      extraHeaders: {},
      launchApproved: false,
      state: "active" as const,
      lastProbeError: null,
      lastProbedAt: null,
      createdAt: t0,
      updatedAt: t0
    }))
    for (const server of servers) yield* (yield* ServerStore).insertServer(server)
    const lanes: Lane[] = []
    for (let w = 0; w < workers; w++) {
      const workflows: Array<Lane["workflows"][number]> = []
      for (let k = 0; k < workflowsPerWorker; k++) {
        const id = crypto.randomUUID()
        const versionId = crypto.randomUUID()
        const spec = {
          name: `orders ${w}-${k}`,
          description: "",
          mcpServerId: servers[w]!.id,
          authProfileId: null,
          prompt: "Create an order and read it back",
          criteria: [
            { id: "c1", text: "The order exists", required: true },
            { id: "c2", text: "No tool call failed", required: false }
          ],
          assertions: [],
          testerModels: ["openai:gpt-5-mini"],
          judgeModel: "openai:gpt-5",
          schedule: { cron: "* * * * *", timezone: "UTC" },
          toolPolicy: { allowedTools: ["create_order", "get_order"] },
          limits: {
            maxSteps: 20,
            maxToolCalls: 25,
            timeoutSeconds: 300,
            callTimeoutSeconds: 60,
            callTimeoutCapSeconds: 300
          },
          setup: [],
          teardown: [],
          variables: {},
          retryPolicy: { retryOnWorkerLost: true }
        } satisfies Workflow["spec"]
        const workflow: Workflow = {
          id,
          orgId,
          currentVersionId: versionId,
          version: 1,
          state: "active",
          spec,
          createdAt: t0,
          updatedAt: t0
        }
        yield* (yield* WorkflowStore).insertWorkflow(workflow, {
          id: versionId,
          orgId,
          workflowId: id,
          version: 1,
          spec,
          createdBy: null,
          createdAt: t0
        })
        const ruleId = crypto.randomUUID()
        yield* (yield* AlertStore).insertRule({
          id: ruleId,
          orgId,
          name: `orders ${w}-${k} failing`,
          target: { type: "workflow", id },
          destination: { type: "webhook", url: "https://hooks.example.com/armature" },
          on: ["fail", "error"],
          notifyRecovery: true,
          reminderMinutes: null,
          state: "enabled",
          firingSince: null,
          lastFiredAt: null,
          mutedUntil: null,
          createdAt: t0
        })
        workflows.push({ workflow, ruleId })
      }
      lanes.push({ workflows, fires: 0 })
    }
    return lanes
  })

/** The next fire of a lane: its workflows in turn, each fire a minute after that workflow's last. */
export const nextFire = (lane: Lane) => {
  const n = lane.fires++
  const { workflow, ruleId } = lane.workflows[n % lane.workflows.length]!
  const fireAt = new Date(t0.getTime() + Math.floor(n / lane.workflows.length) * 60_000)
  return { workflow, ruleId, fireAt, n }
}
