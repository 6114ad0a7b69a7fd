/**
 * Tool policy (SPEC §3.3): which tools of a server the tester agent is offered.
 *
 * Globs are translated to anchored regular expressions here rather than through picomatch:
 * tool names are flat identifiers, not paths, and path-glob rules (`*` stopping at `/`, dotfiles
 * excluded) would only surprise. Supported: `*` (any run), `?` (one character), `[abc]`,
 * `[a-z]`, `[!abc]` / `[^abc]`; everything else is literal.
 */
import type { Tool } from "./domain/Catalog.js"
import type { ToolPolicy } from "./domain/Workflow.js"

/** Whether a policy entry is a glob pattern rather than an exact tool name. */
export const isPattern = (entry: string): boolean => /[*?[]/.test(entry)

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

const compiled = new Map<string, RegExp>()

/** The anchored regular expression of a glob entry. */
const globRegExp = (glob: string): RegExp => {
  const cached = compiled.get(glob)
  if (cached) return cached
  let source = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === "*") {
      source += ".*"
    } else if (c === "?") {
      source += "."
    } else if (c === "[") {
      // An unterminated class is a literal `[`, as in shells.
      const end = glob.indexOf("]", i + 2)
      if (end === -1) {
        source += "\\["
        continue
      }
      let body = glob.slice(i + 1, end)
      const negate = body.startsWith("!") || body.startsWith("^")
      if (negate) body = body.slice(1)
      source += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`
      i = end
    } else {
      source += escapeRegExp(c)
    }
  }
  const re = new RegExp(`^${source}$`, "su")
  if (compiled.size < 1000) compiled.set(glob, re)
  return re
}

/** Whether a policy entry (exact name or glob) matches a tool name; exact names match only themselves. */
export const matches = (entry: string, toolName: string): boolean => {
  if (!isPattern(entry)) return entry === toolName
  try {
    return globRegExp(entry).test(toolName)
  } catch {
    // A character class the RegExp engine rejects (e.g. `[z-a]`) matches nothing rather than throwing.
    return false
  }
}

/** Whether any entry of a list matches the name. */
const anyMatch = (entries: ReadonlyArray<string> | undefined, name: string): string | undefined =>
  entries?.find((entry) => matches(entry, name))

/** Whether the policy lists no `allowedTools` at all, so every tool is offered (an open policy). */
export const isOpen = (policy: ToolPolicy): boolean => policy.allowedTools === undefined

/** Decision for a name alone: `deniedTools` wins, then `allowedTools` (absent = open). */
const decideName = (name: string, policy: ToolPolicy): { allowed: boolean; reason?: string } => {
  const denied = anyMatch(policy.deniedTools, name)
  if (denied !== undefined) return { allowed: false, reason: `denied by deniedTools entry \`${denied}\`` }
  if (!isOpen(policy) && anyMatch(policy.allowedTools, name) === undefined) {
    return { allowed: false, reason: "not matched by any allowedTools entry" }
  }
  return { allowed: true }
}

/** Whether the policy offers a tool to the agent, and if not, why. */
export const decide = (tool: Tool, policy: ToolPolicy): { allowed: boolean; reason?: string } => {
  const byName = decideName(tool.name, policy)
  if (!byName.allowed) return byName
  if (policy.allowDestructive === false && tool.annotations?.destructiveHint === true) {
    return { allowed: false, reason: "destructive (destructiveHint: true) and allowDestructive is false" }
  }
  return { allowed: true }
}

/** Splits a tool list into the tools offered to the agent and the hidden ones with reasons. */
export const apply = (
  tools: ReadonlyArray<Tool>,
  policy: ToolPolicy
): { allowed: Tool[]; hidden: Array<{ tool: string; reason: string }> } => {
  const allowed: Tool[] = []
  const hidden: Array<{ tool: string; reason: string }> = []
  for (const tool of tools) {
    const decision = decide(tool, policy)
    if (decision.allowed) allowed.push(tool)
    else hidden.push({ tool: tool.name, reason: decision.reason ?? "not allowed" })
  }
  return { allowed, hidden }
}

/**
 * Whether a call to `name` is allowed — for calls to names the agent may have invented. With the
 * catalog entry given, its annotations count too; without it only the name rules can apply.
 */
export const isAllowedName = (name: string, policy: ToolPolicy, tool?: Tool): boolean =>
  tool !== undefined && tool.name === name ? decide(tool, policy).allowed : decideName(name, policy).allowed

/**
 * Tool names the policy covers for coverage (SPEC §6): exact names in `allowedTools` only, minus
 * those `deniedTools` takes away again. Wildcards and open policies cover nothing.
 */
export const coveringNames = (policy: ToolPolicy): string[] => {
  if (policy.allowedTools === undefined) return []
  const names = policy.allowedTools.filter(
    (entry) => !isPattern(entry) && anyMatch(policy.deniedTools, entry) === undefined
  )
  return [...new Set(names)]
}
