// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";
import {RelationshipStatus} from "./lib/MedrecTypes.sol";

/// @title Relationship: one per patient–steward pair.
/// @notice Holds who the patient and the steward are (opaque identities, never names),
/// the pointer to the steward's data (gatekeeper endpoint, opaque query reference,
/// content hash), the status of the current round with the time of each change, and the
/// viewers the patient allowed. Never holds records.
/// @dev An EIP-1167 clone created by the Registrar on a pair's first proposal. Every
/// writer is `onlyRegistrar`: the Registrar authenticates the caller (patient or steward)
/// and this contract enforces the status machine:
///   None/Rejected/Ended --propose--> Proposed --accept--> Accepted --end--> Ended
///                                    Proposed --reject--> Rejected
/// A re-proposal after Rejected or Ended starts a new round; earlier rounds stay readable
/// through roundInfo() and the events. Viewers belong to a round, so a new round starts
/// with none: nobody allowed under an ended round is permitted under a later one, and no
/// loop is needed to clear them.
contract Relationship is IMedrecErrors {
    /// @notice One round's status, the status before it, and when each status was reached.
    struct Round {
        RelationshipStatus status;
        RelationshipStatus previous;
        uint40 proposedAt;
        uint40 acceptedAt;
        uint40 rejectedAt;
        uint40 endedAt;
    }

    /// @dev index is position + 1 in the round's viewer list, so 0 means "not a viewer".
    struct Viewer {
        uint256 scope;
        uint64 expiry;
        uint32 index;
    }

    /// @notice Longest accepted endpoint, in bytes; bounds what a steward can store.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

    /// @notice The Registrar that created this clone; the only writer.
    address public registrar;
    /// @notice The patient's identity.
    bytes32 public patient;
    /// @notice The steward's identity (provider, insurer, lab, …).
    bytes32 public steward;
    /// @notice Current round, starting at 1 on the first proposal.
    uint32 public round;

    /// @notice The steward's gatekeeper endpoint (e.g. an https URL).
    string public endpoint;
    /// @notice Opaque reference the gatekeeper resolves to the records; no identifiers in the clear.
    bytes32 public queryRef;
    /// @notice Hash of the content behind the pointer, so fetched data can be checked.
    bytes32 public contentHash;

    mapping(uint32 => Round) private _rounds;
    mapping(uint32 => mapping(address => Viewer)) private _viewers;
    mapping(uint32 => address[]) private _viewerList;

    /// @notice Emitted once, when the Registrar initializes the clone.
    event RelationshipInitialized(address indexed registrar, bytes32 indexed patient, bytes32 indexed steward);
    /// @notice Emitted on every status change, including each (re-)proposal.
    event StatusChanged(uint32 indexed round, RelationshipStatus from, RelationshipStatus to, uint40 timestamp);
    /// @notice Emitted when the pointer is set by a proposal or updated by the steward.
    event PointerUpdated(uint32 indexed round, string endpoint, bytes32 queryRef, bytes32 contentHash);
    /// @notice Emitted when the patient grants (or re-grants with new terms) a viewer.
    event ViewerGranted(uint32 indexed round, address indexed viewer, uint256 scope, uint64 expiry);
    /// @notice Emitted when the patient revokes a viewer.
    event ViewerRevoked(uint32 indexed round, address indexed viewer);

    modifier onlyRegistrar() {
        if (msg.sender != registrar) revert NotRegistrar(msg.sender);
        _;
    }

    /// @dev Locks the implementation itself: only clones are ever initialized.
    constructor() {
        registrar = address(this);
    }

    /// @notice Binds a fresh clone to its pair. Callable once, by whoever creates the clone
    /// (the Registrar), which becomes the only writer.
    function initialize(bytes32 patient_, bytes32 steward_) external {
        if (registrar != address(0)) revert AlreadyInitialized();
        registrar = msg.sender;
        patient = patient_;
        steward = steward_;
        emit RelationshipInitialized(msg.sender, patient_, steward_);
    }

    /// @notice Starts a new round in Proposed with the given pointer. Only the Registrar,
    /// on behalf of the steward; refused while a round is Proposed or Accepted.
    function propose(string calldata endpoint_, bytes32 queryRef_, bytes32 contentHash_) external onlyRegistrar {
        RelationshipStatus from = _rounds[round].status;
        if (from == RelationshipStatus.Proposed || from == RelationshipStatus.Accepted) {
            revert InvalidTransition(from, RelationshipStatus.Proposed);
        }
        uint32 next = round + 1;
        round = next;
        _rounds[next] = Round({
            status: RelationshipStatus.Proposed,
            previous: from,
            proposedAt: uint40(block.timestamp),
            acceptedAt: 0,
            rejectedAt: 0,
            endedAt: 0
        });
        emit StatusChanged(next, from, RelationshipStatus.Proposed, uint40(block.timestamp));
        _setPointer(next, endpoint_, queryRef_, contentHash_);
    }

    /// @notice Proposed -> Accepted. Only the Registrar, on behalf of the patient.
    function accept() external onlyRegistrar {
        Round storage r = _transition(RelationshipStatus.Proposed, RelationshipStatus.Accepted);
        r.acceptedAt = uint40(block.timestamp);
    }

    /// @notice Proposed -> Rejected. Only the Registrar, on behalf of the patient.
    function reject() external onlyRegistrar {
        Round storage r = _transition(RelationshipStatus.Proposed, RelationshipStatus.Rejected);
        r.rejectedAt = uint40(block.timestamp);
    }

    /// @notice Accepted -> Ended. Only the Registrar, on behalf of the patient. The round's
    /// history stays; its viewers lose access because access needs Accepted.
    function end() external onlyRegistrar {
        Round storage r = _transition(RelationshipStatus.Accepted, RelationshipStatus.Ended);
        r.endedAt = uint40(block.timestamp);
    }

    /// @notice Replaces the pointer of an Accepted relationship. Only the Registrar, on
    /// behalf of the steward.
    function updatePointer(string calldata endpoint_, bytes32 queryRef_, bytes32 contentHash_) external onlyRegistrar {
        uint32 r = round;
        RelationshipStatus s = _rounds[r].status;
        if (s != RelationshipStatus.Accepted) revert NotAccepted(s);
        _setPointer(r, endpoint_, queryRef_, contentHash_);
    }

    /// @notice Allows `viewer` to read within `scope` (a bitmask) until `expiry` (unix
    /// seconds, exclusive). Re-granting an existing viewer replaces its terms. Only the
    /// Registrar, on behalf of the patient, and only while Accepted.
    function grantViewer(address viewer, uint256 scope, uint64 expiry) external onlyRegistrar {
        uint32 r = round;
        RelationshipStatus s = _rounds[r].status;
        if (s != RelationshipStatus.Accepted) revert NotAccepted(s);
        if (viewer == address(0)) revert InvalidViewer(viewer);
        if (scope == 0) revert ZeroScope();
        if (expiry <= block.timestamp) revert ExpiryInPast(expiry);
        Viewer storage v = _viewers[r][viewer];
        if (v.index == 0) {
            _viewerList[r].push(viewer);
            v.index = uint32(_viewerList[r].length);
        }
        v.scope = scope;
        v.expiry = expiry;
        emit ViewerGranted(r, viewer, scope, expiry);
    }

    /// @notice Removes `viewer` from the current round: its grant is deleted and the list
    /// entry swapped with the last one and popped, so nothing of it lingers and no entry
    /// shifts. Only the Registrar, on behalf of the patient, in any status.
    function revokeViewer(address viewer) external onlyRegistrar {
        uint32 r = round;
        Viewer storage v = _viewers[r][viewer];
        uint256 index = v.index;
        if (index == 0) revert ViewerNotGranted(viewer);
        address[] storage list = _viewerList[r];
        uint256 last = list.length;
        if (index != last) {
            address moved = list[last - 1];
            list[index - 1] = moved;
            _viewers[r][moved].index = uint32(index);
        }
        list.pop();
        delete _viewers[r][viewer];
        emit ViewerRevoked(r, viewer);
    }

    /// @notice Current round number, status, previous status and time of the last change.
    function current()
        external
        view
        returns (uint32 round_, RelationshipStatus status_, RelationshipStatus previous_, uint40 changedAt)
    {
        round_ = round;
        Round storage r = _rounds[round_];
        status_ = r.status;
        previous_ = r.previous;
        changedAt = _changedAt(r);
    }

    /// @notice Status of the current round. Anyone may call.
    function status() external view returns (RelationshipStatus) {
        return _rounds[round].status;
    }

    /// @notice A round's full history (any round from 1 to `round`). Anyone may call.
    function roundInfo(uint32 round_) external view returns (Round memory) {
        return _rounds[round_];
    }

    /// @notice The current pointer. Anyone may call.
    function pointer() external view returns (string memory, bytes32, bytes32) {
        return (endpoint, queryRef, contentHash);
    }

    /// @notice A viewer's scope and expiry in the current round; zeros when not granted.
    function grantOf(address account) external view returns (uint256 scope, uint64 expiry) {
        Viewer storage v = _viewers[round][account];
        return (v.scope, v.expiry);
    }

    /// @notice Number of viewers granted (and not revoked) in the current round.
    function viewerCount() external view returns (uint256) {
        return _viewerList[round].length;
    }

    /// @notice The viewer at `index` of the current round's list (order changes on revoke).
    function viewerAt(uint256 index) external view returns (address) {
        return _viewerList[round][index];
    }

    /// @notice True when `account` is an unexpired viewer of the current round whose scope
    /// covers every bit of `scope` (a zero request covers nothing). Ignores status: use the
    /// Registrar's canAccess for the full decision.
    function isViewerPermitted(address account, uint256 scope) public view returns (bool) {
        Viewer storage v = _viewers[round][account];
        return scope != 0 && v.expiry > block.timestamp && (v.scope & scope) == scope;
    }

    /// @notice Everything the Registrar's canAccess needs, in one call.
    function accessFacts(address account, uint256 scope)
        external
        view
        returns (RelationshipStatus status_, bytes32 patient_, bytes32 steward_, bool viewerPermitted)
    {
        return (_rounds[round].status, patient, steward, isViewerPermitted(account, scope));
    }

    function _transition(RelationshipStatus from, RelationshipStatus to) private returns (Round storage r) {
        uint32 current_ = round;
        r = _rounds[current_];
        if (r.status != from) revert InvalidTransition(r.status, to);
        r.previous = from;
        r.status = to;
        emit StatusChanged(current_, from, to, uint40(block.timestamp));
    }

    function _setPointer(uint32 r, string calldata endpoint_, bytes32 queryRef_, bytes32 contentHash_) private {
        uint256 length = bytes(endpoint_).length;
        if (length == 0 || length > MAX_ENDPOINT_LENGTH) revert InvalidEndpoint(length);
        endpoint = endpoint_;
        queryRef = queryRef_;
        contentHash = contentHash_;
        emit PointerUpdated(r, endpoint_, queryRef_, contentHash_);
    }

    function _changedAt(Round storage r) private view returns (uint40) {
        RelationshipStatus s = r.status;
        if (s == RelationshipStatus.Proposed) return r.proposedAt;
        if (s == RelationshipStatus.Accepted) return r.acceptedAt;
        if (s == RelationshipStatus.Rejected) return r.rejectedAt;
        if (s == RelationshipStatus.Ended) return r.endedAt;
        return 0;
    }
}
