// SPDX-License-Identifier: MIT OR Apache-2.0
// A mock of OpenGradient's TEERegistry for og-relay's integration tests.
//
// Its six view functions reproduce the real ABI exactly (same names, argument and
// return types, struct layout, unnamed returns; the test `mock_abi_matches_spec`
// compares the compiled ABI entries with og-relay's copy of the spec's ABI file).
// Tests write records with the mock-only `setTEE` / `setActive` / `removeTEE`.
// Regenerate the artifact with `node compile.mjs` (npm solc@0.8.37); CI recompiles
// and checks the committed artifact is identical.
pragma solidity 0.8.37;

contract TEERegistry {
    struct OhttpConfig {
        uint8 keyId;
        uint16 kemId;
        uint16 kdfId;
        uint16 aeadId;
        bytes publicKey;
        bytes keyConfig;
        uint256 registeredAt;
    }

    struct TEEInfo {
        address owner;
        address paymentAddress;
        string endpoint;
        bytes publicKey;
        bytes tlsCertificate;
        bytes32 pcrHash;
        uint8 teeType;
        bool enabled;
        uint256 registeredAt;
        uint256 lastHeartbeatAt;
        OhttpConfig ohttpConfig;
    }

    bytes32[] private ids;
    mapping(bytes32 => TEEInfo) private tees;
    mapping(bytes32 => bool) private known;
    mapping(bytes32 => bool) private active;

    // ---- the real registry's read API ----

    function getActiveTEEs(uint8 teeType) external view returns (TEEInfo[] memory) {
        uint256 n = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            if (active[ids[i]] && tees[ids[i]].teeType == teeType) n++;
        }
        TEEInfo[] memory out = new TEEInfo[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            if (active[ids[i]] && tees[ids[i]].teeType == teeType) out[j++] = tees[ids[i]];
        }
        return out;
    }

    function getEnabledTEEs(uint8 teeType) external view returns (bytes32[] memory) {
        return filter(teeType, true);
    }

    function getTEEsByType(uint8 teeType) external view returns (bytes32[] memory) {
        return filter(teeType, false);
    }

    function getTEE(bytes32 teeId) external view returns (TEEInfo memory) {
        require(known[teeId], "TEE not found");
        return tees[teeId];
    }

    function isTEEActive(bytes32 teeId) external view returns (bool) {
        return active[teeId];
    }

    function isTEEEnabled(bytes32 teeId) external view returns (bool) {
        return known[teeId] && tees[teeId].enabled;
    }

    // ---- mock-only writers ----

    /// Adds or replaces a record under `teeId` (the tests pass keccak256(publicKey),
    /// or a deliberately wrong id) and sets whether getActiveTEEs lists it.
    function setTEE(bytes32 teeId, TEEInfo calldata info, bool isActive) external {
        if (!known[teeId]) {
            known[teeId] = true;
            ids.push(teeId);
        }
        tees[teeId] = info;
        active[teeId] = isActive;
    }

    function setActive(bytes32 teeId, bool isActive) external {
        require(known[teeId], "TEE not found");
        active[teeId] = isActive;
    }

    function removeTEE(bytes32 teeId) external {
        require(known[teeId], "TEE not found");
        known[teeId] = false;
        active[teeId] = false;
        delete tees[teeId];
        for (uint256 i = 0; i < ids.length; i++) {
            if (ids[i] == teeId) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
                break;
            }
        }
    }

    function filter(uint8 teeType, bool enabledOnly) private view returns (bytes32[] memory) {
        uint256 n = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            TEEInfo storage t = tees[ids[i]];
            if (t.teeType == teeType && (!enabledOnly || t.enabled)) n++;
        }
        bytes32[] memory out = new bytes32[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            TEEInfo storage t = tees[ids[i]];
            if (t.teeType == teeType && (!enabledOnly || t.enabled)) out[j++] = ids[i];
        }
        return out;
    }
}
