/**
 * The tool-poisoning scan (SPEC §2): every catalog version is read for text aimed at the model
 * rather than at the reader — instructions hidden in a tool's description, title, parameter
 * descriptions or enum values ("ignore previous instructions", "do not tell the user",
 * `<IMPORTANT>` blocks, requests to read `~/.ssh` or send data elsewhere), characters nobody sees
 * (zero-width, bidirectional overrides, tag characters), and tool names made to look like another
 * server's tools. A finding is classified `suspicious` by `Drift` and alerts like `breaking`.
 *
 * The rules look for instructions, not for tools that do sensitive things: "Returns all
 * environment variables" describes behaviour and matches nothing. The list is pure and open:
 * `rules` and `nameRules` are documented values, and `scan` takes other lists too.
 */
import type { PoisoningFinding, Tool } from "./domain/Catalog.js"
import {
  bidiChars,
  excerpt,
  folded,
  hiddenChars,
  nonAscii,
  skeleton,
  type TextField,
  textFields,
  visible
} from "./internal/poisoningText.js"

export type { TextField } from "./internal/poisoningText.js"

/** A finding of the scan (the `PoisoningFinding` schema of the catalog domain). */
export type Finding = PoisoningFinding

/** Where a text rule matched inside one text: `[start, end)`. */
export interface TextMatch {
  readonly start: number
  readonly end: number
}

/** A rule over the texts of one tool. */
export interface TextRule {
  readonly id: string
  /** What it matches, for the docs and the finding's reader. */
  readonly matches: string
  /** Why that is suspicious. */
  readonly why: string
  /** The first match in one text, or null. */
  readonly test: (field: TextField) => TextMatch | null
}

/** The tools of another server of the same organization, which names are compared with. */
export interface OtherServer {
  readonly server: string
  readonly tools: ReadonlyArray<Pick<Tool, "name">>
}

/** A rule over a tool's name, given the other servers of the organization. */
export interface NameRule {
  readonly id: string
  readonly matches: string
  readonly why: string
  /** What makes the name suspicious (an excerpt), or null. */
  readonly test: (name: string, others: ReadonlyArray<OtherServer>) => string | null
}

/** A rule from one or more regular expressions (case-insensitive), matching the first that hits. */
const byPattern =
  (...patterns: ReadonlyArray<RegExp>) =>
  (field: TextField): TextMatch | null => {
    for (const pattern of patterns) {
      const m = new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(field.text)
      if (m !== null) return { start: m.index, end: m.index + m[0].length }
    }
    return null
  }

/** Files whose content is a credential or an MCP client's own configuration. */
const sensitiveFile = String.raw`(?:~\/\.ssh|\.ssh\/|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.env\b|\bmcp\.json\b|claude_desktop_config\.json|\.aws\/credentials|\.npmrc\b|\.netrc\b|\.git-credentials|\/etc\/(?:passwd|shadow)\b|\.kube\/config|\.docker\/config\.json|\bprivate[ _-]?keys?\b)`

/**
 * A verb asking for something, within the same sentence (at most 80 characters; a dot inside a
 * path or address does not end it) as `object`.
 */
const asks = (verbs: string, object: string) =>
  new RegExp(String.raw`\b(?:${verbs})\b(?:[^.!?\n]|\.(?=\S)){0,80}?${object}`, "i")

/**
 * The text rules, in the order they are tried; every rule reports at most one finding per text.
 * Ids are stable: they name the rule in findings, docs and suppressions.
 */
export const rules: ReadonlyArray<TextRule> = [
  {
    id: "override-instructions",
    matches:
      'Asks the model to ignore, disregard, forget or override its previous, prior, system or other instructions ("ignore previous instructions", "disregard all prior rules"), or announces new instructions.',
    why: "The classic prompt injection: text meant to replace what the user and the client told the model.",
    test: byPattern(
      /\b(?:ignore|disregard|forget|override|bypass)\b\s+(?:(?:all|any|the|your|of|these|those|every)\s+)*(?:previous|prior|above|earlier|preceding|original|system|other|existing|safety)\s+(?:instructions?|prompts?|rules|directions|directives|guidelines|context|messages)/i,
      /\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions\s*(?:follow|below|are)?\s*:/i,
      /\byou\s+are\s+now\s+(?:in\s+)?(?:developer|admin|god|jailbreak|dan)\b/i
    )
  },
  {
    id: "conceal-from-user",
    matches:
      'Asks the model to keep something from the user ("do not tell the user", "without informing the user", "the user must not know", "keep this secret").',
    why: "A tool has no reason to hide its actions from the person using it; secrecy is how a poisoned tool avoids being noticed.",
    test: byPattern(
      /\b(?:do\s+not|don['’]t|never|must\s+not|should\s+not|shouldn['’]t)\s+(?:\w+\s+){0,2}(?:tell|inform|mention|reveal|show|notify|alert|disclose|say)\b[^.!?\n]{0,40}?\b(?:the\s+)?users?\b/i,
      /\bwithout\s+(?:\w+\s+)?(?:telling|informing|notifying|alerting|asking|mentioning\s+(?:it\s+)?to)\s+(?:the\s+)?users?\b/i,
      /\b(?:the\s+)?users?\s+(?:must|should|need|may)\s+(?:not|never)\s+(?:know|see|be\s+(?:told|informed|aware|notified))/i,
      /\bkeep\s+(?:this|it|these|that)\s+(?:\w+\s+)?(?:secret|hidden|confidential|private)\b/i,
      /\b(?:hide|conceal)\s+(?:this|it|these|that)\s+from\s+(?:the\s+)?users?\b/i
    )
  },
  {
    id: "model-directed-tag",
    matches:
      "Markup addressed to the model: `<IMPORTANT>`, `<SYSTEM>`, `<instructions>`, `<secret>`, `<hidden>` tags, chat-template tokens (`<|im_start|>`, `[INST]`) or a `SYSTEM:` / `ASSISTANT:` role prefix.",
    why: "Tool descriptions are read as plain prose; tags and template tokens exist to make the model treat the text as higher-priority instructions.",
    test: byPattern(
      /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|assistant|sys|prompt|system[-_ ]prompt|critical)\s*>/i,
      /<\|\s*(?:im_start|im_end|system|endoftext|start_header_id|end_header_id|eot_id)\s*\|>/i,
      /\[\/?(?:INST|SYS)\]|<<\/?SYS>>/,
      /(?:^|\n)\s*(?:SYSTEM|ASSISTANT)\s*:/
    )
  },
  {
    id: "sensitive-file-read",
    matches:
      "Asks to read, open, include or send a credential or MCP-configuration file: `~/.ssh`, `id_rsa`, `.env`, `mcp.json`, `claude_desktop_config.json`, `~/.aws/credentials`, `.npmrc`, `.netrc`, `/etc/passwd`, private keys.",
    why: "A tool's text asking the model to fetch secrets from the user's machine is exfiltration; a tool that merely works on files does not name these files in an imperative.",
    test: byPattern(
      asks(
        "read|reads|cat|open|include|including|pass|send|upload|attach|provide|access|load|copy|extract|paste|leak|exfiltrate|fetch|print|dump|share|forward",
        sensitiveFile
      )
    )
  },
  {
    id: "exfiltrate-data",
    matches:
      'Asks to send, forward, post, upload or copy data to a URL, an email address, an external or third-party place, or another tool or server ("send the results to https://…", "forward every email to …").',
    why: "Data leaving through a channel the user did not choose is the goal of most tool poisoning; descriptions of what a tool does name their own target, not an outside one.",
    test: byPattern(
      asks(
        "send|sends|forward|post|upload|transmit|email|leak|exfiltrate|copy|mirror|relay|bcc|cc",
        String.raw`\b(?:to|into)\s+(?:https?:\/\/|[\w.+-]+@[\w-]+\.[\w.]+|(?:an?|the|some)\s+(?:external|remote|third[- ]party|attacker|outside)\b|another\s+(?:tool|server|endpoint|address|mcp))`
      ),
      /\b(?:all|every|any)\s+(?:other\s+)?(?:emails?|messages?|requests?|data|results?|files?)\s+(?:must|should|need\s+to)\s+(?:\w+\s+){0,2}(?:be\s+)?(?:sent|redirected|forwarded|copied|routed)\s+to\b/i
    )
  },
  {
    id: "harvest-context",
    matches:
      'Asks the model to put its conversation, chat history, system prompt, other tools\' output or the user\'s secrets into an argument ("pass the full conversation as `notes`", "include your system prompt").',
    why: "An argument is a channel to the server: asking for the model's context or secrets turns an ordinary call into a leak.",
    test: byPattern(
      asks(
        "include|pass|put|add|provide|insert|append|embed|send|copy|paste|attach|summari[sz]e",
        String.raw`\b(?:(?:entire|full|whole|complete)\s+conversation|conversation\s+history|chat\s+history|previous\s+messages|system\s+prompt|(?:your|the)\s+instructions|(?:all\s+)?(?:api\s+keys|access\s+tokens|passwords|credentials)\s+(?:you|the\s+user)\s+(?:have|has|know|can\s+see))`
      )
    )
  },
  {
    id: "cross-tool-instructions",
    matches:
      'Tells the model how to use other tools or to always call this one ("before using any other tool…", "when the send_email tool is called…", "instead of calling…", "you must always call this tool first").',
    why: "A tool describes itself; text steering the use of other tools is a shadowing attack on tools of other servers.",
    test: byPattern(
      /\b(?:before|after|instead\s+of|when(?:ever)?)\s+(?:using|calling|invoking|running)\s+(?:any|every|all|other|another)\s+(?:other\s+)?tools?\b/i,
      /\bwhen(?:ever)?\s+(?:the\s+)?[`'"]?[\w.-]+[`'"]?\s+tool\s+is\s+(?:called|used|invoked|run)\b/i,
      /\byou\s+must\s+(?:always\s+)?(?:call|use|invoke|run)\s+this\s+tool\s+(?:first|before)/i,
      /\b(?:this|the)\s+tool\s+(?:has|takes)\s+(?:priority|precedence)\s+over\b/i
    )
  },
  {
    id: "hidden-unicode",
    matches:
      "Invisible characters: zero-width space/joiners (U+200B–U+200D), word joiner and invisible operators (U+2060–U+2064), BOM (U+FEFF), soft hyphen (U+00AD), Mongolian vowel separator (U+180E), Unicode tag characters (U+E0000–U+E007F) and the variation-selector supplement (U+E0100–U+E01EF).",
    why: "Characters a reviewer cannot see can carry instructions (tag characters spell ASCII invisibly) or make two different names look the same.",
    test: byPattern(hiddenChars)
  },
  {
    id: "bidi-control",
    matches: "Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).",
    why: "They make text display in a different order than the model reads it (Trojan Source), so what a reviewer approved is not what the model sees.",
    test: byPattern(bidiChars)
  }
]

/**
 * The name rules: a tool name compared with the tools of the organization's other servers. An
 * identical name is not suspicious (two servers both offering `search` is ordinary); a name that
 * only looks the same is.
 */
export const nameRules: ReadonlyArray<NameRule> = [
  {
    id: "lookalike-tool-name",
    matches:
      "A tool name that reads the same as another server's tool but is spelled with different characters: homoglyphs of other scripts (Cyrillic `а`, Greek `ο`), fullwidth forms, `0`/`o`, `1`/`l`/`I`, invisible characters.",
    why: "A look-alike name shadows the real tool: the model (or the user approving a call) picks the impostor believing it is the other server's tool.",
    test: (name, others) => {
      const s = skeleton(name)
      for (const other of others) {
        for (const tool of other.tools) {
          if (tool.name !== name && skeleton(tool.name) === s) {
            return `${visible(name)} looks like ${other.server}'s ${tool.name}`
          }
        }
      }
      return null
    }
  },
  {
    id: "near-identical-tool-name",
    matches:
      "A tool name equal to another server's tool once case and separators are ignored (`send_email` vs `sendEmail` vs `send-email`).",
    why: "A near-identical name lets a server intercept calls meant for another server's tool.",
    test: (name, others) => {
      const f = folded(name)
      const s = skeleton(name)
      for (const other of others) {
        for (const tool of other.tools) {
          // Exact look-alikes are `lookalike-tool-name`'s.
          if (tool.name !== name && skeleton(tool.name) !== s && folded(tool.name) === f) {
            return `${visible(name)} is nearly ${other.server}'s ${tool.name}`
          }
        }
      }
      return null
    }
  },
  {
    id: "confusable-tool-name",
    matches:
      "A tool name with characters outside printable ASCII that fold to Latin letters (a Cyrillic `е` inside `get_user`).",
    why: "MCP tool names are ASCII by convention; a homoglyph inside one is there to pass for another name.",
    test: (name) => (nonAscii(name) && /^[\x20-\x7E]*$/.test(skeleton(name)) ? visible(name) : null)
  }
]

/** Options of `scan`: the other servers of the organization and, optionally, other rule lists. */
export interface ScanOptions {
  readonly others?: ReadonlyArray<OtherServer>
  readonly rules?: ReadonlyArray<TextRule>
  readonly nameRules?: ReadonlyArray<NameRule>
}

/**
 * Scans a catalog's tools: at most one finding per rule and text, every name rule once per tool.
 * Findings come in tool order, then field order.
 */
export const scan = (
  tools: ReadonlyArray<Tool>,
  options: ScanOptions = {}
): ReadonlyArray<PoisoningFinding> => {
  const textRules = options.rules ?? rules
  const names = options.nameRules ?? nameRules
  const others = options.others ?? []
  const out: PoisoningFinding[] = []
  for (const tool of tools) {
    for (const field of textFields(tool)) {
      for (const rule of textRules) {
        const m = rule.test(field)
        if (m !== null) {
          out.push({
            rule: rule.id,
            tool: tool.name,
            path: field.path,
            excerpt: excerpt(field.text, m.start, m.end)
          })
        }
      }
    }
    for (const rule of names) {
      const hit = rule.test(tool.name, others)
      if (hit !== null) out.push({ rule: rule.id, tool: tool.name, path: "name", excerpt: hit })
    }
  }
  return out
}

/** A finding's identity across versions: the same rule on the same text of the same tool. */
export const findingKey = (f: PoisoningFinding): string => JSON.stringify([f.rule, f.tool, f.path, f.excerpt])

/** The rule of an id, text or name. */
export const ruleById = (id: string): TextRule | NameRule | undefined =>
  rules.find((r) => r.id === id) ?? nameRules.find((r) => r.id === id)

/** One line for a finding: `rule at path: "excerpt"`. */
export const describe = (f: PoisoningFinding): string => `suspicious (${f.rule}) at ${f.path}: "${f.excerpt}"`
