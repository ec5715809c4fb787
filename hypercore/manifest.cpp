#include "hypercore/manifest.hpp"

#include <algorithm>

#include "hypercore/compact_encoding.hpp"
#include "hypercore/internal/endian.hpp"
#include "hypercore/internal/proof_common.hpp"

namespace hypercore {

namespace {

constexpr uint64_t kHashBlake2b = 0;
constexpr uint64_t kSignatureEd25519 = 0;
constexpr uint64_t kFlagAllowPatch = 1;
constexpr uint64_t kFlagPrologue = 2;
constexpr uint64_t kFlagLinked = 4;    // hypercore 11
constexpr uint64_t kFlagUserData = 8;  // hypercore 11
constexpr uint64_t kMaxVersion = 3;
// v0 manifest layouts (§3.3).
constexpr uint64_t kV0PrologueOnly = 0;
constexpr uint64_t kV0SingleSigner = 1;
constexpr uint64_t kV0Multi = 2;
// Smallest encodings, used to bound hostile array counts by the bytes left.
constexpr size_t kSignerBytes = 1 + 32 + 32;
constexpr size_t kV1ProofBytes = 1 + 64 + 1;
constexpr size_t kV0ProofBytes = 1 + 1 + 64;
constexpr size_t kPatchNodeBytes = 1 + 1 + 32;

void encode_signer(cenc::Encoder& out, const Signer& s) {
  out.uint(kSignatureEd25519);
  out.fixed(s.namespace_id);
  out.fixed(s.public_key);
}

Result<Signer> decode_signer(cenc::Decoder& in) {
  HC_TRY(type, in.uint());
  if (type != kSignatureEd25519) {
    return fail(errc::bad_manifest, "manifest: unknown signature type " + std::to_string(type));
  }
  Signer s;
  HC_TRY(ns, in.fixed32());
  HC_TRY(pk, in.fixed32());
  s.namespace_id = ns;
  s.public_key = pk;
  return s;
}

Result<std::vector<Signer>> decode_signers(cenc::Decoder& in) {
  HC_TRY(count, in.array_length(kSignerBytes));
  std::vector<Signer> signers;
  signers.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    HC_TRY(s, decode_signer(in));
    signers.push_back(s);
  }
  return signers;
}

Result<void> expect_blake2b(cenc::Decoder& in) {
  HC_TRY(hash_type, in.uint());
  if (hash_type != kHashBlake2b) return fail(errc::bad_manifest, "manifest: unknown hash type " + std::to_string(hash_type));
  return {};
}

Result<Manifest> decode_v0(cenc::Decoder& in) {
  HC_CHECK(expect_blake2b(in));
  HC_TRY(type, in.uint());
  Manifest m;
  m.version = 0;
  switch (type) {
    case kV0PrologueOnly: {
      // The prologue length is not encoded in v0; the reference decodes it as 0.
      HC_TRY(hash, in.fixed32());
      m.quorum = 0;
      m.prologue = Prologue{hash, 0};
      return m;
    }
    case kV0SingleSigner: {
      HC_TRY(s, decode_signer(in));
      m.quorum = 1;
      m.signers.push_back(s);
      return m;
    }
    case kV0Multi: {
      HC_TRY(flags, in.uint());
      HC_TRY(quorum, in.uint());
      HC_TRY(signers, decode_signers(in));
      m.allow_patch = (flags & kFlagAllowPatch) != 0;
      m.quorum = quorum;
      m.signers = std::move(signers);
      return m;
    }
    default:
      return fail(errc::bad_manifest, "manifest v0: unknown type " + std::to_string(type));
  }
}

// One proof of a multisig field, normalised to the v1 shape (patch = blocks patched).
struct DecodedProof {
  uint64_t signer = 0;
  ByteSpan signature;
  uint64_t patch = 0;
};

struct DecodedMultisig {
  std::vector<DecodedProof> proofs;
  std::vector<Node> patch;  // tree nodes shared by the patched proofs
};

Result<std::vector<Node>> decode_patch_nodes(cenc::Decoder& in) {
  HC_TRY(count, in.array_length(kPatchNodeBytes));
  std::vector<Node> nodes;
  nodes.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    HC_TRY(index, in.uint());
    HC_TRY(size, in.uint());
    HC_TRY(hash, in.fixed32());
    nodes.push_back(Node{index, size, hash});
  }
  return nodes;
}

Result<DecodedMultisig> decode_multisig_v1(ByteSpan field) {
  cenc::Decoder in(field, "multisig signature");
  HC_TRY(count, in.array_length(kV1ProofBytes));
  std::vector<DecodedProof> proofs;
  proofs.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    DecodedProof p;
    HC_TRY(signer, in.uint());
    HC_TRY(sig, in.fixed(64));
    HC_TRY(patch, in.uint());
    p.signer = signer;
    p.signature = sig;
    p.patch = patch;
    proofs.push_back(p);
  }
  HC_TRY(patch, decode_patch_nodes(in));
  // The reference ignores trailing bytes; no encoder writes them, and refusing them keeps
  // one byte string per signed state.
  HC_CHECK(in.expect_end());
  return DecodedMultisig{std::move(proofs), std::move(patch)};
}

Result<DecodedMultisig> decode_multisig_v0(ByteSpan field) {
  cenc::Decoder in(field, "v0 multisig signature");
  HC_TRY(count, in.array_length(kV0ProofBytes));
  std::vector<DecodedProof> proofs;
  proofs.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    DecodedProof p;
    HC_TRY(flags, in.uint());
    HC_TRY(signer, in.uint());
    HC_TRY(sig, in.fixed(64));
    p.signer = signer;
    p.signature = sig;
    if (flags & 1) {
      HC_CHECK(in.uint());  // start
      HC_TRY(length, in.uint());
      HC_TRY(refs, in.array_length(1));
      for (uint64_t j = 0; j < refs; j++) HC_CHECK(in.uint());
      p.patch = length;
    }
    proofs.push_back(p);
  }
  HC_TRY(patch, decode_patch_nodes(in));
  HC_CHECK(in.expect_end());
  return DecodedMultisig{std::move(proofs), std::move(patch)};
}

// TREE ‖ [context] ‖ tree_hash ‖ u64le(length) ‖ u64le(fork); no context in compat mode.
Bytes make_signable(const Hash* context, const Hash& tree_hash, uint64_t length, uint64_t fork) {
  Bytes out;
  out.reserve(112);
  const Hash& tree = caps::tree();
  out.insert(out.end(), tree.begin(), tree.end());
  if (context) out.insert(out.end(), context->begin(), context->end());
  out.insert(out.end(), tree_hash.begin(), tree_hash.end());
  uint8_t tail[16];
  internal::store_u64le(tail, length);
  internal::store_u64le(tail + 8, fork);
  out.insert(out.end(), tail, tail + 16);
  return out;
}

}  // namespace

Manifest Manifest::default_signer(const PublicKey& public_key, uint64_t version) {
  Manifest m;
  m.version = version;
  m.allow_patch = false;
  m.quorum = 1;
  m.signers.push_back(Signer{caps::default_namespace(), public_key});
  return m;
}

void Manifest::encode_to(cenc::Encoder& out) const {
  out.uint(version);
  if (version == 0) {
    out.uint(kHashBlake2b);
    // v0 picks the layout from the content; a prologue next to signers is dropped, as in
    // the reference (v0 has no way to say it).
    if (prologue && signers.empty()) {
      out.uint(kV0PrologueOnly);
      out.fixed(prologue->hash);
    } else if (quorum == 1 && signers.size() == 1 && !allow_patch) {
      out.uint(kV0SingleSigner);
      encode_signer(out, signers[0]);
    } else {
      out.uint(kV0Multi);
      out.uint(allow_patch ? kFlagAllowPatch : 0);
      out.uint(quorum);
      out.uint(signers.size());
      for (const Signer& s : signers) encode_signer(out, s);
    }
    return;
  }
  out.uint((allow_patch ? kFlagAllowPatch : 0) | (prologue ? kFlagPrologue : 0) | (linked ? kFlagLinked : 0) |
           (user_data ? kFlagUserData : 0));
  out.uint(kHashBlake2b);
  out.uint(quorum);
  out.uint(signers.size());
  for (const Signer& s : signers) encode_signer(out, s);
  if (prologue) {
    out.fixed(prologue->hash);
    out.uint(prologue->length);
  }
  if (linked) {
    out.uint(linked->size());
    for (const Hash& key : *linked) out.fixed(key);
  }
  if (user_data) out.buffer(*user_data);
}

Bytes Manifest::encode() const {
  cenc::Encoder out;
  encode_to(out);
  return out.take();
}

Result<Manifest> Manifest::decode_from(cenc::Decoder& in) {
  HC_TRY(version, in.uint());
  if (version == 0) return decode_v0(in);
  if (version > kMaxVersion) return fail(errc::bad_manifest, "manifest: unknown version " + std::to_string(version));
  HC_TRY(flags, in.uint());
  HC_CHECK(expect_blake2b(in));
  HC_TRY(quorum, in.uint());
  HC_TRY(signers, decode_signers(in));
  Manifest m;
  m.version = version;
  m.allow_patch = (flags & kFlagAllowPatch) != 0;
  m.quorum = quorum;
  m.signers = std::move(signers);
  if (flags & kFlagPrologue) {
    HC_TRY(hash, in.fixed32());
    HC_TRY(length, in.uint());
    m.prologue = Prologue{hash, length};
  }
  // Like the reference, versions 1 to 3 share one layout and any of them may carry these.
  if (flags & kFlagLinked) {
    HC_TRY(count, in.array_length(32));
    std::vector<Hash> keys;
    keys.reserve(count);
    for (uint64_t i = 0; i < count; i++) {
      HC_TRY(key, in.fixed32());
      keys.push_back(key);
    }
    m.linked = std::move(keys);
  }
  if (flags & kFlagUserData) {
    HC_TRY(data, in.buffer());
    m.user_data = Bytes(data.begin(), data.end());
  }
  return m;
}

Result<Manifest> Manifest::decode(ByteSpan bytes) {
  cenc::Decoder in(bytes, "manifest");
  HC_TRY(m, decode_from(in));
  HC_CHECK(in.expect_end());
  return m;
}

Hash Manifest::hash() const { return blake2b({caps::manifest(), encode()}); }

bool Manifest::is_compat_for(const Hash& key) const {
  return signers.size() == 1 && signers[0].public_key == key;
}

Identity Identity::compat(const PublicKey& public_key) {
  Identity id;
  id.key_ = public_key;
  id.compat_ = true;
  id.manifest_ = Manifest::default_signer(public_key);
  return id;
}

Identity Identity::from_manifest(Manifest manifest) {
  Identity id;
  id.key_ = manifest.hash();
  id.compat_ = manifest.is_compat_for(id.key_);
  id.manifest_ = std::move(manifest);
  return id;
}

Identity Identity::from_key(const Hash& key) {
  Identity id;
  id.key_ = key;
  id.compat_ = true;
  return id;
}

Result<void> Identity::learn_manifest(const Manifest& manifest) {
  bool valid = manifest.hash() == key_ || (compat_ && manifest.is_compat_for(key_));
  if (!valid) {
    return fail(errc::bad_manifest, "manifest " + to_hex(manifest.hash()) + " does not match key " + to_hex(key_));
  }
  // Like the reference, the first manifest stored is kept.
  if (manifest_) return {};
  manifest_ = manifest;
  compat_ = manifest.is_compat_for(key_);
  return {};
}

Bytes Identity::signable(const Hash& tree_hash, uint64_t length, uint64_t fork) const {
  return signable_for(0, tree_hash, length, fork);
}

Bytes Identity::signable_for(size_t signer, const Hash& tree_hash, uint64_t length, uint64_t fork) const {
  if (compat_) return make_signable(nullptr, tree_hash, length, fork);
  // Not compat implies a manifest (every constructor and learn_manifest keep that true).
  const Manifest& m = *manifest_;
  if (m.version == 0) {
    const Hash& ns = signer < m.signers.size() ? m.signers[signer].namespace_id : caps::default_namespace();
    return make_signable(&ns, tree_hash, length, fork);
  }
  return make_signable(&key_, tree_hash, length, fork);
}

Result<Bytes> Identity::sign(const KeyPair& key_pair, const Hash& tree_hash, uint64_t length, uint64_t fork) const {
  if (compat_) {
    const PublicKey& signer = manifest_ ? manifest_->signers[0].public_key : key_;
    if (key_pair.public_key != signer) {
      return fail(errc::invalid_argument, "sign: public key " + to_hex(key_pair.public_key) + " is not the core's signer");
    }
    Signature sig = hypercore::sign(key_pair.secret_key, make_signable(nullptr, tree_hash, length, fork));
    return Bytes(sig.begin(), sig.end());
  }
  const Manifest& m = *manifest_;
  auto it = std::find_if(m.signers.begin(), m.signers.end(),
                         [&](const Signer& s) { return s.public_key == key_pair.public_key; });
  if (it == m.signers.end()) {
    return fail(errc::invalid_argument, "sign: public key " + to_hex(key_pair.public_key) + " is not a declared signer");
  }
  size_t index = static_cast<size_t>(it - m.signers.begin());
  SignerProof proof{index, hypercore::sign(key_pair.secret_key, signable_for(index, tree_hash, length, fork))};
  // v0 verifies a lone non-patch signer's raw signature; everything else is a multisig field.
  if (m.version == 0 && m.signers.size() == 1 && !m.allow_patch) {
    return Bytes(proof.signature.begin(), proof.signature.end());
  }
  return assemble(std::span<const SignerProof>(&proof, 1));
}

Bytes Identity::assemble(std::span<const SignerProof> proofs) const {
  cenc::Encoder out;
  bool v0 = !compat_ && manifest_ && manifest_->version == 0;
  out.uint(proofs.size());
  for (const SignerProof& p : proofs) {
    if (v0) {
      out.uint(0);  // flags: no patch
      out.uint(p.signer);
      out.fixed(p.signature);
    } else {
      out.uint(p.signer);
      out.fixed(p.signature);
      out.uint(0);  // patch
    }
  }
  out.uint(0);  // no patch nodes
  return out.take();
}

bool Identity::verify(const Hash& tree_hash, uint64_t length, uint64_t fork, ByteSpan signature) const {
  return verify_state(tree_hash, nullptr, length, fork, signature);
}

bool Identity::verify(std::span<const Node> roots, uint64_t length, uint64_t fork, ByteSpan signature) const {
  return verify_state(hypercore::tree_hash(roots), &roots, length, fork, signature);
}

bool Identity::verify_state(const Hash& tree_hash, const std::span<const Node>* roots, uint64_t length, uint64_t fork,
                            ByteSpan signature) const {
  if (compat_) {
    const PublicKey& signer = manifest_ ? manifest_->signers[0].public_key : key_;
    return hypercore::verify(signer, make_signable(nullptr, tree_hash, length, fork), signature);
  }
  const Manifest& m = *manifest_;
  if (m.version == 0) {
    // v0: a lone non-patch signer signs raw, otherwise the v0 multisig field. v0 has no
    // prologue rule.
    if (!m.allow_patch && m.signers.size() == 1) {
      return hypercore::verify(m.signers[0].public_key, signable_for(0, tree_hash, length, fork), signature);
    }
  } else if (m.prologue && length <= m.prologue->length) {
    // States inside the prologue are fixed by the manifest, not signed.
    return length == m.prologue->length && tree_hash == m.prologue->hash;
  }
  if (m.quorum == 0) return false;
  auto field = m.version == 0 ? decode_multisig_v0(signature) : decode_multisig_v1(signature);
  if (!field || field->proofs.size() < m.quorum) return false;
  std::vector<bool> tried(m.signers.size(), false);
  for (uint64_t i = 0; i < m.quorum; i++) {
    const DecodedProof& p = field->proofs[i];
    // A patched proof signs the tree p.patch blocks longer; the field's patch nodes must
    // extend this state to it. Without allowPatch the reference ignores the patch and
    // checks this state; we refuse such a field, since no signer produces one and
    // accepting it would let anyone re-encode a valid field into many.
    Hash signed_hash = tree_hash;
    uint64_t signed_length = length;
    if (p.patch > 0) {
      if (!m.allow_patch || roots == nullptr) return false;
      auto longer = internal::extend_by_patch(*roots, length, p.patch, field->patch);
      if (!longer) return false;
      signed_hash = hypercore::tree_hash(*longer);
      signed_length = length + p.patch;
    }
    if (p.signer >= m.signers.size() || tried[p.signer]) return false;
    tried[p.signer] = true;
    const Signer& s = m.signers[p.signer];
    if (!hypercore::verify(s.public_key, signable_for(p.signer, signed_hash, signed_length, fork), p.signature)) {
      return false;
    }
  }
  return true;
}

}  // namespace hypercore
