/**
 * One entry of the prompt table (SPEC §9.5): a named, parameterized set of instructions that
 * walks an agent through a task with the API's own tools and resources. Every argument is a
 * required id; `prompts/get` checks them with core's validation, so a missing one is the same
 * `validation_failed` naming the field as a tool argument would be.
 */
import { Id } from "@armature/core"
import { Schema } from "effect"

/** A prompt whose arguments are named `A`. */
export interface Prompt<A extends string = string> {
  readonly name: string
  readonly title: string
  /** What the prompt does, for the human choosing it. */
  readonly description: string
  /** Each argument and what it is, in the order `prompts/list` lists them; all are required. */
  readonly arguments: Readonly<Record<A, string>>
  /** The instructions with the arguments filled in. */
  readonly text: (args: Readonly<Record<A, string>>) => string
}

/** Defines a prompt, typing `text`'s arguments by the names in `arguments`. */
export const define = <const A extends string>(prompt: Prompt<A>): Prompt<string> => prompt as Prompt<string>

/** The schema `prompts/get` checks a prompt's arguments with: each one a required id. */
export const argumentsOf = (prompt: Prompt) =>
  Schema.Struct(Object.fromEntries(Object.keys(prompt.arguments).map((name) => [name, Id])))

/** Numbered steps, one a line, so the order is unambiguous to the model. */
export const steps = (intro: string, items: ReadonlyArray<string>): string =>
  [intro, "", ...items.map((item, i) => `${i + 1}. ${item}`)].join("\n")
