import { describe, expect, it } from "@effect/vitest"
import { validate, version } from "uuid"
import * as RunIds from "../src/RunIds.js"

describe("normalizeReason: trimmed, lower-cased, whitespace collapsed", () => {
  it("normalizes case and whitespace", () => {
    expect(RunIds.normalizeReason("  Verify   the FIX\n\tafter  deploy ")).toBe("verify the fix after deploy")
  })

  it("absent reasons normalize to the empty string", () => {
    expect(RunIds.normalizeReason()).toBe("")
    expect(RunIds.normalizeReason(null)).toBe("")
    expect(RunIds.normalizeReason("   ")).toBe("")
  })
})

describe("runId is a UUIDv5 of workflow id, normalized reason and idempotency key", () => {
  const base = { workflowId: "wf-1", reason: "Verify fix", idempotencyKey: "k-1" }

  it("is a valid version-5 UUID in the Armature namespace", () => {
    const id = RunIds.runId(base)
    expect(validate(id)).toBe(true)
    expect(version(id)).toBe(5)
    expect(validate(RunIds.namespace)).toBe(true)
  })

  it("is stable: the same inputs give the same id on every deployment (pinned values)", () => {
    expect(RunIds.namespace).toBe("e7ae8e5d-2f09-5b0c-b063-7309640999d6")
    expect(RunIds.runId(base)).toBe("b4f4a09e-783c-577c-af59-39ab19735a62")
    expect(RunIds.runId({ workflowId: "wf-1" })).toBe("0da1cbc6-324f-508f-868b-e12b37de3d37")
    expect(RunIds.runId({ workflowId: "wf-1", reason: null, idempotencyKey: null })).toBe(
      RunIds.runId({ workflowId: "wf-1" })
    )
  })

  it("same key and a normalized-equal reason give the same id", () => {
    expect(RunIds.runId({ ...base, reason: "  VERIFY \n fix " })).toBe(RunIds.runId(base))
  })

  it("a different key, reason or workflow gives a different id", () => {
    const id = RunIds.runId(base)
    expect(RunIds.runId({ ...base, idempotencyKey: "k-2" })).not.toBe(id)
    expect(RunIds.runId({ ...base, reason: "Verify fixes" })).not.toBe(id)
    expect(RunIds.runId({ ...base, workflowId: "wf-2" })).not.toBe(id)
  })

  it("an absent key equals an empty key, but differs from any given key", () => {
    expect(RunIds.runId({ workflowId: "wf-1", reason: "r" })).toBe(
      RunIds.runId({ workflowId: "wf-1", reason: "r", idempotencyKey: "" })
    )
    expect(RunIds.runId({ workflowId: "wf-1", reason: "r" })).not.toBe(
      RunIds.runId({ workflowId: "wf-1", reason: "r", idempotencyKey: "x" })
    )
  })

  it("fields cannot bleed into each other (the separator keeps them apart)", () => {
    expect(RunIds.runId({ workflowId: "a", reason: "b c" })).not.toBe(
      RunIds.runId({ workflowId: "a b", reason: "c" })
    )
    expect(RunIds.runId({ workflowId: "w", reason: "x", idempotencyKey: "" })).not.toBe(
      RunIds.runId({ workflowId: "w", reason: "", idempotencyKey: "x" })
    )
  })
})

describe("runId with a tester model (dispatch with allModels)", () => {
  const base = { workflowId: "wf-1", reason: "Verify fix", idempotencyKey: "k-1" }

  it("adds the model to the hashed name; without one the id is unchanged (pinned)", () => {
    expect(RunIds.runId({ ...base, testerModel: undefined })).toBe("b4f4a09e-783c-577c-af59-39ab19735a62")
    expect(RunIds.runId({ ...base, testerModel: null })).toBe(RunIds.runId(base))
    const withModel = RunIds.runId({ ...base, testerModel: "openai:gpt-5-mini" })
    expect(version(withModel)).toBe(5)
    expect(withModel).not.toBe(RunIds.runId(base))
  })

  it("is deterministic per model and differs between models", () => {
    const a = RunIds.runId({ ...base, testerModel: "openai:gpt-5-mini" })
    expect(RunIds.runId({ ...base, reason: " verify  FIX", testerModel: "openai:gpt-5-mini" })).toBe(a)
    expect(RunIds.runId({ ...base, testerModel: "anthropic:claude" })).not.toBe(a)
  })
})
