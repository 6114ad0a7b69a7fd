/** The fixture MCP server in its own process (so the benchmark's client side has a core to itself). */
import { startFixture } from "../test/fixtures/fixtureServer.js"

const fixture = await startFixture()
process.stdout.write(`${fixture.url}\n`)
process.on("SIGTERM", () => void fixture.close().then(() => process.exit(0)))
