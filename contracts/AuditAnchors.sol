// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMedrecErrors} from "./lib/IMedrecErrors.sol";

/// @notice The two Registrar views AuditAnchors relies on, declared here so this
/// contract carries none of the Registrar's code.
interface IProviderRegistry {
    function identityOf(address account) external view returns (bytes32);
    function isCertifiedProvider(bytes32 id) external view returns (bool);
}

/// @title AuditAnchors: the heads of the gatekeepers' audit logs, kept where no provider
/// can rewrite them.
/// @notice A gatekeeper's audit log is a hash chain of JSON lines (see
/// src/gatekeeper/audit-log.ts). Its provider sends the hash of its latest line and the
/// number of lines here from time to time; the event stays on the consortium's chain.
/// An auditor then checks that the log still has at least that many lines and that the
/// line at that count still has that hash: lines up to an anchor cannot be cut off,
/// removed or rewritten afterwards, not even by the provider holding the log's MAC key.
/// @dev Holds no state and never loops: an anchor costs the same whatever came before.
/// Anchors are filed under the sender's provider identity as the Registrar knows it at
/// that block, so a provider can anchor only its own log, and a decertified provider
/// (or anyone else) not at all.
contract AuditAnchors is IMedrecErrors {
    /// @notice The Registrar whose certified providers may anchor.
    IProviderRegistry public immutable registrar;

    /// @notice A provider's gatekeeper had `entries` lines in its audit log, the last with
    /// hash `head`, at block time `time` (Unix seconds).
    event AuditAnchored(bytes32 indexed providerId, bytes32 head, uint64 entries, uint64 time);

    /// @notice Binds the contract to one Registrar for good. Anyone may deploy it
    /// (`medrec contracts deploy` does).
    constructor(address registrar_) {
        if (registrar_ == address(0)) revert ZeroAddress();
        registrar = IProviderRegistry(registrar_);
    }

    /// @notice Anchors the caller's audit-log head. Only a provider the Registrar has
    /// certified, from the account bound to its identity; everyone else, including a
    /// decertified provider, is refused with NotCertifiedProvider.
    /// @param head The hash of the log's line number `entries`.
    /// @param entries How many lines the log had.
    function anchor(bytes32 head, uint64 entries) external {
        bytes32 id = registrar.identityOf(msg.sender);
        if (id == bytes32(0) || !registrar.isCertifiedProvider(id)) revert NotCertifiedProvider(msg.sender);
        emit AuditAnchored(id, head, entries, uint64(block.timestamp));
    }
}
