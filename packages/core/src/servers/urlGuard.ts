/**
 * The deployment's address guard applied to the URLs a server's input names, before anything is
 * saved: a policy refusal saves nothing, unlike a probe that fails.
 */
import { Effect } from "effect"
import type { FieldError } from "../Errors.js"
import type { AuthProfileInput } from "../internal/serverInput.js"
import { McpConnector } from "../ports/McpConnector.js"
import { failIfAny } from "../Validation.js"

/**
 * Field errors for URLs the deployment's address guard refuses now (a literal blocked address, or
 * a name resolving to one). The guard runs again at every connect, since DNS answers change.
 */
export const guardedUrls = (
  urls: ReadonlyArray<{ readonly field: string; readonly url: string | null | undefined }>
) =>
  Effect.gen(function* () {
    const connector = yield* McpConnector
    const errors: FieldError[] = []
    for (const { field, url } of urls) {
      if (url === null || url === undefined || url.trim() === "") continue
      const checked = yield* Effect.either(connector.checkAddress(url.trim()))
      if (checked._tag === "Left") {
        errors.push({
          field,
          message: `is refused by this deployment's address guard: ${checked.left.message}`
        })
      }
    }
    return yield* failIfAny(errors)
  })

/** The token endpoints of OAuth profiles, as fields to guard. */
export const tokenUrls = (root: string, profiles: ReadonlyArray<AuthProfileInput>) =>
  profiles.map((p, i) => ({
    field: `${root}${root === "" ? "" : `[${i}].`}tokenUrl`,
    url: p.kind === "oauth_client_credentials" ? p.tokenUrl : null
  }))
