/**
 * `/mcp-servers`: registration with a live probe, connection changes (probed again), reads (a
 * page at a time), deletion (refused while in use unless `cascade=true`), probes, catalog sync
 * (admin), catalog history and coverage, monitor suggestions, auth profiles and their secrets —
 * each a call of the matching core use case.
 */
import { Coverage, Monitors, Servers, Validation } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import * as S from "../ApiSchemas.js"
import { asCaller, withBody } from "./caller.js"
import * as Params from "./queryParams.js"

export const layer = HttpApiBuilder.group(ArmatureApi, "servers", (handlers) =>
  handlers
    // A failed probe still registers the server (state `unreachable`): the outcome is in `probe`.
    .handleRaw("create", ({ request }) => withBody(request, Servers.register))
    .handle("list", ({ urlParams }) =>
      asCaller((caller) => Effect.flatMap(Params.page(urlParams), (page) => Servers.list(caller, page)))
    )
    .handle("get", ({ path }) => asCaller((caller) => Servers.get(caller, path.id)))
    .handleRaw("update", ({ path, request }) =>
      withBody(request, (caller, body) => Servers.update(caller, path.id, body))
    )
    .handle("delete", ({ path, urlParams }) =>
      asCaller((caller) =>
        Effect.flatMap(Params.oneOf("cascade", urlParams.cascade, ["true", "false"]), (cascade) =>
          Servers.remove(caller, path.id, { cascade: cascade === "true" })
        )
      )
    )
    .handle("deleteAuthProfile", ({ path }) =>
      asCaller((caller) => Servers.removeAuthProfile(caller, path.id, path.profileId))
    )
    .handle("listAuthProfiles", ({ path }) =>
      asCaller((caller) =>
        Effect.map(Servers.get(caller, path.id), ({ authProfiles }) => ({ items: authProfiles }))
      )
    )
    .handle("monitorSuggestions", ({ path }) =>
      asCaller((caller) => Effect.map(Monitors.suggestions(caller, path.id), (items) => ({ items })))
    )
    .handleRaw("probe", ({ path, request }) =>
      withBody(request, (caller, body) =>
        Effect.flatMap(Validation.decode(S.ProbeBody)(body ?? {}), (input) =>
          Servers.probe(caller, path.id, input)
        )
      )
    )
    .handle("sync", ({ path }) => asCaller((caller) => Servers.sync(caller, path.id)))
    .handleRaw("addAuthProfile", ({ path, request }) =>
      withBody(request, (caller, body) => Servers.addAuthProfile(caller, path.id, body))
    )
    .handleRaw("replaceAuthProfileSecret", ({ path, request }) =>
      withBody(request, (caller, body) =>
        Servers.replaceAuthProfileSecret(caller, path.id, path.profileId, body)
      )
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
