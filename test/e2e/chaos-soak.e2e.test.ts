import {describe, expect, it} from 'vitest'

import {runChaosSoak} from '../helpers/chaos-soak.js'
import {throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

/** About three minutes of faults; setup, the last recovery and the settling come on top. */
const faultMs = 180_000

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('chaos soak on a real Clique network', () => {
  it(
    'loses no transaction that got a receipt while one sealer at a time is killed, restarted or cut off, and \
ends with every node on one chain and the intended signers',
    async () => {
      // Given 3 sealers (period 1 s) with the MedRec contracts and a client proposing, accepting, granting,
      // revoking and ending relationships without pause
      // When one sealer at a time is SIGKILLed, restarted or cut from the Docker network, each back before the next
      const report = await runChaosSoak({
        name: `soak-e2e-${Math.random().toString(36).slice(2, 8)}`,
        faultMs,
        lightKdf: true,
        onNetwork: (name) => created.push(name),
        log: (line) => process.stderr.write(`[soak] ${line}\n`),
      })
      process.stderr.write(`[soak] report ${JSON.stringify(report, null, 2)}\n`)

      // Then every kind of fault was applied (the soak cannot pass without faults), and under them the
      // client kept getting receipts
      expect(report.faults.applied.kill).toBeGreaterThan(0)
      expect(report.faults.applied.restart).toBeGreaterThan(0)
      expect(report.faults.applied.disconnect).toBeGreaterThan(0)
      expect(report.transactions.confirmed).toBeGreaterThan(report.faults.list.length)
      // And no transaction that got a receipt is missing from the final chain
      expect(report.transactions.lostHashes).toEqual([])
      expect(report.transactions.lost).toBe(0)
      // And every node holds the same block at a common height past the last receipt
      expect(report.heads.agree).toBe(true)
      expect(Object.keys(report.heads.nodes).sort()).toEqual(['rpc', 'sealer-1', 'sealer-2', 'sealer-3'])
      // And the signer set is the three sealers, at the RPC node and at each sealer
      expect(report.signers.atRpcNode).toEqual(report.signers.intended)
      expect(report.signers.intended).toHaveLength(3)
      expect(report.signers.matches).toBe(true)
    },
    15 * 60_000,
  )
})
