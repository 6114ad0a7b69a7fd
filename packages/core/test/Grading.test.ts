import { describe, expect, it } from "@effect/vitest"
import type { AssertionResult, CriterionResult, RunStatus, Verdict } from "../src/domain/Run.js"
import * as Grading from "../src/Grading.js"

const criterion = (verdict: Verdict, required = true, criterionId = "c"): CriterionResult => ({
  criterionId,
  text: `criterion ${criterionId}`,
  required,
  verdict,
  reasoning: "",
  evidence: []
})
const assertion = (passed: boolean, required = true): AssertionResult => ({
  index: 0,
  type: "no_tool_errors",
  required,
  passed,
  message: "",
  evidence: []
})

describe("roll-up: pass when every required criterion and assertion passed", () => {
  it("all required pass → pass", () => {
    expect(Grading.rollUp([criterion("pass"), criterion("pass")], [assertion(true)])).toBe("pass")
  })

  it("optional failures never prevent pass", () => {
    expect(Grading.rollUp([criterion("pass"), criterion("fail", false)], [assertion(false, false)])).toBe(
      "pass"
    )
  })

  it("a required assertion failing prevents pass", () => {
    expect(Grading.rollUp([criterion("pass")], [assertion(false)])).toBe("partial")
  })
})

describe("roll-up: fail when no required item passed", () => {
  it("all required fail → fail", () => {
    expect(Grading.rollUp([criterion("fail"), criterion("fail")], [assertion(false)])).toBe("fail")
  })

  it("optional passes never prevent fail", () => {
    expect(Grading.rollUp([criterion("fail"), criterion("pass", false)], [assertion(true, false)])).toBe(
      "fail"
    )
  })
})

describe("roll-up: partial when some required items passed", () => {
  it("some pass, some fail → partial", () => {
    expect(Grading.rollUp([criterion("pass"), criterion("fail")], [])).toBe("partial")
    expect(Grading.rollUp([criterion("fail")], [assertion(true)])).toBe("partial")
  })

  it("a partial verdict on the only required criterion → partial (it prevents both pass and fail)", () => {
    expect(Grading.rollUp([criterion("partial")], [])).toBe("partial")
  })

  it("a partial verdict among passes prevents pass", () => {
    expect(Grading.rollUp([criterion("pass"), criterion("partial")], [assertion(true)])).toBe("partial")
  })

  it("a partial verdict among failures prevents fail", () => {
    expect(Grading.rollUp([criterion("fail"), criterion("partial")], [assertion(false)])).toBe("partial")
  })

  it("an optional partial verdict decides nothing", () => {
    expect(Grading.rollUp([criterion("pass"), criterion("partial", false)], [])).toBe("pass")
    expect(Grading.rollUp([criterion("fail"), criterion("partial", false)], [])).toBe("fail")
  })
})

describe("roll-up: nothing required", () => {
  it("with no required item the run passes: nothing required failed", () => {
    expect(Grading.rollUp([], [])).toBe("pass")
    expect(Grading.rollUp([criterion("fail", false)], [assertion(false, false)])).toBe("pass")
  })

  it("required assertions alone decide when every criterion is optional", () => {
    expect(Grading.rollUp([criterion("pass", false)], [assertion(false)])).toBe("fail")
  })
})

describe("pass rate: errors excluded, partial is not passing", () => {
  it("is passes over pass + partial + fail", () => {
    expect(Grading.passRate({ pass: 3, partial: 1, fail: 0, error: 0 })).toBe(0.75)
    expect(Grading.passRate({ pass: 1, partial: 0, fail: 1, error: 8 })).toBe(0.5)
  })

  it("is null when no run completed without error", () => {
    expect(Grading.passRate({ pass: 0, partial: 0, fail: 0, error: 5 })).toBeNull()
    expect(Grading.passRate({ pass: 0, partial: 0, fail: 0, error: 0 })).toBeNull()
  })

  it("is 0 when everything failed or was partial", () => {
    expect(Grading.passRate({ pass: 0, partial: 2, fail: 1, error: 0 })).toBe(0)
  })

  it("countStatuses ignores runs that are not terminal", () => {
    const statuses: RunStatus[] = ["pass", "pending", "running", "error", "fail", "partial", "pass"]
    expect(Grading.countStatuses(statuses)).toEqual({ pass: 2, partial: 1, fail: 1, error: 1 })
  })
})

describe("samples: pass rate, flaky criteria and status of a sample group", () => {
  const sample = (id: string, status: RunStatus, verdicts: Record<string, Verdict>) => ({
    id,
    status,
    criteria: Object.entries(verdicts).map(([cid, v]) => criterion(v, true, cid))
  })

  it("criteria whose verdict differs across samples are flaky, with the verdicts in run order", () => {
    const result = Grading.samples([
      sample("r1", "pass", { a: "pass", b: "pass" }),
      sample("r2", "partial", { a: "pass", b: "fail" }),
      sample("r3", "pass", { a: "pass", b: "pass" })
    ])
    expect(result.runs).toBe(3)
    expect(result.passRate).toBeCloseTo(2 / 3)
    expect(result.flaky).toEqual([{ criterionId: "b", verdicts: ["pass", "fail", "pass"] }])
    expect(result.status).toBe("partial")
  })

  it("a partial verdict differing from pass is flaky too", () => {
    const result = Grading.samples([
      sample("r1", "pass", { a: "pass" }),
      sample("r2", "partial", { a: "partial" })
    ])
    expect(result.flaky).toEqual([{ criterionId: "a", verdicts: ["pass", "partial"] }])
  })

  it("consistent verdicts are not flaky, and a single sample is never flaky", () => {
    expect(
      Grading.samples([sample("r1", "fail", { a: "fail" }), sample("r2", "fail", { a: "fail" })]).flaky
    ).toEqual([])
    expect(Grading.samples([sample("r1", "pass", { a: "pass" })]).flaky).toEqual([])
  })

  it("error runs neither count in the pass rate nor make a criterion flaky", () => {
    const result = Grading.samples([
      sample("r1", "pass", { a: "pass" }),
      sample("r2", "error", { a: "fail" }),
      sample("r3", "pass", { a: "pass" })
    ])
    expect(result.passRate).toBe(1)
    expect(result.flaky).toEqual([])
    expect(result.status).toBe("pass")
  })

  it("status: all pass → pass, all fail → fail, all error → error", () => {
    expect(Grading.samples([sample("r1", "pass", {}), sample("r2", "pass", {})]).status).toBe("pass")
    expect(Grading.samples([sample("r1", "fail", {}), sample("r2", "fail", {})]).status).toBe("fail")
    const errored = Grading.samples([sample("r1", "error", {}), sample("r2", "error", {})])
    expect(errored.status).toBe("error")
    expect(errored.passRate).toBeNull()
  })

  it("status is running while any sample is not terminal, pending before any started", () => {
    expect(Grading.samples([sample("r1", "pass", {}), sample("r2", "running", {})]).status).toBe("running")
    expect(Grading.samples([sample("r1", "pass", {}), sample("r2", "pending", {})]).status).toBe("running")
    expect(Grading.samples([sample("r1", "pending", {}), sample("r2", "pending", {})]).status).toBe("pending")
  })

  it("no runs: nothing to report", () => {
    expect(Grading.samples([])).toEqual({ runs: 0, passRate: null, flaky: [], status: "pending" })
  })

  it("a criterion graded in only some samples is flaky only if its verdicts differ", () => {
    const result = Grading.samples([
      sample("r1", "pass", { a: "pass", b: "pass" }),
      sample("r2", "pass", { a: "pass" })
    ])
    expect(result.flaky).toEqual([])
  })
})
