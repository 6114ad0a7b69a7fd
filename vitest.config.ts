import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

// Tests import workspace packages from their TypeScript sources, so no build is needed first.
// Vitest also hands these conditions to Node (`--conditions`), whose `require` must not take a
// bundler-only `module` build: @opentelemetry/api's (which prom-client requires) does not load in Node.
const conditions = ["@armature/source", ...defaultServerConditions.filter((c) => c !== "module")]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 120_000
  }
})
