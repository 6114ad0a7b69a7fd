import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Clock, ConfigProvider, Console, Data, Effect, Layer, Option } from "effect"
import * as App from "../../app/App.js"
import * as Store from "../../app/Store.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"
import * as Junit from "../../localTest/junit.js"
import * as LocalTest from "../../localTest/LocalTest.js"
import * as ConfigFileArg from "../configFileArg.js"

/** A fresh in-memory store: the file is applied to it, and it is gone when the command ends. */
const scratchStore = Store.embedded().pipe(
  Layer.mapError((cause) => new Store.StoreUnavailable({ message: "cannot open an in-memory store", cause }))
)

/**
 * `armature test` runs on the machine of whoever starts it, against servers they name: the
 * connector's guard against loopback and private addresses, which keeps a shared server from
 * being pointed at its own network, has nothing to protect here. Explicit settings still win.
 */
const localDefaults = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.configProviderWith((current) =>
    Effect.withConfigProvider(
      effect,
      ConfigProvider.orElse(current, () =>
        ConfigProvider.fromMap(
          new Map([
            ["ARMATURE_ALLOW_LOOPBACK", "true"],
            ["ARMATURE_ALLOW_PRIVATE_NETWORKS", "true"]
          ])
        )
      )
    )
  )

/** `armature test` found failures; the exit code says so to CI. */
export class ChecksFailed extends Data.TaggedError("ChecksFailed")<{ readonly message: string }> {}

const junit = Options.file("junit").pipe(
  Options.optional,
  Options.withDescription("write the results as JUnit XML to this path")
)

const failOn = Options.choice("fail-on", ["degraded"]).pipe(
  Options.optional,
  Options.withDescription(
    "also fail the run on this outcome: degraded (a monitor slower than its degradedAboveMs budget)"
  )
)

const marks: Record<LocalTest.CaseStatus, string> = { pass: "✓", fail: "✗", error: "!", skipped: "○" }

const line = (r: LocalTest.CaseResult) =>
  [
    `${marks[r.status]} ${r.kind.padEnd(8)} ${r.name} (${r.server}) — ${r.status === "skipped" ? "skipped: " : ""}${r.message}`,
    ...(r.status === "fail" || r.status === "error" ? r.details.map((d) => `      ${d}`) : [])
  ].join("\n")

/** The test could not run to the end (bad file, store, …): CI tells this from failed checks by the exit code. */
export class TestAborted extends Data.TaggedError("TestAborted")<{
  readonly message: string
  readonly fieldErrors: ReadonlyArray<{ readonly field: string; readonly message: string }>
  readonly exitCode: 2
}> {}

const writeJunit = (path: Option.Option<string>, results: ReadonlyArray<LocalTest.CaseResult>) =>
  Option.match(path, {
    onNone: () => Effect.void,
    onSome: (to) =>
      Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(to, Junit.render(results))).pipe(
        Effect.zipRight(Console.log(`JUnit report written to ${to}.`))
      )
  })

/** The one case a report holds when the test stopped before its cases ran, with each field at fault. */
const aborted = (message: string, fieldErrors: TestAborted["fieldErrors"]): LocalTest.CaseResult => {
  const fields = fieldErrors.map((f) => `${f.field}: ${f.message}`)
  return {
    kind: "monitor",
    name: "armature test",
    server: "(none)",
    status: "error",
    durationMs: 0,
    message: fields.length === 0 ? message : `${message}: ${fields.join("; ")}`,
    details: fields
  }
}

/**
 * `armature test <file>`: checks the file's monitors and runs its workflows once, on an
 * in-memory store (nothing is written to any deployment), printing each result as it completes.
 * Exits 1 when a server's tools hold text aimed at the model (the tool-poisoning scan), a check or
 * run fails or errors (with `--fail-on degraded`, also when a monitor is
 * slower than its `degradedAboveMs`), or when nothing ran at all (every case skipped); 2 when the
 * test could not run, a missing file included (the JUnit file then holds that one error, so CI
 * never reads a stale report).
 */
export const test = Command.make(
  "test",
  { settings: Settings.option, junit, failOn, file: ConfigFileArg.anyFile },
  ({ settings, junit, failOn, file }) =>
    Effect.gen(function* () {
      const config = yield* ConfigFileArg.load(file)
      const started = yield* Clock.currentTimeMillis
      const runs = config.workflows.reduce((n, w) => n + w.testerModels.length, 0)
      yield* Console.log(
        `Testing ${file}: ${LocalTest.plural(config.monitors.length, "monitor")}, ${LocalTest.plural(runs, "workflow run")}.\n`
      )
      const results = yield* LocalTest.run(
        config,
        {
          started: (c) => Console.log(`… ${c.kind.padEnd(8)} ${c.name} (${c.server}) running`),
          finished: (r) => Console.log(line(r))
        },
        { failOn: Option.toArray(failOn) }
      ).pipe(Effect.provide(App.servicesWith(scratchStore).pipe(Layer.provide(ServerConfig.layer))))
      const count = (status: LocalTest.CaseStatus) => results.filter((r) => r.status === status).length
      const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
      yield* Console.log(
        `\n${count("pass")} passed, ${count("fail")} failed, ${count("error")} errored, ${count("skipped")} skipped in ${seconds.toFixed(1)} s.`
      )
      yield* writeJunit(junit, results)
      if (LocalTest.failed(results)) {
        return yield* new ChecksFailed({
          message: `${LocalTest.plural(count("fail") + count("error"), "check")} did not pass`
        })
      }
      // A catalog scan alone is not a test of the file's monitors and workflows.
      const cases = results.filter((r) => r.kind !== "server")
      if (cases.every((r) => r.status === "skipped")) {
        return yield* new ChecksFailed({ message: "nothing was tested: every case was skipped" })
      }
    }).pipe(
      Effect.catchIf(
        (e) => !(e instanceof ChecksFailed),
        (e) => {
          const message = e instanceof Error ? e.message : String(e)
          const fieldErrors = (e as { fieldErrors?: TestAborted["fieldErrors"] }).fieldErrors ?? []
          return writeJunit(junit, [aborted(message, fieldErrors)]).pipe(
            Effect.zipRight(Effect.fail(new TestAborted({ message, fieldErrors, exitCode: 2 })))
          )
        }
      ),
      Effect.scoped,
      localDefaults,
      Settings.using(settings)
    )
).pipe(
  Command.withDescription(
    "Run a monitoring-as-code file's monitors and workflows once, locally (for CI): progress, JUnit XML, exit 1 on failure"
  )
)
