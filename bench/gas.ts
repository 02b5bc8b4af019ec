// Gas of every MedRec operation for a participant that already has 1, 100 and 10,000
// relationships (and a relationship with as many viewers), on a real London EVM (anvil).
// Seeding is honest: every relationship and viewer is created by a real transaction.
//
//   node --import ./bench/ts-resolve-hook.mjs bench/gas.ts [sizes, default 1,100,10000]
//
// Writes bench/results/gas.md and bench/results/gas.json and prints the table.
import {mkdir, writeFile} from 'node:fs/promises'
import {encodeFunctionData, keccak256, toHex, type Address, type Hex} from 'viem'

import {registrarAbi} from '../src/contracts/abi/registrar.js'
import {relationshipAbi} from '../src/contracts/abi/relationship.js'
import {summaryAbi} from '../src/contracts/abi/summary.js'
import {startAnvil} from '../src/contracts/anvil.js'
import {compileMedrecContracts} from '../src/contracts/compile-contracts.js'
import {deployMedrecContracts} from '../src/contracts/deploy-contracts.js'
import {patientIdentity} from '../src/contracts/derive-identity.js'
import {connectTestChain} from '../src/contracts/testing/medrec-test-world.js'

const sizes = (process.argv[2] ?? '1,100,10000').split(',').map(Number)
const LAB = 4
const SCOPE = 1n
const DAY = 86_400
const TX_GAS = 1_500_000n
const BATCH = 500

/** 32 deterministic bytes without zero bytes, so calldata costs the same for every size. */
function nonZero(seed: string, bytes = 32): Hex {
  const hash = keccak256(toHex(seed)).slice(2, 2 + bytes * 2)
  return `0x${hash.replaceAll(/(..)/g, (b: string) => (b === '00' ? '01' : b))}`
}
const addr = (seed: string): Address => nonZero(seed, 20) as Address
const numbers = (gas: Record<string, bigint>): Record<string, number> =>
  Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, Number(v)]))

// anvil runs with --auto-impersonate and a zero base fee: any address can send for free,
// so 10,000 distinct stewards need no keys and no funding.
const anvil = await startAnvil({
  args: ['--auto-impersonate', '--base-fee', '0', '--gas-limit', '3000000000', '--order', 'fifo'],
})
const started = Date.now()
try {
  const chain = connectTestChain(anvil.rpcUrl, anvil.chainId)
  let rpcId = 0
  const rpcBatch = async (calls: {method: string; params: unknown[]}[]): Promise<unknown[]> => {
    const body = calls.map((c) => ({jsonrpc: '2.0', id: ++rpcId, ...c}))
    const response = (await (
      await fetch(anvil.rpcUrl, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify(body),
      })
    ).json()) as {result?: unknown; error?: {message: string}}[]
    const failed = response.find((r) => r.error)
    if (failed?.error) throw new Error(`RPC failed: ${failed.error.message}`)
    return response.map((r) => r.result)
  }
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> =>
    (await rpcBatch([{method, params}]))[0]

  const {artifacts} = await compileMedrecContracts({contractsDir: new URL('../contracts', import.meta.url).pathname})
  const admin = addr('admin')
  const {createWalletClient, http} = await import('viem')
  // viem's deploy path prices gas itself, so the deployer alone gets a balance.
  await rpc('anvil_setBalance', [admin, toHex(10n ** 20n)])
  const walletClient = createWalletClient({account: admin, chain: chain.chain, transport: http(anvil.rpcUrl)})
  const {addresses} = await deployMedrecContracts({walletClient, publicClient: chain.publicClient, artifacts})
  const registrar = addresses.Registrar

  type Call = {from: Address; data: Hex; to?: Address}
  const tx = (from: Address, data: Hex, to: Address = registrar) => ({
    from,
    to,
    data,
    gas: toHex(TX_GAS),
    gasPrice: '0x0',
  })
  const call = <F extends Parameters<typeof encodeFunctionData<typeof registrarAbi>>[0]['functionName']>(
    functionName: F,
    args: readonly unknown[],
  ): Hex => encodeFunctionData({abi: registrarAbi, functionName, args} as never)

  /** What calldata costs (EIP-2028): 4 per zero byte, 16 per other byte. */
  const calldataGas = (data: Hex): bigint => {
    let total = 0n
    for (let i = 2; i < data.length; i += 2) total += data.slice(i, i + 2) === '00' ? 4n : 16n
    return total
  }
  // Execution gas = gasUsed − 21,000 − calldata: clone addresses and offsets have a varying
  // number of zero bytes, which moves gasUsed by 12 gas a byte without meaning anything.
  let lastExecution = 0n

  /** One transaction, mined at once; returns gasUsed. */
  const measure = async (c: Call): Promise<bigint> => {
    const hash = (await rpc('eth_sendTransaction', [tx(c.from, c.data, c.to)])) as Hex
    // Automine may return the hash a moment before the block exists: wait, do not assume.
    const receipt = await chain.publicClient.waitForTransactionReceipt({hash, timeout: 30_000})
    if (receipt.status !== 'success') throw new Error(`measured transaction reverted: ${hash}`)
    lastExecution = receipt.gasUsed - 21_000n - calldataGas(c.data)
    return receipt.gasUsed
  }

  /** Many transactions with manual mining: sent in JSON-RPC batches, each mined at once. */
  const seed = async (calls: Call[]): Promise<void> => {
    if (calls.length === 0) return
    await rpc('evm_setAutomine', [false])
    // Explicit nonces: anvil handles a batch's requests concurrently, so letting it pick
    // nonces for one sender's many transactions makes them collide.
    const senders = [...new Set(calls.map((c) => c.from))]
    const nonces = new Map<Address, bigint>()
    for (let i = 0; i < senders.length; i += BATCH) {
      const chunk = senders.slice(i, i + BATCH)
      const counts = (await rpcBatch(
        chunk.map((a) => ({method: 'eth_getTransactionCount', params: [a, 'pending']})),
      )) as Hex[]
      for (const [j, a] of chunk.entries()) nonces.set(a, BigInt(counts[j] ?? '0x0'))
    }
    const nextNonce = (from: Address): Hex => {
      const nonce = nonces.get(from) ?? 0n
      nonces.set(from, nonce + 1n)
      return toHex(nonce)
    }
    // Mine after every batch: anvil's pool slows down sharply with tens of thousands of
    // pending transactions, while batches of a few hundred stay fast.
    const hashes: Hex[] = []
    for (let i = 0; i < calls.length; i += BATCH) {
      const requests = calls.slice(i, i + BATCH).map((c) => ({
        method: 'eth_sendTransaction',
        params: [{...tx(c.from, c.data, c.to), nonce: nextNonce(c.from)}],
      }))
      hashes.push(...((await rpcBatch(requests)) as Hex[]))
      for (;;) {
        await rpc('evm_mine')
        const status = (await rpc('txpool_status')) as {pending: Hex; queued: Hex}
        if (BigInt(status.pending) === 0n && BigInt(status.queued) === 0n) break
      }
    }
    await rpc('evm_setAutomine', [true])
    // Spot-check the last receipt; the counts checked after seeding cover the rest.
    const last = await chain.publicClient.getTransactionReceipt({hash: hashes.at(-1) as Hex})
    if (last.status !== 'success') throw new Error('a seeding transaction reverted')
  }

  const read = async <T>(
    address: Address,
    abi: typeof summaryAbi | typeof relationshipAbi | typeof registrarAbi,
    functionName: string,
    args: readonly unknown[] = [],
  ): Promise<T> => (await chain.publicClient.readContract({address, abi, functionName, args} as never)) as T

  // The cast: a registrar provider G who enrols every patient (a patient's identity is
  // derived from G's identity and its enrolment reference), the subject patient P, the
  // subject steward S (a certified provider), and R = (P, S), accepted.
  const G = {account: addr('G'), id: nonZero('G')}
  const S = {account: addr('S'), id: nonZero('S')}
  const enrol = (seed: string) => {
    const ref = nonZero(seed)
    return {account: addr(seed), ref, id: patientIdentity(G.id, ref)}
  }
  let P = enrol('P')
  await measure({from: admin, data: call('registerProvider', [G.id, G.account])})
  await measure({from: admin, data: call('registerProvider', [S.id, S.account])})
  await measure({from: G.account, data: call('offerPatientRegistration', [P.ref, P.account])})
  await measure({from: P.account, data: call('confirmRegistration', [G.id, P.ref])})
  // P names guardians once before measuring, so every size rewrites a set-up that exists.
  await measure({
    from: P.account,
    data: call('setRecoveryGuardians', [[addr('g-warm-1'), addr('g-warm-2'), addr('g-warm-3')], 2, DAY]),
  })
  await measure({
    from: S.account,
    data: call('propose', [P.id, 'https://gatekeeper.s.example/fhir', nonZero('q'), nonZero('h')]),
  })
  const R = await read<Address>(registrar, registrarAbi, 'relationshipOf', [P.id, S.id])
  await measure({from: P.account, data: call('accept', [R])})
  const summaryP = await read<Address>(registrar, registrarAbi, 'summaryOf', [P.id])
  const summaryS = await read<Address>(registrar, registrarAbi, 'summaryOf', [S.id])
  const far = 2n ** 40n

  let labs = 0
  let patients = 0
  let viewers = 0
  const rows: {size: number; seedSeconds: number; gas: Record<string, bigint>; executionGas: Record<string, bigint>}[] =
    []
  for (const size of sizes) {
    const seedStart = Date.now()
    // Grow P's and S's relationship lists and R's viewer list to `size`, by real transactions.
    const countP = Number(await read<bigint>(summaryP, summaryAbi, 'count'))
    const countS = Number(await read<bigint>(summaryS, summaryAbi, 'count'))
    const countV = Number(await read<bigint>(R, relationshipAbi, 'viewerCount'))
    const newLabs = Array.from({length: Math.max(0, size - countP)}, () => {
      labs++
      return {account: addr(`lab${labs}`), id: nonZero(`lab${labs}`)}
    })
    const newPatients = Array.from({length: Math.max(0, size - countS)}, () => enrol(`patient${++patients}`))
    const newViewers = Array.from({length: Math.max(0, size - countV)}, () => addr(`viewer${++viewers}`))
    await seed([
      ...newLabs.map((l) => ({from: G.account, data: call('registerSteward', [l.id, LAB, l.account])})),
      ...newPatients.map((q) => ({from: G.account, data: call('offerPatientRegistration', [q.ref, q.account])})),
    ])
    await seed(newPatients.map((q) => ({from: q.account, data: call('confirmRegistration', [G.id, q.ref])})))
    await seed([
      ...newLabs.map((l) => ({
        from: l.account,
        data: call('propose', [P.id, 'https://gatekeeper.lab.example/fhir', nonZero('q'), nonZero('h')]),
      })),
      ...newPatients.map((q) => ({
        from: S.account,
        data: call('propose', [q.id, 'https://gatekeeper.s.example/fhir', nonZero('q'), nonZero('h')]),
      })),
      ...newViewers.map((v) => ({from: P.account, data: call('grantViewer', [R, v, SCOPE, far])})),
    ])
    const counts = [
      await read<bigint>(summaryP, summaryAbi, 'count'),
      await read<bigint>(summaryS, summaryAbi, 'count'),
      await read<bigint>(R, relationshipAbi, 'viewerCount'),
    ]
    if (counts.some((c) => c !== BigInt(size) && size > 0))
      throw new Error(`seeding reached ${counts.join('/')} instead of ${size}`)
    const seedSeconds = (Date.now() - seedStart) / 1000

    // Measure each operation once, against lists of exactly `size`.
    const gas: Record<string, bigint> = {}
    const executionGas: Record<string, bigint> = {}
    const record = (name: string, used: bigint): void => {
      gas[name] = used
      executionGas[name] = lastExecution
    }
    const estimate = async (name: string, to: Address, data: Hex): Promise<void> => {
      const used = await chain.publicClient.estimateGas({account: admin, to, data})
      gas[name] = used
      executionGas[name] = used - 21_000n - calldataGas(data)
    }
    const m = {
      lab: {account: addr(`m-lab-${size}`), id: nonZero('m-lab')},
      lab2: {account: addr(`m-lab2-${size}`), id: nonZero('m-lab2')},
      patient: enrol(`m-pat-${size}`),
    }
    // Identities must be new per size; nonZero keeps their calldata cost identical.
    m.lab.id = nonZero(`m-lab-${size}`)
    m.lab2.id = nonZero(`m-lab2-${size}`)
    record(
      'registerSteward',
      await measure({from: G.account, data: call('registerSteward', [m.lab.id, LAB, m.lab.account])}),
    )
    await measure({from: G.account, data: call('registerSteward', [m.lab2.id, LAB, m.lab2.account])})
    record(
      'offerPatientRegistration',
      await measure({from: G.account, data: call('offerPatientRegistration', [m.patient.ref, m.patient.account])}),
    )
    record(
      'confirmRegistration',
      await measure({from: m.patient.account, data: call('confirmRegistration', [G.id, m.patient.ref])}),
    )
    record(
      'propose (patient has N)',
      await measure({
        from: m.lab.account,
        data: call('propose', [P.id, 'https://gatekeeper.lab.example/fhir', nonZero('q'), nonZero('h')]),
      }),
    )
    record(
      'propose (steward has N)',
      await measure({
        from: S.account,
        data: call('propose', [m.patient.id, 'https://gatekeeper.s.example/fhir', nonZero('q'), nonZero('h')]),
      }),
    )
    const relM = await read<Address>(registrar, registrarAbi, 'relationshipOf', [P.id, m.lab.id])
    record('accept', await measure({from: P.account, data: call('accept', [relM])}))
    record(
      'updatePointer',
      await measure({
        from: S.account,
        data: call('updatePointer', [
          R,
          'https://gatekeeper.s.example/fhir',
          nonZero(`q-${size}`),
          nonZero(`h-${size}`),
        ]),
      }),
    )
    record(
      'grantViewer (N viewers)',
      await measure({from: P.account, data: call('grantViewer', [R, addr(`m-viewer-${size}`), SCOPE, far])}),
    )
    const firstViewer = await read<Address>(R, relationshipAbi, 'viewerAt', [0n])
    record(
      'revokeViewer (first of N+1)',
      await measure({from: P.account, data: call('revokeViewer', [R, firstViewer])}),
    )
    record('end', await measure({from: P.account, data: call('end', [relM])}))
    await measure({
      from: m.lab2.account,
      data: call('propose', [P.id, 'https://gatekeeper.lab.example/fhir', nonZero('q'), nonZero('h')]),
    })
    const relM2 = await read<Address>(registrar, registrarAbi, 'relationshipOf', [P.id, m.lab2.id])
    record('reject', await measure({from: P.account, data: call('reject', [relM2])}))
    record(
      're-propose after end',
      await measure({
        from: m.lab.account,
        data: call('propose', [P.id, 'https://gatekeeper.lab.example/fhir', nonZero('q'), nonZero('h')]),
      }),
    )
    // Recovery of P (who has N relationships): new guardians, two approvals (the second starts
    // it), completion by the new key after the delay; then a governance start the patient cancels.
    const guardians = [1, 2, 3].map((i) => addr(`g-${size}-${i}`))
    record(
      'setRecoveryGuardians (3)',
      await measure({from: P.account, data: call('setRecoveryGuardians', [guardians, 2, DAY])}),
    )
    const recovered = {...P, account: addr(`P-recovered-${size}`)}
    record(
      'approveRecovery',
      await measure({from: guardians[0]!, data: call('approveRecovery', [P.id, recovered.account])}),
    )
    record(
      'approveRecovery (starts it)',
      await measure({from: guardians[1]!, data: call('approveRecovery', [P.id, recovered.account])}),
    )
    await rpc('evm_increaseTime', [DAY])
    await rpc('evm_mine')
    record('completeRecovery', await measure({from: recovered.account, data: call('completeRecovery', [P.id])}))
    P = recovered
    record(
      'startGovernanceRecovery',
      await measure({from: admin, data: call('startGovernanceRecovery', [P.id, addr(`P-gov-${size}`)])}),
    )
    record('cancelRecovery (pending)', await measure({from: P.account, data: call('cancelRecovery', [])}))
    const rotated = {...P, account: addr(`P-${size}`)}
    record(
      'rotateAddress (patient with guardians)',
      await measure({from: P.account, data: call('rotateAddress', [rotated.account])}),
    )
    P = rotated
    const total = await read<bigint>(summaryP, summaryAbi, 'count')
    await estimate(
      'Summary.page(last 10) eth_estimateGas',
      summaryP,
      encodeFunctionData({abi: summaryAbi, functionName: 'page', args: [total > 10n ? total - 10n : 0n, 10n]}),
    )
    const lastViewer = await read<Address>(R, relationshipAbi, 'viewerAt', [
      (await read<bigint>(R, relationshipAbi, 'viewerCount')) - 1n,
    ])
    await estimate(
      'canAccess (viewer) eth_estimateGas',
      registrar,
      encodeFunctionData({abi: registrarAbi, functionName: 'canAccess', args: [R, lastViewer, SCOPE]}),
    )
    rows.push({size, seedSeconds, gas, executionGas})
    process.stderr.write(`size ${size}: seeded in ${seedSeconds.toFixed(1)} s\n`)
  }

  const operations = Object.keys(rows[0]?.gas ?? {})
  const sizeLabels = rows.map((r) => r.size.toLocaleString('en-US'))
  const header =
    `| operation | ${sizeLabels.map((s) => `N = ${s}`).join(' | ')} ` +
    `| execution gas, N = ${sizeLabels.join(' / ')} | flat |`
  const rule = `|---|${rows.map(() => '---:').join('|')}|---:|:---:|`
  const flatRows: boolean[] = []
  const lines = operations.map((op) => {
    const values = rows.map((r) => r.gas[op] ?? 0n)
    const exec = rows.map((r) => r.executionGas[op] ?? 0n)
    // Flat: execution gas never grows with N (compared from the second size on, since a
    // one-entry page at N = 1 does less work than a ten-entry page).
    const base = exec[Math.min(1, exec.length - 1)] ?? 0n
    const flat = exec.slice(1).every((v) => v <= base) && (exec[0] ?? 0n) <= base
    flatRows.push(flat)
    const gasCells = values.map((v) => v.toLocaleString('en-US')).join(' | ')
    const execCells = exec.map((v) => v.toLocaleString('en-US')).join(' / ')
    return `| ${op} | ${gasCells} | ${execCells} | ${flat ? 'yes' : 'NO'} |`
  })
  const totalSeconds = (Date.now() - started) / 1000
  const table = [header, rule, ...lines].join('\n')
  const markdown = [
    '# MedRec gas by size',
    '',
    'Gas used by each operation when the participant (patient P, steward S) already has N',
    'relationships and the relationship R already has N viewers. Measured on anvil',
    '(`--hardfork london`) with contracts compiled for London, optimizer 200 runs; every',
    'relationship and viewer was created by a real transaction. The N columns are gasUsed;',
    '"execution gas" is gasUsed − 21,000 − calldata cost, because clone addresses and page',
    'offsets carry a varying number of zero bytes (12 gas each) that says nothing about',
    'growth. "flat" means execution gas does not grow with N. View rows are eth_estimateGas',
    'of an eth_call; the page row reads min(N, 10) entries, so N = 1 reads one entry.',
    'Recovery rows act on P (N relationships) with three guardians, threshold 2, a one-day',
    'delay; "starts it" is the approval that reaches the threshold. A rotation of a patient',
    'with guardians also voids pending approvals (one more storage write).',
    '',
    table,
    '',
    `Seeding: ${rows.map((r) => `N = ${r.size}: ${r.seedSeconds.toFixed(1)} s`).join(', ')}; ` +
      `whole run ${totalSeconds.toFixed(1)} s.`,
    '',
  ].join('\n')
  await mkdir(new URL('./results/', import.meta.url), {recursive: true})
  await writeFile(new URL('./results/gas.md', import.meta.url), markdown)
  const json = {
    sizes,
    totalSeconds,
    rows: rows.map((r) => ({...r, gas: numbers(r.gas), executionGas: numbers(r.executionGas)})),
  }
  await writeFile(new URL('./results/gas.json', import.meta.url), `${JSON.stringify(json, null, 2)}\n`)
  process.stdout.write(`${table}\n`)
  if (flatRows.includes(false)) process.exitCode = 1
} finally {
  await anvil.stop()
}
