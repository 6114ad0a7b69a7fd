/**
 * The prompt table of the MCP API (SPEC §9.5): `prompts/list` lists it, `prompts/get` fills an
 * entry in. Prompts are for every role: they only name tools, and each tool checks its own role.
 */
import { Validation } from "@armature/core"
import { Effect } from "effect"
import type { GetPromptResult, ListedPrompt } from "./internal/sdk.js"
import { argumentsOf, type Prompt } from "./Prompt.js"
import { designWorkflowSuite } from "./prompts/designWorkflowSuite.js"
import { repairFailingWorkflow } from "./prompts/repairFailingWorkflow.js"

/** Every prompt of the API. */
export const prompts: ReadonlyArray<Prompt> = [repairFailingWorkflow, designWorkflowSuite]

const byName = new Map(prompts.map((prompt) => [prompt.name, prompt]))

/** The prompt named `name`, if there is one. */
export const find = (name: string): Prompt | undefined => byName.get(name)

/** A prompt as `prompts/list` lists it. */
export const listed = (prompt: Prompt): ListedPrompt => ({
  name: prompt.name,
  title: prompt.title,
  description: prompt.description,
  arguments: Object.entries(prompt.arguments).map(([name, description]) => ({
    name,
    description,
    required: true
  }))
})

/** The filled-in prompt, one user message; a missing or empty argument is `validation_failed` naming it. */
export const get = (prompt: Prompt, args: Record<string, string>) =>
  Effect.map(
    Validation.decode(argumentsOf(prompt))(args),
    (valid): GetPromptResult => ({
      description: prompt.description,
      messages: [
        { role: "user", content: { type: "text", text: prompt.text(valid as Record<string, string>) } }
      ]
    })
  )
