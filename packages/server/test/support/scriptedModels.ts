import { ScriptedModel } from "@armature/core/testing"
import { Models } from "@armature/runner"

const hasToolResult = (call: { prompt: ReadonlyArray<{ role: string }> }) =>
  call.prompt.some((m) => m.role === "tool")

/** The tester looks order A-1001 up on the demo server (`get_order`), then answers. */
export const tester = ScriptedModel.make({
  id: "scripted:tester",
  steps: (call) =>
    hasToolResult(call)
      ? { text: "Order A-1001 has shipped; the total is 42.50 EUR." }
      : { toolCalls: [{ toolName: "get_order", input: { orderId: "A-1001" } }] }
})
/** The judge passes the one criterion (`c1`) of the workflows these tests create. */
const judge = ScriptedModel.make({
  id: "scripted:judge",
  steps: () => ({
    json: {
      verdicts: [{ criterionId: "c1", verdict: "pass", reasoning: "It looked the order up.", evidence: [] }]
    }
  })
})

/** `scripted:tester` and `scripted:judge`, for `App` options, through the real `ai` SDK path. */
export const scriptedModels = [
  Models.register("scripted:tester", tester),
  Models.register("scripted:judge", judge)
]
