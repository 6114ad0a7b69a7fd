/**
 * SSRF guard (SPEC §2). Every outbound URL is resolved first and *every* address is checked, so a
 * name that resolves to one public and one private address is refused.
 *
 * Known limit: the HTTP client resolves the name again when it connects, so a DNS-rebinding
 * server with a near-zero TTL could answer differently the second time. Closing that needs a
 * connect-time lookup hook in the fetch implementation; the check here refuses every static case.
 */
import { lookup } from "node:dns/promises"
import { BlockList, isIP } from "node:net"
import { ServerUnreachable } from "@armature/core"
import { Effect } from "effect"

/** Which non-public destinations a deployment allows. Link-local and metadata are never allowed. */
export interface SsrfPolicy {
  readonly allowPrivateNetworks: boolean
  readonly allowLoopback: boolean
}

const always = new BlockList()
// Link-local (includes 169.254.169.254, the metadata service of AWS, GCP, Azure, OCI…).
always.addSubnet("169.254.0.0", 16, "ipv4")
always.addSubnet("fe80::", 10, "ipv6")
// "This network", multicast, reserved and broadcast: never a legitimate MCP server.
always.addSubnet("0.0.0.0", 8, "ipv4")
always.addSubnet("224.0.0.0", 4, "ipv4")
always.addSubnet("240.0.0.0", 4, "ipv4")
always.addSubnet("ff00::", 8, "ipv6")
always.addAddress("::", "ipv6")
// Other cloud metadata endpoints outside link-local: Alibaba, AWS IPv6 (Nitro).
always.addAddress("100.100.100.200", "ipv4")
always.addAddress("fd00:ec2::254", "ipv6")

const loopback = new BlockList()
loopback.addSubnet("127.0.0.0", 8, "ipv4")
loopback.addAddress("::1", "ipv6")

const privateRanges = new BlockList()
privateRanges.addSubnet("10.0.0.0", 8, "ipv4")
privateRanges.addSubnet("172.16.0.0", 12, "ipv4")
privateRanges.addSubnet("192.168.0.0", 16, "ipv4")
privateRanges.addSubnet("100.64.0.0", 10, "ipv4") // carrier-grade NAT
privateRanges.addSubnet("198.18.0.0", 15, "ipv4") // benchmarking
privateRanges.addSubnet("fc00::", 7, "ipv6") // unique local

/** `::ffff:10.0.0.1` is the IPv4 address in disguise: check it as IPv4. */
const normalize = (address: string): { address: string; family: "ipv4" | "ipv6" } => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return { address: mapped[1]!, family: "ipv4" }
  return { address, family: isIP(address) === 6 ? "ipv6" : "ipv4" }
}

/** Why an address is refused under a policy, or `null` when it may be contacted. */
export const refusal = (address: string, policy: SsrfPolicy): string | null => {
  const { address: a, family } = normalize(address)
  if (always.check(a, family)) return `${address} is a link-local, metadata or reserved address`
  if (loopback.check(a, family) && !policy.allowLoopback) return `${address} is a loopback address`
  if (privateRanges.check(a, family) && !policy.allowPrivateNetworks) {
    return `${address} is in a private network range`
  }
  return null
}

const blocked = (message: string) => new ServerUnreachable({ message, reason: "ssrf_blocked" })

/** Resolves the URL's host and fails with `ssrf_blocked` (or `dns`) unless every address is allowed. */
export const check = (url: URL, policy: SsrfPolicy): Effect.Effect<void, ServerUnreachable> =>
  Effect.gen(function* () {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return yield* blocked(`Unsupported URL scheme ${url.protocol}`)
    }
    const host = url.hostname.replace(/^\[|\]$/g, "")
    const addresses = isIP(host)
      ? [host]
      : yield* Effect.tryPromise({
          try: () => lookup(host, { all: true, verbatim: true }),
          catch: (cause) =>
            new ServerUnreachable({
              message: `Cannot resolve ${host}: ${(cause as { code?: string }).code ?? String(cause)}`,
              reason: "dns"
            })
        }).pipe(Effect.map((rs) => rs.map((r) => r.address)))
    if (addresses.length === 0) {
      return yield* new ServerUnreachable({ message: `${host} has no addresses`, reason: "dns" })
    }
    for (const address of addresses) {
      const why = refusal(address, policy)
      if (why !== null) return yield* blocked(`Refused to connect to ${host}: ${why}`)
    }
  })
