import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { Role } from "../src/domain/Organization.js"
import * as Roles from "../src/Roles.js"

const allRoles: ReadonlyArray<Role> = ["viewer", "editor", "admin", "owner"]

/** SPEC §9.1: every MCP tool with its minimum role. */
const mcpTools: ReadonlyArray<[Roles.Operation, Role]> = [
  ["search_runs", "viewer"],
  ["inspect_run", "viewer"],
  ["diagnose_run", "viewer"],
  ["get_organization_health", "viewer"],
  ["propose_workflow_patch", "viewer"],
  ["draft_regression_workflow_from_run", "viewer"],
  ["compare_runs", "viewer"],
  ["apply_workflow_change", "editor"],
  ["run_workflow_now", "editor"],
  ["sync_mcp_server_capabilities", "admin"]
]

describe("roles are cumulative: viewer < editor < admin < owner", () => {
  it("each role is at least itself and every role before it", () => {
    for (const [i, role] of allRoles.entries()) {
      for (const [j, min] of allRoles.entries()) expect(Roles.atLeast(role, min)).toBe(i >= j)
    }
  })

  it("an unknown role string is below everything", () => {
    expect(Roles.atLeast("root" as Role, "viewer")).toBe(false)
    expect(Roles.can("root" as Role, "search_runs")).toBe(false)
  })
})

describe("the role table covers every MCP tool of SPEC §9.1 with its minimum role", () => {
  for (const [tool, min] of mcpTools) {
    it(`${tool} needs ${min}`, () => {
      expect(Roles.minimumRole(tool)).toBe(min)
      for (const role of allRoles) expect(Roles.can(role, tool)).toBe(Roles.atLeast(role, min))
    })
  }

  it("viewers may use the read and staging tools but not apply, run or sync", () => {
    const allowed = mcpTools.filter(([tool]) => Roles.can("viewer", tool)).map(([tool]) => tool)
    expect(allowed).toEqual([
      "search_runs",
      "inspect_run",
      "diagnose_run",
      "get_organization_health",
      "propose_workflow_patch",
      "draft_regression_workflow_from_run",
      "compare_runs"
    ])
  })

  it("editors may apply and run but not sync; admins and owners may use every tool", () => {
    expect(Roles.can("editor", "apply_workflow_change")).toBe(true)
    expect(Roles.can("editor", "run_workflow_now")).toBe(true)
    expect(Roles.can("editor", "sync_mcp_server_capabilities")).toBe(false)
    for (const [tool] of mcpTools) {
      expect(Roles.can("admin", tool)).toBe(true)
      expect(Roles.can("owner", tool)).toBe(true)
    }
  })
})

describe("REST operations follow SPEC §10: reads any role, writes editor+, sync admin+, team admin+, billing owner", () => {
  const expected: Record<string, Role> = {
    "org.read": "viewer",
    "servers.read": "viewer",
    "servers.write": "editor",
    // stdio commands over an API, where the operator allow-listed them (SPEC §2)
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
    "slack.read": "viewer",
    "slack.write": "admin",
    "proposals.read": "viewer",
    "proposals.create": "viewer",
    "proposals.apply": "editor",
    "keys.read": "admin",
    "keys.write": "admin",
    "members.read": "admin",
    "members.write": "admin",
    "members.transfer_ownership": "owner",
    "invitations.write": "admin",
    "audit.read": "admin",
    "metrics.read": "admin",
    "billing.read": "owner",
    "billing.write": "owner"
  }
  it("every listed operation has its minimum role", () => {
    for (const [op, min] of Object.entries(expected))
      expect([op, Roles.minimumRole(op as Roles.Operation)]).toEqual([op, min])
  })

  it("the table holds exactly the MCP tools and the REST operations", () => {
    expect([...Roles.operations].sort()).toEqual(
      [...mcpTools.map(([t]) => t), ...Object.keys(expected)].sort()
    )
  })

  it("billing is owner-only", () => {
    expect(allRoles.filter((r) => Roles.can(r, "billing.write"))).toEqual(["owner"])
  })

  it("an unknown operation is refused for every role", () => {
    for (const role of allRoles) expect(Roles.can(role, "workflows.delete" as Roles.Operation)).toBe(false)
  })
})

describe("authorize", () => {
  it.effect("succeeds when the role is high enough", () =>
    Effect.gen(function* () {
      yield* Roles.authorize({ role: "editor" }, "run_workflow_now")
      yield* Roles.authorize({ role: "owner" }, "billing.read")
    })
  )

  it.effect("fails with forbidden_role stating the required and the actual role", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Roles.authorize({ role: "viewer" }, "run_workflow_now"))
      expect(error._tag).toBe("ForbiddenRole")
      expect(error.code).toBe("forbidden_role")
      expect(error.required).toBe("editor")
      expect(error.actual).toBe("viewer")
      expect(error.message).toContain("editor")
      expect(error.message).toContain("viewer")
      expect(error.message).toContain("run_workflow_now")
    })
  )

  it.effect("admins cannot touch billing", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Roles.authorize({ role: "admin" }, "billing.write"))
      expect(Exit.isFailure(exit)).toBe(true)
    })
  )
})
