import { Proposal, ProposalStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import { date, dateOrNull, fromJson, json, mapRows, orStoreError } from "../internal/sql.js"

/** A row of `proposals` as the drivers return it. */
const ProposalRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  kind: Proposal.fields.kind,
  workflow_id: Column.nullable(Column.text),
  base_version_id: Column.nullable(Column.text),
  spec: Column.json,
  diff: Column.json,
  rationale: Column.text,
  evidence: Column.json,
  warnings: Column.json,
  created_by: Column.nullable(Column.text),
  created_at: Column.timestamptz,
  expires_at: Column.timestamptz,
  applied_at: Column.nullable(Column.timestamptz),
  applied_version_id: Column.nullable(Column.text)
})
type ProposalRow = typeof ProposalRow.Type

const toProposal = (r: ProposalRow): Proposal => ({
  id: r.id,
  orgId: r.org_id,
  kind: r.kind,
  workflowId: r.workflow_id,
  baseVersionId: r.base_version_id,
  spec: fromJson(r.spec),
  diff: fromJson(r.diff),
  rationale: r.rationale,
  evidence: fromJson(r.evidence),
  warnings: fromJson(r.warnings),
  createdBy: r.created_by,
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
  appliedAt: dateOrNull(r.applied_at),
  appliedVersionId: r.applied_version_id
})

/** `ProposalStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  return ProposalStore.of({
    insertProposal: (p) =>
      sql`INSERT INTO proposals ${sql.insert({
        id: p.id,
        org_id: p.orgId,
        kind: p.kind,
        workflow_id: p.workflowId,
        base_version_id: p.baseVersionId,
        spec: json(p.spec),
        diff: json(p.diff),
        rationale: p.rationale,
        evidence: json(p.evidence),
        warnings: json(p.warnings),
        created_by: p.createdBy,
        created_at: p.createdAt,
        expires_at: p.expiresAt,
        applied_at: p.appliedAt,
        applied_version_id: p.appliedVersionId
      } satisfies ProposalRow)}`.pipe(Effect.asVoid, orStoreError("insertProposal")),
    getProposal: (orgId, id) =>
      sql<ProposalRow>`SELECT * FROM proposals WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toProposal)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getProposal")
      ),
    // The `applied_at IS NULL` condition is re-checked after a concurrent apply commits.
    markApplied: (orgId, id, at, versionId) =>
      sql`UPDATE proposals SET applied_at = ${at}, applied_version_id = ${versionId}
          WHERE org_id = ${orgId} AND id = ${id} AND applied_at IS NULL RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("markApplied")
      ),
    // The daily cleanup covers every organization (documented by the port).
    deleteUnappliedBefore: (before) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM proposals WHERE applied_at IS NULL AND created_at < ${before}::timestamptz
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("deleteUnappliedBefore")
      )
  })
})

/** Provides `ProposalStore` from a `SqlClient`. */
export const layer = Layer.effect(ProposalStore, make)
