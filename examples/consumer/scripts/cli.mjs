/**
 * The `armature` command as npm installs it: the `bin` link to the bundled CLI of
 * `@armature/server`. It validates a TypeScript monitoring-as-code file, which the bundle loads
 * through `tsx` (a dependency it leaves external), and reports its version.
 *
 * Prints one JSON line: `{ ok, ... }`, `ok` true when both answered as expected.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const project = fileURLToPath(new URL("..", import.meta.url))
const bin = join(project, "node_modules", ".bin", "armature")
const { version } = JSON.parse(
  readFileSync(join(project, "node_modules", "@armature", "server", "package.json"), "utf8")
)

const dir = mkdtempSync(join(project, "cli-"))
try {
  const file = join(dir, "armature.config.ts")
  writeFileSync(
    file,
    [
      'const baseUrl: string = "https://shop.example.com/mcp"',
      "export default {",
      '  servers: [{ name: "shop", transport: "streamable_http", baseUrl }],',
      '  monitors: [{ name: "Order lookup answers", server: "shop", toolName: "get_order", arguments: { orderId: "A-1" } }]',
      "}",
      ""
    ].join("\n")
  )
  const run = (...args) => execFileSync(bin, args, { cwd: project, encoding: "utf8" }).trim()
  const validated = run("validate", file)
  const reported = run("--version")
  console.log(
    JSON.stringify({
      ok: validated.includes('Monitor "Order lookup answers" on server "shop"') && reported === version,
      version: reported,
      validate: validated.split("\n")[0]
    })
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
