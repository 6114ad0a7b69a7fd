#!/usr/bin/env node
/**
 * `npm run check:release`: a changesets release, run for real on a scratch copy, short of
 * uploading. It proves that the release configuration works, not only that it parses:
 *
 * 1. In a throwaway git repository (branch `main`, the config's `baseBranch`) holding copies of
 *    the manifests and of `.changeset/`, `changeset status` reads the config and every pending
 *    changeset (an unknown package in `ignore`, `fixed` or a changeset fails here).
 * 2. A patch changeset for every publishable package, then `changeset status --output`: the
 *    release plan must release each of them.
 * 3. `changeset version` applies the plan. Each package must then carry the planned version and a
 *    CHANGELOG entry, and every dependency between workspace packages must accept the new
 *    version (`updateInternalDependencies`): a range left at the old version would make npm
 *    fetch, or fail to find, a copy that was never published.
 * 4. `npm publish --dry-run` of every publishable package in the workspace (after
 *    `npm run build`), with the config's access as `changeset publish` passes it: npm builds
 *    each upload and accepts the manifest (not private). Its registry is a loopback fake that
 *    knows no package, so the public registry is never asked and nothing can be uploaded.
 *
 * Not covered: the npm account, token and 2FA, and which versions the registry already holds.
 * The working tree is never written; the scratch copy is deleted at the end.
 */
import { execFile, execFileSync } from "node:child_process"
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import { publishable, root, workspaces } from "./workspacePackages.mjs"

// The same semver changesets itself uses to compute versions and ranges.
const semver = createRequire(createRequire(import.meta.url).resolve("@changesets/cli/package.json"))("semver")

const changesetBin = join(root, "node_modules", ".bin", "changeset")
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"))
const problems = []

const all = workspaces()
const released = publishable()
const config = readJson(join(root, ".changeset", "config.json"))
const scratch = mkdtempSync(join(tmpdir(), "armature-release-dry-run-"))

/** Runs a command in the scratch copy; git there sees only the scratch repository. */
const inScratch = (command, args) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIT_")))
  return execFileSync(command, args, {
    cwd: scratch,
    env: { ...env, GIT_DIR: join(scratch, ".git"), GIT_WORK_TREE: scratch, GIT_CONFIG_NOSYSTEM: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"]
  })
}
const git = (...args) =>
  inScratch("git", ["-c", "user.name=release-dry-run", "-c", "user.email=dry-run@armature.invalid", ...args])
const changeset = (...args) => inScratch(changesetBin, args)
const run = promisify(execFile)

/**
 * A registry on 127.0.0.1 that has never heard of any package: npm's dry run asks it which
 * versions exist (404: none), so the run needs no network and cannot depend on what the public
 * registry holds. Anything but a read is recorded, and fails the check.
 */
const fakeRegistry = () =>
  new Promise((resolve) => {
    const writes = []
    const server = createServer((req, res) => {
      if (req.method !== "GET" && req.method !== "HEAD") writes.push(`${req.method} ${req.url}`)
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}')
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, writes, close: () => server.close() })
    )
  })

try {
  for (const file of ["package.json", ...all.map((w) => join(w.dir, "package.json"))]) {
    mkdirSync(dirname(join(scratch, file)), { recursive: true })
    cpSync(join(root, file), join(scratch, file))
  }
  cpSync(join(root, ".changeset"), join(scratch, ".changeset"), { recursive: true })
  // The changelog generator named in the config resolves from here.
  symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"), "dir")
  writeFileSync(join(scratch, ".gitignore"), "node_modules\n")
  git("init", "--quiet", `--initial-branch=${config.baseBranch}`)
  git("add", "--all")
  git("commit", "--quiet", "--no-gpg-sign", "--message", "workspace manifests")

  // 1. The config and the pending changesets.
  changeset("status")
  const pending = readdirSync(join(scratch, ".changeset")).filter(
    (f) => f.endsWith(".md") && f !== "README.md"
  )
  console.log(`changeset status: the config and ${pending.length} pending changeset(s) read`)

  // 2. A release of every publishable package.
  const frontMatter = released.map((p) => `"${p.manifest.name}": patch`).join("\n")
  writeFileSync(
    join(scratch, ".changeset", "release-dry-run.md"),
    `---\n${frontMatter}\n---\n\nRelease dry run.\n`
  )
  changeset("status", "--output", "release-plan.json")
  const plan = readJson(join(scratch, "release-plan.json"))
  const planned = new Map(plan.releases.map((r) => [r.name, r]))
  for (const p of released) {
    const release = planned.get(p.manifest.name)
    if (release === undefined || release.type === "none")
      problems.push(`${p.manifest.name}: not in the release plan`)
  }
  const scoped = released.filter((p) => p.manifest.name.startsWith("@"))
  for (const p of scoped) {
    if ((p.manifest.publishConfig?.access ?? config.access) !== "public") {
      problems.push(
        `${p.manifest.name}: a scoped package publishes as restricted unless "access" is "public"`
      )
    }
  }

  // 3. The versioned manifests.
  changeset("version")
  const versioned = new Map(all.map((w) => [w.manifest.name, readJson(join(scratch, w.dir, "package.json"))]))
  for (const p of released) {
    const name = p.manifest.name
    const manifest = versioned.get(name)
    const expected = planned.get(name)?.newVersion
    if (manifest.version !== expected)
      problems.push(`${name}: version ${manifest.version}, planned ${expected}`)
    const changelog = join(scratch, p.dir, "CHANGELOG.md")
    if (!existsSync(changelog) || !readFileSync(changelog, "utf8").includes(`## ${expected}`)) {
      problems.push(`${name}: no CHANGELOG.md entry for ${expected}`)
    }
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        const target = versioned.get(dep)
        if (target === undefined) continue
        if (target.private === true) problems.push(`${name}: ${field} has the private package ${dep}`)
        else if (!semver.satisfies(target.version, range)) {
          problems.push(
            `${name}: ${field}.${dep} is "${range}", which ${dep} ${target.version} does not satisfy`
          )
        }
      }
    }
  }
  const versions = [
    ...new Set(released.map((p) => `${p.manifest.version} → ${versioned.get(p.manifest.name).version}`))
  ]
  console.log(
    `changeset version: ${released.length} packages versioned (${versions.join(", ")}), changelogs written`
  )

  // 4. What `changeset publish` runs, without uploading.
  const registry = await fakeRegistry()
  try {
    await run(
      "npm",
      [
        "publish",
        "--dry-run",
        "--ignore-scripts",
        "--access",
        config.access ?? "restricted",
        "--registry",
        registry.url,
        ...released.flatMap((p) => ["-w", p.manifest.name])
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 }
    )
  } finally {
    registry.close()
  }
  if (registry.writes.length > 0) problems.push(`npm publish --dry-run sent ${registry.writes.join(", ")}`)
  console.log(`npm publish --dry-run: ${released.length} packages accepted`)
} catch (error) {
  // A failed command's message is its command line and its stderr; its stdout says where it was.
  problems.push([error.message.trim(), error.stdout?.trim()].filter(Boolean).join("\n"))
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

if (problems.length > 0) {
  console.error(`Release dry run failed:\n${problems.map((p) => `- ${p}`).join("\n")}`)
  process.exitCode = 1
} else {
  console.log("release dry run: ok")
}
