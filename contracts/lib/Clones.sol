// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title EIP-1167 minimal proxies.
/// @notice The 55-byte creation code below is the standard EIP-1167 one (as in
/// OpenZeppelin's Clones.clone). Its runtime uses only pre-Shanghai opcodes, so clones run
/// on a London chain.
library Clones {
    error CloneFailed();

    /// @notice Deploys a clone that delegates every call to `implementation`.
    function clone(address implementation) internal returns (address instance) {
        assembly ("memory-safe") {
            // Lay out 3d602d80600a3d3981f3 363d3d373d3d3d363d73 <impl> 5af43d82803e903d91602b57fd5bf3
            // across scratch space 0x00..0x3f; the code starts at 0x09 and is 0x37 bytes long.
            mstore(0x00, or(shr(0xe8, shl(0x60, implementation)), 0x3d602d80600a3d3981f3363d3d373d3d3d363d73000000))
            mstore(0x20, or(shl(0x78, implementation), 0x5af43d82803e903d91602b57fd5bf3))
            instance := create(0, 0x09, 0x37)
        }
        if (instance == address(0)) revert CloneFailed();
    }
}
