/** The language model the benches' runs use: scripted, over the real OpenAI-compatible HTTP path. */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

/** A loopback OpenAI-compatible endpoint: the tester calls `get_order`, then answers; the judge passes `c1`. */
export const startModel = async () => {
  const state = { received: 0 }
  const http = createServer(async (req, res) => {
    let raw = ""
    for await (const c of req) raw += c
    state.received++
    const body = JSON.parse(raw)
    const toolResult = (body.messages as Array<{ role: string }>).some((m) => m.role === "tool")
    const message =
      body.response_format !== undefined
        ? {
            role: "assistant",
            content: JSON.stringify({
              verdicts: [
                { criterionId: "c1", verdict: "pass", reasoning: "It looked the order up.", evidence: [] }
              ]
            })
          }
        : toolResult
          ? { role: "assistant", content: "Order A-1001 has shipped; the total is 42.50 EUR." }
          : {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: `call_${state.received}`,
                  type: "function",
                  function: { name: "get_order", arguments: JSON.stringify({ orderId: "A-1001" }) }
                }
              ]
            }
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${state.received}`,
        object: "chat.completion",
        created: 1_700_000_000,
        model: body.model,
        choices: [{ index: 0, message, finish_reason: message.content === null ? "tool_calls" : "stop" }],
        usage: { prompt_tokens: 120, completion_tokens: 20, total_tokens: 140 }
      })
    )
  })
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r))
  return {
    baseURL: `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`,
    close: () => {
      http.closeAllConnections()
      return new Promise<void>((r) => http.close(() => r()))
    }
  }
}
