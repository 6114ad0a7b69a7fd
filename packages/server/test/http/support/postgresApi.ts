/**
 * The REST API on a fresh PostgreSQL database of its own (dropped when the file's tests end),
 * with an organization and keys for each role below its owner — what the route tests of
 * issue 12 check role rules with. `available` is false only when PostgreSQL is down and not
 * required (`postgresAvailable` fails the file when CI requires it).
 */
import { Effect, Exit, Scope } from "effect"
import { freshDatabaseUrl, postgresAvailable } from "../../../../store-postgres/test/support/databases.js"
import { type ApiServer, type Called, type Options, startApiServer } from "./apiServer.js"

export { typedCalls } from "./apiServer.js"

export interface Team {
  readonly api: ApiServer
  readonly owner: Awaited<ReturnType<ApiServer["organization"]>>
  readonly admin: string
  readonly editor: string
  readonly viewer: string
}

/** Whether the file's PostgreSQL tests run, and how to start and stop its server. */
export const postgresApi = async (file: string) => {
  const available = await postgresAvailable(file)
  const database = Effect.runSync(Scope.make())
  let api: ApiServer | undefined
  return {
    available,
    /** Starts the server on a new database and makes the organization "Acme" with its keys. */
    start: async (options: Options = {}): Promise<Team> => {
      api = await startApiServer(
        { postgresUrl: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)) },
        options
      )
      const owner = await api.organization("Acme")
      const [admin, editor, viewer] = await Promise.all(
        (["admin", "editor", "viewer"] as const).map((role) => api!.key(owner.caller, role))
      )
      return { api, owner, admin: admin!, editor: editor!, viewer: viewer! }
    },
    /** Closes the server and drops its database. */
    stop: async () => {
      await api?.close()
      await Effect.runPromise(Scope.close(database, Exit.void))
    }
  }
}

/** The field paths of a `validation_failed` reply. */
export const fieldsOf = (body: {
  readonly error: { readonly details?: { readonly fieldErrors?: ReadonlyArray<{ readonly field: string }> } }
}) => (body.error.details?.fieldErrors ?? []).map((f) => f.field)

/** The value a typed-client call (`api.call`) decoded; a refusal fails the test, showing it. */
export const ok = <A>(called: Called<A>): A => {
  if (!called.ok) throw new Error(`expected a success, got ${called.status} ${JSON.stringify(called.error)}`)
  return called.value
}

/** The refusal of a typed-client call: its status, code, message and the fields it names. */
export const refusal = (called: Called<unknown>) => {
  if (called.ok) throw new Error(`expected a refusal, got ${JSON.stringify(called.value)}`)
  return {
    status: called.status,
    code: called.error.code,
    message: called.error.message,
    fields: fieldsOf(called)
  }
}
