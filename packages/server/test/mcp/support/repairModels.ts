/**
 * Scripted models for the repair loop that decide from what they are shown, like real models,
 * never from a switch the test flips:
 *
 * - `scripted:literal-tester` does what the task literally says: it calls the tool the task
 *   names (with the order id the task mentions); when the task names no tool, it browses with a
 *   tool it can call without arguments. Given a tool result, it reports it as its final answer.
 * - `scripted:transcript-judge` reads the transcript the judge is given: a criterion naming a
 *   tool passes when the agent called that tool successfully, citing those calls; otherwise it
 *   fails, citing the calls the agent made instead. A criterion naming no tool passes when the
 *   agent gave a final answer.
 */
import type { LanguageModelV4CallOptions } from "@ai-sdk/provider"
import { ScriptedModel } from "@armature/core/testing"
import { Models } from "@armature/runner"

type Message = LanguageModelV4CallOptions["prompt"][number]

/** The text parts of the user's messages: the task (tester) or the transcript (judge). */
const userText = (call: LanguageModelV4CallOptions): string =>
  call.prompt
    .filter((m): m is Extract<Message, { role: "user" }> => m.role === "user")
    .flatMap((m) => m.content.flatMap((part) => (part.type === "text" ? [part.text] : [])))
    .join("\n")

/** The tool results the tester got so far, newest last. */
const toolResults = (call: LanguageModelV4CallOptions) =>
  call.prompt.flatMap((m) =>
    m.role === "tool" ? m.content.flatMap((part) => (part.type === "tool-result" ? [part] : [])) : []
  )

const mentions = (text: string, name: string) =>
  new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[^A-Za-z0-9_]/g, "\\$&")}(?![A-Za-z0-9_])`).test(text)

const literalTester = ScriptedModel.make({
  id: "scripted:literal-tester",
  steps: (call) => {
    const results = toolResults(call)
    if (results.length > 0) {
      const last = results.at(-1)!
      return { text: `I called ${last.toolName}; it returned ${JSON.stringify(last.output)}.` }
    }
    const task = userText(call)
    const offered = (call.tools ?? []).flatMap((t) => (t.type === "function" ? [t] : []))
    const named = offered.find((t) => mentions(task, t.name))
    if (named !== undefined) {
      // The order id the task mentions, for a tool that takes one.
      const orderId = /\b[A-Z]-\d{4}\b/.exec(task)?.[0]
      const takesOrderId = "orderId" in ((named.inputSchema as { properties?: object }).properties ?? {})
      const input = takesOrderId && orderId !== undefined ? { orderId } : {}
      return { toolCalls: [{ toolName: named.name, input }] }
    }
    const argumentFree = offered.find(
      (t) => ((t.inputSchema as { required?: ReadonlyArray<string> }).required ?? []).length === 0
    )
    return argumentFree === undefined
      ? { text: "No tool fits the task." }
      : { toolCalls: [{ toolName: argumentFree.name, input: {} }] }
  }
})

/** A call line of the judge's transcript: `[tc-1] agent get_order({…}) → …`. */
interface TranscriptCall {
  readonly id: string
  readonly tool: string
  readonly ok: boolean
}

const section = (transcript: string, title: string): string => {
  const start = transcript.indexOf(`# ${title}\n`)
  if (start < 0) return ""
  const rest = transcript.slice(start + title.length + 3)
  const end = rest.search(/\n# /)
  return end < 0 ? rest : rest.slice(0, end)
}

const transcriptJudge = ScriptedModel.make({
  id: "scripted:transcript-judge",
  steps: (call) => {
    const transcript = userText(call)
    const calls: TranscriptCall[] = section(transcript, "Tool calls")
      .split("\n")
      .flatMap((line) => {
        const m = /^\[(tc-\d+)\] \w+ ([A-Za-z0-9_-]+)\(.*\) → (.*)$/.exec(line)
        if (m === null) return []
        const outcome = m[3]!
        return [{ id: m[1]!, tool: m[2]!, ok: !/^(REFUSED|ERROR|isError)/.test(outcome) }]
      })
    const answered = !section(transcript, "Final answer").includes("(no final answer)")
    const criteria = section(transcript, "Criteria")
      .split("\n")
      .flatMap((line) => {
        const m = /^- (\S+): (.*)$/.exec(line)
        return m === null ? [] : [{ id: m[1]!, text: m[2]! }]
      })
    const verdicts = criteria.map(({ id, text }) => {
      const tools = [...new Set(text.match(/\b[a-z]+(?:_[a-z]+)+\b/g) ?? [])]
      if (tools.length === 0) {
        return {
          criterionId: id,
          verdict: answered ? "pass" : "fail",
          reasoning: answered ? "The agent reported a result." : "The agent gave no final answer.",
          evidence: []
        }
      }
      const missing = tools.filter((t) => !calls.some((c) => c.tool === t && c.ok))
      if (missing.length === 0) {
        return {
          criterionId: id,
          verdict: "pass",
          reasoning: `The agent called ${tools.join(", ")} successfully.`,
          evidence: calls.filter((c) => tools.includes(c.tool)).map((c) => c.id)
        }
      }
      const instead = [...new Set(calls.map((c) => c.tool))]
      return {
        criterionId: id,
        verdict: "fail",
        reasoning: `The agent never called ${missing.join(", ")}${
          instead.length > 0 ? `; it called ${instead.join(", ")} instead` : ""
        }.`,
        evidence: calls.map((c) => c.id)
      }
    })
    return { json: { verdicts } }
  }
})

/** The tester and judge above, for `startAppServer`'s `models`. */
export const repairModels = [
  Models.register(literalTester.id, literalTester),
  Models.register(transcriptJudge.id, transcriptJudge)
]
