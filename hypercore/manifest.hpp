// Manifests and signing identity (../shared/spec/hypercore.md §3, §4): who may sign a
// core, how its key is derived, what bytes are signed and how a signature field is
// encoded and verified, in compat mode (key = signer public key) and manifest mode
// (key = manifest hash, versions 0 and 1).
#pragma once

#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/error.hpp"

namespace hypercore {

struct Signer {
  Hash namespace_id{};  // defaults to caps::default_namespace()
  PublicKey public_key{};
  friend bool operator==(const Signer&, const Signer&) = default;
};

struct Prologue {
  Hash hash{};
  uint64_t length = 0;
  friend bool operator==(const Prologue&, const Prologue&) = default;
};

// A normalised manifest: hash type is always BLAKE2b and signers are always Ed25519
// (the only kinds the reference defines).
struct Manifest {
  uint64_t version = 1;
  bool allow_patch = false;
  uint64_t quorum = 1;
  std::vector<Signer> signers;
  std::optional<Prologue> prologue;

  friend bool operator==(const Manifest&, const Manifest&) = default;

  // What the reference builds for a fresh writer: v1, quorum 1, one signer, default namespace.
  static Manifest default_signer(const PublicKey& public_key, uint64_t version = 1);

  Bytes encode() const;
  static Result<Manifest> decode(ByteSpan bytes);
  // BLAKE2b(caps::manifest() ‖ encode())
  Hash hash() const;
  // True iff exactly one signer whose public key equals `key` (compat for that key).
  bool is_compat_for(const Hash& key) const;
};

// The signing identity of one core: its key, whether it is in compat mode, and its
// manifest when known. Cheap to copy.
class Identity {
 public:
  // Compat writer or reader: key = public key, default v1 manifest.
  static Identity compat(const PublicKey& public_key);
  // Manifest mode: key = manifest.hash(), compat only if the manifest is compat for it.
  static Identity from_manifest(Manifest manifest);
  // A reader that knows only the key: compat until a manifest is learned.
  static Identity from_key(const Hash& key);

  const Hash& key() const { return key_; }
  bool compat() const { return compat_; }
  const std::optional<Manifest>& manifest() const { return manifest_; }
  // Adopts a manifest received from a peer: accepted iff its hash is the key, or (compat
  // mode) it is compat for the key. Fails with errc::bad_manifest otherwise.
  Result<void> learn_manifest(const Manifest& manifest);

  // The bytes a signature covers for the state (tree_hash, length, fork).
  Bytes signable(const Hash& tree_hash, uint64_t length, uint64_t fork) const;
  // The signature field for that state made with `key_pair`, which must be a signer:
  // raw 64 bytes in compat and v0 single-signer mode, the multisig encoding in v1.
  Result<Bytes> sign(const KeyPair& key_pair, const Hash& tree_hash, uint64_t length, uint64_t fork) const;
  // Checks a signature field for that state, with the rules of §4 (quorum, prologue).
  bool verify(const Hash& tree_hash, uint64_t length, uint64_t fork, ByteSpan signature) const;

 private:
  Hash key_{};
  bool compat_ = true;
  std::optional<Manifest> manifest_;
};

}  // namespace hypercore
