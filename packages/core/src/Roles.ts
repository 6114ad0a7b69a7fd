/**
 * The one permission table of Armature: every interface (REST, MCP API, CLI, Slack, dashboard)
 * asks this module, so the role matrix cannot differ between them.
 */
import { Effect } from "effect"
import type { Role } from "./domain/Organization.js"
import { ForbiddenRole } from "./Errors.js"

/** Roles from least to most privileged; each one may do everything the ones before it may. */
export const roles: ReadonlyArray<Role> = ["viewer", "editor", "admin", "owner"]

/** Minimum role of every operation: the MCP tools of SPEC §9.1 by name, then REST/use-case operations. */
export const table = {
  // MCP tools (SPEC §9.1)
  search_runs: "viewer",
  inspect_run: "viewer",
  diagnose_run: "viewer",
  get_organization_health: "viewer",
  propose_workflow_patch: "viewer",
  draft_regression_workflow_from_run: "viewer",
  compare_runs: "viewer",
  apply_workflow_change: "editor",
  run_workflow_now: "editor",
  sync_mcp_server_capabilities: "admin",
  // REST and use-case operations (SPEC §10, §11)
  "org.read": "viewer",
  "servers.read": "viewer",
  "servers.write": "editor",
  // Only where the operator allow-listed stdio commands for API callers (see `Servers`).
  "servers.stdio": "owner",
  "servers.probe": "editor",
  "servers.sync": "admin",
  "workflows.read": "viewer",
  "workflows.write": "editor",
  "runs.read": "viewer",
  "runs.dispatch": "editor",
  "runs.replay": "editor",
  "monitors.read": "viewer",
  "monitors.write": "editor",
  "alerts.read": "viewer",
  "alerts.write": "editor",
  // The connected Slack workspace: anyone may see which; connecting or removing one decides
  // where the organization's alerts may go, so it is an admin's.
  "slack.read": "viewer",
  "slack.write": "admin",
  "proposals.read": "viewer",
  // Staging a proposal changes nothing until an editor applies it, so viewers may stage.
  "proposals.create": "viewer",
  "proposals.apply": "editor",
  "keys.read": "admin",
  "keys.write": "admin",
  "members.read": "admin",
  "members.write": "admin",
  // SPEC §11: one owner, who alone may hand the organization to another member.
  "members.transfer_ownership": "owner",
  "invitations.write": "admin",
  "audit.read": "admin",
  // Process-wide figures of every organization on the deployment, when `/metrics` asks for a key.
  "metrics.read": "admin",
  "billing.read": "owner",
  "billing.write": "owner"
} as const satisfies Record<string, Role>

/** Every operation a role check knows. */
export type Operation = keyof typeof table

/** Every operation, in table order. */
export const operations = Object.keys(table) as ReadonlyArray<Operation>

/** Whether `value` names an operation of the table (for strings from the outside). */
export const isOperation = (value: string): value is Operation => Object.hasOwn(table, value)

/** Position of a role in the order viewer < editor < admin < owner; -1 for an unknown string. */
export const rank = (role: Role): number => roles.indexOf(role)

/** The minimum role an operation needs. */
export const minimumRole = (op: Operation): Role => table[op]

/** Whether `role` is `min` or above it. An unknown role is below everything. */
export const atLeast = (role: Role, min: Role): boolean => {
  const r = rank(role)
  return r >= 0 && r >= rank(min)
}

/** The lower of two roles: a key acts with at most its member's current role. */
export const lower = (a: Role, b: Role): Role => (rank(a) <= rank(b) ? a : b)

/** Whether `role` may perform `op`. Unknown operations are refused, so a typo never opens a door. */
export const can = (role: Role, op: Operation): boolean => isOperation(op) && atLeast(role, table[op])

/** Succeeds when the actor may perform `op`; fails with `forbidden_role` naming both roles otherwise. */
export const authorize = (
  actor: { readonly role: Role },
  op: Operation
): Effect.Effect<void, ForbiddenRole> => {
  if (can(actor.role, op)) return Effect.void
  const required: string = isOperation(op) ? table[op] : "unknown operation"
  return Effect.fail(
    new ForbiddenRole({
      message: `Operation ${op} requires the ${required} role or higher; the caller's role is ${actor.role}.`,
      required,
      actual: actor.role
    })
  )
}

/**
 * Operations a read-only workspace (a lapsed subscription, `Plans`) may still perform: reading,
 * and the owner's billing, so the workspace can be paid for again. Listed rather than derived,
 * so an operation added to the table is refused in a read-only workspace until it is added here.
 */
const readOnlyAllowed: ReadonlySet<Operation> = new Set<Operation>([
  "search_runs",
  "inspect_run",
  "diagnose_run",
  "get_organization_health",
  "compare_runs",
  "org.read",
  "servers.read",
  "workflows.read",
  "runs.read",
  "monitors.read",
  "alerts.read",
  "slack.read",
  "proposals.read",
  "keys.read",
  "members.read",
  "audit.read",
  "metrics.read",
  "billing.read",
  "billing.write"
])

/** Whether `op` is allowed in a read-only workspace (reads and billing). */
export const allowedWhenReadOnly = (op: Operation): boolean => readOnlyAllowed.has(op)
