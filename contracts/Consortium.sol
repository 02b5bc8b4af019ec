// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";
import {ParticipantKind} from "./lib/MedrecTypes.sol";

/// @notice The part of the Registrar the consortium governs.
interface IRegistrarGovernance {
    struct Participant {
        address account;
        ParticipantKind kind;
        bool certified;
        address summary;
    }

    function participant(bytes32 id) external view returns (Participant memory);
    function registerProvider(bytes32 id, address account) external;
    function certifyProvider(bytes32 id) external;
    function decertifyProvider(bytes32 id) external;
    function acceptGovernance() external;
}

/// @title Consortium: the sealing providers govern the provider whitelist by majority.
/// @notice Holds the Registrar's governance. Its members are the sealing providers (the
/// accounts of the providers whose nodes are Clique signers). A change to the whitelist
/// passes when floor(N/2)+1 of the N members have voted for it, the threshold Clique
/// applies to its own signer votes, so one decision moves both records the same way.
///
/// Proposals. `voteAdmit(provider, account, sealer)` puts a provider on the whitelist
/// (registering it on first admission, re-certifying it later) and, with `sealer`, makes
/// its account a member. `voteRemove(provider)` takes it off the whitelist and out of the
/// members. A proposal is identified by its contents plus two counters: `generation`
/// (bumped whenever the member set changes, so votes cast by a former member, or counted
/// against a different majority, lapse, as Clique drops a removed signer's votes) and the
/// provider's `round` (bumped whenever a proposal about that provider passes, so the same
/// change later needs fresh votes). Pending votes that lapse must be cast again; the
/// `medrec` tool keeps the votes it intends and re-casts them.
///
/// Roles. Only members vote and withdraw their own votes. Anyone may call
/// acceptRegistrarGovernance, which succeeds only when the Registrar's governance has
/// named this contract. Nothing else changes state.
contract Consortium is IMedrecErrors {
    /// @notice What a proposal does.
    enum Action {
        None,
        Admit,
        Remove
    }

    /// @notice The Registrar this consortium governs.
    IRegistrarGovernance public immutable registrar;
    /// @notice The provider identity of each member account (zero for non-members).
    mapping(address => bytes32) public memberProvider;
    /// @notice How many members vote.
    uint256 public memberCount;
    /// @notice Bumped on every change of the member set; part of every proposal key.
    uint256 public generation;
    /// @notice Bumped when a proposal about a provider passes; part of its proposal keys.
    mapping(bytes32 => uint256) public round;
    /// @notice Votes for each proposal key.
    mapping(bytes32 => uint256) public votes;
    /// @notice Whether a member has voted for a proposal key.
    mapping(bytes32 => mapping(address => bool)) public hasVoted;

    /// @notice `account` became a voting member for `provider`.
    event MemberAdded(address indexed account, bytes32 indexed provider);
    /// @notice `account` stopped being a voting member.
    event MemberRemoved(address indexed account, bytes32 indexed provider);
    /// @notice A member voted; `count` of `threshold` votes are in.
    event VoteCast(
        bytes32 indexed key,
        address indexed voter,
        bytes32 indexed provider,
        Action action,
        address account,
        bool sealer,
        uint256 count,
        uint256 threshold
    );
    /// @notice A member took its vote back.
    event VoteWithdrawn(bytes32 indexed key, address indexed voter, uint256 count);
    /// @notice A proposal reached the threshold and took effect.
    event ProposalExecuted(bytes32 indexed key, bytes32 indexed provider, Action action, address account, bool sealer);

    modifier onlyMember() {
        if (memberProvider[msg.sender] == bytes32(0)) revert NotMember(msg.sender);
        _;
    }

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
            if (memberProvider[accounts[i]] != bytes32(0)) revert AlreadyMember(accounts[i]);
            _addMember(accounts[i], providers[i]);
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

    /// @notice The key of an admission proposal in the current generation and round.
    function admitKey(bytes32 provider, address account, bool sealer) public view returns (bytes32) {
        return keccak256(abi.encode(generation, round[provider], Action.Admit, provider, account, sealer));
    }

    /// @notice The key of a removal proposal in the current generation and round.
    function removeKey(bytes32 provider) public view returns (bytes32) {
        return keccak256(abi.encode(generation, round[provider], Action.Remove, provider, address(0), false));
    }

    /// @notice Votes to put `provider` (at `account`) on the whitelist and, with `sealer`,
    /// to make it a member. Executes when the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteAdmit(bytes32 provider, address account, bool sealer) external onlyMember returns (bool executed) {
        if (provider == bytes32(0)) revert ZeroIdentity();
        if (account == address(0)) revert ZeroAddress();
        IRegistrarGovernance.Participant memory p = registrar.participant(provider);
        if (p.kind != ParticipantKind.None && (p.kind != ParticipantKind.Provider || p.account != account)) {
            revert WrongAccount(provider, account);
        }
        bool member = memberProvider[account] != bytes32(0);
        if (p.certified && (!sealer || member)) revert AlreadyCertified(provider);
        if (member) revert AlreadyMember(account);
        bytes32 key = admitKey(provider, account, sealer);
        if (_count(key, provider, Action.Admit, account, sealer)) {
            round[provider]++;
            emit ProposalExecuted(key, provider, Action.Admit, account, sealer);
            if (sealer) _addMember(account, provider);
            // The Registrar is fixed at construction and never calls back.
            if (p.kind == ParticipantKind.None) registrar.registerProvider(provider, account);
            else if (!p.certified) registrar.certifyProvider(provider);
            return true;
        }
    }

    /// @notice Votes to take `provider` off the whitelist and out of the members.
    /// Executes when the threshold is reached. Only members.
    /// @return executed True when this vote made the proposal pass.
    function voteRemove(bytes32 provider) external onlyMember returns (bool executed) {
        IRegistrarGovernance.Participant memory p = registrar.participant(provider);
        if (p.kind != ParticipantKind.Provider) revert WrongKind(provider, p.kind);
        bool member = memberProvider[p.account] == provider;
        if (!p.certified && !member) revert NotCertified(provider);
        if (member && memberCount == 1) revert LastMember(p.account);
        bytes32 key = removeKey(provider);
        if (_count(key, provider, Action.Remove, address(0), false)) {
            round[provider]++;
            emit ProposalExecuted(key, provider, Action.Remove, p.account, false);
            if (member) _removeMember(p.account, provider);
            if (p.certified) registrar.decertifyProvider(provider);
            return true;
        }
    }

    /// @notice Takes back the caller's vote for proposal `key`. Only members.
    function withdrawVote(bytes32 key) external onlyMember {
        if (!hasVoted[key][msg.sender]) revert NotVoted(key, msg.sender);
        hasVoted[key][msg.sender] = false;
        uint256 count = --votes[key];
        emit VoteWithdrawn(key, msg.sender, count);
    }

    /// @dev Records the caller's vote; true when it reaches the threshold.
    function _count(bytes32 key, bytes32 provider, Action action, address account, bool sealer) private returns (bool) {
        if (hasVoted[key][msg.sender]) revert AlreadyVoted(key, msg.sender);
        hasVoted[key][msg.sender] = true;
        uint256 count = ++votes[key];
        uint256 needed = threshold();
        emit VoteCast(key, msg.sender, provider, action, account, sealer, count, needed);
        return count >= needed;
    }

    function _addMember(address account, bytes32 provider) private {
        memberProvider[account] = provider;
        memberCount++;
        generation++;
        emit MemberAdded(account, provider);
    }

    function _removeMember(address account, bytes32 provider) private {
        delete memberProvider[account];
        memberCount--;
        generation++;
        emit MemberRemoved(account, provider);
    }
}
