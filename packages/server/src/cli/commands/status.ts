import { Command, Options } from "@effect/cli"
import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Config, Console, Effect, Redacted } from "effect"
import { ArmatureApi } from "../../http/Api.js"

const url = Options.text("url").pipe(
  Options.withFallbackConfig(Config.string("ARMATURE_URL")),
  Options.withDefault("http://127.0.0.1:4100"),
  Options.withDescription("the server's base URL (ARMATURE_URL)")
)
const key = Options.redacted("key").pipe(
  Options.withFallbackConfig(Config.redacted("ARMATURE_API_KEY")),
  Options.withDescription("an API key (ARMATURE_API_KEY)")
)

const ago = (at: Date | null, now: number) => {
  if (at === null) return "never"
  const s = Math.round((now - at.getTime()) / 1000)
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}

/** `armature status`: monitors with their last outcome and the latest runs, read over REST. */
export const status = Command.make("status", { url, key }, ({ url, key }) =>
  Effect.gen(function* () {
    const client = yield* HttpApiClient.make(ArmatureApi, {
      baseUrl: url,
      transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(Redacted.value(key)))
    })
    const now = Date.now()
    const { organization } = yield* client.org.get()
    const monitors = yield* client.monitors.list({ urlParams: {} })
    const runs = yield* client.runs.list({ urlParams: { limit: "10" } })
    yield* Console.log(`${organization.name} at ${url}\n\nMonitors (${monitors.items.length})`)
    for (const m of monitors.items) {
      yield* Console.log(
        `  ${(m.lastOutcome ?? "pending").padEnd(9)} ${m.name}  (${m.toolName} every ${m.intervalSeconds}s, checked ${ago(m.lastCheckedAt, now)})`
      )
    }
    yield* Console.log(`\nLatest runs (${runs.items.length})`)
    for (const r of runs.items) {
      yield* Console.log(
        `  ${r.status.padEnd(9)} ${r.workflowName}  (${r.testerModel}, ${r.trigger}, ${ago(r.startedAt, now)})`
      )
    }
  }).pipe(Effect.provide(FetchHttpClient.layer))
).pipe(Command.withDescription("Show monitors and the latest runs of a running server"))
