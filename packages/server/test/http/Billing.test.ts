/**
 * Plans and billing through the whole server on PostgreSQL, with the official Stripe SDK pointed
 * at a loopback recorder (SPEC §11): a create past the free plan's limit is 403
 * `quota_exceeded` naming the limit; a signed `checkout.session.completed` moves the workspace
 * to `team`; a lapsed subscription makes writes 403 `read_only_workspace` while reads and the
 * data stay; an unsigned, stale or wrongly signed webhook is refused with 400 and writes
 * nothing; the billing routes are the owner's. A second server without billing limits nothing.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http"
import { createServer } from "node:net"
import { Effect, Exit, Scope } from "effect"
import Stripe from "stripe"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type AppServer, startAppServer } from "./support/appServer.js"
import { fieldsOf, ok, refusal, typedCalls } from "./support/postgresApi.js"

const postgres = await postgresAvailable("packages/server/test/http/Billing.test.ts")
const database = Effect.runSync(Scope.make())
const webhookSecret = "whsec_test_armature"

/** What the recorder saw: each Stripe API request with its form body. */
interface Recorded {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly form: URLSearchParams
}

/** A loopback stand-in for the Stripe API: records requests, answers as Stripe would. */
const startRecorder = async () => {
  const requests: Recorded[] = []
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = ""
      req.on("data", (chunk) => (body += chunk))
      req.on("end", () => resolve(body))
    })
  const server: Server = createHttpServer(async (req, res) => {
    const form = new URLSearchParams(await read(req))
    const path = (req.url ?? "").split("?")[0]!
    requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization, form })
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    if (path === "/v1/checkout/sessions") {
      return json(200, {
        id: "cs_test_1",
        object: "checkout.session",
        url: "https://checkout.stripe.test/c/cs_test_1"
      })
    }
    if (path === "/v1/billing_portal/sessions") {
      return json(200, {
        id: "bps_1",
        object: "billing_portal.session",
        url: "https://billing.stripe.test/p/session_1"
      })
    }
    json(404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${path})` } })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A loopback port nothing listens on: a server registered there is saved as unreachable, fast. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

let recorder: Awaited<ReturnType<typeof startRecorder>>
let server: AppServer
let owner = ""
let admin = ""
let orgId = ""
let downUrl = ""
const stripe = new Stripe("sk_test_signer", { telemetry: false })

/** A request to the API with `token` (none: no Authorization header); the status and the parsed body. */
const call = async (
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  origin = server.origin
) => {
  const res = await fetch(`${origin}/api/armature/v1${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text === "" ? null : JSON.parse(text) }
}

/** Posts `event` to the webhook as Stripe would, signed with `secret` at `timestamp` (seconds), or unsigned. */
const deliver = async (
  event: Record<string, unknown>,
  signing: { readonly secret?: string; readonly timestamp?: number } | "unsigned" = {}
) => {
  const payload = JSON.stringify({ object: "event", api_version: "2025-01-01", created: 1, ...event })
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" }
  if (signing !== "unsigned") {
    headers["stripe-signature"] = stripe.webhooks.generateTestHeaderString({
      payload,
      secret: signing.secret ?? webhookSecret,
      ...(signing.timestamp === undefined ? {} : { timestamp: signing.timestamp })
    })
  }
  const res = await fetch(`${server.origin}/api/armature/v1/billing/stripe/webhook`, {
    method: "POST",
    headers,
    body: payload
  })
  return { status: res.status, body: (await res.json()) as any }
}

const checkoutCompleted = (plan: string) => ({
  id: "evt_checkout",
  type: "checkout.session.completed",
  data: {
    object: {
      id: "cs_test_1",
      object: "checkout.session",
      client_reference_id: orgId,
      customer: "cus_armature",
      subscription: "sub_1",
      metadata: { orgId, plan }
    }
  }
})

const subscriptionEvent = (type: string, status: string, periodEnd: number) => ({
  id: `evt_${type}`,
  type,
  data: {
    object: {
      id: "sub_1",
      object: "subscription",
      status,
      customer: "cus_armature",
      metadata: { orgId, plan: "team" },
      items: { data: [{ id: "si_1", price: { id: "price_team" }, current_period_end: periodEnd }] }
    }
  }
})

const register = (n: number) => call(owner, "POST", "/mcp-servers", { name: `server ${n}`, baseUrl: downUrl })
/** The billing routes through the typed client, so replies must match their declared schemas. */
const billingApi = () => typedCalls(server.origin)
const planOf = async () => ok(await billingApi()(owner, (c) => c.billing.get()))

beforeAll(async () => {
  if (!postgres) return
  recorder = await startRecorder()
  downUrl = `http://127.0.0.1:${await closedPort()}/mcp`
  server = await startAppServer({
    DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
    ARMATURE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64"),
    ARMATURE_PUBLIC_URL: "https://armature.example.test",
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_BILLING: "stripe",
    STRIPE_SECRET_KEY: "sk_test_armature",
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_PRICE_TEAM: "price_team",
    STRIPE_PRICE_BUSINESS: "price_business",
    STRIPE_API_BASE: recorder.base
  })
  owner = await server.key("owner")
  admin = await server.key("admin")
  orgId = (await call(owner, "GET", "/org")).body.organization.id
}, 120_000)

afterAll(async () => {
  await server?.close()
  await recorder?.close()
  await Effect.runPromise(Scope.close(database, Exit.void))
}, 60_000)

describe.runIf(postgres)("plans and billing with Stripe", () => {
  it("GET /billing is the owner's: the free plan, its limits and the usage; an admin gets 403 forbidden_role", async () => {
    expect(await planOf()).toMatchObject({
      provider: "stripe",
      plan: { id: "free", maxServers: 2 },
      status: "active",
      readOnly: false,
      usage: { servers: 0, members: 1 }
    })
    const refused = await billingApi()(admin, (c) => c.billing.get())
    expect(refusal(refused)).toMatchObject({ status: 403, code: "forbidden_role" })
    const checkout = await billingApi()(admin, (c) => c.billing.checkout({ payload: { plan: "team" } }))
    expect(refusal(checkout)).toMatchObject({ status: 403, code: "forbidden_role" })
  })

  it("a create past the free plan's limit is 403 quota_exceeded naming the limit, the plan and the count", async () => {
    expect((await register(1)).status).toBe(201)
    expect((await register(2)).status).toBe(201)
    const refused = await register(3)
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe("quota_exceeded")
    expect(refused.body.error.message).toContain("Free plan allows 2 MCP servers")
    expect(fieldsOf(refused.body)).toEqual(["maxServers"])
    expect((await call(owner, "GET", "/mcp-servers")).status).toBe(200)
  })

  it("checkout creates a Stripe Checkout session for the plan's price; an unknown plan is 400 naming `plan`", async () => {
    // Raw: the typed client would not send a plan outside its declared wire schema.
    const bad = await call(owner, "POST", "/billing/checkout", { plan: "gold" })
    expect(bad.status).toBe(400)
    expect(fieldsOf(bad.body)).toEqual(["plan"])
    expect(recorder.requests).toHaveLength(0)

    const checkout = await billingApi()(owner, (c) => c.billing.checkout({ payload: { plan: "team" } }))
    expect(ok(checkout)).toEqual({ url: "https://checkout.stripe.test/c/cs_test_1" })
    const seen = recorder.requests.at(-1)!
    expect(seen).toMatchObject({
      method: "POST",
      path: "/v1/checkout/sessions",
      authorization: "Bearer sk_test_armature"
    })
    expect(seen.form.get("mode")).toBe("subscription")
    expect(seen.form.get("line_items[0][price]")).toBe("price_team")
    expect(seen.form.get("client_reference_id")).toBe(orgId)
    expect(seen.form.get("subscription_data[metadata][orgId]")).toBe(orgId)
  })

  it("an unsigned, wrongly signed or stale webhook is refused with 400 and writes nothing", async () => {
    const unsigned = await deliver(checkoutCompleted("business"), "unsigned")
    expect(unsigned.status).toBe(400)
    const wrong = await deliver(checkoutCompleted("business"), { secret: "whsec_someone_else" })
    expect(wrong.status).toBe(400)
    const stale = await deliver(checkoutCompleted("business"), {
      timestamp: Math.floor(Date.now() / 1000) - 600
    })
    expect(stale.status).toBe(400)
    expect(stale.body.error.code).toBe("validation_failed")
    expect(await planOf()).toMatchObject({ plan: { id: "free" }, status: "active" })
  })

  it("signed events Armature did not start, or of other organizations, are acknowledged and change nothing", async () => {
    const other = await deliver({
      id: "evt_invoice",
      type: "invoice.paid",
      data: { object: { id: "in_1", object: "invoice" } }
    })
    expect(other).toMatchObject({ status: 200, body: { received: true, applied: false } })
    const foreign = await deliver({
      ...checkoutCompleted("business"),
      data: {
        object: {
          id: "cs_2",
          object: "checkout.session",
          client_reference_id: "not-an-org",
          metadata: { plan: "business" }
        }
      }
    })
    expect(foreign).toMatchObject({ status: 200, body: { applied: false } })
    expect(await planOf()).toMatchObject({ plan: { id: "free" } })
  })

  it("a signed checkout.session.completed moves the workspace to team: the create refused before now succeeds", async () => {
    const delivered = await deliver(checkoutCompleted("team"))
    expect(delivered.status).toBe(200)
    expect(delivered.body).toMatchObject({ received: true, applied: true })
    expect(await planOf()).toMatchObject({
      plan: { id: "team", maxServers: 10 },
      status: "active",
      readOnly: false
    })
    expect((await register(3)).status).toBe(201)

    // The portal opens for the Stripe customer the checkout made.
    const portal = await billingApi()(owner, (c) => c.billing.portal())
    expect(ok(portal).url).toBe("https://billing.stripe.test/p/session_1")
    expect(recorder.requests.at(-1)!.form.get("customer")).toBe("cus_armature")
  })

  it("a lapsed subscription makes writes 403 read_only_workspace while reads and the data stay", async () => {
    const lapsed = Math.floor(Date.now() / 1000) - 3600
    expect(
      (await deliver(subscriptionEvent("customer.subscription.updated", "past_due", lapsed))).status
    ).toBe(200)
    expect(await planOf()).toMatchObject({ status: "past_due", readOnly: true })

    const refused = await register(4)
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe("read_only_workspace")
    const workflow = await call(owner, "POST", "/workflows", { name: "w" })
    expect(workflow.body.error.code).toBe("read_only_workspace")

    const servers = await call(owner, "GET", "/mcp-servers")
    expect(servers.status).toBe(200)
    expect(servers.body.items).toHaveLength(3)
    // The owner can still pay: billing is not a write of the workspace.
    ok(await billingApi()(owner, (c) => c.billing.checkout({ payload: { plan: "team" } })))

    // Renewed: writable again, nothing lost.
    const renewed = Math.floor(Date.now() / 1000) + 30 * 86_400
    expect(
      (await deliver(subscriptionEvent("customer.subscription.updated", "active", renewed))).status
    ).toBe(200)
    expect(await planOf()).toMatchObject({ plan: { id: "team" }, status: "active", readOnly: false })
    expect((await register(4)).status).toBe(201)

    // Deleted: canceled, read-only, and still readable.
    expect(
      (await deliver(subscriptionEvent("customer.subscription.deleted", "canceled", renewed))).status
    ).toBe(200)
    expect(await planOf()).toMatchObject({ status: "canceled", readOnly: true })
    expect((await register(5)).body.error.code).toBe("read_only_workspace")
    expect((await call(owner, "GET", "/mcp-servers")).body.items).toHaveLength(4)
  })
})

describe.runIf(postgres)("without billing configured", () => {
  let plain: AppServer
  const plainDatabase = Effect.runSync(Scope.make())

  beforeAll(async () => {
    plain = await startAppServer({
      DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, plainDatabase)),
      ARMATURE_SECRET_KEY: Buffer.alloc(32, 8).toString("base64"),
      ARMATURE_ALLOW_LOOPBACK: "true"
    })
  }, 120_000)
  afterAll(async () => {
    await plain?.close()
    await Effect.runPromise(Scope.close(plainDatabase, Exit.void))
  }, 60_000)

  it("limits nothing, reports no limits, and has no Stripe webhook", async () => {
    const key = await plain.key("owner")
    for (let n = 1; n <= 4; n++) {
      const created = await call(
        key,
        "POST",
        "/mcp-servers",
        { name: `s${n}`, baseUrl: downUrl },
        plain.origin
      )
      expect(created.status).toBe(201)
    }
    const billing = await call(key, "GET", "/billing", undefined, plain.origin)
    expect(billing.status).toBe(200)
    expect(billing.body).toMatchObject({
      provider: null,
      plan: { id: "unlimited", maxServers: null },
      readOnly: false
    })
    const checkout = await call(key, "POST", "/billing/checkout", { plan: "team" }, plain.origin)
    expect(checkout.body.error.code).toBe("billing_unavailable")
    const webhook = await fetch(`${plain.origin}/api/armature/v1/billing/stripe/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}"
    })
    expect(webhook.status).toBe(404)
  })
})
