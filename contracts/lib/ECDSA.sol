// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Strict ECDSA recovery (OpenZeppelin's rules, written out so no npm Solidity
/// dependency is needed).
/// @notice Accepts only 65-byte signatures with v in {27, 28} and s in the lower half of
/// the curve order, so a signature cannot be mutated into a second valid one (EIP-2).
library ECDSA {
    /// @dev secp256k1n / 2: any larger s is the malleable twin of a valid signature.
    uint256 internal constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice Returns the signer of `digest`, or a reason code when the signature is malformed.
    /// @dev Returns instead of reverting so the caller raises its own custom error.
    /// reason: 0 ok, 1 bad length, 2 high s, 3 bad v, 4 ecrecover failed.
    function tryRecover(bytes32 digest, bytes calldata signature)
        internal
        pure
        returns (address signer, uint8 reason, bytes32 s, uint8 v)
    {
        if (signature.length != 65) return (address(0), 1, 0, 0);
        bytes32 r;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (uint256(s) > HALF_ORDER) return (address(0), 2, s, v);
        if (v != 27 && v != 28) return (address(0), 3, s, v);
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) return (address(0), 4, s, v);
        return (signer, 0, s, v);
    }
}
