import {formatDuration} from '../registrar/recovery-input.js'
import type {RecoverySetup} from '../registrar/show-recovery.js'

/** A patient's guardians and consortium choice, as `recovery setup` and `recovery show` print them. */
export function describeRecoverySetup(setup: RecoverySetup): string[] {
  const lines: string[] = []
  if (setup.guardians.length === 0) lines.push('Guardians    none')
  else {
    const delay = formatDuration(setup.delaySeconds)
    lines.push(`Guardians    ${setup.threshold} of ${setup.guardians.length}, delay ${delay}`)
    for (const guardian of setup.guardians) lines.push(`             ${guardian}`)
  }
  lines.push(`Consortium   ${setup.consortiumRecovery}`)
  return lines
}
