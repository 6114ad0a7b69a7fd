import { describe, expect, it } from "@effect/vitest"
import type { Schedule } from "../src/domain/Workflow.js"
import * as Schedules from "../src/Schedules.js"

const at = (iso: string) => new Date(iso)
const iso = (dates: ReadonlyArray<Date>) => dates.map((d) => d.toISOString())
const utc = (cron: string): Schedule => ({ cron, timezone: "UTC" })

describe("presets", () => {
  it("are Manual, every 15 and 30 minutes, hourly and daily at 09:00, each labelled by label()", () => {
    expect(Schedules.presets.map((p) => p.cron)).toEqual([
      null,
      "*/15 * * * *",
      "*/30 * * * *",
      "0 * * * *",
      "0 9 * * *"
    ])
    for (const preset of Schedules.presets) {
      expect(Schedules.label(preset.cron === null ? null : utc(preset.cron))).toBe(preset.label)
      if (preset.cron !== null) expect(Schedules.validate(utc(preset.cron))).toEqual([])
    }
  })
})

describe("validate: five-field cron and an IANA time zone, errors name the field", () => {
  it("manual (null) and valid schedules have no errors", () => {
    expect(Schedules.validate(null)).toEqual([])
    expect(Schedules.validate({ cron: "0 9 * * 1-5", timezone: "Europe/Oslo" })).toEqual([])
  })

  it("an invalid cron names schedule.cron", () => {
    const errors = Schedules.validate(utc("61 * * * *"))
    expect(errors.map((e) => e.field)).toEqual(["schedule.cron"])
    expect(errors[0]!.message).toContain("Invalid cron")
  })

  it("only exactly five fields are accepted (no seconds field, no @macros)", () => {
    for (const cron of ["0 0 9 * * *", "0 9 * *", "", "@hourly"]) {
      expect(Schedules.validate(utc(cron)).map((e) => e.field)).toEqual(["schedule.cron"])
    }
  })

  it("an unknown time zone names schedule.timezone", () => {
    expect(Schedules.validate({ cron: "0 9 * * *", timezone: "Mars/Olympus" })).toEqual([
      { field: "schedule.timezone", message: 'Unknown IANA time zone "Mars/Olympus"' }
    ])
    expect(Schedules.validate({ cron: "0 9 * * *", timezone: "+01:00" }).map((e) => e.field)).toEqual([
      "schedule.timezone"
    ])
  })

  it("both fields are reported together, rooted at the given field", () => {
    const errors = Schedules.validate({ cron: "bad", timezone: "Nowhere" }, "changes.schedule")
    expect(errors.map((e) => e.field).sort()).toEqual(["changes.schedule.cron", "changes.schedule.timezone"])
  })

  it("a cron that never fires is invalid", () => {
    expect(Schedules.validate(utc("0 0 30 2 *")).map((e) => e.message)).toEqual([
      "The cron expression never fires"
    ])
  })

  it("a missing time zone means UTC; non-string input is reported, never thrown", () => {
    expect(Schedules.validate({ cron: "0 9 * * *" } as Schedule)).toEqual([])
    expect(
      Schedules.validate({ cron: 5, timezone: 7 } as unknown as Schedule)
        .map((e) => e.field)
        .sort()
    ).toEqual(["schedule.cron", "schedule.timezone"])
  })
})

describe("nextFires", () => {
  it("lists fire times strictly after `from`", () => {
    expect(iso(Schedules.nextFires(utc("*/15 * * * *"), at("2026-01-01T10:15:00Z"), 3))).toEqual([
      "2026-01-01T10:30:00.000Z",
      "2026-01-01T10:45:00.000Z",
      "2026-01-01T11:00:00.000Z"
    ])
  })

  it("stays at 09:00 local across the spring DST change in America/New_York (2026-03-08)", () => {
    const fires = Schedules.nextFires(
      { cron: "0 9 * * *", timezone: "America/New_York" },
      at("2026-03-06T12:00:00Z"),
      4
    )
    expect(iso(fires)).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
      "2026-03-09T13:00:00.000Z"
    ])
  })

  it("stays at 09:00 local across the autumn DST change in Europe/Berlin (2026-10-25)", () => {
    const fires = Schedules.nextFires(
      { cron: "0 9 * * *", timezone: "Europe/Berlin" },
      at("2026-10-23T00:00:00Z"),
      4
    )
    expect(iso(fires)).toEqual([
      "2026-10-23T07:00:00.000Z",
      "2026-10-24T07:00:00.000Z",
      "2026-10-25T08:00:00.000Z",
      "2026-10-26T08:00:00.000Z"
    ])
  })

  it("is empty for manual, invalid and never-firing schedules, and for count 0", () => {
    const from = at("2026-01-01T00:00:00Z")
    expect(Schedules.nextFires(null, from, 3)).toEqual([])
    expect(Schedules.nextFires(utc("nope"), from, 3)).toEqual([])
    expect(Schedules.nextFires({ cron: "0 9 * * *", timezone: "Mars/Olympus" }, from, 3)).toEqual([])
    expect(Schedules.nextFires(utc("0 0 30 2 *"), from, 3)).toEqual([])
    expect(Schedules.nextFires(utc("0 9 * * *"), from, 0)).toEqual([])
  })
})

describe("label", () => {
  it("names the presets and common shapes", () => {
    expect(Schedules.label(null)).toBe("Manual")
    expect(Schedules.label(utc("*/15 * * * *"))).toBe("Every 15 minutes")
    expect(Schedules.label(utc("*/30 * * * *"))).toBe("Every 30 minutes")
    expect(Schedules.label(utc("0 * * * *"))).toBe("Hourly")
    expect(Schedules.label(utc("* * * * *"))).toBe("Every minute")
    expect(Schedules.label(utc("0 */6 * * *"))).toBe("Every 6 hours")
  })

  it("daily schedules show the time, and the zone unless it is UTC", () => {
    expect(Schedules.label(utc("0 9 * * *"))).toBe("Daily at 09:00")
    expect(Schedules.label({ cron: "30 7 * * *", timezone: "Europe/Oslo" })).toBe(
      "Daily at 07:30 (Europe/Oslo)"
    )
  })

  it("anything else falls back to the expression and its zone", () => {
    expect(Schedules.label({ cron: "0 9 * * 1-5", timezone: "America/New_York" })).toBe(
      "Cron `0 9 * * 1-5` (America/New_York)"
    )
    expect(Schedules.label(utc("*/7 * * * *"))).toBe("Cron `*/7 * * * *` (UTC)")
  })

  it("with several tester models, says across how many", () => {
    expect(Schedules.label(utc("0 * * * *"), 3)).toBe("Hourly · across 3 models")
    expect(Schedules.label(utc("0 * * * *"), 1)).toBe("Hourly")
  })
})

describe("models are staggered by a fixed offset", () => {
  it("model i runs i × staggerMs after the fire", () => {
    expect(Schedules.staggerMs).toBeGreaterThan(0)
    expect([0, 1, 2].map(Schedules.modelOffset)).toEqual([0, Schedules.staggerMs, 2 * Schedules.staggerMs])
  })

  it("a negative or fractional index gets no offset", () => {
    expect(Schedules.modelOffset(-1)).toBe(0)
    expect(Schedules.modelOffset(1.5)).toBe(0)
  })
})

describe("interval", () => {
  it("is the gap between consecutive fires", () => {
    expect(Schedules.interval(utc("*/15 * * * *"), at("2026-01-01T10:20:00Z"))).toBe(15 * 60_000)
    expect(Schedules.interval(utc("0 9 * * *"), at("2026-01-01T10:00:00Z"))).toBe(24 * 3_600_000)
  })

  it("follows wall-clock time across DST: a 23-hour day in spring, 25 in autumn", () => {
    const ny = { cron: "0 9 * * *", timezone: "America/New_York" }
    expect(Schedules.interval(ny, at("2026-03-07T15:00:00Z"))).toBe(23 * 3_600_000)
    const berlin = { cron: "0 9 * * *", timezone: "Europe/Berlin" }
    expect(Schedules.interval(berlin, at("2026-10-24T10:00:00Z"))).toBe(25 * 3_600_000)
  })

  it("is 0 for manual and invalid schedules", () => {
    expect(Schedules.interval(null, at("2026-01-01T00:00:00Z"))).toBe(0)
    expect(Schedules.interval(utc("bad"), at("2026-01-01T00:00:00Z"))).toBe(0)
  })
})

describe("dueFire: no backfill, misfire grace of one interval", () => {
  const hourly = utc("0 * * * *")

  it("a fire exactly at `now` is due", () => {
    expect(Schedules.dueFire(hourly, at("2026-01-01T09:00:00Z"), at("2026-01-01T10:00:00Z"))).toEqual(
      at("2026-01-01T10:00:00Z")
    )
  })

  it("a fire late by less than one interval still runs once", () => {
    const last = at("2026-01-01T09:00:00Z")
    expect(Schedules.dueFire(hourly, last, at("2026-01-01T10:59:00Z"))).toEqual(at("2026-01-01T10:00:00Z"))
    // Once it ran, it is not due again.
    expect(Schedules.dueFire(hourly, at("2026-01-01T10:00:00Z"), at("2026-01-01T10:59:00Z"))).toBeNull()
  })

  it("after downtime only the most recent fire runs; older missed fires are skipped", () => {
    const last = at("2026-01-01T03:00:00Z")
    expect(Schedules.dueFire(hourly, last, at("2026-01-01T10:30:00Z"))).toEqual(at("2026-01-01T10:00:00Z"))
    const daily = utc("0 9 * * *")
    expect(Schedules.dueFire(daily, at("2025-12-20T09:00:00Z"), at("2026-01-01T12:00:00Z"))).toEqual(
      at("2026-01-01T09:00:00Z")
    )
  })

  it("nothing is due between fires", () => {
    expect(Schedules.dueFire(hourly, at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:01Z"))).toBeNull()
  })

  it("with uneven gaps, a fire that waited longer than its own interval is skipped", () => {
    // Fires at 09:00 and 10:00: the 10:00 fire has a one-hour grace.
    const twice = utc("0 9,10 * * *")
    const last = at("2026-01-01T09:00:00Z")
    expect(Schedules.dueFire(twice, last, at("2026-01-01T10:59:00Z"))).toEqual(at("2026-01-01T10:00:00Z"))
    expect(Schedules.dueFire(twice, last, at("2026-01-01T11:00:00Z"))).toBeNull()
    // The 09:00 fire comes 23 hours after the previous 10:00 one, so it has a 23-hour grace.
    expect(Schedules.dueFire(twice, at("2026-01-01T10:00:00Z"), at("2026-01-02T09:30:00Z"))).toEqual(
      at("2026-01-02T09:00:00Z")
    )
    // At 20:00 the most recent fire (10:00) is ten hours late: nothing runs until 09:00 tomorrow.
    expect(Schedules.dueFire(twice, at("2026-01-01T10:00:00Z"), at("2026-01-02T20:00:00Z"))).toBeNull()
  })

  it("a schedule that never fired may fire its most recent fire", () => {
    expect(Schedules.dueFire(hourly, null, at("2026-01-01T10:20:00Z"))).toEqual(at("2026-01-01T10:00:00Z"))
  })

  it("fires at local time on the DST change day", () => {
    const ny = { cron: "0 9 * * *", timezone: "America/New_York" }
    expect(Schedules.dueFire(ny, at("2026-03-07T14:00:00Z"), at("2026-03-08T13:30:00Z"))).toEqual(
      at("2026-03-08T13:00:00Z")
    )
    expect(Schedules.dueFire(ny, at("2026-03-07T14:00:00Z"), at("2026-03-08T12:59:00Z"))).toBeNull()
  })

  it("manual and invalid schedules are never due", () => {
    expect(Schedules.dueFire(null, null, at("2026-01-01T10:00:00Z"))).toBeNull()
    expect(Schedules.dueFire(utc("0 0 30 2 *"), null, at("2026-01-01T10:00:00Z"))).toBeNull()
  })
})
