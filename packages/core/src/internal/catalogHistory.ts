/**
 * Reading a server's catalog history for diagnosis and health: which catalog version a run saw,
 * and whether the server has a breaking drift nobody has resolved yet.
 */

import * as Drift from "../Drift.js"
import type { CatalogVersion, ToolChange } from "../domain/Catalog.js"
import type { Run } from "../domain/Run.js"

/** How many catalog versions (newest first) diagnosis and health read: bounded, and deep enough in practice. */
export const HISTORY_DEPTH = 50

/**
 * The catalog version a run saw: the version with the run's `catalogHash` (a restored catalog
 * shares its hash with an older version, so the newest one created before the run started
 * wins), else the newest version created before the run started; `null` when none is known.
 * `versions` is newest first.
 */
export const catalogAt = (
  run: Pick<Run, "catalogHash" | "startedAt" | "createdAt">,
  versions: ReadonlyArray<CatalogVersion>
): CatalogVersion | null => {
  const at = (run.startedAt ?? run.createdAt).getTime()
  const before = versions.filter((v) => v.createdAt.getTime() <= at)
  if (run.catalogHash !== null) {
    const same =
      before.find((v) => v.hash === run.catalogHash) ?? versions.find((v) => v.hash === run.catalogHash)
    if (same !== undefined) return same
  }
  return before[0] ?? null
}

/** A breaking drift of a server still in effect. */
export interface OpenDrift {
  /** The last version before the drift: what workflows and monitors were written against. */
  readonly baselineVersion: number
  /** The version that brought the (first) breaking change. */
  readonly sinceVersion: number
  readonly detectedAt: Date
  readonly latestVersion: number
  /** Breaking changes of the latest catalog against the baseline, by tool name. */
  readonly changes: ReadonlyArray<ToolChange>
}

/**
 * The server's unresolved breaking drift, if any, from its catalog history (newest first). Like
 * the drift incident of alerting, a breaking drift opens one against the version before it, a
 * later catalog identical to that baseline or an older version (`restored`) ends it — and so
 * does any later catalog that no longer breaks anything against the baseline (the server was
 * fixed without being exactly reverted). Further breaking drifts while one is open keep it open.
 */
export const unresolvedDrift = (versions: ReadonlyArray<CatalogVersion>): OpenDrift | null => {
  const oldestFirst = [...versions].sort((a, b) => a.version - b.version)
  let open: { baseline: CatalogVersion; since: CatalogVersion } | null = null
  for (let i = 1; i < oldestFirst.length; i++) {
    const current = oldestFirst[i]!
    const restored = Drift.restoredVersion(current, oldestFirst.slice(0, i))
    if (open !== null) {
      const fixed = !Drift.isBreaking(Drift.diff(open.baseline.tools, current.tools))
      if ((restored !== null && restored <= open.baseline.version) || fixed) open = null
      continue
    }
    if (restored !== null) continue
    if (Drift.isBreaking(Drift.diff(oldestFirst[i - 1]!.tools, current.tools))) {
      open = { baseline: oldestFirst[i - 1]!, since: current }
    }
  }
  if (open === null) return null
  const latest = oldestFirst.at(-1)!
  return {
    baselineVersion: open.baseline.version,
    sinceVersion: open.since.version,
    detectedAt: open.since.createdAt,
    latestVersion: latest.version,
    changes: Drift.changes(Drift.diff(open.baseline.tools, latest.tools)).filter(
      (c) => c.classification === "breaking"
    )
  }
}
