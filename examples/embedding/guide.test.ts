/**
 * The embedding guide (docs/embedding.md) shows only code that runs in `npm test`: each of its
 * TypeScript blocks is preceded by `<!-- snippet: path#region -->` and equals that region of that
 * file (between `// #region name` and `// #endregion name`), so the guide cannot drift from code.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../", import.meta.url))
const guide = readFileSync(`${root}docs/embedding.md`, "utf8")

/** The region's lines, with their common indentation removed. */
const region = (path: string, name: string): string => {
  const lines = readFileSync(`${root}${path}`, "utf8").split("\n")
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`)
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${name}`)
  if (start < 0 || end < start) throw new Error(`${path} has no region ${name}`)
  const body = lines.slice(start + 1, end)
  const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length))
  return body.map((l) => l.slice(indent)).join("\n")
}

const blocks = [...guide.matchAll(/(?:<!-- snippet: (\S+)#(\S+) -->\n)?```ts\n([\s\S]*?)\n```/g)]

describe("docs/embedding.md", () => {
  it("has snippets", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6)
  })

  it.each(blocks.map((b, i) => [i + 1, b[1], b[2], b[3]] as const))(
    "block %i (%s#%s) is that region of a file CI runs",
    (_i, path, name, code) => {
      expect(path, "every TypeScript block names its source with <!-- snippet: path#region -->").toBeDefined()
      expect(code).toBe(region(path!, name!))
    }
  )
})
