// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";
import {ParticipantKind, RelationshipStatus} from "./lib/MedrecTypes.sol";
import {ECDSA} from "./lib/ECDSA.sol";
import {Clones} from "./lib/Clones.sol";
import {Relationship} from "./Relationship.sol";
import {Summary} from "./Summary.sol";

/// @title Registrar: identities, certified providers, consent, and the factory of
/// Summaries and Relationships.
/// @notice The chain holds pointers and permissions, never records.
///
/// Identities. An identity is an opaque bytes32 bound to one address. It must never be a
/// name or a record number, nor a plain hash of one: record numbers are low-entropy and a
/// plain hash is brute-forced in seconds. Callers derive it with a keyed hash, e.g.
/// HMAC-SHA256(consortium secret, local id), or keccak256(random 32-byte salt kept
/// off-chain ‖ id).
///
/// Roles. `governance` (an admin set at deploy, handed over in two steps so a later
/// sealers'-majority governance contract can take charge) registers, certifies and
/// decertifies providers, and recovers the keys of non-patient participants. Certified
/// providers register patients (with the patient's consent) and other stewards (insurer,
/// lab, other). A steward (any non-patient; a provider only while certified) proposes
/// relationships and updates their pointer. Only the patient accepts, rejects, ends, and
/// grants or revokes viewers.
///
/// Consent. A patient's registration and every new fact about a patient need the
/// patient's consent: either the patient's own transaction (confirmRegistration, accept)
/// or an EIP-712 signature from the patient's key (registerPatientWithSig,
/// acceptWithSig), with a per-signer sequential nonce and a deadline. Signatures must be
/// 65 bytes with low s and v in {27, 28}.
///
/// Key rotation. (1) Any participant rotates its own address with its current key.
/// (2) A patient who lost its key is recovered by a certified provider (who vouches for
/// the person off-chain) together with an EIP-712 signature by the NEW key (so nobody
/// can move a patient to a key the patient does not hold). Governance cannot rotate a
/// patient. (3) Governance recovers non-patient participants (providers, insurers, labs).
/// Identities never change, and relationships and summaries reference identities, so a
/// rotation touches one record and nothing else.
///
/// Design. "One Summary per participant" and "one Relationship per pair" are literal:
/// EIP-1167 clones this contract creates (about 41k gas each, flat, and each has an
/// address the gatekeeper and indexers can watch). The clones accept writes only from
/// this contract, which authenticates callers and then calls them; all of this
/// contract's state changes happen before those calls, and it never calls any address
/// other than its own clones, so there is no re-entry path. No function loops over a
/// growing list.
contract Registrar is IMedrecErrors {
    /// @notice A registered identity.
    struct Participant {
        address account;
        ParticipantKind kind;
        bool certified;
        address summary;
    }

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("MedRec Registrar");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @notice EIP-712 type the new patient signs to consent to registration.
    bytes32 public constant REGISTRATION_TYPEHASH =
        keccak256("PatientRegistration(bytes32 id,address account,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type the patient signs to accept one round of a relationship.
    bytes32 public constant ACCEPTANCE_TYPEHASH =
        keccak256("RelationshipAcceptance(address relationship,uint32 round,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type the patient's new key signs to consent to a recovery.
    bytes32 public constant RECOVERY_TYPEHASH =
        keccak256("PatientRecovery(bytes32 id,address newAccount,uint256 nonce,uint256 deadline)");

    /// @notice Implementation every Relationship clone delegates to.
    address public immutable relationshipImplementation;
    /// @notice Implementation every Summary clone delegates to.
    address public immutable summaryImplementation;

    /// @notice Who certifies providers and recovers stewards.
    address public governance;
    /// @notice Who may call acceptGovernance; zero when no handover is under way.
    address public pendingGovernance;

    /// @notice The identity bound to an address (zero when none).
    mapping(address => bytes32) public identityOf;
    /// @notice The identity a certified provider offered to register for an address, until
    /// that address confirms it.
    mapping(address => bytes32) public pendingRegistration;
    /// @notice The next EIP-712 nonce of each signer.
    mapping(address => uint256) public nonces;
    /// @notice True for every Relationship clone this Registrar created.
    mapping(address => bool) public isRelationship;

    mapping(bytes32 => Participant) private _participants;
    mapping(bytes32 => address) private _pairs;

    /// @notice Governance handover begun; `pending` must call acceptGovernance.
    event GovernanceTransferStarted(address indexed current, address indexed pending);
    /// @notice Governance changed hands (also emitted at deploy, from zero).
    event GovernanceTransferred(address indexed previous, address indexed current);
    /// @notice A new identity was registered, with its Summary.
    event ParticipantRegistered(
        bytes32 indexed id, ParticipantKind kind, address indexed account, address summary, address indexed registeredBy
    );
    /// @notice A provider joined the whitelist.
    event ProviderCertified(bytes32 indexed id);
    /// @notice A provider left the whitelist.
    event ProviderDecertified(bytes32 indexed id);
    /// @notice A certified provider offered to register `account` as patient `id`.
    event PatientRegistrationOffered(bytes32 indexed id, address indexed account, bytes32 indexed providerId);
    /// @notice An identity moved to a new address; `authorizedBy` sent the transaction.
    event AddressRotated(bytes32 indexed id, address indexed oldAccount, address indexed newAccount, address authorizedBy);
    /// @notice The first proposal for a pair created its Relationship.
    event RelationshipCreated(address indexed relationship, bytes32 indexed patient, bytes32 indexed steward);
    /// @notice An EIP-712 consent was used; `nonce` can never be used again by `signer`.
    event NonceUsed(address indexed signer, uint256 nonce);

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    /// @dev Returns the caller's provider identity, refusing anyone not certified.
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

    /// @notice Starts handing governance to `next` (zero cancels). Only governance.
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
    /// address after a lost or compromised key. Only governance; never for patients.
    function recoverSteward(bytes32 id, address newAccount) external onlyGovernance {
        ParticipantKind kind = _participants[id].kind;
        if (kind == ParticipantKind.None) revert UnknownIdentity(id);
        if (kind == ParticipantKind.Patient) revert WrongKind(id, kind);
        _rotate(id, newAccount);
    }

    // ------------------------------------------------------------------ registration

    /// @notice Registers an insurer, lab or other steward. Only a certified provider.
    function registerSteward(bytes32 id, ParticipantKind kind, address account) external onlyCertifiedProvider {
        if (kind != ParticipantKind.Insurer && kind != ParticipantKind.Lab && kind != ParticipantKind.OtherSteward) {
            revert WrongKind(id, kind);
        }
        _register(id, kind, account, false);
    }

    /// @notice Offers to register `account` as patient `id`; the patient consents by
    /// calling confirmRegistration from that account. Only a certified provider.
    function offerPatientRegistration(bytes32 id, address account) external {
        bytes32 providerId = _certifiedProvider(msg.sender);
        _requireFree(id, account);
        pendingRegistration[account] = id;
        emit PatientRegistrationOffered(id, account, providerId);
    }

    /// @notice Consents to, and completes, a registration a certified provider offered to
    /// the caller. Only the offered account.
    function confirmRegistration(bytes32 id) external {
        if (id == bytes32(0) || pendingRegistration[msg.sender] != id) revert NoPendingRegistration(msg.sender, id);
        delete pendingRegistration[msg.sender];
        _register(id, ParticipantKind.Patient, msg.sender, false);
    }

    /// @notice Registers patient `id` at `account` with the patient's EIP-712
    /// PatientRegistration signature from `account`. Only a certified provider.
    function registerPatientWithSig(bytes32 id, address account, uint256 deadline, bytes calldata signature)
        external
        onlyCertifiedProvider
    {
        _useConsent(
            account,
            keccak256(abi.encode(REGISTRATION_TYPEHASH, id, account, nonces[account], deadline)),
            deadline,
            signature
        );
        delete pendingRegistration[account];
        _register(id, ParticipantKind.Patient, account, false);
    }

    // ------------------------------------------------------------------ rotation

    /// @notice Moves the caller's identity to `newAccount`. Any registered participant,
    /// with its current key.
    function rotateAddress(address newAccount) external {
        bytes32 id = identityOf[msg.sender];
        if (id == bytes32(0)) revert NotRegistered(msg.sender);
        _rotate(id, newAccount);
    }

    /// @notice Recovers patient `id` to `newAccount`, with the EIP-712 PatientRecovery
    /// signature of `newAccount`. Only a certified provider (who vouches for the person).
    function recoverPatient(bytes32 id, address newAccount, uint256 deadline, bytes calldata signature)
        external
        onlyCertifiedProvider
    {
        ParticipantKind kind = _participants[id].kind;
        if (kind == ParticipantKind.None) revert UnknownIdentity(id);
        if (kind != ParticipantKind.Patient) revert WrongKind(id, kind);
        _useConsent(
            newAccount,
            keccak256(abi.encode(RECOVERY_TYPEHASH, id, newAccount, nonces[newAccount], deadline)),
            deadline,
            signature
        );
        _rotate(id, newAccount);
    }

    // ------------------------------------------------------------------ relationships

    /// @notice Proposes a relationship with patient `patientId` (creating the pair's
    /// Relationship on first use, or starting a new round after Rejected or Ended).
    /// Only a steward: a registered non-patient, and a provider only while certified.
    function propose(bytes32 patientId, string calldata endpoint, bytes32 queryRef, bytes32 contentHash)
        external
        returns (address relationship)
    {
        bytes32 stewardId = _activeSteward(msg.sender);
        Participant storage patient = _participants[patientId];
        if (patient.kind == ParticipantKind.None) revert UnknownIdentity(patientId);
        if (patient.kind != ParticipantKind.Patient) revert WrongKind(patientId, patient.kind);

        bytes32 pair = keccak256(abi.encode(patientId, stewardId));
        relationship = _pairs[pair];
        if (relationship == address(0)) {
            relationship = Clones.clone(relationshipImplementation);
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
        return _pairs[keccak256(abi.encode(patientId, stewardId))];
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

    function _requireFree(bytes32 id, address account) private view {
        if (id == bytes32(0)) revert ZeroIdentity();
        if (account == address(0)) revert ZeroAddress();
        if (_participants[id].kind != ParticipantKind.None) revert IdentityTaken(id);
        if (identityOf[account] != bytes32(0)) revert AccountTaken(account);
    }

    /// @dev State is written before the clone's initialize, the only external call.
    function _register(bytes32 id, ParticipantKind kind, address account, bool certified) private {
        _requireFree(id, account);
        address summary = Clones.clone(summaryImplementation);
        _participants[id] = Participant({account: account, kind: kind, certified: certified, summary: summary});
        identityOf[account] = id;
        emit ParticipantRegistered(id, kind, account, summary, msg.sender);
        Summary(summary).initialize(id);
    }

    function _rotate(bytes32 id, address newAccount) private {
        if (newAccount == address(0)) revert ZeroAddress();
        if (identityOf[newAccount] != bytes32(0)) revert AccountTaken(newAccount);
        Participant storage p = _participants[id];
        address old = p.account;
        delete identityOf[old];
        identityOf[newAccount] = id;
        p.account = newAccount;
        emit AddressRotated(id, old, newAccount, msg.sender);
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
