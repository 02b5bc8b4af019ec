import {getAddress, type Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {
  deployMedrecWorld,
  newAccount,
  ParticipantKind,
  randomIdentity,
  relationshipRead,
  RelationshipStatus,
  summaryRead,
} from './testing/medrec-test-world.js'
import {compileSolidity} from './solc-standard-json.js'
import {useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()

// A steward that is a contract: from inside its own proposal transaction it tries every
// way around the Registrar. The Registrar never calls participants, so the only paths
// are direct calls to the clones and calls back into the Registrar.
const probeSource = `
pragma solidity ^0.8.24;
interface IRegistrar {
  function propose(bytes32, string calldata, bytes32, bytes32) external returns (address);
  function accept(address) external;
  function grantViewer(address, address, uint256, uint64) external;
  function summaryOf(bytes32) external view returns (address);
}
interface IRelationship {
  function accept() external;
  function initialize(bytes32, bytes32) external;
  function grantViewer(address, uint256, uint64) external;
}
interface ISummary { function add(address) external; }
contract ReentrancyProbe {
  bool public bypassed;
  uint256 public refusals;
  function attack(IRegistrar registrar, bytes32 patientId, bytes32 ownId) external {
    address rel = registrar.propose(patientId, "https://evil.example", bytes32(0), bytes32(0));
    attempt(rel, abi.encodeCall(IRelationship.accept, ()));
    attempt(rel, abi.encodeCall(IRelationship.initialize, (ownId, ownId)));
    attempt(rel, abi.encodeCall(IRelationship.grantViewer, (address(this), type(uint256).max, type(uint64).max)));
    attempt(registrar.summaryOf(patientId), abi.encodeCall(ISummary.add, (address(this))));
    attempt(address(registrar), abi.encodeCall(IRegistrar.accept, (rel)));
    attempt(address(registrar), abi.encodeCall(IRegistrar.grantViewer, (rel, address(this), 1, type(uint64).max)));
  }
  function attempt(address target, bytes memory data) private {
    (bool ok, ) = target.call(data);
    if (ok) bypassed = true; else refusals++;
  }
}`

describe('Re-entry', () => {
  it('gives a malicious steward contract no way to corrupt a relationship from inside its own call', async () => {
    // Given a probe contract registered as a lab
    const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
    const probe = compileSolidity({'ReentrancyProbe.sol': probeSource}, {evmVersion: 'london', optimizerRuns: 200})[
      'ReentrancyProbe.sol:ReentrancyProbe'
    ]
    if (!probe) throw new Error('probe did not compile')
    const attacker = await newAccount(w.chain)
    const hash = await w.chain.walletClient.deployContract({
      account: attacker,
      chain: w.chain.chain,
      abi: probe.abi,
      bytecode: probe.bytecode as Hex,
    })
    const probeAddress = getAddress(
      (await w.chain.publicClient.waitForTransactionReceipt({hash})).contractAddress ?? '',
    )
    const probeId = randomIdentity()
    await w.registrarSend(w.provider.account, 'registerSteward', [probeId, ParticipantKind.Lab, probeAddress])
    // When it proposes and then tries six bypasses in the same transaction
    const attack = await w.chain.walletClient.writeContract({
      account: attacker,
      chain: w.chain.chain,
      address: probeAddress,
      abi: probe.abi,
      functionName: 'attack',
      args: [w.registrar, w.patient.id, probeId],
    })
    expect((await w.chain.publicClient.waitForTransactionReceipt({hash: attack})).status).toBe('success')
    // Then every bypass was refused and the relationship is exactly what the proposal made
    const read = async (functionName: 'bypassed' | 'refusals') =>
      w.chain.publicClient.readContract({address: probeAddress, abi: probe.abi, functionName})
    expect(await read('bypassed')).toBe(false)
    expect(await read('refusals')).toBe(6n)
    const relationship = await w.registrarRead.relationshipOf([w.patient.id, probeId])
    expect((await relationshipRead(w.chain, relationship).current())[1]).toBe(RelationshipStatus.Proposed)
    expect(await relationshipRead(w.chain, relationship).patient()).toBe(w.patient.id)
    expect(await relationshipRead(w.chain, relationship).steward()).toBe(probeId)
    expect(await relationshipRead(w.chain, relationship).viewerCount()).toBe(0n)
    const summary = await w.registrarRead.summaryOf([w.patient.id])
    expect(await summaryRead(w.chain, summary).count()).toBe(1n)
    expect(await w.registrarRead.canAccess([relationship, probeAddress, 1n])).toBe(false)
  })
})
