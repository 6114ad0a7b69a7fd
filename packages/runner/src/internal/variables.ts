/**
 * Run-scoped variables (SPEC §3.2): `{{run.id}}`, `{{run.key}}`, `{{run.startedAt}}` and
 * `{{vars.NAME}}`, rendered into the prompt and into setup/teardown arguments.
 */
import { createHash } from "node:crypto"

export interface RunVariables {
  readonly id: string
  readonly key: string
  readonly startedAt: Date
  readonly vars: Readonly<Record<string, string>>
}

/**
 * A short token to name test data: 8 base-36 characters derived from the run id, so it is unique
 * per run, stable across retries of the same run, and safe in names, emails and URLs.
 */
export const runKey = (runId: string): string =>
  BigInt(`0x${createHash("sha256").update(runId).digest("hex").slice(0, 16)}`)
    .toString(36)
    .padStart(8, "0")
    .slice(-8)

const pattern = /\{\{\s*(run\.id|run\.key|run\.startedAt|vars\.([A-Za-z0-9_.-]+))\s*\}\}/g

/** Replaces every known variable; unknown `{{vars.X}}` stay as written (and are reported). */
export const render = (
  text: string,
  v: RunVariables
): { readonly text: string; readonly unknown: string[] } => {
  const unknown: string[] = []
  const out = text.replace(pattern, (all, name: string, varName: string | undefined) => {
    if (name === "run.id") return v.id
    if (name === "run.key") return v.key
    if (name === "run.startedAt") return v.startedAt.toISOString()
    const value = varName === undefined ? undefined : v.vars[varName]
    if (value === undefined) {
      unknown.push(name)
      return all
    }
    return value
  })
  return { text: out, unknown }
}

/** Renders every string inside a JSON value. */
export const renderDeep = (value: unknown, v: RunVariables): unknown => {
  if (typeof value === "string") return render(value, v).text
  if (Array.isArray(value)) return value.map((x) => renderDeep(x, v))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, renderDeep(x, v)]))
  }
  return value
}
