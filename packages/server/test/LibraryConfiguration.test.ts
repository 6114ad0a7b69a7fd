/**
 * Configuration enters the libraries through their layers' options or a `Config.Wrap`; the one
 * place that names environment variables is the server's configuration module. This keeps it so:
 * no library source reads `process.env` or builds a `Config` from a variable's name — except
 * passing the parent's `PATH` to a stdio child process, which is not configuration.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..")
const libraries = ["core", "store-postgres", "runner", "alerts", "mcp-api"]

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts") || entry.name.endsWith(".tsx")
        ? [join(dir, entry.name)]
        : []
  )

/** Code lines only: comments may name variables (as documentation of the server's names). */
const codeLines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .map((line, i) => ({ line, at: `${file.slice(root.length + 1)}:${i + 1}` }))
    .filter(({ line }) => !/^\s*(\*|\/\/|\/\*)/.test(line))

const constructors =
  /Config\.(string|redacted|secret|integer|number|boolean|duration|literal|url|array|date|logLevel)\(\s*["'`]/

describe("library configuration", () => {
  const lines = libraries.flatMap((library) => sources(join(root, library, "src")).flatMap(codeLines))

  it("reads the sources of every library", () => {
    expect(lines.length).toBeGreaterThan(10_000)
  })

  it("no library reads process.env, except PATH for a stdio child", () => {
    const reads = lines.filter(
      ({ line }) => line.includes("process.env") && !line.includes("process.env.PATH")
    )
    expect(reads.map((r) => r.at)).toEqual([])
  })

  it("no library builds a Config from an environment variable's name", () => {
    expect(lines.filter(({ line }) => constructors.test(line)).map((r) => r.at)).toEqual([])
  })
})
