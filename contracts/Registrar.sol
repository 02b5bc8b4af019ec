// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";
import {ParticipantKind, RelationshipStatus} from "./lib/MedrecTypes.sol";
import {ECDSA} from "./lib/ECDSA.sol";
import {Clones} from "./lib/Clones.sol";
import {Relationship} from "./Relationship.sol";
import {Summary} from "./Summary.sol";

/// @title Registrar: identities, certified providers, consent, recovery, and the factory of
/// Summaries and Relationships.
/// @notice The chain holds pointers and permissions, never records.
///
/// Identities. An identity is an opaque bytes32 bound to one address. It must never be a
/// name or a record number, nor a plain hash of one: record numbers are low-entropy and a
/// plain hash is brute-forced in seconds. Providers and other stewards get an explicit
/// identity (chosen by governance or by the registering provider). A patient's identity is
/// derived here, never chosen by a caller: patientIdentity(provider, enrolmentRef) =
/// keccak256(abi.encode(PATIENT_IDENTITY_TAG, provider, enrolmentRef)), where `provider` is
/// the identity of the certified provider that registers the patient (always the caller's
/// own) and `enrolmentRef` an opaque bytes32 that provider computes off chain for its local
/// record (the medrec tool: HMAC-SHA256 of the local id under the consortium's identity key).
/// So a provider can only create identities in its own namespace: it cannot register, in
/// advance, an identity another provider's patient will need, and record number 42 at two
/// providers gives two identities.
///
/// Roles. `governance` (an admin set at deploy, handed over in two steps to the Consortium,
/// which acts on a majority of the sealing providers) registers, certifies and decertifies
/// providers, recovers the keys of non-patient participants, hands governance on, and may
/// start a time-locked patient recovery the patient can veto. Certified providers register
/// patients (with the patient's consent) and other stewards (insurer, lab, other). A
/// steward (any non-patient; a provider only while certified) proposes relationships and
/// updates their pointer. Only the patient accepts, rejects, ends, grants or revokes
/// viewers, and sets up or vetoes its own recovery.
///
/// Consent. A patient's registration and every new fact about a patient need the patient's
/// consent: either the patient's own transaction (confirmRegistration, accept) or an EIP-712
/// signature from the patient's key (registerPatientWithSig, acceptWithSig), with a
/// per-signer sequential nonce and a deadline. A registration consent names the provider and
/// the enrolment reference: the patient consents to enrolment at that provider. Signatures
/// must be 65 bytes with low s and v in {27, 28}.
///
/// Key rotation. (1) A patient, insurer, lab or other steward rotates its own address with
/// its current key. A provider cannot (ProviderSelfRotation): its account may be a Clique
/// signer and a consortium voter, so it moves only through governance: recoverSteward (the
/// Consortium refuses it for a sealing member, which must be removed and admitted again at
/// its new account, moving its Clique signer in step). (2) A patient who lost its key is
/// recovered only through what it set up, or by governance with a longer delay it can veto:
///   - the patient (current key) names up to MAX_GUARDIANS guardian addresses, a threshold
///     and a delay (MIN_RECOVERY_DELAY to MAX_RECOVERY_DELAY);
///   - when `threshold` guardians approve the same new account, a recovery starts and can
///     complete `delay` seconds later;
///   - governance may start one too, completing after max(GOVERNANCE_RECOVERY_DELAY, the
///     patient's delay), unless the patient opted out of that path;
///   - the current key cancels any pending recovery at any time before completion (also by
///     rotating, or by changing its guardians), and every cancel voids all approvals;
///   - it completes only when the new account proves it holds its key: it calls
///     completeRecovery, or signs an EIP-712 PatientRecovery that anyone relays;
///   - one recovery is pending at a time; guardians may replace a governance-started one,
///     never the other way round, and either may replace one whose new account was
///     registered meanwhile (it could never complete).
/// No single provider, and no party without the patient's prior set-up or a majority plus a
/// delay the patient can use to veto, can move a patient identity. (3) Governance recovers
/// non-patient participants (providers, insurers, labs). Identities never change, and
/// relationships and summaries reference identities, so a rotation touches one record.
///
/// Design. "One Summary per participant" and "one Relationship per pair" are literal:
/// EIP-1167 clones this contract creates with CREATE2 (salt: the identity, or the pair key),
/// so each address follows from what it is for and never from this contract's nonce
/// (relationshipAddress predicts it). The clones accept writes only from this contract,
/// which authenticates callers and then calls them; all of this contract's state changes
/// happen before those calls, and it never calls any address other than its own clones,
/// so there is no re-entry path. No function loops over a list that can grow without
/// bound (guardian lists hold at most MAX_GUARDIANS).
contract Registrar is IMedrecErrors {
    /// @notice A registered identity.
    struct Participant {
        address account;
        ParticipantKind kind;
        bool certified;
        address summary;
    }

    /// @notice A patient's own recovery set-up (one storage slot).
    struct RecoverySetup {
        /// Guardians that must approve the same new account; 0 without guardians.
        uint8 threshold;
        uint8 guardianCount;
        /// Seconds from the start of a guardian recovery to its earliest completion.
        uint32 delay;
        /// True when the patient refused recovery started by governance.
        bool governanceOptOut;
        /// Version of the guardian list (0: never set); membership is checked against it.
        uint32 guardianSet;
        /// Bumped whenever approvals must lapse: a new set-up, a cancel, a rotation, a completion.
        uint64 epoch;
    }

    /// @notice A recovery that started and may complete at `readyAt`.
    struct PendingRecovery {
        address newAccount;
        uint64 readyAt;
        bool byGovernance;
    }

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("MedRec Registrar");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @notice Domain tag of patient identities (see patientIdentity).
    bytes32 public constant PATIENT_IDENTITY_TAG = keccak256("MedRec patient identity v1");
    /// @notice EIP-712 type the new patient signs to consent to enrolment at `provider`.
    bytes32 public constant REGISTRATION_TYPEHASH = keccak256(
        "PatientRegistration(bytes32 provider,bytes32 enrolmentRef,address account,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type the patient signs to accept one round of a relationship.
    bytes32 public constant ACCEPTANCE_TYPEHASH =
        keccak256("RelationshipAcceptance(address relationship,uint32 round,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type the new key signs to complete a pending recovery of patient `id`.
    bytes32 public constant RECOVERY_TYPEHASH =
        keccak256("PatientRecovery(bytes32 id,address newAccount,uint256 nonce,uint256 deadline)");

    /// @notice Most guardians a patient may name (bounds every loop over them).
    uint256 public constant MAX_GUARDIANS = 8;
    /// @notice Shortest delay of a guardian recovery: time for the patient to notice and veto.
    uint32 public constant MIN_RECOVERY_DELAY = 1 days;
    /// @notice Longest delay of a guardian recovery.
    uint32 public constant MAX_RECOVERY_DELAY = 90 days;
    /// @notice Shortest delay of a recovery started by governance.
    uint32 public constant GOVERNANCE_RECOVERY_DELAY = 7 days;

    /// @notice Implementation every Relationship clone delegates to.
    address public immutable relationshipImplementation;
    /// @notice Implementation every Summary clone delegates to.
    address public immutable summaryImplementation;

    /// @notice Who certifies providers, recovers stewards and may start patient recoveries.
    address public governance;
    /// @notice Who may call acceptGovernance; zero when no handover is under way.
    address public pendingGovernance;

    /// @notice The identity bound to an address (zero when none).
    mapping(address => bytes32) public identityOf;
    /// @notice The enrolment reference a certified provider (by identity) offered to register
    /// for an address, until that address confirms it. One offer per (account, provider):
    /// a provider can replace only its own offer.
    mapping(address => mapping(bytes32 => bytes32)) public pendingRegistration;
    /// @notice The next EIP-712 nonce of each signer.
    mapping(address => uint256) public nonces;
    /// @notice True for every Relationship clone this Registrar created.
    mapping(address => bool) public isRelationship;
    /// @notice Guardian approvals counted for a recovery key (see recoveryKey).
    mapping(bytes32 => uint256) public recoveryApprovals;
    /// @notice Whether a guardian approved a recovery key.
    mapping(bytes32 => mapping(address => bool)) public hasApprovedRecovery;

    mapping(bytes32 => Participant) private _participants;
    mapping(bytes32 => address) private _pairs;
    mapping(bytes32 => RecoverySetup) private _recovery;
    mapping(bytes32 => address[]) private _guardians;
    mapping(bytes32 => mapping(address => uint32)) private _guardianSetOf;
    mapping(bytes32 => PendingRecovery) private _pendingRecovery;

    /// @notice Governance handover begun; `pending` must call acceptGovernance.
    event GovernanceTransferStarted(address indexed current, address indexed pending);
    /// @notice Governance changed hands (also emitted at deploy, from zero).
    event GovernanceTransferred(address indexed previous, address indexed current);
    /// @notice A new identity was registered, with its Summary.
    event ParticipantRegistered(
        bytes32 indexed id, ParticipantKind kind, address indexed account, address summary, address indexed registeredBy
    );
    /// @notice Patient `id` was enrolled by provider `providerId` under `enrolmentRef`.
    event PatientEnrolled(bytes32 indexed id, bytes32 indexed providerId, bytes32 enrolmentRef);
    /// @notice A provider joined the whitelist.
    event ProviderCertified(bytes32 indexed id);
    /// @notice A provider left the whitelist.
    event ProviderDecertified(bytes32 indexed id);
    /// @notice A certified provider offered to register `account` as patient `id`.
    event PatientRegistrationOffered(
        bytes32 indexed id, address indexed account, bytes32 indexed providerId, bytes32 enrolmentRef
    );
    /// @notice An identity moved to a new address; `authorizedBy` sent the transaction.
    event AddressRotated(bytes32 indexed id, address indexed oldAccount, address indexed newAccount, address authorizedBy);
    /// @notice The first proposal for a pair created its Relationship.
    event RelationshipCreated(address indexed relationship, bytes32 indexed patient, bytes32 indexed steward);
    /// @notice An EIP-712 consent was used; `nonce` can never be used again by `signer`.
    event NonceUsed(address indexed signer, uint256 nonce);
    /// @notice Patient `id` named its guardians (an empty list removes them); earlier approvals lapsed.
    event RecoveryGuardiansSet(bytes32 indexed id, address[] guardians, uint8 threshold, uint32 delay);
    /// @notice Patient `id` allowed (or refused) recoveries started by governance.
    event GovernanceRecoverySet(bytes32 indexed id, bool allowed);
    /// @notice A guardian approved moving patient `id` to `newAccount`.
    event RecoveryApproved(
        bytes32 indexed id, address indexed newAccount, address indexed guardian, uint256 approvals, uint256 threshold
    );
    /// @notice A recovery of `id` to `newAccount` started; it may complete from `readyAt`.
    event RecoveryStarted(bytes32 indexed id, address indexed newAccount, uint64 readyAt, bool byGovernance);
    /// @notice The pending recovery to `newAccount` (zero when none was pending) was cancelled
    /// and every approval lapsed; `by` sent the transaction.
    event RecoveryCancelled(bytes32 indexed id, address indexed newAccount, address indexed by);
    /// @notice A recovery completed; AddressRotated follows.
    event RecoveryCompleted(bytes32 indexed id, address indexed newAccount);

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    /// @dev Refuses anyone who is not a certified provider.
    modifier onlyCertifiedProvider() {
        _certifiedProvider(msg.sender);
        _;
    }

    /// @param governance_ First governance (an admin or multisig); hands over later.
    /// @param relationshipImplementation_ Deployed Relationship implementation.
    /// @param summaryImplementation_ Deployed Summary implementation.
    constructor(address governance_, address relationshipImplementation_, address summaryImplementation_) {
        if (
            governance_ == address(0) || relationshipImplementation_ == address(0)
                || summaryImplementation_ == address(0)
        ) revert ZeroAddress();
        governance = governance_;
        relationshipImplementation = relationshipImplementation_;
        summaryImplementation = summaryImplementation_;
        emit GovernanceTransferred(address(0), governance_);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Starts handing governance to `next` (zero cancels). Only governance (after the
    /// handover: the Consortium, on a majority vote).
    function transferGovernance(address next) external onlyGovernance {
        pendingGovernance = next;
        emit GovernanceTransferStarted(msg.sender, next);
    }

    /// @notice Completes the handover. Only the pending governance.
    function acceptGovernance() external {
        if (msg.sender != pendingGovernance || msg.sender == address(0)) revert NotPendingGovernance(msg.sender);
        address previous = governance;
        governance = msg.sender;
        pendingGovernance = address(0);
        emit GovernanceTransferred(previous, msg.sender);
    }

    /// @notice Registers a provider identity and certifies it. Only governance.
    function registerProvider(bytes32 id, address account) external onlyGovernance {
        _register(id, ParticipantKind.Provider, account, true);
        emit ProviderCertified(id);
    }

    /// @notice Puts a registered, decertified provider back on the whitelist. Only governance.
    function certifyProvider(bytes32 id) external onlyGovernance {
        Participant storage p = _participants[id];
        if (p.kind != ParticipantKind.Provider) revert WrongKind(id, p.kind);
        if (p.certified) revert AlreadyCertified(id);
        p.certified = true;
        emit ProviderCertified(id);
    }

    /// @notice Takes a provider off the whitelist: it can no longer register anyone,
    /// propose, or update pointers. Only governance.
    function decertifyProvider(bytes32 id) external onlyGovernance {
        Participant storage p = _participants[id];
        if (!p.certified) revert NotCertified(id);
        p.certified = false;
        emit ProviderDecertified(id);
    }

    /// @notice Moves a non-patient participant (provider, insurer, lab, other) to a new
    /// address after a lost or compromised key. Only governance; never for patients. The
    /// Consortium refuses it for a sealing member (whose account is its Clique signer).
    function recoverSteward(bytes32 id, address newAccount) external onlyGovernance {
        ParticipantKind kind = _participants[id].kind;
        if (kind == ParticipantKind.None) revert UnknownIdentity(id);
        if (kind == ParticipantKind.Patient) revert WrongKind(id, kind);
        _rotate(id, newAccount);
    }

    /// @notice Starts recovering patient `id` to `newAccount`; it completes after
    /// max(GOVERNANCE_RECOVERY_DELAY, the patient's guardian delay), only if the patient's
    /// current key has not cancelled it and the new key completes it. Only governance (after
    /// the handover: the Consortium, on a majority vote). Refused when the patient opted
    /// out, or while another recovery is pending.
    function startGovernanceRecovery(bytes32 id, address newAccount) external onlyGovernance {
        ParticipantKind kind = _participants[id].kind;
        if (kind == ParticipantKind.None) revert UnknownIdentity(id);
        if (kind != ParticipantKind.Patient) revert WrongKind(id, kind);
        RecoverySetup storage setup = _recovery[id];
        if (setup.governanceOptOut) revert GovernanceRecoveryDisabled(id);
        _requireFreeAccount(newAccount);
        uint32 delay = setup.delay > GOVERNANCE_RECOVERY_DELAY ? setup.delay : GOVERNANCE_RECOVERY_DELAY;
        _startRecovery(id, newAccount, delay, true);
    }

    // ------------------------------------------------------------------ registration

    /// @notice Registers an insurer, lab or other steward. Only a certified provider.
    function registerSteward(bytes32 id, ParticipantKind kind, address account) external onlyCertifiedProvider {
        if (kind != ParticipantKind.Insurer && kind != ParticipantKind.Lab && kind != ParticipantKind.OtherSteward) {
            revert WrongKind(id, kind);
        }
        _register(id, kind, account, false);
    }

    /// @notice Offers to enrol `account` as the caller's patient `enrolmentRef`; the patient
    /// consents by calling confirmRegistration from that account. Replaces only the caller's
    /// own earlier offer to that account. Only a certified provider.
    /// @return id The patient identity the registration will create.
    function offerPatientRegistration(bytes32 enrolmentRef, address account) external returns (bytes32 id) {
        bytes32 providerId = _certifiedProvider(msg.sender);
        if (enrolmentRef == bytes32(0)) revert ZeroIdentity();
        id = patientIdentity(providerId, enrolmentRef);
        _requireFree(id, account);
        pendingRegistration[account][providerId] = enrolmentRef;
        emit PatientRegistrationOffered(id, account, providerId, enrolmentRef);
    }

    /// @notice Consents to, and completes, enrolment at provider `providerId` under
    /// `enrolmentRef`, as that provider offered to the caller. Only the offered account, and
    /// only while the provider is certified.
    function confirmRegistration(bytes32 providerId, bytes32 enrolmentRef) external {
        if (enrolmentRef == bytes32(0) || pendingRegistration[msg.sender][providerId] != enrolmentRef) {
            revert NoPendingRegistration(msg.sender, providerId);
        }
        if (!_participants[providerId].certified) revert NotCertified(providerId);
        delete pendingRegistration[msg.sender][providerId];
        _registerPatient(providerId, enrolmentRef, msg.sender);
    }

    /// @notice Enrols `account` as the caller's patient `enrolmentRef` with the patient's
    /// EIP-712 PatientRegistration signature from `account`, which names the caller's
    /// provider identity and the enrolment reference. Only a certified provider.
    /// @return id The new patient identity.
    function registerPatientWithSig(bytes32 enrolmentRef, address account, uint256 deadline, bytes calldata signature)
        external
        returns (bytes32 id)
    {
        bytes32 providerId = _certifiedProvider(msg.sender);
        if (enrolmentRef == bytes32(0)) revert ZeroIdentity();
        _useConsent(
            account,
            keccak256(abi.encode(REGISTRATION_TYPEHASH, providerId, enrolmentRef, account, nonces[account], deadline)),
            deadline,
            signature
        );
        delete pendingRegistration[account][providerId];
        id = _registerPatient(providerId, enrolmentRef, account);
    }

    // ------------------------------------------------------------------ rotation

    /// @notice Moves the caller's identity to `newAccount`. Any registered patient or
    /// non-provider steward, with its current key. Refused to providers
    /// (ProviderSelfRotation): a provider's account may be its Clique signer and consortium
    /// vote, so it moves only through governance (recoverSteward; a sealing member is removed
    /// and admitted again). A patient's rotation also cancels any pending recovery.
    function rotateAddress(address newAccount) external {
        bytes32 id = identityOf[msg.sender];
        if (id == bytes32(0)) revert NotRegistered(msg.sender);
        ParticipantKind kind = _participants[id].kind;
        if (kind == ParticipantKind.Provider) revert ProviderSelfRotation(id);
        if (kind == ParticipantKind.Patient) {
            address pending = _voidRecovery(id);
            if (pending != address(0)) emit RecoveryCancelled(id, pending, msg.sender);
        }
        _rotate(id, newAccount);
    }

    // ------------------------------------------------------------------ patient recovery

    /// @notice Names the caller's guardians (at most MAX_GUARDIANS distinct non-zero
    /// addresses other than the caller), how many must approve the same new account, and
    /// the delay before that recovery may complete. An empty list with threshold 0 removes
    /// the guardians. Every earlier approval lapses and a pending recovery is cancelled.
    /// Only a patient, with its current key.
    function setRecoveryGuardians(address[] calldata guardians, uint8 threshold, uint32 delay) external {
        bytes32 id = _callerPatient();
        uint256 count = guardians.length;
        if (count > MAX_GUARDIANS) revert TooManyGuardians(count);
        if (count == 0 ? threshold != 0 : (threshold == 0 || threshold > count)) {
            revert InvalidThreshold(threshold, count);
        }
        if (count != 0 && (delay < MIN_RECOVERY_DELAY || delay > MAX_RECOVERY_DELAY)) {
            revert InvalidRecoveryDelay(delay);
        }
        RecoverySetup storage setup = _recovery[id];
        uint32 set = setup.guardianSet + 1;
        address[] storage list = _guardians[id];
        delete _guardians[id]; // at most MAX_GUARDIANS slots
        for (uint256 i = 0; i < count; i++) {
            address guardian = guardians[i];
            if (guardian == address(0) || guardian == msg.sender || _guardianSetOf[id][guardian] == set) {
                revert InvalidGuardian(guardian);
            }
            _guardianSetOf[id][guardian] = set;
            list.push(guardian);
        }
        setup.guardianSet = set;
        setup.guardianCount = uint8(count);
        setup.threshold = threshold;
        setup.delay = count == 0 ? 0 : delay;
        address pending = _voidRecovery(id);
        if (pending != address(0)) emit RecoveryCancelled(id, pending, msg.sender);
        emit RecoveryGuardiansSet(id, guardians, threshold, setup.delay);
    }

    /// @notice Allows or refuses recoveries started by governance (allowed until refused).
    /// Refusing also cancels a pending one that governance started. Only a patient, with its
    /// current key.
    function setGovernanceRecovery(bool allowed) external {
        bytes32 id = _callerPatient();
        _recovery[id].governanceOptOut = !allowed;
        PendingRecovery storage pending = _pendingRecovery[id];
        if (!allowed && pending.byGovernance) {
            address newAccount = pending.newAccount;
            delete _pendingRecovery[id];
            emit RecoveryCancelled(id, newAccount, msg.sender);
        }
        emit GovernanceRecoverySet(id, allowed);
    }

    /// @notice Approves moving patient `id` to `newAccount`. The approval that reaches the
    /// patient's threshold starts the recovery (refused while another is pending, unless
    /// that one was started by governance or can no longer complete, which it replaces).
    /// Only a current guardian of `id`, once per recovery key.
    /// @return started True when this approval started the recovery.
    function approveRecovery(bytes32 id, address newAccount) external returns (bool started) {
        RecoverySetup storage setup = _recovery[id];
        uint32 set = setup.guardianSet;
        if (set == 0 || setup.guardianCount == 0 || _guardianSetOf[id][msg.sender] != set) {
            revert NotGuardian(id, msg.sender);
        }
        _requireFreeAccount(newAccount);
        bytes32 key = keccak256(abi.encode(id, setup.epoch, newAccount));
        if (hasApprovedRecovery[key][msg.sender]) revert AlreadyApproved(key, msg.sender);
        hasApprovedRecovery[key][msg.sender] = true;
        uint256 count = ++recoveryApprovals[key];
        uint256 threshold = setup.threshold;
        emit RecoveryApproved(id, newAccount, msg.sender, count, threshold);
        if (count == threshold) {
            _startRecovery(id, newAccount, setup.delay, false);
            return true;
        }
    }

    /// @notice Cancels the caller's pending recovery, if any, and voids every approval
    /// given so far. Only a patient, with its current key; at any time before completion.
    function cancelRecovery() external {
        bytes32 id = _callerPatient();
        address pending = _voidRecovery(id);
        emit RecoveryCancelled(id, pending, msg.sender);
    }

    /// @notice Completes the pending recovery of patient `id` once its delay is over. Only
    /// the recovery's new account (proving it holds the key).
    function completeRecovery(bytes32 id) external {
        _completeRecovery(id, msg.sender);
    }

    /// @notice Completes the pending recovery of patient `id` with the new account's EIP-712
    /// PatientRecovery signature (for a new key without gas). Anyone may relay it.
    function completeRecoveryWithSig(bytes32 id, address newAccount, uint256 deadline, bytes calldata signature)
        external
    {
        _useConsent(
            newAccount,
            keccak256(abi.encode(RECOVERY_TYPEHASH, id, newAccount, nonces[newAccount], deadline)),
            deadline,
            signature
        );
        _completeRecovery(id, newAccount);
    }

    // ------------------------------------------------------------------ relationships

    /// @notice Proposes a relationship with patient `patientId` (creating the pair's
    /// Relationship on first use, at relationshipAddress(patientId, steward), or starting a
    /// new round after Rejected or Ended). Only a steward: a registered non-patient, and a
    /// provider only while certified.
    function propose(bytes32 patientId, string calldata endpoint, bytes32 queryRef, bytes32 contentHash)
        external
        returns (address relationship)
    {
        bytes32 stewardId = _activeSteward(msg.sender);
        Participant storage patient = _participants[patientId];
        if (patient.kind == ParticipantKind.None) revert UnknownIdentity(patientId);
        if (patient.kind != ParticipantKind.Patient) revert WrongKind(patientId, patient.kind);

        bytes32 pair = _pairKey(patientId, stewardId);
        relationship = _pairs[pair];
        if (relationship == address(0)) {
            relationship = Clones.cloneDeterministic(relationshipImplementation, pair);
            _pairs[pair] = relationship;
            isRelationship[relationship] = true;
            emit RelationshipCreated(relationship, patientId, stewardId);
            Relationship(relationship).initialize(patientId, stewardId);
            Summary(patient.summary).add(relationship);
            Summary(_participants[stewardId].summary).add(relationship);
        }
        Relationship(relationship).propose(endpoint, queryRef, contentHash);
    }
    /// @notice Accepts the current proposal. Only the relationship's patient.
    function accept(address relationship) external {
        _requirePatient(relationship);
        Relationship(relationship).accept();
    }

    /// @notice Accepts the current proposal with the patient's EIP-712
    /// RelationshipAcceptance signature for this round. Anyone may relay it.
    function acceptWithSig(address relationship, uint256 deadline, bytes calldata signature) external {
        if (!isRelationship[relationship]) revert UnknownRelationship(relationship);
        Relationship rel = Relationship(relationship);
        address patient = _participants[rel.patient()].account;
        _useConsent(
            patient,
            keccak256(abi.encode(ACCEPTANCE_TYPEHASH, relationship, rel.round(), nonces[patient], deadline)),
            deadline,
            signature
        );
        rel.accept();
    }

    /// @notice Rejects the current proposal. Only the relationship's patient.
    function reject(address relationship) external {
        _requirePatient(relationship);
        Relationship(relationship).reject();
    }

    /// @notice Ends an accepted relationship, keeping its history. Only its patient.
    function end(address relationship) external {
        _requirePatient(relationship);
        Relationship(relationship).end();
    }

    /// @notice Replaces the pointer of an accepted relationship. Only its steward, and a
    /// provider only while certified.
    function updatePointer(address relationship, string calldata endpoint, bytes32 queryRef, bytes32 contentHash)
        external
    {
        if (!isRelationship[relationship]) revert UnknownRelationship(relationship);
        bytes32 stewardId = _activeSteward(msg.sender);
        if (Relationship(relationship).steward() != stewardId) revert NotSteward(msg.sender);
        Relationship(relationship).updatePointer(endpoint, queryRef, contentHash);
    }

    /// @notice Allows `viewer` to read within `scope` until `expiry`. Only the patient.
    function grantViewer(address relationship, address viewer, uint256 scope, uint64 expiry) external {
        _requirePatient(relationship);
        Relationship(relationship).grantViewer(viewer, scope, expiry);
    }

    /// @notice Revokes `viewer`. Only the patient.
    function revokeViewer(address relationship, address viewer) external {
        _requirePatient(relationship);
        Relationship(relationship).revokeViewer(viewer);
    }

    // ------------------------------------------------------------------ views

    /// @notice The gatekeeper's question: may `requester` read `relationship` within
    /// `scope` now? True when the relationship is Accepted and the requester is its
    /// patient or its steward (current addresses), or an unexpired, unrevoked viewer of
    /// the current round whose scope covers every requested bit (a zero scope covers nothing).
    function canAccess(address relationship, address requester, uint256 scope) external view returns (bool) {
        if (!isRelationship[relationship]) return false;
        (RelationshipStatus status, bytes32 patient, bytes32 steward, bool viewerPermitted) =
            Relationship(relationship).accessFacts(requester, scope);
        if (status != RelationshipStatus.Accepted) return false;
        bytes32 id = identityOf[requester];
        if (id != bytes32(0) && (id == patient || id == steward)) return true;
        return viewerPermitted;
    }

    /// @notice An identity's address, kind, certification and Summary (zeros when unknown).
    function participant(bytes32 id) external view returns (Participant memory) {
        return _participants[id];
    }

    /// @notice The Summary clone of identity `id` (zero when unknown).
    function summaryOf(bytes32 id) external view returns (address) {
        return _participants[id].summary;
    }

    /// @notice The address bound to identity `id` (zero when unknown).
    function accountOf(bytes32 id) external view returns (address) {
        return _participants[id].account;
    }

    /// @notice True when `id` is a provider on the whitelist.
    function isCertifiedProvider(bytes32 id) external view returns (bool) {
        return _participants[id].certified;
    }

    /// @notice The Relationship of a patient–steward pair (zero before the first proposal).
    function relationshipOf(bytes32 patientId, bytes32 stewardId) external view returns (address) {
        return _pairs[_pairKey(patientId, stewardId)];
    }

    /// @notice Where the Relationship of a patient–steward pair is (or will be) deployed:
    /// CREATE2 by this contract with the pair key as salt, whatever else is deployed first.
    function relationshipAddress(bytes32 patientId, bytes32 stewardId) external view returns (address) {
        return Clones.predict(relationshipImplementation, _pairKey(patientId, stewardId), address(this));
    }

    /// @notice The identity of the patient that provider `providerId` enrols under
    /// `enrolmentRef`: keccak256(abi.encode(PATIENT_IDENTITY_TAG, providerId, enrolmentRef)).
    function patientIdentity(bytes32 providerId, bytes32 enrolmentRef) public pure returns (bytes32) {
        return keccak256(abi.encode(PATIENT_IDENTITY_TAG, providerId, enrolmentRef));
    }

    /// @notice Patient `id`'s guardians, threshold, guardian delay, and whether governance
    /// may start a recovery.
    function recoverySetup(bytes32 id)
        external
        view
        returns (address[] memory guardians, uint8 threshold, uint32 delay, bool governanceAllowed)
    {
        RecoverySetup storage setup = _recovery[id];
        return (_guardians[id], setup.threshold, setup.delay, !setup.governanceOptOut);
    }

    /// @notice The pending recovery of patient `id` (zero account when none).
    function pendingRecovery(bytes32 id) external view returns (PendingRecovery memory) {
        return _pendingRecovery[id];
    }

    /// @notice The key under which guardians' approvals to move `id` to `newAccount` are
    /// counted now; it changes (so approvals lapse) on every cancel, set-up change, rotation
    /// and completion.
    function recoveryKey(bytes32 id, address newAccount) external view returns (bytes32) {
        return keccak256(abi.encode(id, _recovery[id].epoch, newAccount));
    }

    /// @notice The EIP-712 domain separator for the current chain.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    // ------------------------------------------------------------------ internals

    function _certifiedProvider(address account) private view returns (bytes32 id) {
        id = identityOf[account];
        if (id == bytes32(0) || !_participants[id].certified) revert NotCertifiedProvider(account);
    }

    function _callerPatient() private view returns (bytes32 id) {
        id = identityOf[msg.sender];
        if (id == bytes32(0) || _participants[id].kind != ParticipantKind.Patient) revert NotPatient(msg.sender);
    }

    function _activeSteward(address account) private view returns (bytes32 id) {
        id = identityOf[account];
        if (id == bytes32(0)) revert NotRegistered(account);
        Participant storage p = _participants[id];
        if (p.kind == ParticipantKind.Patient) revert NotSteward(account);
        if (p.kind == ParticipantKind.Provider && !p.certified) revert NotCertifiedProvider(account);
    }

    function _requirePatient(address relationship) private view {
        if (!isRelationship[relationship]) revert UnknownRelationship(relationship);
        bytes32 id = identityOf[msg.sender];
        if (id == bytes32(0) || id != Relationship(relationship).patient()) revert NotPatient(msg.sender);
    }

    function _requireFreeAccount(address account) private view {
        if (account == address(0)) revert ZeroAddress();
        if (identityOf[account] != bytes32(0)) revert AccountTaken(account);
    }

    function _requireFree(bytes32 id, address account) private view {
        if (id == bytes32(0)) revert ZeroIdentity();
        if (_participants[id].kind != ParticipantKind.None) revert IdentityTaken(id);
        _requireFreeAccount(account);
    }

    function _pairKey(bytes32 patientId, bytes32 stewardId) private pure returns (bytes32) {
        return keccak256(abi.encode(patientId, stewardId));
    }

    function _registerPatient(bytes32 providerId, bytes32 enrolmentRef, address account) private returns (bytes32 id) {
        id = patientIdentity(providerId, enrolmentRef);
        emit PatientEnrolled(id, providerId, enrolmentRef);
        _register(id, ParticipantKind.Patient, account, false);
    }

    /// @dev State is written before the clone's initialize, the only external call.
    function _register(bytes32 id, ParticipantKind kind, address account, bool certified) private {
        _requireFree(id, account);
        address summary = Clones.cloneDeterministic(summaryImplementation, id);
        _participants[id] = Participant({account: account, kind: kind, certified: certified, summary: summary});
        identityOf[account] = id;
        emit ParticipantRegistered(id, kind, account, summary, msg.sender);
        Summary(summary).initialize(id);
    }

    function _rotate(bytes32 id, address newAccount) private {
        _requireFreeAccount(newAccount);
        Participant storage p = _participants[id];
        address old = p.account;
        delete identityOf[old];
        identityOf[newAccount] = id;
        p.account = newAccount;
        emit AddressRotated(id, old, newAccount, msg.sender);
    }

    function _startRecovery(bytes32 id, address newAccount, uint32 delay, bool byGovernance) private {
        PendingRecovery storage pending = _pendingRecovery[id];
        address previous = pending.newAccount;
        if (previous != address(0)) {
            // Guardians, the patient's own choice, may replace what governance started; and
            // anyone entitled to start may replace a recovery that can no longer complete
            // because its account was registered meanwhile (e.g. as a steward, to block it).
            bool dead = identityOf[previous] != bytes32(0);
            if (!dead && (byGovernance || !pending.byGovernance)) revert RecoveryPending(id);
            emit RecoveryCancelled(id, previous, msg.sender);
        }
        uint64 readyAt = uint64(block.timestamp) + delay;
        _pendingRecovery[id] = PendingRecovery({newAccount: newAccount, readyAt: readyAt, byGovernance: byGovernance});
        emit RecoveryStarted(id, newAccount, readyAt, byGovernance);
    }

    /// @dev Voids every approval of `id` and its pending recovery; returns the account that
    /// was pending (zero if none). Approvals exist only once guardians were set, so a patient
    /// who never set any pays for no epoch write.
    function _voidRecovery(bytes32 id) private returns (address pending) {
        RecoverySetup storage setup = _recovery[id];
        if (setup.guardianSet != 0) setup.epoch++;
        pending = _pendingRecovery[id].newAccount;
        if (pending != address(0)) delete _pendingRecovery[id];
    }

    function _completeRecovery(bytes32 id, address account) private {
        PendingRecovery storage pending = _pendingRecovery[id];
        address newAccount = pending.newAccount;
        if (newAccount == address(0)) revert NoPendingRecovery(id);
        if (newAccount != account) revert NotRecoveryAccount(id, account);
        if (block.timestamp < pending.readyAt) revert RecoveryNotReady(id, pending.readyAt);
        _voidRecovery(id);
        emit RecoveryCompleted(id, newAccount);
        _rotate(id, newAccount);
    }

    /// @dev Verifies `expected` signed `structHash` (built with its current nonce) before
    /// `deadline`, then burns the nonce so the signature can never be replayed.
    function _useConsent(address expected, bytes32 structHash, uint256 deadline, bytes calldata signature) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
        (address signer, uint8 reason, bytes32 s, uint8 v) = ECDSA.tryRecover(digest, signature);
        if (reason == 1) revert InvalidSignatureLength(signature.length);
        if (reason == 2) revert InvalidSignatureS(s);
        if (reason == 3) revert InvalidSignatureV(v);
        if (expected == address(0) || signer != expected) revert WrongSigner(signer, expected);
        uint256 nonce = nonces[expected]++;
        emit NonceUsed(expected, nonce);
    }
}
