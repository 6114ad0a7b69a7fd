/**
 * `/mcp-servers`: registration with a live probe, connection changes (probed again), reads,
 * probes, catalog sync (admin), catalog history and coverage, monitor suggestions, auth profiles
 * and their secrets — each a call of the matching core use case.
 */
import { Coverage, Monitors, Servers, Validation } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import * as S from "../ApiSchemas.js"
import { asCaller } from "./caller.js"
import * as Params from "./queryParams.js"

export const layer = HttpApiBuilder.group(ArmatureApi, "servers", (handlers) =>
  handlers
    // A failed probe still registers the server (state `unreachable`): the outcome is in `probe`.
    .handle("create", ({ payload }) => asCaller((caller) => Servers.register(caller, payload)))
    .handle("list", () => asCaller((caller) => Effect.map(Servers.list(caller), (items) => ({ items }))))
    .handle("get", ({ path }) => asCaller((caller) => Servers.get(caller, path.id)))
    .handle("update", ({ path, payload }) => asCaller((caller) => Servers.update(caller, path.id, payload)))
    .handle("listAuthProfiles", ({ path }) =>
      asCaller((caller) =>
        Effect.map(Servers.get(caller, path.id), ({ authProfiles }) => ({ items: authProfiles }))
      )
    )
    .handle("monitorSuggestions", ({ path }) =>
      asCaller((caller) => Effect.map(Monitors.suggestions(caller, path.id), (items) => ({ items })))
    )
    .handle("probe", ({ path, payload }) =>
      asCaller((caller) =>
        Effect.flatMap(Validation.decode(S.ProbeBody)(payload ?? {}), (body) =>
          Servers.probe(caller, path.id, body)
        )
      )
    )
    .handle("sync", ({ path }) => asCaller((caller) => Servers.sync(caller, path.id)))
    .handle("addAuthProfile", ({ path, payload }) =>
      asCaller((caller) => Servers.addAuthProfile(caller, path.id, payload))
    )
    .handle("replaceAuthProfileSecret", ({ path, payload }) =>
      asCaller((caller) => Servers.replaceAuthProfileSecret(caller, path.id, path.profileId, payload))
    )
    .handle("catalog", ({ path, urlParams }) =>
      asCaller((caller) =>
        Effect.flatMap(Params.integer("limit", urlParams.limit, { min: 1, max: 500 }), (limit) =>
          Servers.catalog(caller, path.id, limit === undefined ? {} : { limit })
        )
      )
    )
    .handle("coverage", ({ path }) => asCaller((caller) => Coverage.report(caller, path.id)))
)
