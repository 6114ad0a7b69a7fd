/**
 * Armature for applications that do not use Effect: every method returns a Promise, and a
 * refusal rejects with an `ArmatureError` whose `code` is the API's (`validation_failed`,
 * `forbidden`, `not_found`, …), with the offending fields in `details.fieldErrors`.
 *
 * ```ts
 * const armature = await createArmature({ database: { url, secretKey } })
 * const { server } = await armature.registerServer({ name: "shop", transport: "streamable_http", url })
 * await armature.start() // the scheduler, runs and monitor checks, alert delivery
 * app.all("/api/armature/*path", armature.nodeHandler) // the REST and MCP APIs in your server
 * await armature.dispose()
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import {
  ApiKeys,
  type ErrorCode,
  type ErrorDetails,
  isErrorCode,
  Monitors,
  Runs,
  Servers,
  toApiErrorBody,
  Workflows
} from "@armature/core"
import { HttpApp } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Duration, Effect, Exit, Layer, ManagedRuntime, Option, Schedule, Scope } from "effect"
import * as Armature from "./Armature.js"
import type { Options } from "./Options.js"

/** A refusal or failure of an Armature call, as the REST API would answer it. */
export class ArmatureError extends Error {
  override readonly name = "ArmatureError"
  /** The API error code: `validation_failed`, `forbidden_role`, `run_not_found`, `conflict`, `internal_error`… */
  readonly code: ErrorCode
  /** `fieldErrors` of a `validation_failed`, `retryAfterSeconds` of a `rate_limited`, … */
  readonly details: ErrorDetails | undefined
  constructor(
    body: { code: string; message: string; details?: ErrorDetails },
    options?: { cause?: unknown }
  ) {
    super(body.message, options)
    this.code = isErrorCode(body.code) ? body.code : "internal_error"
    this.details = body.details
  }
}

/** The expected failure of `cause` as an `ArmatureError`; a defect as `internal_error`. */
const toError = (cause: Cause.Cause<unknown>): ArmatureError =>
  Option.match(Cause.failureOption(cause), {
    onSome: (error) =>
      error instanceof ArmatureError ? error : new ArmatureError(toApiErrorBody(error), { cause: error }),
    onNone: () =>
      new ArmatureError(
        { code: "internal_error", message: "Armature failed unexpectedly; the cause is attached." },
        { cause: Cause.squash(cause) }
      )
  })

type Input<F extends (caller: never, input: never, ...rest: never[]) => unknown> = Parameters<F>[1]
type Success<F extends (...args: never[]) => Effect.Effect<unknown, unknown, unknown>> =
  Effect.Effect.Success<ReturnType<F>>

/** Armature in this process: its use cases as the organization's owner, its routes, its background work. */
export interface ArmatureInstance {
  /** The organization every call acts in. */
  readonly organizationId: string
  /** The owner's API key when this start created the organization (shown this once); otherwise null. */
  readonly ownerKey: string | null
  /** Registers an MCP server and probes it (`POST /servers`). */
  readonly registerServer: (
    input: Input<typeof Servers.register>
  ) => Promise<Success<typeof Servers.register>>
  /** Creates a workflow, version 1 (`POST /workflows`). */
  readonly createWorkflow: (
    input: Input<typeof Workflows.create>
  ) => Promise<Success<typeof Workflows.create>>
  /** Creates a monitor; its first check is due at once (`POST /monitors`). */
  readonly createMonitor: (input: Input<typeof Monitors.create>) => Promise<Success<typeof Monitors.create>>
  /** A page of monitors (`GET /monitors`). */
  readonly listMonitors: (filter?: Input<typeof Monitors.list>) => Promise<Success<typeof Monitors.list>>
  /** A monitor's checks, newest first. */
  readonly monitorChecks: (
    monitorId: string,
    options?: { readonly limit?: number }
  ) => Promise<Success<typeof Monitors.checks>>
  /**
   * Waits for the monitor's first check started at or after `after` (default: now; the worker
   * must be `start`ed), at most `timeoutSeconds` (default 60), then rejects with `run_wait_timeout`.
   */
  readonly waitForCheck: (
    monitorId: string,
    options?: { readonly after?: Date; readonly timeoutSeconds?: number }
  ) => Promise<Success<typeof Monitors.checks>[number]>
  /**
   * Dispatches a run of a workflow and, with `waitSeconds`, waits until it is terminal (the worker
   * must be `start`ed); without, returns it queued.
   */
  readonly runWorkflow: (
    input: Input<typeof Runs.dispatch> & { readonly waitSeconds?: number }
  ) => Promise<Success<typeof Runs.get>>
  /** One run with its trace, verdicts and usage. */
  readonly getRun: (runId: string) => Promise<Success<typeof Runs.get>>
  /** Runs, newest first, filtered and paginated (`search_runs`). */
  readonly searchRuns: (filter?: Input<typeof Runs.search>) => Promise<Success<typeof Runs.search>>
  /** A new API key of the organization (`{ name, role }`), for the REST and MCP APIs; its token is shown once. */
  readonly createApiKey: (input: Input<typeof ApiKeys.create>) => Promise<Success<typeof ApiKeys.create>>
  /**
   * The REST API (`/api/armature/v1/…`), the MCP API (`/api/mcp`), the dashboard (`/`) and health
   * (`/healthz`) as a Web-standard handler, to mount at those paths in any server.
   */
  readonly fetch: (request: Request) => Promise<Response>
  /** The same routes as a Node `(req, res)` listener, with the client's address for its rate limits. */
  readonly nodeHandler: (request: IncomingMessage, response: ServerResponse) => void
  /** Starts the scheduler, the worker (runs and monitor checks), alert delivery and retention. */
  readonly start: () => Promise<void>
  /** Stops them: the scheduler first, then the worker drains its runs in flight. */
  readonly stop: () => Promise<void>
  /** Stops, then closes the store and every connection. */
  readonly dispose: () => Promise<void>
  /** The runtime, for code that does use Effect: `armature.runtime.runPromise(program)`. */
  readonly runtime: ManagedRuntime.ManagedRuntime<Armature.Services, Armature.LayerError>
}

const POLL = Duration.millis(250)

/**
 * Opens the store (running its migrations), creates the organization on the first start, and
 * returns Armature ready to call; nothing runs in the background until `start`.
 */
export const createArmature = async (options: Options): Promise<ArmatureInstance> => {
  const layer = Layer.provideMerge(Armature.routes, Armature.layer(options))
  const runtime = ManagedRuntime.make(layer)
  const call = <A, E>(effect: Effect.Effect<A, E, Layer.Layer.Success<typeof layer>>): Promise<A> =>
    runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw toError(exit.cause)
    })

  const opened = await call(
    Effect.gen(function* () {
      const org = yield* Armature.bootstrap(options.organization)
      if (options.apply !== undefined) yield* Armature.apply(options.apply)
      const app = yield* Armature.httpApp
      return { org, app, nodeHandler: yield* NodeHttpServer.makeHandler(app) }
    })
  ).catch(async (error) => {
    await runtime.dispose()
    throw error
  })
  const { caller } = opened.org
  const fetch = HttpApp.toWebHandlerRuntime(await runtime.runtime())(opened.app)

  let background: Scope.CloseableScope | undefined
  const stop = async () => {
    const scope = background
    background = undefined
    if (scope !== undefined) await runtime.runPromise(Scope.close(scope, Exit.void))
  }

  return {
    organizationId: opened.org.organizationId,
    ownerKey: opened.org.ownerKey,
    registerServer: (input) => call(Servers.register(caller, input)),
    createWorkflow: (input) => call(Workflows.create(caller, input)),
    createMonitor: (input) => call(Monitors.create(caller, input)),
    listMonitors: (filter) => call(Monitors.list(caller, filter)),
    monitorChecks: (monitorId, o = {}) =>
      call(Monitors.checks(caller, monitorId, o.limit === undefined ? {} : { limit: o.limit })),
    waitForCheck: (monitorId, o = {}) => {
      const after = o.after ?? new Date()
      const seconds = o.timeoutSeconds ?? 60
      return call(
        // The oldest check since `after` is wanted, and checks come newest first: few exist yet.
        Effect.map(Monitors.checks(caller, monitorId, { since: after, limit: 1000 }), (checks) =>
          checks.at(-1)
        ).pipe(
          Effect.flatMap((check) =>
            check === undefined ? Effect.fail("none" as const) : Effect.succeed(check)
          ),
          Effect.retry({ schedule: Schedule.spaced(POLL), while: (e) => e === "none" }),
          Effect.timeoutFail({
            duration: Duration.seconds(seconds),
            onTimeout: () =>
              new ArmatureError({
                code: "run_wait_timeout",
                message: `No check of monitor ${monitorId} within ${seconds} s: is the worker started?`
              })
          })
        )
      )
    },
    runWorkflow: ({ waitSeconds, ...input }) =>
      call(
        Effect.flatMap(Runs.dispatch(caller, input), ({ run }) =>
          waitSeconds === undefined ? Effect.succeed(run) : Runs.waitForTerminal(caller, run.id, waitSeconds)
        )
      ),
    getRun: (runId) => call(Runs.get(caller, runId)),
    searchRuns: (filter) => call(Runs.search(caller, filter)),
    createApiKey: (input) => call(ApiKeys.create(caller, input)),
    fetch: (request) => fetch(request),
    nodeHandler: opened.nodeHandler,
    start: async () => {
      if (background !== undefined) return
      const scope = await runtime.runPromise(Scope.make())
      background = scope
      await call(Layer.buildWithScope(Armature.background, scope)).catch(async (error) => {
        await stop()
        throw error
      })
    },
    stop,
    dispose: async () => {
      await stop()
      await runtime.dispose()
    },
    runtime
  }
}
