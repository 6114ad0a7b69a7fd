/**
 * The workspace's publishable packages, read from the root `workspaces` list: every workspace
 * whose package.json is not `private`. The packaging checks and the release dry run take the
 * list from here, so a new package is checked without editing them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const root = fileURLToPath(new URL("..", import.meta.url))

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"))

/** Every workspace: `{ dir, manifest }`, in the root's order. */
export const workspaces = () =>
  readJson(join(root, "package.json")).workspaces.map((dir) => ({
    dir,
    manifest: readJson(join(root, dir, "package.json"))
  }))

/** The workspaces npm would publish. */
export const publishable = () => workspaces().filter((w) => w.manifest.private !== true)
