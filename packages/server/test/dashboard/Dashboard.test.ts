/**
 * The dashboard in a real browser: Debian's Chromium driven by `playwright-core`, against the
 * whole server (`App.make`) on PostgreSQL, with the demo MCP server as the monitored target and
 * scripted tester and judge models behind the real `ai` SDK path for runs. Signs in with keys of
 * each role; watches a monitor turn red after the demo regression without a reload; runs a
 * workflow from its page and reads each criterion's reasoning and the trace; creates and revokes
 * a key; checks a viewer sees no Run now and a forged POST is refused; runs axe-core on the main
 * pages and loads the overview 390 px wide. Screenshots go to `test/screenshots/` (ignored by git).
 */
import { mkdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Scope } from "effect"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { restReply } from "../support/serverProcess.js"

const postgres = await postgresAvailable("packages/server/test/dashboard/Dashboard.test.ts")
const database = Effect.runSync(Scope.make())
const screenshots = join(dirname(fileURLToPath(import.meta.url)), "..", "screenshots")
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

let server: AppServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let browser: Browser
const keys = { owner: "", editor: "", viewer: "" }
let workflowId = ""
let monitorId = ""
let serverId = ""

/** A REST call with `token`: the status and parsed body. */
const rest = (token: string, method: string, path: string, body?: unknown) =>
  restReply(server.origin, token, method, path, body)

/** A fresh browser session signed in with `key`. */
const signedIn = async (key: string, options: { width?: number } = {}) => {
  const context = await browser.newContext({
    baseURL: server.origin,
    viewport: { width: options.width ?? 1280, height: 900 }
  })
  const page = await context.newPage()
  await page.goto("/")
  await page.waitForURL(/\/sign-in\?next=/)
  await page.getByLabel("API key").fill(key)
  await page.getByRole("button", { name: "Sign in" }).click()
  await page.waitForURL(`${server.origin}/`)
  return { context, page }
}

/** Serious and critical axe-core violations of the page as loaded. */
const accessibilityProblems = async (page: Page) => {
  await page.evaluate(axeSource)
  const results = await page.evaluate(() =>
    (
      globalThis as unknown as {
        axe: {
          run: () => Promise<{
            violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }>
          }>
        }
      }
    ).axe.run()
  )
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`)
}

beforeAll(async () => {
  if (!postgres) return
  mkdirSync(screenshots, { recursive: true })
  demo = await startDemoServer({ port: 0 })
  server = await startAppServer({
    DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
    ARMATURE_SECRET_KEY: Buffer.alloc(32, 9).toString("base64"),
    ARMATURE_ALLOW_LOOPBACK: "true"
  })
  keys.owner = await server.key("owner")
  keys.editor = await server.key("editor")
  keys.viewer = await server.key("viewer")
  const registered = await rest(keys.owner, "POST", "/mcp-servers", { name: "demo-shop", baseUrl: demo.url })
  expect(registered.status).toBe(201)
  serverId = registered.body.server.id
  const monitor = await rest(keys.editor, "POST", "/monitors", {
    name: "Order lookup",
    mcpServerId: serverId,
    toolName: "get_order",
    arguments: { orderId: "A-1001" },
    intervalSeconds: 10
  })
  expect(monitor.status).toBe(201)
  monitorId = monitor.body.id
  const workflow = await rest(keys.editor, "POST", "/workflows", {
    name: "Customer can look up an order",
    mcpServerId: serverId,
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [{ text: "The agent looked the order up with get_order" }],
    assertions: [{ type: "tool_called", tool: "get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
  expect(workflow.status).toBe(201)
  workflowId = workflow.body.id
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await demo?.close()
  await Effect.runPromise(Scope.close(database, Exit.void))
}, 60_000)

describe.runIf(postgres)("the dashboard in Chromium", () => {
  it("sends a visitor to sign in, refuses a wrong key without echoing it, and signs in with a good one", async () => {
    const context = await browser.newContext({ baseURL: server.origin })
    const page = await context.newPage()
    await page.goto("/monitors")
    await page.waitForURL(/\/sign-in\?next=%2Fmonitors/)
    await page.getByLabel("API key").fill("amt_notakey_secretsecret")
    await page.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not valid")
    expect(await page.content()).not.toContain("secretsecret")
    await page.getByLabel("API key").fill(keys.viewer)
    await page.getByRole("button", { name: "Sign in" }).click()
    await page.waitForURL(`${server.origin}/monitors`)
    const cookie = (await context.cookies()).find((c) => c.name === "armature_session")
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" })
    expect(cookie?.value).not.toContain(keys.viewer.slice(4, 16))
    // Signing out ends the session in this browser.
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.waitForURL(/\/sign-in/)
    await page.goto("/")
    await page.waitForURL(/\/sign-in/)
    await context.close()
  })

  it("shows the demo server's monitor with its chart, and turns it red after the regression without a reload", async () => {
    const { context, page } = await signedIn(keys.viewer)
    await page.goto("/monitors")
    const row = page.getByRole("row", { name: /Order lookup/ })
    // The scheduler checks the new monitor at once; the page refreshes itself.
    await expect.poll(() => row.textContent(), { timeout: 40_000, interval: 500 }).toContain("healthy")
    await page.getByRole("link", { name: "Order lookup" }).click()
    await page.waitForURL(`${server.origin}/monitors/${monitorId}`)
    const chart = page.getByRole("img", { name: /latency over the last 24h/ })
    await expect.poll(() => chart.count()).toBe(1)
    expect(await page.locator("svg.chart circle").count()).toBeGreaterThan(0)
    await page.getByRole("link", { name: "1h", exact: true }).click()
    await expect.poll(() => page.getByRole("img", { name: /latency over the last 1h/ }).count()).toBe(1)
    await page.screenshot({ path: join(screenshots, "monitor.png"), fullPage: true })

    await page.goto("/monitors")
    await fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: '{"on":true}' })
    try {
      const navigations: string[] = []
      page.on("framenavigated", (frame) => navigations.push(frame.url()))
      await expect
        .poll(() => row.textContent(), { timeout: 45_000, interval: 500 })
        .toMatch(/failing|erroring/)
      expect(navigations).toEqual([])
    } finally {
      await fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: '{"on":false}' })
    }
    await context.close()
  }, 120_000)

  it("runs a workflow from its page and reads each criterion's reasoning and the trace", async () => {
    const { context, page } = await signedIn(keys.editor)
    await page.goto(`/workflows/${workflowId}`)
    await page.getByRole("button", { name: "Run now" }).click()
    await page.waitForURL(/\/runs\//)
    // The worker runs it with the scripted models; the run page refreshes itself until it ends.
    await expect
      .poll(() => page.locator("dl.facts dd").first().textContent(), { timeout: 60_000, interval: 500 })
      .toMatch(/^pass/)
    const text = await page.locator("main").textContent()
    expect(text).toContain("The agent looked the order up with get_order")
    expect(text).toContain("It looked the order up.")
    expect(text).toContain("Find order A-1001 and tell the customer its status and total.")
    expect(text).toContain("scripted:tester")
    await page.getByText("Arguments").first().click()
    expect(await page.locator(".timeline").last().textContent()).toContain("get_order")
    expect(await page.locator(".timeline").last().textContent()).toContain('"orderId": "A-1001"')
    await page.screenshot({ path: join(screenshots, "run.png"), fullPage: true })
    await context.close()
  }, 120_000)

  it("creates an API key, shows its secret once, and revokes it", async () => {
    const { context, page } = await signedIn(keys.owner)
    await page.goto("/settings")
    await page.getByLabel("New key's name").fill("ci pipeline")
    await page.getByLabel("New key's role").selectOption("viewer")
    await page.getByRole("button", { name: "Create key" }).click()
    const secret = (await page.getByTestId("new-key").textContent())?.trim() ?? ""
    expect(secret).toMatch(/^amt_/)
    expect((await rest(secret, "GET", "/monitors")).status).toBe(200)
    // Shown once: the settings page never shows it again.
    await page.goto("/settings")
    expect(await page.content()).not.toContain(secret)
    await page
      .getByRole("row", { name: /ci pipeline/ })
      .getByRole("button", { name: /Revoke/ })
      .click()
    await page.waitForURL(`${server.origin}/settings`)
    expect(await page.getByRole("row", { name: /ci pipeline/ }).count()).toBe(0)
    expect((await rest(secret, "GET", "/monitors")).status).toBe(401)
    await context.close()
  })

  it("shows a viewer no Run now, and refuses a forged POST without the CSRF token", async () => {
    const { context, page } = await signedIn(keys.viewer)
    await page.goto(`/workflows/${workflowId}`)
    expect(await page.getByRole("heading", { name: "Customer can look up an order" }).count()).toBe(1)
    expect(await page.getByRole("button", { name: "Run now" }).count()).toBe(0)
    expect(await page.getByRole("button", { name: "Pause" }).count()).toBe(0)
    const before = (await rest(keys.owner, "GET", `/runs?workflowId=${workflowId}`)).body.items.length
    // The session cookie goes along, the token does not: nothing runs.
    const forged = await page.request.post(`/workflows/${workflowId}/run`, { form: { other: "x" } })
    expect(forged.status()).toBe(403)
    expect(await forged.text()).toContain("CSRF")
    // With the token, a viewer is still below the role Run now needs.
    const csrf = await page.locator("input[name=csrf]").first().inputValue()
    const refused = await page.request.post(`/workflows/${workflowId}/run`, { form: { csrf } })
    expect(refused.status()).toBe(403)
    expect(await refused.text()).toContain("editor")
    expect((await rest(keys.owner, "GET", `/runs?workflowId=${workflowId}`)).body.items.length).toBe(before)
    await context.close()
  })

  it("has no serious accessibility problems on the main pages, and fits a 390 px wide phone", async () => {
    const { context, page } = await signedIn(keys.owner)
    const runs = (await rest(keys.owner, "GET", `/runs?workflowId=${workflowId}`)).body.items
    const pages = [
      "/",
      "/workflows",
      `/workflows/${workflowId}`,
      "/monitors",
      `/monitors/${monitorId}`,
      "/servers",
      "/alerts",
      "/settings"
    ]
    if (runs.length > 0) pages.push(`/runs/${runs[0].runId}`)
    for (const path of pages) {
      await page.goto(path)
      expect({ path, problems: await accessibilityProblems(page) }).toEqual({ path, problems: [] })
    }
    await context.close()

    const phone = await signedIn(keys.owner, { width: 390 })
    for (const path of ["/", "/monitors", `/workflows/${workflowId}`]) {
      await phone.page.goto(path)
      const width = await phone.page.evaluate(() => document.documentElement.scrollWidth)
      expect({ path, width }).toEqual({ path, width: 390 })
    }
    await phone.page.goto("/")
    await phone.page.screenshot({ path: join(screenshots, "overview-phone.png"), fullPage: true })
    await phone.context.close()
    const wide = await signedIn(keys.owner)
    await wide.page.screenshot({ path: join(screenshots, "overview.png"), fullPage: true })
    await wide.context.close()
  }, 120_000)

  it("shows a server's drift with what changed and the tests it affects", async () => {
    const regression = (on: boolean) =>
      fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: JSON.stringify({ on }) })
    await regression(true)
    try {
      expect((await rest(keys.owner, "POST", `/mcp-servers/${serverId}/sync`)).status).toBe(200)
      const { context, page } = await signedIn(keys.viewer)
      await page.goto("/servers")
      await page.getByRole("link", { name: "demo-shop" }).click()
      const history = (await page.locator("ol.timeline").textContent()) ?? ""
      expect(history).toContain("breaking")
      expect(history).toContain("get_order")
      const affected = page.locator("ol.timeline li li", { hasText: "Affects" }).first()
      expect(await affected.getByRole("link", { name: "Order lookup" }).count()).toBe(1)
      await page.screenshot({ path: join(screenshots, "server.png"), fullPage: true })
      await context.close()
    } finally {
      await regression(false)
    }
  })
})

export type { BrowserContext }
