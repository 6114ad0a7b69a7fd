/**
 * Stand-ins for the three real destinations, for end-to-end tests (here and in the server): a
 * Slack Web API, the Resend API and a webhook receiver that verifies every signature as the
 * README tells users to. Each can be told to answer 503 for a while, as a destination that is
 * down.
 */
import { Webhook } from "standardwebhooks"
import { json, listen, type Recorded } from "./recorder.js"

export interface Destinations {
  /** `ARMATURE_SLACK_API_URL` (with the trailing slash the Web API client wants). */
  readonly slackApiUrl: string
  /** `RESEND_BASE_URL`. */
  readonly resendBaseUrl: string
  /** Where the webhook rule points. */
  readonly webhookUrl: string
  /** The webhook's signing secret. */
  readonly webhookSecret: string
  /** Slack messages posted, with their channel and fallback text. */
  readonly slack: () => ReadonlyArray<{ readonly channel: string; readonly text: string }>
  /** Emails sent, with their idempotency key. */
  readonly emails: () => ReadonlyArray<{
    readonly to: ReadonlyArray<string>
    readonly subject: string
    readonly text: string
    readonly idempotencyKey: string | undefined
  }>
  /** Webhook deliveries that verified, in arrival order (retries included), with their parsed body. */
  readonly webhooks: () => ReadonlyArray<{ readonly id: string; readonly body: any }>
  /** Webhook requests whose signature did not verify. */
  readonly forged: () => number
  /** While true, every destination answers 503 (and records nothing as delivered). */
  down: boolean
  /** Requests answered 503 so far, per destination. */
  readonly refused: { slack: number; email: number; webhook: number }
  /** The `webhook-id` of every refused webhook request. */
  readonly refusedWebhookIds: () => ReadonlyArray<string>
  /** The idempotency key of every refused email request. */
  readonly refusedEmailKeys: () => ReadonlyArray<string | undefined>
  readonly close: () => Promise<void>
}

export const startDestinations = async (): Promise<Destinations> => {
  const webhookSecret = "whsec-armature-e2e-secret"
  const verifier = new Webhook(Buffer.from(webhookSecret, "utf8").toString("base64"))
  const slack: Array<{ channel: string; text: string }> = []
  const emails: Array<{
    to: ReadonlyArray<string>
    subject: string
    text: string
    idempotencyKey: string | undefined
  }> = []
  const webhooks: Array<{ id: string; body: any }> = []
  let forged = 0
  const refusedWebhookIds: Array<string> = []
  const refusedEmailKeys: Array<string | undefined> = []
  const state = {
    down: false,
    refused: { slack: 0, email: 0, webhook: 0 }
  }
  const unavailable = (which: keyof typeof state.refused) => {
    state.refused[which]++
    return json(503, { error: "temporarily unavailable" })
  }

  const slackApi = await listen((r: Recorded) => {
    const form = new URLSearchParams(r.body)
    if (r.path.endsWith("/conversations.info")) {
      return json(200, { ok: true, channel: { id: form.get("channel") } })
    }
    if (r.path.endsWith("/auth.test")) return json(200, { ok: true, team_id: "T1", user_id: "U1" })
    if (r.path.endsWith("/chat.postMessage")) {
      if (state.down) return unavailable("slack")
      slack.push({ channel: form.get("channel") ?? "", text: form.get("text") ?? "" })
      return json(200, { ok: true, channel: form.get("channel"), ts: `${Date.now() / 1000}` })
    }
    return json(200, { ok: false, error: "unknown_method" })
  })

  const resend = await listen((r) => {
    if (r.method !== "POST" || !r.path.startsWith("/emails")) return json(404, { message: "not found" })
    const key = r.headers["idempotency-key"]
    if (state.down) {
      refusedEmailKeys.push(typeof key === "string" ? key : undefined)
      return unavailable("email")
    }
    const body = JSON.parse(r.body)
    emails.push({
      to: body.to,
      subject: body.subject,
      text: body.text,
      idempotencyKey: typeof key === "string" ? key : undefined
    })
    return json(200, { id: `email-${emails.length}` })
  })

  const hook = await listen((r) => {
    if (state.down) {
      refusedWebhookIds.push(String(r.headers["webhook-id"]))
      return unavailable("webhook")
    }
    try {
      const body = verifier.verify(r.body, {
        "webhook-id": String(r.headers["webhook-id"]),
        "webhook-timestamp": String(r.headers["webhook-timestamp"]),
        "webhook-signature": String(r.headers["webhook-signature"])
      })
      webhooks.push({ id: String(r.headers["webhook-id"]), body })
      return { status: 204 }
    } catch {
      forged++
      return json(400, { error: "bad signature" })
    }
  })

  return {
    slackApiUrl: `${slackApi.url}/api/`,
    resendBaseUrl: resend.url,
    webhookUrl: `${hook.url}/armature`,
    webhookSecret,
    slack: () => [...slack],
    emails: () => [...emails],
    webhooks: () => [...webhooks],
    forged: () => forged,
    get down() {
      return state.down
    },
    set down(value: boolean) {
      state.down = value
    },
    refused: state.refused,
    refusedWebhookIds: () => [...refusedWebhookIds],
    refusedEmailKeys: () => [...refusedEmailKeys],
    close: async () => {
      await Promise.all([slackApi.close(), resend.close(), hook.close()])
    }
  }
}
