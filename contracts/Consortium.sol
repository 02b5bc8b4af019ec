// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";
import {ParticipantKind} from "./lib/MedrecTypes.sol";

/// @notice The part of the Registrar the consortium reads and governs.
interface IRegistrarGovernance {
    struct Participant {
        address account;
        ParticipantKind kind;
        bool certified;
        address summary;
    }

    function participant(bytes32 id) external view returns (Participant memory);
    function identityOf(address account) external view returns (bytes32);
    function registerProvider(bytes32 id, address account) external;
    function certifyProvider(bytes32 id) external;
    function decertifyProvider(bytes32 id) external;
    function recoverSteward(bytes32 id, address newAccount) external;
    function startGovernanceRecovery(bytes32 id, address newAccount) external;
    function transferGovernance(address next) external;
    function acceptGovernance() external;
}

/// @title Consortium: the sealing providers govern the Registrar by majority.
/// @notice Holds the Registrar's governance. Its members are the sealing providers (the
/// providers whose accounts are Clique signers), recorded by provider identity, never by
/// address: a member votes with whatever account the Registrar binds to its identity, and
/// votes are counted per identity. A proposal passes when floor(N/2)+1 of the N members
/// have voted for it, the threshold Clique applies to its own signer votes, so one decision
/// moves both records the same way.
///
/// Proposals.
///   - voteAdmit(provider, account, sealer): puts a provider on the whitelist (registering
///     it on first admission, re-certifying it later) and, with `sealer`, makes it a member.
///   - voteRemove(provider): takes it off the whitelist and deletes its membership; the
///     member count drops and it has no vote from then on.
///   - voteRecoverSteward(id, newAccount): moves a non-patient participant's identity to a
///     new account (Registrar.recoverSteward). Refused for a sealing member
///     (SealingMemberNeedsReadmission): its account is its Clique signer, so it must be
///     removed and admitted again at the new account, which moves the Clique signer in step.
///   - voteRecoverPatient(id, newAccount): starts a time-locked patient recovery the
///     patient's current key can veto (Registrar.startGovernanceRecovery).
///   - voteTransferGovernance(next): starts handing the Registrar's governance to `next`
///     (a governance upgrade; zero cancels a pending one); `next` then accepts it.
/// A proposal is identified by its contents plus two counters: `generation` (bumped
/// whenever the member set changes, so votes cast by a former member, or counted against a
/// different majority, lapse, as Clique drops a removed signer's votes) and the subject's
/// `round` (bumped whenever a proposal about that subject passes, so the same change later
/// needs fresh votes). Pending votes that lapse must be cast again; the `medrec` tool keeps
/// the votes it intends and re-casts them.
///
/// Accounts. Providers cannot rotate their own accounts (the Registrar refuses), and
/// recovery of a member's account is refused here, so while a provider is a member its
/// account, its vote and its Clique signer stay together.
///
/// Roles. Only members vote and withdraw their own votes. Anyone may call
/// acceptRegistrarGovernance, which succeeds only when the Registrar's governance has
/// named this contract. Nothing else changes state.
contract Consortium is IMedrecErrors {
    /// @notice What a proposal does.
    enum Action {
        None,
        Admit,
        Remove,
        RecoverSteward,
        RecoverPatient,
        TransferGovernance
    }

    /// @notice The subject of governance-transfer proposals (their `round` counter).
    bytes32 public constant GOVERNANCE_SUBJECT = keccak256("MedRec consortium: Registrar governance");

    /// @notice The Registrar this consortium governs.
    IRegistrarGovernance public immutable registrar;
    /// @notice Whether a provider identity is a voting member.
    mapping(bytes32 => bool) public isMember;
    /// @notice How many members vote.
    uint256 public memberCount;
    /// @notice Bumped on every change of the member set; part of every proposal key.
    uint256 public generation;
    /// @notice Bumped when a proposal about a subject passes; part of its proposal keys.
    mapping(bytes32 => uint256) public round;
    /// @notice Votes for each proposal key.
    mapping(bytes32 => uint256) public votes;
    /// @notice Whether a member (by provider identity) has voted for a proposal key.
    mapping(bytes32 => mapping(bytes32 => bool)) public hasVoted;

    /// @notice Provider `provider` (at `account`) became a voting member.
    event MemberAdded(address indexed account, bytes32 indexed provider);
    /// @notice Provider `provider` (last at `account`) stopped being a voting member.
    event MemberRemoved(address indexed account, bytes32 indexed provider);
    /// @notice Member `voter` voted; `count` of `threshold` votes are in. `sealer` only
    /// matters for Admit.
    event VoteCast(
        bytes32 indexed key,
        bytes32 indexed voter,
        bytes32 indexed subject,
        Action action,
        address account,
        bool sealer,
        uint256 count,
        uint256 threshold
    );
    /// @notice A member took its vote back.
    event VoteWithdrawn(bytes32 indexed key, bytes32 indexed voter, uint256 count);
    /// @notice A proposal reached the threshold and took effect.
    event ProposalExecuted(bytes32 indexed key, bytes32 indexed subject, Action action, address account, bool sealer);

    /// @param registrar_ The Registrar to govern (it must then hand its governance over).
    /// @param providers The founding sealing providers' identities, already certified.
    /// @param accounts Their accounts, as registered.
    constructor(address registrar_, bytes32[] memory providers, address[] memory accounts) {
        if (registrar_ == address(0)) revert ZeroAddress();
        if (providers.length == 0 || providers.length != accounts.length) revert NoMembers();
        registrar = IRegistrarGovernance(registrar_);
        for (uint256 i = 0; i < providers.length; i++) {
            IRegistrarGovernance.Participant memory p = registrar.participant(providers[i]);
            if (!p.certified) revert NotCertified(providers[i]);
            if (p.account != accounts[i]) revert WrongAccount(providers[i], accounts[i]);
            if (isMember[providers[i]]) revert AlreadyMember(accounts[i]);
            _addMember(providers[i], accounts[i]);
        }
    }

    /// @notice Completes the Registrar's governance handover to this contract. Anyone.
    function acceptRegistrarGovernance() external {
        registrar.acceptGovernance();
    }

    /// @notice Votes must reach this many: floor(N/2)+1 of the N members.
    function threshold() public view returns (uint256) {
        return memberCount / 2 + 1;
    }

    /// @notice The member identity `account` votes as (zero when it has no vote).
    function memberProvider(address account) external view returns (bytes32) {
        bytes32 id = registrar.identityOf(account);
        return isMember[id] ? id : bytes32(0);
    }

    /// @notice The key of any proposal in the current generation and the subject's round.
    function proposalKey(Action action, bytes32 subject, address account, bool sealer) public view returns (bytes32) {
        return keccak256(abi.encode(generation, round[subject], action, subject, account, sealer));
    }

    /// @notice The key of an admission proposal in the current generation and round.
    function admitKey(bytes32 provider, address account, bool sealer) external view returns (bytes32) {
        return proposalKey(Action.Admit, provider, account, sealer);
    }

    /// @notice The key of a removal proposal in the current generation and round.
    function removeKey(bytes32 provider) external view returns (bytes32) {
        return proposalKey(Action.Remove, provider, address(0), false);
    }

    /// @notice Votes to put `provider` (at `account`) on the whitelist and, with `sealer`,
    /// to make it a member. Executes when the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteAdmit(bytes32 provider, address account, bool sealer) external returns (bool executed) {
        bytes32 voter = _voter();
        if (provider == bytes32(0)) revert ZeroIdentity();
        if (account == address(0)) revert ZeroAddress();
        IRegistrarGovernance.Participant memory p = registrar.participant(provider);
        if (p.kind != ParticipantKind.None && (p.kind != ParticipantKind.Provider || p.account != account)) {
            revert WrongAccount(provider, account);
        }
        bool member = isMember[provider];
        if (p.certified && (!sealer || member)) revert AlreadyCertified(provider);
        if (member) revert AlreadyMember(account);
        if (_count(voter, Action.Admit, provider, account, sealer)) {
            if (sealer) _addMember(provider, account);
            // The Registrar is fixed at construction and never calls back.
            if (p.kind == ParticipantKind.None) registrar.registerProvider(provider, account);
            else if (!p.certified) registrar.certifyProvider(provider);
            return true;
        }
    }

    /// @notice Votes to take `provider` off the whitelist and delete its membership.
    /// Executes when the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteRemove(bytes32 provider) external returns (bool executed) {
        bytes32 voter = _voter();
        IRegistrarGovernance.Participant memory p = registrar.participant(provider);
        if (p.kind != ParticipantKind.Provider) revert WrongKind(provider, p.kind);
        bool member = isMember[provider];
        if (!p.certified && !member) revert NotCertified(provider);
        if (member && memberCount == 1) revert LastMember(p.account);
        if (_count(voter, Action.Remove, provider, address(0), false)) {
            if (member) _removeMember(provider, p.account);
            if (p.certified) registrar.decertifyProvider(provider);
            return true;
        }
    }

    /// @notice Votes to move non-patient participant `id` to `newAccount` after a lost or
    /// compromised key. Refused for a sealing member (SealingMemberNeedsReadmission): remove
    /// it, recover it, and admit it again, so its Clique signer moves with it. Executes when
    /// the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteRecoverSteward(bytes32 id, address newAccount) external returns (bool executed) {
        bytes32 voter = _voter();
        ParticipantKind kind = registrar.participant(id).kind;
        if (kind == ParticipantKind.None) revert UnknownIdentity(id);
        if (kind == ParticipantKind.Patient) revert WrongKind(id, kind);
        if (isMember[id]) revert SealingMemberNeedsReadmission(id);
        if (newAccount == address(0)) revert ZeroAddress();
        if (_count(voter, Action.RecoverSteward, id, newAccount, false)) {
            registrar.recoverSteward(id, newAccount);
            return true;
        }
    }

    /// @notice Votes to start recovering patient `id` to `newAccount`: once passed, the
    /// Registrar lets the new key complete it after at least its governance delay, unless
    /// the patient's current key cancels it first (or the patient opted out, which makes
    /// the deciding vote fail). Executes when the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteRecoverPatient(bytes32 id, address newAccount) external returns (bool executed) {
        bytes32 voter = _voter();
        ParticipantKind kind = registrar.participant(id).kind;
        if (kind == ParticipantKind.None) revert UnknownIdentity(id);
        if (kind != ParticipantKind.Patient) revert WrongKind(id, kind);
        if (newAccount == address(0)) revert ZeroAddress();
        if (_count(voter, Action.RecoverPatient, id, newAccount, false)) {
            registrar.startGovernanceRecovery(id, newAccount);
            return true;
        }
    }

    /// @notice Votes to start handing the Registrar's governance to `next` (zero cancels a
    /// pending handover); `next` completes it with Registrar.acceptGovernance. Executes when
    /// the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteTransferGovernance(address next) external returns (bool executed) {
        bytes32 voter = _voter();
        if (_count(voter, Action.TransferGovernance, GOVERNANCE_SUBJECT, next, false)) {
            registrar.transferGovernance(next);
            return true;
        }
    }

    /// @notice Takes back the caller's vote for proposal `key`. Only members.
    function withdrawVote(bytes32 key) external {
        bytes32 voter = _voter();
        if (!hasVoted[key][voter]) revert NotVoted(key, voter);
        hasVoted[key][voter] = false;
        uint256 count = --votes[key];
        emit VoteWithdrawn(key, voter, count);
    }

    /// @dev The caller's member identity; refuses anyone whose identity is not a member.
    function _voter() private view returns (bytes32 voter) {
        voter = registrar.identityOf(msg.sender);
        if (voter == bytes32(0) || !isMember[voter]) revert NotMember(msg.sender);
    }

    /// @dev Records `voter`'s vote; when it reaches the threshold, bumps the subject's round
    /// and announces the execution (the caller then applies it) and returns true.
    function _count(bytes32 voter, Action action, bytes32 subject, address account, bool sealer)
        private
        returns (bool)
    {
        bytes32 key = proposalKey(action, subject, account, sealer);
        if (hasVoted[key][voter]) revert AlreadyVoted(key, voter);
        hasVoted[key][voter] = true;
        uint256 count = ++votes[key];
        uint256 needed = threshold();
        emit VoteCast(key, voter, subject, action, account, sealer, count, needed);
        if (count < needed) return false;
        round[subject]++;
        emit ProposalExecuted(key, subject, action, account, sealer);
        return true;
    }

    function _addMember(bytes32 provider, address account) private {
        isMember[provider] = true;
        memberCount++;
        generation++;
        emit MemberAdded(account, provider);
    }

    function _removeMember(bytes32 provider, address account) private {
        delete isMember[provider];
        memberCount--;
        generation++;
        emit MemberRemoved(account, provider);
    }
}
