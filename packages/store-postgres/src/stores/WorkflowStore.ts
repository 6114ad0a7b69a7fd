import {
  StoreError,
  VersionConflict,
  type Workflow,
  WorkflowState,
  WorkflowStore,
  type WorkflowVersion
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import { date, fromJson, json, mapRows, orConflict, orStoreError, pageOf } from "../internal/sql.js"

/** A row of `workflows` as the drivers return it: the current spec, with its indexed parts as columns. */
const WorkflowRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  name: Column.text,
  mcp_server_id: Column.text,
  current_version_id: Column.text,
  version: Column.integer,
  state: WorkflowState,
  scheduled: Column.boolean,
  spec: Column.json,
  created_at: Column.timestamptz,
  updated_at: Column.timestamptz
})
type WorkflowRow = typeof WorkflowRow.Type

/** A row of `workflow_versions` as the drivers return it. */
const VersionRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  workflow_id: Column.text,
  version: Column.integer,
  spec: Column.json,
  created_by: Column.nullable(Column.text),
  created_at: Column.timestamptz
})
type VersionRow = typeof VersionRow.Type

const toWorkflow = (r: WorkflowRow): Workflow => ({
  id: r.id,
  orgId: r.org_id,
  currentVersionId: r.current_version_id,
  version: r.version,
  state: r.state,
  spec: fromJson(r.spec),
  createdAt: date(r.created_at),
  updatedAt: date(r.updated_at)
})

const toVersion = (r: VersionRow): WorkflowVersion => ({
  id: r.id,
  orgId: r.org_id,
  workflowId: r.workflow_id,
  version: r.version,
  spec: fromJson(r.spec),
  createdBy: r.created_by,
  createdAt: date(r.created_at)
})

const versionRow = (v: WorkflowVersion): VersionRow => ({
  id: v.id,
  org_id: v.orgId,
  workflow_id: v.workflowId,
  version: v.version,
  spec: json(v.spec),
  created_by: v.createdBy,
  created_at: v.createdAt
})

const conflicts = {
  workflows_org_name_key: "name",
  workflows_pkey: "id",
  workflow_versions_pkey: "versionId",
  workflow_versions_workflow_version_key: "version"
}

/** `WorkflowStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  return WorkflowStore.of({
    insertWorkflow: (w, v) =>
      sql
        .withTransaction(
          Effect.zipRight(
            sql`INSERT INTO workflows ${sql.insert({
              id: w.id,
              org_id: w.orgId,
              name: w.spec.name,
              mcp_server_id: w.spec.mcpServerId,
              current_version_id: w.currentVersionId,
              version: w.version,
              state: w.state,
              scheduled: w.spec.schedule !== null,
              spec: json(w.spec),
              created_at: w.createdAt,
              updated_at: w.updatedAt
            } satisfies WorkflowRow)}`,
            sql`INSERT INTO workflow_versions ${sql.insert(versionRow(v))}`
          )
        )
        .pipe(Effect.asVoid, orConflict("insertWorkflow", conflicts)),

    // The compare-and-set on current_version_id takes the row lock: of two concurrent appends
    // on the same base, the second re-reads the row after the first commits and matches nothing.
    appendVersion: (v, expectedCurrentVersionId, updatedAt) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const updated = yield* sql`UPDATE workflows SET current_version_id = ${v.id},
                version = ${v.version}, name = ${v.spec.name}, mcp_server_id = ${v.spec.mcpServerId},
                scheduled = ${v.spec.schedule !== null}, spec = ${json(v.spec)}::jsonb,
                updated_at = ${updatedAt}
              WHERE org_id = ${v.orgId} AND id = ${v.workflowId}
                AND current_version_id = ${expectedCurrentVersionId}
              RETURNING id`
            if (updated.length === 0) {
              const current = yield* sql<Pick<WorkflowRow, "current_version_id">>`SELECT current_version_id
                FROM workflows WHERE org_id = ${v.orgId} AND id = ${v.workflowId}`
              const currentVersionId = current[0]?.current_version_id
              if (currentVersionId === undefined) {
                return yield* new StoreError({ message: `appendVersion: no workflow ${v.workflowId}` })
              }
              return yield* new VersionConflict({
                message: "the workflow changed after the version this change was based on",
                expectedVersionId: expectedCurrentVersionId,
                currentVersionId
              })
            }
            yield* sql`INSERT INTO workflow_versions ${sql.insert(versionRow(v))}`
          })
        )
        .pipe(orConflict("appendVersion", conflicts)),

    setState: (orgId, id, state, at) =>
      sql`UPDATE workflows SET state = ${state}, updated_at = ${at}
          WHERE org_id = ${orgId} AND id = ${id}`.pipe(Effect.asVoid, orStoreError("setState")),
    getWorkflow: (orgId, id) =>
      sql<WorkflowRow>`SELECT * FROM workflows WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toWorkflow)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getWorkflow")
      ),
    listWorkflows: (orgId, filter) => {
      const page = pageOf(sql, filter?.page)
      return sql<WorkflowRow>`SELECT * FROM workflows WHERE org_id = ${orgId}
          ${filter?.mcpServerId === undefined ? sql`` : sql`AND mcp_server_id = ${filter.mcpServerId}`}
          ${filter?.includeArchived === true ? sql`` : sql`AND state <> 'archived'`}
          ${filter?.state === undefined ? sql`` : sql`AND state = ${filter.state}`}
          ${page.after} ORDER BY created_at, id ${page.limit}`.pipe(
        Effect.flatMap(mapRows(toWorkflow)),
        orStoreError("listWorkflows")
      )
    },
    getVersion: (orgId, versionId) =>
      sql<VersionRow>`SELECT * FROM workflow_versions WHERE org_id = ${orgId} AND id = ${versionId}`.pipe(
        Effect.flatMap(mapRows(toVersion)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getVersion")
      ),
    listVersions: (orgId, workflowId) =>
      sql<VersionRow>`SELECT * FROM workflow_versions WHERE org_id = ${orgId} AND workflow_id = ${workflowId}
          ORDER BY version DESC`.pipe(Effect.flatMap(mapRows(toVersion)), orStoreError("listVersions")),
    // The scheduler reads every organization's schedules (documented by the port).
    listScheduled: sql<WorkflowRow>`SELECT * FROM workflows WHERE scheduled AND state = 'active'
        ORDER BY created_at, id`.pipe(Effect.flatMap(mapRows(toWorkflow)), orStoreError("listScheduled"))
  })
})

/** Provides `WorkflowStore` from a `SqlClient`. */
export const layer = Layer.effect(WorkflowStore, make)
