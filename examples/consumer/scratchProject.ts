/**
 * The consumer test's scratch project: every publishable package packed with `npm pack` and
 * installed from its tarball into a new project outside the workspace, as an application
 * installs them from the registry. What a tarball lacks (a file left out of `files`, an export
 * pointing nowhere, an undeclared dependency) fails there, where the workspace would hide it.
 */
import { execFile } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const root = fileURLToPath(new URL("../..", import.meta.url))
const here = fileURLToPath(new URL(".", import.meta.url))

interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly peerDependencies?: Record<string, string>
  readonly workspaces?: ReadonlyArray<string>
  readonly overrides?: Record<string, unknown>
}

const readJson = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8"))

/** The workspace's publishable packages (not `private`), with their directories. */
export const publishable = (): ReadonlyArray<{ readonly dir: string; readonly manifest: Manifest }> =>
  (readJson(join(root, "package.json")).workspaces ?? [])
    .map((dir) => ({ dir: join(root, dir), manifest: readJson(join(root, dir, "package.json")) }))
    .filter((p) => p.manifest.private !== true)

/**
 * The environment of the commands run here, without what the surrounding `npm test` and vitest
 * set: an inherited `npm_config_*` (its prefix is the workspace) would point npm back at the
 * workspace, `NODE_OPTIONS` could add the workspace-only `@armature/source` condition, and
 * vitest's own variables would confuse the scratch project's vitest.
 */
export const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|vitest|node_options$|node_env$|test$)/i.test(key))
  )

const exec = promisify(execFile)

/** Runs a command, failing with its output when it fails. */
export const run = async (command: string, args: ReadonlyArray<string>, cwd: string) => {
  try {
    return await exec(command, [...args], { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 })
  } catch (e) {
    const error = e as Error & { stdout?: string; stderr?: string }
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${error.stderr ?? ""}${error.stdout ?? ""}`
    )
  }
}

/** The version of `name` installed in the workspace: the scratch project gets the same. */
const workspaceVersion = (name: string) => readJson(join(root, "node_modules", name, "package.json")).version

export interface ScratchProject {
  readonly dir: string
  /** The packages installed from tarballs, by name. */
  readonly packages: ReadonlyArray<string>
  /** Their peer dependencies, installed beside them. */
  readonly peers: ReadonlyArray<string>
  readonly remove: () => void
}

/**
 * Builds and packs the publishable packages (from their dist/) and installs them into a new project
 * in the system's temporary directory, with the peer dependencies they declare — `effect` and
 * `@effect/*`, one copy for the application — at the workspace's versions, and the workspace's
 * `overrides`. Copies `scripts/` and `suites/` of this folder into it.
 */
export const create = async (): Promise<ScratchProject> => {
  const packages = publishable()
  // Packs what the sources say now: `tsc -b` is incremental, so this takes seconds once built.
  await run("npm", ["run", "build"], root)
  const dir = mkdtempSync(join(tmpdir(), "armature-consumer-"))
  const tarballs = join(dir, "tarballs")
  mkdirSync(tarballs)
  const packed = await run(
    "npm",
    ["pack", "--json", "--pack-destination", tarballs, ...packages.flatMap((p) => ["-w", p.manifest.name])],
    root
  )
  const files = new Map<string, string>(
    JSON.parse(packed.stdout).map((p: { name: string; filename: string }) => [p.name, p.filename])
  )

  // Optional peers too: the suites import `@armature/core/testing`, whose contracts need vitest.
  const peers = [...new Set(packages.flatMap((p) => Object.keys(p.manifest.peerDependencies ?? {})))]
  const dependencies: Record<string, string> = {}
  for (const peer of peers) dependencies[peer] = workspaceVersion(peer)
  for (const p of packages) dependencies[p.manifest.name] = `file:./tarballs/${files.get(p.manifest.name)}`
  const { overrides } = readJson(join(root, "package.json"))
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "armature-consumer", private: true, type: "module", dependencies, overrides }, null, 2)}\n`
  )
  // npm's cache holds every package after the workspace's install; the registry is asked only
  // for what it lacks.
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel", "error"], dir)
  cpSync(join(here, "scripts"), join(dir, "scripts"), { recursive: true })
  cpSync(join(here, "suites"), join(dir, "suites"), { recursive: true })
  return {
    dir,
    packages: packages.map((p) => p.manifest.name),
    peers,
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
