/**
 * Who may set the command of a stdio server (SPEC §2): it starts a process on the host, with
 * the server's own environment and secrets in reach, so only the deployment's operator may —
 * unless the operator opted in with an allow-list, and then only owners, only for those commands.
 */
import { Effect } from "effect"
import type { Caller } from "../domain/Audit.js"
import { type ForbiddenRole, StdioNotAllowed } from "../Errors.js"
import * as Roles from "../Roles.js"
import { ServerPolicy } from "./serverRecord.js"

const howToEnable =
  "a stdio server starts a process on the Armature host, so only the deployment's operator registers or changes one: " +
  "put it in a monitoring-as-code file and run `armature apply` (or `armature serve --apply`), " +
  "or let owners register chosen commands over the API with the server setting ARMATURE_API_STDIO_COMMANDS"

/**
 * Succeeds when the caller may create or change a stdio server to run `command`; a server
 * that passed it is `launchApproved`.
 */
export const authorizeLaunch = (
  caller: Caller,
  command: string
): Effect.Effect<void, StdioNotAllowed | ForbiddenRole> =>
  Effect.gen(function* () {
    if (caller.operator === true) return
    const allowed = (yield* ServerPolicy).apiStdioCommands ?? []
    if (allowed.length === 0) {
      return yield* new StdioNotAllowed({ message: `stdio servers are not allowed here: ${howToEnable}.` })
    }
    yield* Roles.authorize(caller.actor, "servers.stdio")
    if (!allowed.includes(command)) {
      return yield* new StdioNotAllowed({
        message: `The command ${JSON.stringify(command.slice(0, 200))} is not on this deployment's allow-list of stdio commands (${allowed.join(", ")}).`
      })
    }
  })
