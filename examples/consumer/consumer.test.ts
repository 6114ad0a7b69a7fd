/**
 * The tarball consumer test: the packages as npm would publish them, installed into a project
 * outside the workspace, used by plain JavaScript. It builds first (incrementally: seconds when
 * `dist/` is current), so it always tests the sources as they are. Each `scripts/*.mjs` runs with node and prints one JSON line that must say
 * `"ok": true`; the `suites/` run under the scratch project's own vitest.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Scratch from "./scratchProject.js"

const scripts = readdirSync(fileURLToPath(new URL("./scripts", import.meta.url))).filter((f) =>
  f.endsWith(".mjs")
)

let project: Scratch.ScratchProject | undefined
beforeAll(async () => {
  project = await Scratch.create()
}, 300_000)
afterAll(() => project?.remove())

const scratch = () => {
  if (project === undefined) throw new Error("the scratch project was not created")
  return project
}

/** The last line a script printed, as JSON. */
const verdictOf = (stdout: string): { ok?: unknown } => {
  const last = stdout.trim().split("\n").at(-1) ?? ""
  try {
    return JSON.parse(last)
  } catch {
    throw new Error(`the script's last line is not JSON:\n${stdout}`)
  }
}

describe("the packed packages, installed from their tarballs outside the workspace", () => {
  it("holds one copy of each package and of each peer (effect, @effect/*)", { timeout: 60_000 }, async () => {
    const { dir, packages, peers } = scratch()
    // npm ls fails on a missing or invalid dependency; it lists the path of every copy installed.
    const { stdout } = await Scratch.run("npm", ["ls", "--all", "--parseable"], dir)
    const copies = (name: string) =>
      stdout.split("\n").filter((path) => path.endsWith(`/node_modules/${name}`))
    for (const name of [...packages, ...peers]) {
      expect(copies(name), name).toEqual([join(dir, "node_modules", name)])
    }
  })

  for (const script of scripts) {
    it(`scripts/${script} runs and reports ok`, { timeout: 120_000 }, async () => {
      const { stdout } = await Scratch.run(process.execPath, [join("scripts", script)], scratch().dir)
      const verdict = verdictOf(stdout)
      expect(verdict, stdout).toMatchObject({ ok: true })
    })
  }

  it("the testing kit's contract suites pass under the consumer's vitest", { timeout: 120_000 }, async () => {
    const { dir } = scratch()
    const vitest = join(dir, "node_modules", ".bin", "vitest")
    await Scratch.run(vitest, ["run", "suites", "--reporter=json", "--outputFile=suites.json"], dir)
    const report = JSON.parse(readFileSync(join(dir, "suites.json"), "utf8"))
    expect(report.numFailedTests).toBe(0)
    expect(report.numPassedTests).toBeGreaterThan(0)
    expect(report.success).toBe(true)
  })
})
