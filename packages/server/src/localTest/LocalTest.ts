/**
 * `armature test`: runs a config file's monitors and workflows once, locally, for CI. The file is
 * applied to a fresh in-memory store and everything runs through the same code as the server —
 * the monitor check, and the run job with its tester agent and judge — so a pass here means what
 * a pass means in production.
 */
import {
  type Caller,
  ConfigApply,
  ConfigFile,
  type Ids,
  LanguageModels,
  type McpServer,
  type Monitor,
  type MonitorCheck as MonitorCheckRecord,
  MonitorStore,
  Poisoning,
  profilesInOrder,
  type Run,
  Runs,
  type SecretInArguments,
  ServerStore,
  type StoreError,
  type ValidationFailed,
  type Workflow,
  WorkflowStore
} from "@armature/core"
import { MonitorCheck, RunJob, type SessionPool } from "@armature/runner"
import { Clock, Effect, Either, Option } from "effect"
import * as Bootstrap from "../app/Bootstrap.js"

export type CaseStatus = "pass" | "fail" | "error" | "skipped"

/**
 * One result: a server's tool-poisoning scan, a monitor check, or one run of a workflow with one
 * tester model.
 */
export interface CaseResult {
  readonly kind: "server" | "monitor" | "workflow"
  /** `tool-poisoning scan`, the monitor's name, or the workflow's name and tester model. */
  readonly name: string
  /** The MCP server it ran against. */
  readonly server: string
  readonly status: CaseStatus
  readonly durationMs: number
  /** Why it did not pass, or what it found (one line). */
  readonly message: string
  /** More lines for a failure: the criteria and assertions that failed. */
  readonly details: ReadonlyArray<string>
}

/** Types a literal as a `CaseResult`, so monitor and workflow cases mix in one list. */
const caseResult = (result: CaseResult): CaseResult => result

const elapsed = (started: number) => Effect.map(Clock.currentTimeMillis, (now) => now - started)

const serverNameOf = (orgId: string, serverId: string) =>
  Effect.map(
    Effect.flatMap(ServerStore, (s) => s.getServer(orgId, serverId)),
    Option.match({ onNone: () => serverId, onSome: (s) => s.name })
  )

/** `1 tool`, `2 tools`. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/**
 * The tool-poisoning scan of each reachable server's catalog, as the server's drift detection
 * runs it (look-alike names compared with the file's other servers): any finding fails the test,
 * since a description written to steer the model is the "rug pull" CI should stop.
 */
const scanCatalogs = (orgId: string, servers: ReadonlyArray<McpServer>) =>
  Effect.gen(function* () {
    const store = yield* ServerStore
    const catalogs = yield* Effect.forEach(
      servers.filter((s) => s.state !== "unreachable"),
      (server) =>
        Effect.map(store.latestCatalog(orgId, server.id), (c) => ({
          server,
          tools: Option.match(c, { onNone: () => [], onSome: (v) => v.tools })
        }))
    )
    return catalogs.map(({ server, tools }) => {
      const others = catalogs
        .filter((c) => c.server.id !== server.id)
        .map((c) => ({ server: c.server.name, tools: c.tools }))
      const findings = Poisoning.scan(tools, { others })
      const base = {
        kind: "server",
        name: "tool-poisoning scan",
        server: server.name,
        durationMs: 0
      } as const
      if (findings.length === 0) {
        return caseResult({
          ...base,
          status: "pass",
          message: `${plural(tools.length, "tool")} scanned: nothing suspicious`,
          details: []
        })
      }
      const lines = findings.map((f) => `${f.tool}: ${Poisoning.describe(f)}`)
      return caseResult({
        ...base,
        status: "fail",
        message: `${plural(findings.length, "suspicious finding")}: ${lines[0]}`,
        details: lines
      })
    })
  })

/** What else fails a run besides failed and errored checks: `degraded` makes a check over its `degradedAboveMs` fail. */
export interface Options {
  readonly failOn?: ReadonlyArray<"degraded">
}

/** A check's line when it got an answer: how fast, and any latency budget it went over. */
const answered = (tools: string, check: MonitorCheckRecord, monitor: Monitor) =>
  `${tools} answered in ${Math.round(check.latencyMs)} ms${check.outcome === "degraded" ? ` (degraded: over the degradedAboveMs budget of ${monitor.degradedAboveMs} ms)` : ""}`

const checkMonitor = (
  monitor: Monitor,
  options: Options = {}
): Effect.Effect<CaseResult, StoreError, ServerStore | SessionPool.SessionPool | Ids> =>
  Effect.gen(function* () {
    const store = yield* ServerStore
    const started = yield* Clock.currentTimeMillis
    const stored = yield* store.getServer(monitor.orgId, monitor.mcpServerId)
    if (Option.isNone(stored)) {
      // Cannot happen after apply (a monitor needs its server); reported, never thrown.
      return caseResult({
        kind: "monitor",
        name: monitor.name,
        server: monitor.mcpServerId,
        status: "error",
        durationMs: 0,
        message: "its server is not stored",
        details: []
      })
    }
    const server = stored.value
    const profiles = yield* store.listAuthProfiles(monitor.orgId, server.id)
    const profile =
      profiles.find((p) => p.id === monitor.authProfileId) ?? profilesInOrder(profiles)[0] ?? null
    // The catalog's output schemas are checked on every monitor call, as in the worker.
    const catalog = Option.getOrNull(yield* store.latestCatalog(monitor.orgId, server.id))
    const check = yield* MonitorCheck.execute({
      monitor,
      server,
      profile,
      scheduledAt: new Date(started),
      tools: catalog?.tools ?? []
    })
    const tools = [monitor.toolName, ...monitor.nextSteps.map((s) => s.toolName)].join(" → ")
    const durationMs = yield* elapsed(started)
    const base = { kind: "monitor", name: monitor.name, server: server.name, durationMs } as const
    if (check.outcome === "degraded" && options.failOn?.includes("degraded")) {
      return caseResult({
        ...base,
        status: "fail",
        message: `${tools}: degraded: answered in ${Math.round(check.latencyMs)} ms, over the degradedAboveMs budget of ${monitor.degradedAboveMs} ms (--fail-on degraded)`,
        details: []
      })
    }
    const passed = check.outcome === "pass" || check.outcome === "degraded"
    return caseResult({
      ...base,
      status: passed ? "pass" : check.outcome === "fail" ? "fail" : "error",
      message: passed
        ? answered(tools, check, monitor)
        : `${tools}: ${check.error ?? check.resultExcerpt ?? check.outcome}`,
      details: passed || check.resultExcerpt === null ? [] : [check.resultExcerpt]
    })
  })

/** Why a run did not pass, line by line: its error, or the failed criteria and assertions. */
const failuresOf = (run: Run): ReadonlyArray<string> => [
  ...(run.error ? [`${run.error.code}: ${run.error.message}`] : []),
  ...run.criteria
    .filter((c) => c.required && c.verdict !== "pass")
    .map((c) => `criterion ${c.verdict}: ${c.text} — ${c.reasoning}`),
  ...run.assertions
    .filter((a) => a.required && !a.passed)
    .map((a) => `assertion ${a.type} failed: ${a.message}`)
]

/** The first of `models` the deployment cannot resolve, if any. */
const missingModel = (models: ReadonlyArray<string>) =>
  Effect.flatMap(LanguageModels, (languageModels) =>
    Effect.findFirst(models, (id) => Effect.map(Effect.either(languageModels.resolve(id)), Either.isLeft))
  )

const notConfigured = (model: string) =>
  `model ${model} is not configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible endpoint)`

const runWorkflow = <R>(caller: Caller, workflow: Workflow, testerModel: string, progress: Progress<R>) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const name = `${workflow.spec.name} [${testerModel}]`
    const server = yield* serverNameOf(workflow.orgId, workflow.spec.mcpServerId)
    yield* progress.started({ kind: "workflow", name, server })
    const { run } = yield* Runs.dispatch(caller, {
      workflowId: workflow.id,
      testerModel,
      trigger: "ci",
      reason: "armature test"
    })
    const executed = yield* RunJob.executeRun(caller.orgId, run.id, 1)
    const ended = executed.run ?? run
    const failures = failuresOf(ended)
    const passedCriteria = ended.criteria.filter((c) => c.verdict === "pass").length
    return caseResult({
      kind: "workflow",
      name,
      server,
      status: ended.status === "pass" ? "pass" : ended.status === "error" ? "error" : "fail",
      durationMs: yield* elapsed(started),
      message:
        ended.status === "pass"
          ? `${passedCriteria}/${ended.criteria.length} criteria passed, ${ended.toolCalls.length} tool calls`
          : `run ${ended.status}${failures[0] ? `: ${failures[0]}` : ""}`,
      details: failures
    })
  })

/** Where `run` reports as it goes: a case that takes a while (a workflow run) starting, and every result. */
export interface Progress<R> {
  readonly started: (what: Pick<CaseResult, "kind" | "name" | "server">) => Effect.Effect<void, never, R>
  readonly finished: (result: CaseResult) => Effect.Effect<void, never, R>
}

/**
 * Applies the file to the (empty) store, scans every reachable server's tools for poisoning, then
 * checks every monitor and runs every workflow once per tester model, reporting each result as it
 * completes. Workflows whose models are not
 * configured are skipped, with how to configure them. With `failOn: ["degraded"]`, a monitor
 * slower than its `degradedAboveMs` fails.
 */
export const run = <R>(config: ConfigFile.ConfigFile, progress: Progress<R>, options: Options = {}) =>
  Effect.gen(function* () {
    yield* Bootstrap.bootstrap
    const caller = yield* Bootstrap.operator
    // Servers first: what runs against a server that cannot be reached is reported as an error
    // of its own, instead of stopping the whole test at the first unreachable server.
    yield* ConfigApply.apply(caller, { servers: config.servers, workflows: [], monitors: [] })
    const servers = yield* Effect.flatMap(ServerStore, (s) => s.listServers(caller.orgId))
    const scans = yield* scanCatalogs(caller.orgId, servers)
    yield* Effect.forEach(scans, progress.finished)
    const down = new Map(
      servers.filter((s) => s.state === "unreachable").map((s) => [ConfigFile.nameKey(s.name), s] as const)
    )
    // What cannot run is reported as a case of its own instead of stopping the whole test: an
    // entry on an unreachable server is an error; a workflow run whose model is not configured
    // is skipped; an entry that validation rejects fails — most often because the server's
    // tools no longer match it, the contract change Armature exists to catch.
    const blocked: CaseResult[] = []
    const block = (
      kind: CaseResult["kind"],
      names: ReadonlyArray<string>,
      server: string,
      status: CaseStatus,
      message: string
    ) => {
      for (const name of names) {
        blocked.push(caseResult({ kind, name, server, status, durationMs: 0, message, details: [] }))
      }
    }
    // Each entry is applied alone, as the one entry of its list: its field errors are renumbered
    // to its place in the file (`monitors[2].arguments.x`, not `monitors[0]…`).
    const apply = (
      entry: ConfigFile.MonitorEntry | ConfigFile.WorkflowEntry,
      index: number,
      only: Partial<ConfigFile.ConfigFile>
    ) => {
      const list = "testerModels" in entry ? "workflows" : "monitors"
      const inFile = (field: string) =>
        field.startsWith(`${list}[0]`) ? `${list}[${index}]${field.slice(`${list}[0]`.length)}` : field
      const rejected = (e: ValidationFailed | SecretInArguments) =>
        Effect.sync(() => {
          const fields = e.fieldErrors.map((f) => `${inFile(f.field)}: ${f.message}`).join("; ")
          const names =
            "testerModels" in entry ? entry.testerModels.map((m) => `${entry.name} [${m}]`) : [entry.name]
          block(
            "testerModels" in entry ? "workflow" : "monitor",
            names,
            entry.server,
            "fail",
            `rejected: ${fields}`
          )
        })
      return ConfigApply.apply(caller, {
        servers: config.servers,
        workflows: [],
        monitors: [],
        ...only
      }).pipe(Effect.catchTags({ ValidationFailed: rejected, SecretInArguments: rejected }))
    }
    const unreachable = (server: string) => down.get(ConfigFile.nameKey(server))
    for (const [index, monitor] of config.monitors.entries()) {
      const server = unreachable(monitor.server)
      if (server !== undefined) {
        block(
          "monitor",
          [monitor.name],
          monitor.server,
          "error",
          `server unreachable: ${server.lastProbeError ?? "no answer"}`
        )
      } else yield* apply(monitor, index, { monitors: [monitor] })
    }
    for (const [index, workflow] of config.workflows.entries()) {
      const runName = (model: string) => `${workflow.name} [${model}]`
      const server = unreachable(workflow.server)
      if (server !== undefined) {
        const message = `server unreachable: ${server.lastProbeError ?? "no answer"}`
        block("workflow", workflow.testerModels.map(runName), workflow.server, "error", message)
        continue
      }
      // Runs whose model the deployment lacks are skipped the same way whether or not any model
      // is configured; the others run (so `runWorkflow` only ever sees configured models).
      const testers: string[] = []
      for (const model of workflow.testerModels) {
        const missing = yield* missingModel([workflow.judgeModel, model])
        if (Option.isSome(missing))
          block("workflow", [runName(model)], workflow.server, "skipped", notConfigured(missing.value))
        else testers.push(model)
      }
      if (testers.length > 0)
        yield* apply(workflow, index, { workflows: [{ ...workflow, testerModels: testers }] })
    }
    yield* Effect.forEach(blocked, progress.finished)
    const monitors = yield* Effect.flatMap(MonitorStore, (s) => s.listMonitors(caller.orgId))
    const workflows = yield* Effect.flatMap(WorkflowStore, (s) => s.listWorkflows(caller.orgId))
    // Monitors first: they are quick, and a broken server shows before any model is paid for.
    const checked = yield* Effect.forEach(
      monitors,
      (m) => Effect.tap(checkMonitor(m, options), progress.finished),
      {
        concurrency: 4
      }
    )
    const runs = workflows.flatMap((w) => w.spec.testerModels.map((model) => [w, model] as const))
    const ran = yield* Effect.forEach(
      runs,
      ([w, model]) => Effect.tap(runWorkflow(caller, w, model, progress), progress.finished),
      {
        concurrency: 2
      }
    )
    return [...scans, ...blocked, ...checked, ...ran]
  })

/** Whether a CI job should fail: any case that failed or errored (skipped ones do not). */
export const failed = (results: ReadonlyArray<CaseResult>): boolean =>
  results.some((r) => r.status === "fail" || r.status === "error")
