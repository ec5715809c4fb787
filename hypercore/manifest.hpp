// Manifests and signing identity (../shared/spec/hypercore.md §3, §4): who may sign a
// core, how its key is derived, what bytes are signed and how a signature field is
// encoded and verified, in compat mode (key = signer public key) and manifest mode
// (key = manifest hash, versions 0 to 3; versions 2 and 3 are hypercore 11's, which adds
// the linked keys and user data fields to the version 1 layout).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/error.hpp"
#include "hypercore/merkle.hpp"

namespace hypercore {

namespace cenc {
class Encoder;
class Decoder;
}  // namespace cenc

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
  // hypercore 11 (flags 4 and 8 of the v1 layout). Present-but-empty differs from absent
  // on the wire and so in the key; the reference only writes them from version 2 on.
  std::optional<std::vector<Hash>> linked;
  std::optional<Bytes> user_data;

  friend bool operator==(const Manifest&, const Manifest&) = default;

  // What the reference builds for a fresh writer: v1, quorum 1, one signer, default namespace.
  static Manifest default_signer(const PublicKey& public_key, uint64_t version = 1);

  // Encoding of §3.3: version 1 layout (with linked and user data when set) for every
  // version except 0, like the reference.
  Bytes encode() const;
  void encode_to(cenc::Encoder& out) const;
  // Decoding fails with errc::corrupt for truncated bytes or hostile counts and with
  // errc::bad_manifest for an unknown version, hash or signature type. decode() also
  // rejects trailing bytes; decode_from() reads a manifest embedded in a larger message.
  static Result<Manifest> decode(ByteSpan bytes);
  static Result<Manifest> decode_from(cenc::Decoder& in);
  // BLAKE2b(caps::manifest() ‖ encode())
  Hash hash() const;
  // True iff exactly one signer whose public key equals `key` (compat for that key).
  bool is_compat_for(const Hash& key) const;
};

// One signer's Ed25519 signature inside a multisig signature field.
struct SignerProof {
  uint64_t signer = 0;  // index into Manifest::signers
  Signature signature{};
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

  // The bytes a signature covers for the state (tree_hash, length, fork). In v0 each
  // signer signs its own namespace: signable() is signer 0's, signable_for() any signer's.
  Bytes signable(const Hash& tree_hash, uint64_t length, uint64_t fork) const;
  Bytes signable_for(size_t signer, const Hash& tree_hash, uint64_t length, uint64_t fork) const;
  // The signature field for that state made with `key_pair`, which must be a signer
  // (else errc::invalid_argument): raw 64 bytes in compat and v0 single-signer mode, the
  // multisig encoding in v1. With several signers the field holds this signer's proof
  // alone (enough when quorum is 1; combine proofs with assemble() otherwise).
  Result<Bytes> sign(const KeyPair& key_pair, const Hash& tree_hash, uint64_t length, uint64_t fork) const;
  // A multisig field (v0 or v1 layout, following the manifest) holding these proofs, no patches.
  Bytes assemble(std::span<const SignerProof> proofs) const;
  // Checks a signature field for the state with these full roots (left to right), with the
  // rules of §4 (quorum, prologue). With allow_patch, a proof with patch > 0 is a signer's
  // signature of the tree `patch` blocks longer: the field's patch nodes must extend
  // `roots` to that tree (lib/verifier.js generateUpgrade + verifyUpgrade).
  bool verify(std::span<const Node> roots, uint64_t length, uint64_t fork, ByteSpan signature) const;
  // The same without the roots: a patched proof cannot be checked and fails.
  bool verify(const Hash& tree_hash, uint64_t length, uint64_t fork, ByteSpan signature) const;

 private:
  bool verify_state(const Hash& tree_hash, const std::span<const Node>* roots, uint64_t length, uint64_t fork,
                    ByteSpan signature) const;

  Hash key_{};
  bool compat_ = true;
  std::optional<Manifest> manifest_;
};

}  // namespace hypercore
