/** Participant kinds as the Registrar numbers them (contracts/lib/MedrecTypes.sol). */
export const participantKinds = ['none', 'patient', 'provider', 'insurer', 'lab', 'other'] as const
export type ParticipantKindName = Exclude<(typeof participantKinds)[number], 'none'>
/** The kinds a participant can be registered as: every kind but `none`. */
export const participantKindNames: readonly ParticipantKindName[] = participantKinds.filter(
  (kind): kind is ParticipantKindName => kind !== 'none',
)

/** Relationship statuses as the contracts number them. */
export const relationshipStatuses = ['none', 'proposed', 'accepted', 'rejected', 'ended'] as const
export type RelationshipStatusName = (typeof relationshipStatuses)[number]

export function kindNumber(kind: ParticipantKindName): number {
  return participantKinds.indexOf(kind)
}

export function kindName(kind: number): (typeof participantKinds)[number] {
  return participantKinds[kind] ?? 'none'
}

export function statusName(status: number): RelationshipStatusName {
  return relationshipStatuses[status] ?? 'none'
}

/** A chain timestamp (seconds) as ISO 8601, or null for 0 or one beyond what a Date holds. */
export function isoFromChainSeconds(seconds: bigint | number): string | null {
  const value = Number(seconds)
  if (value <= 0 || value > 8.64e12) return null
  return new Date(value * 1000).toISOString()
}
