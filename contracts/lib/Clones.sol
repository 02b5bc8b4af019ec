// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title EIP-1167 minimal proxies at deterministic (CREATE2) addresses.
/// @notice The proxy is the 55-byte creation code of EIP-1167: a 10-byte constructor that
/// returns a 45-byte runtime which forwards every call to `implementation` with
/// DELEGATECALL. The runtime uses only pre-Shanghai opcodes, so clones run on a London chain.
/// @dev Deployed with CREATE2, a clone's address depends only on the deployer, the salt and
/// the implementation, never on the deployer's nonce: a chain reorganisation that reorders
/// transactions cannot hand one salt's address to another salt.
library Clones {
    error CloneFailed();

    /// @dev EIP-1167 code before the implementation address: the constructor
    /// (3d602d80600a3d3981f3) then the runtime up to its PUSH20 (363d3d373d3d3d363d73).
    bytes20 private constant PREFIX = hex"3d602d80600a3d3981f3363d3d373d3d3d363d73";
    /// @dev EIP-1167 runtime after the implementation address.
    bytes15 private constant SUFFIX = hex"5af43d82803e903d91602b57fd5bf3";

    /// @notice Deploys a clone of `implementation` at the address `predict` gives for `salt`.
    /// Reverts when that address is taken (the same salt used twice).
    function cloneDeterministic(address implementation, bytes32 salt) internal returns (address instance) {
        bytes memory code = creationCode(implementation);
        assembly ("memory-safe") {
            instance := create2(0, add(code, 0x20), mload(code), salt)
        }
        if (instance == address(0)) revert CloneFailed();
    }

    /// @notice The address `cloneDeterministic(implementation, salt)` deploys to when called
    /// by `deployer` (EIP-1014: keccak256(0xff ‖ deployer ‖ salt ‖ keccak256(code))[12:]).
    function predict(address implementation, bytes32 salt, address deployer) internal pure returns (address) {
        bytes32 codeHash = keccak256(creationCode(implementation));
        bytes32 hash = keccak256(abi.encodePacked(bytes1(0xff), deployer, salt, codeHash));
        return address(uint160(uint256(hash)));
    }

    /// @notice The 55-byte EIP-1167 creation code for `implementation`.
    function creationCode(address implementation) internal pure returns (bytes memory) {
        return abi.encodePacked(PREFIX, implementation, SUFFIX);
    }
}
