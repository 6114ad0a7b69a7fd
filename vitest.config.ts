import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

// Tests import workspace packages from their TypeScript sources, so no build is needed first.
const conditions = ["@armature/source", ...defaultServerConditions]

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
