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
import ipaddr from "ipaddr.js"

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

/**
 * The IPv4 address an IPv6 address carries, if any: IPv4-mapped (`::ffff:10.0.0.1`, also written
 * `::ffff:a00:1`), IPv4-translated (`::ffff:0:…`), IPv4-compatible (`::10.0.0.1`), NAT64
 * (`64:ff9b::/96` and the local-use `64:ff9b:1::/48`) and 6to4 (`2002::/16`). Each reaches the
 * IPv4 host it names, so it is checked as that host too.
 */
export const embeddedIPv4 = (address: string): string | null => {
  if (!ipaddr.IPv6.isValid(address)) return null
  const ip = ipaddr.IPv6.parse(address)
  const p = ip.parts
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  switch (ip.range()) {
    case "ipv4Mapped":
    case "rfc6145":
    case "rfc6052":
      return v4(p[6]!, p[7]!)
    case "6to4":
      return v4(p[1]!, p[2]!)
  }
  // IPv4-compatible: 96 zero bits, then the address (`::` and `::1` are IPv6's own).
  const compatible = p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)
  return compatible ? v4(p[6]!, p[7]!) : null
}

const refusalOf = (address: string, family: "ipv4" | "ipv6", policy: SsrfPolicy): string | null => {
  if (always.check(address, family)) return "a link-local, metadata or reserved address"
  if (loopback.check(address, family) && !policy.allowLoopback) return "a loopback address"
  if (privateRanges.check(address, family) && !policy.allowPrivateNetworks)
    return "in a private network range"
  return null
}

/** Why an address is refused under a policy, or `null` when it may be contacted. */
export const refusal = (address: string, policy: SsrfPolicy): string | null => {
  const family = isIP(address) === 6 ? "ipv6" : "ipv4"
  const own = refusalOf(address, family, policy)
  if (own !== null) return `${address} is ${own}`
  const v4 = family === "ipv6" ? embeddedIPv4(address) : null
  const carried = v4 === null ? null : refusalOf(v4, "ipv4", policy)
  return carried === null ? null : `${address} reaches ${v4}, which is ${carried}`
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
