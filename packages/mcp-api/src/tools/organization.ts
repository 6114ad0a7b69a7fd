/** `get_organization_health` (SPEC §9.1): where an agent starts looking. */
import { OrganizationHealth } from "@armature/core"
import { define, reading } from "../Tool.js"

export const getOrganizationHealth = define({
  name: "get_organization_health",
  title: "Organization health",
  summary:
    "The organization at a glance: each workflow's 7-day pass rate (errors excluded), failing " +
    "workflows with the run to diagnose, monitors by state, servers with catalog drift, and coverage " +
    "per server.",
  annotations: reading,
  input: {},
  output: OrganizationHealth.OrganizationHealth,
  run: (caller) => OrganizationHealth.get(caller)
})
