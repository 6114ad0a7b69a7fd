/**
 * Armature from an Effect program: the use cases of `@armature/core` over the adapters
 * `Armature.layer` chooses, and the background work (`Armature.background`) for the life of a
 * scope. Same job as `monitor-script.ts`: register a server, create a monitor, get its first check.
 */
import { Monitors, Servers } from "@armature/core"
import { Armature } from "@armature/server"
import { Duration, Effect, Layer, Schedule } from "effect"

// #region layer
/** Registers the server at `mcpUrl`, monitors one of its tools and returns the first check. */
const firstCheck = (mcpUrl: string) =>
  Effect.gen(function* () {
    // The organization (created on the first start) and a caller acting as its owner.
    const { caller } = yield* Armature.bootstrap({ orgName: "Shop" })
    const { server } = yield* Servers.register(caller, {
      name: "demo-shop",
      transport: "streamable_http",
      baseUrl: mcpUrl
    })
    const monitor = yield* Monitors.create(caller, {
      name: "Order lookup answers",
      mcpServerId: server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 60
    })
    // The scheduler and the worker, until this program's scope closes.
    yield* Layer.build(Armature.background)
    return yield* Monitors.checks(caller, monitor.id, { limit: 1 }).pipe(
      Effect.flatMap((checks) => Effect.fromNullable(checks[0])),
      Effect.retry(Schedule.spaced(Duration.millis(250))),
      Effect.timeout(Duration.seconds(30))
    )
  }).pipe(Effect.scoped)

const ArmatureLive = Armature.layer({
  database: "memory", // or { url, secretKey }, or { dataDir }
  network: { allowLoopback: true }
})

export const main = (mcpUrl: string) =>
  Effect.runPromise(firstCheck(mcpUrl).pipe(Effect.provide(ArmatureLive)))
// #endregion layer
