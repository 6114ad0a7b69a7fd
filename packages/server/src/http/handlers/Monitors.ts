/**
 * `/monitors`: create and edit (arguments validated against the tool's input schema by core),
 * pause/resume, mute/unmute, delete (archives it: its checks stay readable, `?state=archived`
 * lists it), reads, and the check history with success rate and latency percentiles over
 * 1 h / 24 h / 7 d.
 */
import { Monitor, Monitors, StoredMonitorState } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import * as S from "../ApiSchemas.js"
import { asCaller, respondWith, withBody } from "./caller.js"
import * as Params from "./queryParams.js"

const monitorPage = respondWith(S.MonitorPage)
const monitor = respondWith(Monitor)

export const layer = HttpApiBuilder.group(ArmatureApi, "monitors", (handlers) =>
  handlers
    .handleRaw("create", ({ request }) => withBody(request, Monitors.create))
    .handle("list", ({ urlParams }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const state = yield* Params.oneOf("state", urlParams.state, StoredMonitorState.literals)
          return yield* Monitors.list(caller, {
            ...(urlParams.mcpServerId === undefined ? {} : { mcpServerId: urlParams.mcpServerId }),
            ...(state === undefined ? {} : { state }),
            ...(yield* Params.page(urlParams))
          })
        }).pipe(Effect.map(monitorPage))
      )
    )
    .handle("get", ({ path }) => asCaller((caller) => Effect.map(Monitors.get(caller, path.id), monitor)))
    .handleRaw("update", ({ path, request }) =>
      withBody(request, (caller, body) => Monitors.update(caller, path.id, body))
    )
    .handle("pause", ({ path }) => asCaller((caller) => Monitors.setState(caller, path.id, "paused")))
    .handle("resume", ({ path }) => asCaller((caller) => Monitors.setState(caller, path.id, "active")))
    .handle("mute", ({ path }) => asCaller((caller) => Monitors.setMuted(caller, path.id, true)))
    .handle("unmute", ({ path }) => asCaller((caller) => Monitors.setMuted(caller, path.id, false)))
    .handle("delete", ({ path }) => asCaller((caller) => Monitors.remove(caller, path.id)))
    .handle("checks", ({ path, urlParams }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const limit = yield* Params.integer("limit", urlParams.limit, { min: 1, max: 1000 })
          const since = yield* Params.instant("since", urlParams.since)
          const items = yield* Monitors.checks(caller, path.id, {
            ...(limit === undefined ? {} : { limit }),
            ...(since === undefined ? {} : { since })
          })
          const stats = yield* Monitors.stats(caller, path.id)
          return { items, stats }
        })
      )
    )
)
