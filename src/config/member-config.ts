import {isIP} from 'node:net'

import {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {nodeNamePattern, portSchema, reservedNodeNames, rpcHostSchema, rpcPortSchema} from './network-config.js'

export const memberConfigFileName = 'medrec-member.yaml'
export const memberConfigSchemaFileName = 'medrec-member.schema.json'
export const memberConfigVersion = 1
/** devp2p's usual port: what a member advertises when --advertise names no port. */
export const defaultP2pPort = 30_303

// RFC 1123 host names: labels of letters, digits and dashes, not starting or ending with a dash.
const dnsNamePattern =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** True for an IPv4 or IPv6 address or a DNS name: what other members dial to reach a node. */
export function isHostAddress(host: string): boolean {
  return isIP(host) !== 0 || (dnsNamePattern.test(host) && !/^[\d.]+$/.test(host))
}

/** A member's name: the same rules as a sealer's (it names its key folder, container and card). */
export const memberNameSchema = z
  .string()
  .regex(nodeNamePattern, 'must be 2-32 lowercase letters, digits or dashes, starting with a letter')
  .refine((name) => !reservedNodeNames.includes(name), {
    message: `must not be one of the tool's own key names (${reservedNodeNames.join(', ')})`,
  })
  .describe("This provider's name in the consortium; names its node, its key folder and its card.")

export const hostSchema = z
  .string()
  .refine(isHostAddress, 'must be an IP address or a DNS name (no scheme, no port)')
  .describe('An IP address or DNS name')

export const memberConfigSchema = z.strictObject({
  version: z.literal(memberConfigVersion).describe("Version of this file's format."),
  name: memberNameSchema,
  advertise: z
    .strictObject({
      host: hostSchema.describe("Address the other members' nodes dial to reach this member's node."),
      port: portSchema.default(defaultP2pPort).describe("devp2p port (TCP and UDP) published on this member's host."),
    })
    .describe("Where this member's node is reachable; goes into its node card."),
  rpc: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Run a keyless JSON-RPC node beside the sealer.'),
      host: rpcHostSchema,
      port: rpcPortSchema,
    })
    .prefault({})
    .describe("This member's own keyless RPC node."),
})

/** medrec-member.yaml after validation and defaults. */
export type MemberConfig = z.output<typeof memberConfigSchema>

/** JSON Schema of medrec-member.yaml for editors (yaml-language-server reads the modeline). */
export function memberConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(memberConfigSchema, {io: 'input', unrepresentable: 'any'})
  return {...schema, title: "MedRec member workspace configuration (medrec-member.yaml): one provider's own part"}
}

/**
 * Reads `--advertise HOST[:PORT]`: a host name or IPv4 address with an optional port, or an IPv6
 * address (in brackets when a port follows: `[2001:db8::1]:30303`). The host is checked by the
 * schema; a port that is not a whole number from 1 to 65535 is refused here.
 */
export function parseAdvertisedAddress(text: string): {host: string; port?: number} {
  const trimmed = text.trim()
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(trimmed)
  let host: string
  let portText: string | undefined
  if (bracketed) [, host = '', portText] = bracketed
  else if (trimmed.includes('/') || trimmed.split(':').length > 2)
    // A URL (refused by the host check, with the other problems) or a bare IPv6 address: no port
    host = trimmed
  else [host = '', portText] = trimmed.split(':') as [string, string | undefined]
  if (portText === undefined) return {host}
  const port = Number(portText)
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65_535) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--advertise ${text}: "${portText}" is not a port.`, {
      hint: 'Write HOST or HOST:PORT with a port from 1 to 65535, e.g. 10.0.0.5:30303 or node.example.org.',
    })
  }
  return {host, port}
}
