#!/usr/bin/env node
/**
 * `npm run check:packages`: lints what each publishable package would put on npm, after
 * `npm run build` (the packages publish their built dist/).
 *
 * - publint, strict (a warning fails too): `exports` targets that are missing or not in `files`,
 *   condition order (`types` before `default`), module formats. It runs on the package
 *   directory, so it can tell a file that exists but is not published from one that does not
 *   exist. The workspace-only `@armature/source` condition is a custom condition; publint
 *   checks that its target is published (it is: `src/` ships for the declaration maps).
 * - attw ("Are the types wrong?") on the packed tarball, with the `esm-only` profile: every
 *   entry point's types resolve, under node16 (ESM) and bundler resolution, to declarations
 *   that match its JavaScript. The profile leaves out CommonJS `require` and node10 resolution,
 *   which an ESM-only package does not serve.
 *
 * Prints one verdict line per package, then the findings; exits 1 on any finding (publint's
 * suggestions included: there are none today, so a new one is worth a look).
 */
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { publint } from "publint"
import { formatMessage } from "publint/utils"
import { publishable, root } from "./workspacePackages.mjs"

const run = promisify(execFile)
const attwBin = join(root, "node_modules", ".bin", "attw")

const packages = publishable()
const unbuilt = packages.filter((p) => !existsSync(join(root, p.dir, "dist")))
if (unbuilt.length > 0) {
  console.error(`Not built: ${unbuilt.map((p) => p.manifest.name).join(", ")}. Run \`npm run build\` first.`)
  process.exit(1)
}

/** publint's findings on the package directory, as lines. */
const lintManifest = async ({ dir }) => {
  const { messages, pkg } = await publint({ pkgDir: join(root, dir), pack: "npm", strict: true })
  return messages.map((m) => `publint ${m.type}: ${formatMessage(m, pkg, { color: false })}`)
}

const entryPointsOf = (json) => {
  try {
    return Object.keys(JSON.parse(json).analysis.entrypoints)
  } catch {
    return []
  }
}

/** attw's findings on the tarball, as lines (its own report when it fails). */
const checkTypes = async (tarball) => {
  const args = [tarball, "--profile", "esm-only", "--no-color", "--no-emoji"]
  try {
    const { stdout } = await run(attwBin, [...args, "--format", "json"], { maxBuffer: 256 * 1024 * 1024 })
    return { entryPoints: entryPointsOf(stdout), findings: [] }
  } catch (error) {
    if (typeof error.code !== "number") throw error
    // attw exits 1 on a problem the profile counts; its table says which entry point and why.
    const report = await run(attwBin, [...args, "--format", "ascii"], { maxBuffer: 64 * 1024 * 1024 }).then(
      (r) => r.stdout,
      (e) => `${e.stdout ?? ""}${e.stderr ?? ""}`
    )
    return { entryPoints: entryPointsOf(error.stdout), findings: [`attw: ${report.trim()}`] }
  }
}

/** Runs `task` over `items`, `width` at a time, keeping the order of the results. */
const pooled = async (items, width, task) => {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
  return results
}

const packDir = mkdtempSync(join(tmpdir(), "armature-check-packages-"))
try {
  // One `npm pack` for all: the tarballs attw reads are the ones `npm publish` would upload.
  const { stdout } = await run(
    "npm",
    ["pack", "--json", "--pack-destination", packDir, ...packages.flatMap((p) => ["-w", p.manifest.name])],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 }
  )
  const packed = new Map(JSON.parse(stdout).map((p) => [p.name, { file: p.filename, size: p.size }]))

  const verdicts = await pooled(packages, Math.max(1, availableParallelism()), async (p) => {
    const tarball = packed.get(p.manifest.name)
    const [lint, types] = await Promise.all([lintManifest(p), checkTypes(join(packDir, tarball.file))])
    return {
      name: p.manifest.name,
      size: tarball.size,
      entryPoints: types.entryPoints,
      findings: [...lint, ...types.findings]
    }
  })

  for (const v of verdicts) {
    const verdict = v.findings.length === 0 ? "ok" : `${v.findings.length} finding(s)`
    const kb = Math.round(v.size / 1024)
    console.log(
      `${v.findings.length === 0 ? "✓" : "✗"} ${v.name}: ${verdict} (${kb} kB packed; entry points ${v.entryPoints.join(", ") || "—"})`
    )
  }
  const failed = verdicts.filter((v) => v.findings.length > 0)
  for (const v of failed)
    console.error(`\n${v.name}:\n${v.findings.map((f) => `  ${f.replaceAll("\n", "\n  ")}`).join("\n")}`)
  if (failed.length > 0) process.exitCode = 1
} finally {
  rmSync(packDir, { recursive: true, force: true })
}
