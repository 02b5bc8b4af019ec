// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Kinds of participant. Everything except `Patient` is a data steward.
/// `None` is the zero value so an unregistered identity reads as kind None.
enum ParticipantKind {
    None,
    Patient,
    Provider,
    Insurer,
    Lab,
    OtherSteward
}

/// @notice Status of one round of a patient–steward relationship.
/// `None` only exists before the first proposal.
enum RelationshipStatus {
    None,
    Proposed,
    Accepted,
    Rejected,
    Ended
}
