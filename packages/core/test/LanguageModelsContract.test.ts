/** The `LanguageModels` contract against the testing kit's scripted models. */
import { LanguageModelsContract, ScriptedModel } from "../src/testing/index.js"

LanguageModelsContract.languageModelsContract(
  "ScriptedModel.layer",
  ScriptedModel.layer(
    {
      "openai:gpt-5-mini": ScriptedModel.make({ id: "openai:gpt-5-mini", steps: () => ({ text: "ready" }) }),
      "acme:m1": ScriptedModel.make({ id: "acme:m1", steps: () => ({ text: "ready" }) })
    },
    { "acme:m1": { inputPricePerMTok: 1, outputPricePerMTok: 2 } }
  ),
  { generate: true, unknownIds: ["openai:gpt-5"] }
)
