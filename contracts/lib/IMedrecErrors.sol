// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RelationshipStatus, ParticipantKind} from "./MedrecTypes.sol";

/// @title Every custom error of the MedRec contracts.
/// @notice Every MedRec contract inherits this interface so each ABI can decode any revert
/// that bubbles up from a clone through the Registrar.
interface IMedrecErrors {
    // Roles
    error NotGovernance(address caller);
    error NotPendingGovernance(address caller);
    error NotCertifiedProvider(address caller);
    error NotRegistered(address caller);
    error NotPatient(address caller);
    error NotSteward(address caller);
    error NotRegistrar(address caller);

    // Identities
    error ZeroIdentity();
    error ZeroAddress();
    error IdentityTaken(bytes32 id);
    error AccountTaken(address account);
    error UnknownIdentity(bytes32 id);
    error WrongKind(bytes32 id, ParticipantKind kind);
    error NoPendingRegistration(address account, bytes32 provider);
    error AlreadyCertified(bytes32 id);
    error NotCertified(bytes32 id);

    // Consent signatures
    error SignatureExpired(uint256 deadline);
    error InvalidSignatureLength(uint256 length);
    error InvalidSignatureS(bytes32 s);
    error InvalidSignatureV(uint8 v);
    error WrongSigner(address recovered, address expected);

    // Relationships
    error UnknownRelationship(address relationship);
    error InvalidTransition(RelationshipStatus from, RelationshipStatus to);
    error NotAccepted(RelationshipStatus status);
    error InvalidEndpoint(uint256 length);
    error InvalidViewer(address viewer);
    error ZeroScope();
    error ExpiryInPast(uint64 expiry);
    error ViewerNotGranted(address viewer);

    error AlreadyInitialized();

    // Key rotation and patient recovery
    error ProviderSelfRotation(bytes32 id);
    error TooManyGuardians(uint256 count);
    error InvalidGuardian(address guardian);
    error InvalidThreshold(uint256 threshold, uint256 guardians);
    error InvalidRecoveryDelay(uint256 delay);
    error NotGuardian(bytes32 id, address caller);
    error AlreadyApproved(bytes32 key, address guardian);
    error RecoveryPending(bytes32 id);
    error NoPendingRecovery(bytes32 id);
    error NotRecoveryAccount(bytes32 id, address caller);
    error RecoveryNotReady(bytes32 id, uint64 readyAt);
    error GovernanceRecoveryDisabled(bytes32 id);

    // Consortium governance
    error NotMember(address caller);
    error NoMembers();
    error AlreadyMember(address account);
    error LastMember(address account);
    error WrongAccount(bytes32 id, address account);
    error AlreadyVoted(bytes32 key, bytes32 voter);
    error NotVoted(bytes32 key, bytes32 voter);
    error SealingMemberNeedsReadmission(bytes32 provider);
}
