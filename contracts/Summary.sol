// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";
import {RelationshipStatus} from "./lib/MedrecTypes.sol";
import {Relationship} from "./Relationship.sol";

/// @title Summary: one per participant, the list of its relationships.
/// @notice Each participant's Summary is an EIP-1167 clone created by the Registrar at
/// registration. It lists every relationship the participant is part of, current and
/// previous (rejected or ended ones stay listed), in the order they were first proposed.
/// @dev Status is not copied here: page() reads it from each Relationship, so a status
/// change writes one contract, not three. Appending is a push: its gas does not depend
/// on how many relationships are already listed. Entries are never removed (history),
/// so no shifting is ever needed.
contract Summary is IMedrecErrors {
    /// @notice One row of a page.
    struct Entry {
        address relationship;
        bytes32 patient;
        bytes32 steward;
        uint32 round;
        RelationshipStatus status;
        RelationshipStatus previousStatus;
        uint40 changedAt;
    }

    /// @notice The Registrar that created this clone; the only writer.
    address public registrar;
    /// @notice The identity whose relationships this Summary lists.
    bytes32 public owner;

    address[] private _relationships;

    /// @notice Emitted once, when the Registrar initializes the clone.
    event SummaryInitialized(address indexed registrar, bytes32 indexed owner);
    /// @notice Emitted when a relationship is listed for the first time.
    event RelationshipListed(address indexed relationship, uint256 index);

    /// @dev Locks the implementation itself: only clones are ever initialized.
    constructor() {
        registrar = address(this);
    }

    /// @notice Binds a fresh clone to its owner. Callable once, by whoever creates the clone
    /// (the Registrar), which becomes the only writer.
    function initialize(bytes32 owner_) external {
        if (registrar != address(0)) revert AlreadyInitialized();
        registrar = msg.sender;
        owner = owner_;
        emit SummaryInitialized(msg.sender, owner_);
    }

    /// @notice Appends a relationship. Only the Registrar may call it, once per relationship
    /// (it creates each pair's Relationship once and re-proposals reuse it).
    function add(address relationship) external {
        if (msg.sender != registrar) revert NotRegistrar(msg.sender);
        _relationships.push(relationship);
        emit RelationshipListed(relationship, _relationships.length - 1);
    }

    /// @notice Number of relationships listed. Anyone may call.
    function count() external view returns (uint256) {
        return _relationships.length;
    }

    /// @notice The relationship at `index`. Anyone may call.
    function relationshipAt(uint256 index) external view returns (address) {
        return _relationships[index];
    }

    /// @notice Up to `limit` entries starting at `offset`, with each one's current and
    /// previous status. Anyone may call. An offset past the end yields an empty page.
    function page(uint256 offset, uint256 limit) external view returns (Entry[] memory entries) {
        uint256 total = _relationships.length;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        entries = new Entry[](end - offset);
        for (uint256 i = offset; i < end; i++) {
            Relationship rel = Relationship(_relationships[i]);
            (uint32 round, RelationshipStatus status, RelationshipStatus previous, uint40 changedAt) = rel.current();
            entries[i - offset] = Entry({
                relationship: address(rel),
                patient: rel.patient(),
                steward: rel.steward(),
                round: round,
                status: status,
                previousStatus: previous,
                changedAt: changedAt
            });
        }
    }
}
