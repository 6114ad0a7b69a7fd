/**
 * The alert rules of a file, written last: a rule's target may be a workflow or monitor the file
 * creates. A webhook's signing secret comes from the variable `secretEnv` names; an update sends
 * only what changed, and a webhook whose secret did not change keeps its stored one.
 */
import { Effect, Option, Redacted } from "effect"
import * as Alerting from "../Alerting.js"
import { type AlertRuleEntry, targetOf } from "../ConfigFile.js"
import type { AlertRule } from "../domain/Alert.js"
import type { Caller } from "../domain/Audit.js"
import { type FieldError, ValidationFailed, validationFailed } from "../Errors.js"
import * as ConfigRules from "../internal/configRules.js"
import { fromEnv, inFile, type Refs, readSecret, type State } from "./current.js"
import { changedFields, compared, created, type Planned, type Step, sameName } from "./plan.js"

/** A rule to create (no `existing`) or update. */
export interface RuleWrite {
  readonly entry: AlertRuleEntry
  readonly field: string
  readonly existing: AlertRule | undefined
  /** The webhook signing secret from `secretEnv`, if the file names one. */
  readonly secret: string | undefined
  readonly secretChanged: boolean
  /** For updates: the compared fields that differ. */
  readonly changes: ReadonlyArray<string>
}

/** The signing secret an alert rule's `secretEnv` names, or the field error of a variable that is not set. */
const ruleSecret = (entry: AlertRuleEntry, field: string) =>
  Effect.gen(function* () {
    const variable = entry.destination.secretEnv
    if (variable === undefined) return { secret: undefined, errors: [] as FieldError[] }
    const secret = yield* fromEnv(variable)
    return Option.isSome(secret)
      ? { secret: Redacted.value(secret.value), errors: [] as FieldError[] }
      : {
          secret: undefined,
          errors: [
            {
              field: `${field}.destination.secretEnv`,
              message: `environment variable ${variable} is not set`
            }
          ]
        }
  })

const storedSecretRef = (rule: AlertRule): string | null =>
  rule.destination.type === "webhook"
    ? ((rule.destination as { secretRef?: string | null }).secretRef ?? null)
    : null

/** The plan of the file's alert rules, with the errors of secret variables that are not set. */
export const planAlertRules = (
  caller: Caller,
  entries: ReadonlyArray<AlertRuleEntry>,
  state: State,
  refs: Refs
) =>
  Effect.gen(function* () {
    const steps: Step[] = []
    const errors: FieldError[] = []
    const writes: RuleWrite[] = []
    for (const [i, entry] of entries.entries()) {
      const field = `alertRules[${i}]`
      const { secret, errors: secretErrors } = yield* ruleSecret(entry, field)
      errors.push(...secretErrors)
      // Rule names are unique in the store (ignoring case and spacing), as the file's are.
      const existing = state.rules.find((r) => sameName(r.name, entry.name))
      if (existing === undefined) {
        steps.push(created("alert_rule", entry.name))
        writes.push({ entry, field, existing, secret, secretChanged: secret !== undefined, changes: [] })
        continue
      }
      const desired = ConfigRules.desiredOf(entry, refs.target(targetOf(entry)), existing)
      const changes = changedFields(
        ConfigRules.comparable(desired),
        ConfigRules.comparable(ConfigRules.storedOf(existing))
      )
      // Only a webhook signs; moving to another destination type is a change of `destination`.
      const ref = storedSecretRef(existing)
      const secretChanged =
        desired.destination.type === "webhook" &&
        secret !== (ref === null ? undefined : yield* readSecret(caller.orgId, ref))
      steps.push(compared("alert_rule", entry.name, [...changes, ...(secretChanged ? ["secret"] : [])]))
      if (changes.length > 0 || secretChanged)
        writes.push({ entry, field, existing, secret, secretChanged, changes })
    }
    return { steps, errors, writes } satisfies Planned<RuleWrite>
  })

/**
 * Creates or updates one alert rule through the use cases. An update sends only what changed;
 * a webhook whose secret did not change keeps its stored one, even when its address moves.
 */
const writeRule = (caller: Caller, write: RuleWrite, targets: Refs) => {
  const desired = ConfigRules.desiredOf(write.entry, targets.target(targetOf(write.entry)), write.existing)
  // Without `secret`, an updated webhook keeps its stored secret; `null` (secretEnv removed from
  // the file) makes it unsigned.
  const destination = {
    ...desired.destination,
    ...(write.secretChanged ? { secret: write.secret ?? null } : {})
  }
  const full: Record<string, unknown> = { ...desired, destination }
  const named = <E>(error: E): E => {
    const renamed =
      error instanceof ValidationFailed
        ? (validationFailed(
            error.fieldErrors.map((f) => ({ ...f, field: ConfigRules.fileField(write.entry, f.field) })),
            error.warnings
          ) as E)
        : error
    return inFile(write.field)(renamed)
  }
  if (write.existing === undefined) return Effect.mapError(Alerting.createRule(caller, full), named)
  const changed = [...write.changes, ...(write.secretChanged ? ["destination"] : [])]
  const patch = Object.fromEntries([...new Set(changed)].map((key) => [key, full[key]]))
  return Effect.mapError(Alerting.updateRule(caller, write.existing.id, patch), named)
}

/** Creates or updates the rules, their targets resolved against everything written before them. */
export const writeAlertRules = (caller: Caller, writes: ReadonlyArray<RuleWrite>, targets: Refs) =>
  Effect.gen(function* () {
    for (const write of writes) yield* writeRule(caller, write, targets)
  })
