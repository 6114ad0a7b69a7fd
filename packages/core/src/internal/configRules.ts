/**
 * Alert rules of a monitoring-as-code file in the API's terms: the file names targets and
 * writes destinations in a short form (`{ slack: "C123" }`), the use cases take `{ type, id }`
 * and `{ type: "slack", channel }`. Kept pure so `ConfigApply` only orchestrates.
 */
import { type AlertRuleEntry, type DestinationRef, targetOf } from "../ConfigFile.js"
import type { AlertRule, Destination } from "../domain/Alert.js"
import { defaultOn } from "./alertRules.js"

/** The field of the API's destination each short form sets. */
const shortForms = { email: "address", slack: "channel", webhook: "url" } as const

/** The destination the API takes for a file's, without its secret (which comes from `secretEnv`). */
export const apiDestination = (d: DestinationRef): Record<string, unknown> & { readonly type: string } => {
  for (const [form, field] of Object.entries(shortForms)) {
    const value = d[form as keyof typeof shortForms]
    if (value !== undefined) return { type: form, [field]: value }
  }
  const { secretEnv: _, ...fields } = d
  return fields as Record<string, unknown> & { readonly type: string }
}

/** The fields a rule's comparison covers, as the file wants them (`state` only when it says). */
export const desiredOf = (entry: AlertRuleEntry, targetId: string, stored?: AlertRule) => {
  const target = targetOf(entry)
  return {
    name: entry.name,
    target: { type: target.type, id: targetId },
    destination: apiDestination(entry.destination),
    on: [...new Set(entry.on ?? defaultOn(target.type))],
    notifyRecovery: entry.notifyRecovery,
    reminderMinutes: entry.reminderMinutes,
    state: entry.state ?? stored?.state ?? "enabled"
  }
}

const withoutSecretRef = (destination: Destination): Record<string, unknown> => {
  const { secretRef: _, ...rest } = destination as Destination & { readonly secretRef?: unknown }
  return rest
}

/** The same fields of a stored rule; a webhook's secret is compared apart, by value. */
export const storedOf = (rule: AlertRule) => ({
  name: rule.name,
  target: { type: rule.target.type, id: rule.target.id },
  destination: rule.destination.type === "webhook" ? withoutSecretRef(rule.destination) : rule.destination,
  on: rule.on,
  notifyRecovery: rule.notifyRecovery,
  reminderMinutes: rule.reminderMinutes,
  state: rule.state
})

/**
 * A use case's field (`destination.channel`, `target.id`) as the file wrote it
 * (`destination.slack`, `target.monitor`), so errors point at the line to fix.
 */
export const fileField = (entry: AlertRuleEntry, field: string): string => {
  if (field === "target.id" || field === "target.type") {
    const named = (["monitor", "workflow", "server"] as const).find((k) => entry.target[k] !== undefined)
    return `target.${named ?? "id"}`
  }
  for (const [form, apiField] of Object.entries(shortForms)) {
    if (entry.destination[form as keyof typeof shortForms] === undefined) continue
    if (field === `destination.${apiField}`) return `destination.${form}`
  }
  return field === "destination.secret" ? "destination.secretEnv" : field
}

/** Fields as compared: the order of `on` does not change what a rule fires on. */
export const comparable = <T extends { readonly on: ReadonlyArray<string> }>(fields: T): T => ({
  ...fields,
  on: [...fields.on].sort()
})
