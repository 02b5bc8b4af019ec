import {randomBytes} from 'node:crypto'

import type {Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'

/** A devp2p node key in geth's nodekey file format: 64 hex characters, no prefix. */
export function generateNodeKey(): string {
  return generatePrivateKey().slice(2)
}

/** The node id in an enode URL: the uncompressed public key without its 0x04 prefix. */
export function nodeIdFromNodeKey(nodeKey: string): string {
  const publicKey = privateKeyToAccount(`0x${nodeKey.trim()}` as Hex).publicKey
  return publicKey.slice(4)
}

/** The enode URL peers use to dial a node at a known address. */
export function enodeUrl(nodeKey: string, ip: string, port: number): string {
  return `enode://${nodeIdFromNodeKey(nodeKey)}@${ip}:${port}`
}

/** A random password for a keystore: 32 bytes, base64url, never printed. */
export function generateKeyPassword(): string {
  return randomBytes(32).toString('base64url')
}
