/**
 * Alert rule input, defaults and the firing state machine of one rule (SPEC §7), kept pure so the
 * transition table can be read (and tested) apart from storage.
 */
import { Schema } from "effect"
import {
  type AlertMessage,
  AlertOn,
  type AlertRule,
  type AlertTarget,
  type Destination,
  PluginDestination
} from "../domain/Alert.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "is required" }))

/**
 * A webhook as entered: `secret` signs it (the value goes to the SecretStore), `null` makes it
 * unsigned, and leaving it out keeps the rule's current secret. Callers never name a stored
 * secret (`secretRef`) themselves: that would let them sign with any secret of the organization,
 * an MCP server's credential included.
 */
const WebhookInput = Schema.Struct({
  type: Schema.Literal("webhook"),
  url: Schema.String,
  secret: Schema.optional(Schema.NullOr(Schema.String))
})
export type WebhookInput = typeof WebhookInput.Type

const builtInInputs = {
  email: Schema.Struct({
    type: Schema.Literal("email"),
    address: Schema.String.pipe(
      Schema.pattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: () => "must be an email address" })
    )
  }),
  slack: Schema.Struct({ type: Schema.Literal("slack"), channel: NonEmpty }),
  webhook: WebhookInput
}

/**
 * A destination as entered, checked in two steps so errors name the fields of its own type:
 * first its `type`, then the fields of that type (`destinationInputOf`). A webhook may carry its
 * signing secret, which goes to the SecretStore.
 */
export const DestinationInput = Schema.Struct(
  {
    type: Schema.String.pipe(
      Schema.pattern(/^[a-z][a-z0-9_-]{0,39}$/, {
        message: () => "must be a destination type such as email, slack or webhook"
      })
    )
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
/** The schema of a destination of `type`: a built-in one, or a plugin's (checked by its sink). */
export const destinationInputOf = (type: string) =>
  (Object.hasOwn(builtInInputs, type)
    ? builtInInputs[type as keyof typeof builtInInputs]
    : PluginDestination) as unknown as Schema.Schema<WebhookInput | Destination>
export type DestinationInput = typeof DestinationInput.Type

/** What `Alerting.createRule` accepts; `on` defaults by target type. */
export const RuleInput = Schema.Struct({
  name: NonEmpty.pipe(Schema.maxLength(200)),
  target: Schema.Struct({ type: Schema.Literal("workflow", "monitor", "mcp_server"), id: NonEmpty }),
  destination: DestinationInput,
  on: Schema.optional(
    Schema.Array(AlertOn).pipe(Schema.minItems(1, { message: () => "needs at least one outcome" }))
  ),
  notifyRecovery: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  reminderMinutes: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 10_080))), {
    default: () => null
  }),
  state: Schema.optionalWith(Schema.Literal("enabled", "paused"), { default: () => "enabled" as const })
})
export type RuleInput = typeof RuleInput.Type

/** The SPEC §7 defaults of `on` per target type. */
export const defaultOn = (type: AlertTarget["type"]): ReadonlyArray<AlertOn> => {
  switch (type) {
    case "workflow":
      return ["fail", "partial", "error"]
    case "monitor":
      return ["fail", "error"]
    case "mcp_server":
      return ["error", "drift_breaking", "drift_suspicious"]
  }
}

/** How a rule reads on the dashboard, exactly as SPEC §7 words it. */
export const status = (rule: AlertRule): string =>
  rule.state === "paused"
    ? "Paused"
    : rule.firingSince !== null
      ? `Firing since ${rule.firingSince.toISOString()}`
      : rule.lastFiredAt !== null
        ? `Last fired ${rule.lastFiredAt.toISOString()}`
        : "Watching — never fired"

/** What a rule does about one outcome of its target. */
export type Transition =
  | { readonly kind: "none" }
  | { readonly kind: "firing" | "reminder" | "recovery"; readonly rule: AlertRule }

/**
 * The transition table: fire on entering a failing state (an outcome in `on`) only, remind while
 * it stays failing once `reminderMinutes` passed since the last message, and recover once when
 * an outcome outside `on` arrives. Paused rules do nothing.
 */
export const transition = (rule: AlertRule, outcome: string, at: Date): Transition => {
  if (rule.state !== "enabled") return { kind: "none" }
  const failing = (rule.on as ReadonlyArray<string>).includes(outcome)
  if (failing && rule.firingSince === null) {
    return { kind: "firing", rule: { ...rule, firingSince: at, lastFiredAt: at } }
  }
  if (failing) {
    const last = rule.lastFiredAt ?? rule.firingSince!
    if (rule.reminderMinutes !== null && at.getTime() - last.getTime() >= rule.reminderMinutes * 60_000) {
      return { kind: "reminder", rule: { ...rule, lastFiredAt: at } }
    }
    return { kind: "none" }
  }
  if (rule.firingSince !== null) {
    // The rule's state must clear even when nobody wants to hear about the recovery.
    return { kind: "recovery", rule: { ...rule, firingSince: null } }
  }
  return { kind: "none" }
}

/** The subject line: `[Armature] <rule name>: <object name> <outcome>` (or `recovered`). */
export const subject = (ruleName: string, objectName: string, outcomeOrRecovered: string): string =>
  `[Armature] ${ruleName}: ${objectName} ${outcomeOrRecovered}`

/** Builds the message of a rule's transition; the optional facts are left out when unknown. */
export const message = (
  kind: AlertMessage["kind"],
  rule: AlertRule,
  input: {
    readonly objectName: string
    readonly outcome: string
    readonly summary: string
    readonly link: string | null
    readonly at: Date
    readonly target?: AlertMessage["target"]
    readonly server?: AlertMessage["server"] | null
    readonly toolName?: string | undefined
    readonly firingSince?: Date | null
    readonly incident?: AlertMessage["incident"]
  }
): AlertMessage => ({
  kind,
  ruleId: rule.id,
  ruleName: rule.name,
  subject: subject(rule.name, input.objectName, kind === "recovery" ? "recovered" : input.outcome),
  objectName: input.objectName,
  outcome: input.outcome,
  summary: input.summary,
  link: input.link,
  at: input.at,
  ...(input.target === undefined ? {} : { target: input.target }),
  ...(input.server === undefined || input.server === null ? {} : { server: input.server }),
  ...(input.toolName === undefined ? {} : { toolName: input.toolName }),
  ...(input.firingSince === undefined || input.firingSince === null
    ? {}
    : { firingSince: input.firingSince }),
  ...(input.incident === undefined ? {} : { incident: input.incident })
})
