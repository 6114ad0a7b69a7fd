/** The `SecretStore` contract against core's in-memory secret store. */
import { MemoryStore, SecretStoreContract } from "../src/testing/index.js"

SecretStoreContract.secretStoreContract("MemoryStore's SecretStore", MemoryStore.layer)
