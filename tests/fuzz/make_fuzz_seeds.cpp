// Writes seed inputs for the fuzz targets from real stores, so fuzzing starts from valid
// structures instead of having to discover checksums. Usage: make_fuzz_seeds CORPUS_ROOT
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "hypercore/core.hpp"
#include "hypercore/fault_storage.hpp"
#include "hypercore/internal/core_format.hpp"
#include "hypercore/bytes.hpp"
#include "bee/bee.hpp"

using namespace hypercore;

namespace {
void write_file(const std::filesystem::path& path, ByteSpan bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  std::filesystem::path root = argv[1];
  for (int variant = 0; variant < 3; variant++) {
    auto storage = std::make_shared<FaultStorage>();
    Seed seed{};
    seed[0] = static_cast<uint8_t>(variant);
    auto core = std::move(*Core::create(storage, KeyPair::from_seed(seed)));
    for (int i = 0; i < 5 + variant * 10; i++) (void)core->append(as_bytes(std::string(i * 3, 'x')));
    if (variant == 1) (void)core->truncate(7);
    if (variant != 2) (void)core->close();  // variant 2 leaves records to replay
    Bytes input;
    for (const char* name : {"header", "log", "index", "tree", "bitfield"}) {
      Bytes content = storage->contents(name).value_or(Bytes{});
      if (std::string(name) == "header" && content.size() > 2 * 1024) {
        // Keep the slot that matters; the fuzzer does not need 128 KiB of zeros.
        content.resize(std::min<size_t>(content.size(), 70 * 1024));
      }
      uint32_t len = static_cast<uint32_t>(content.size());
      input.insert(input.end(), reinterpret_cast<uint8_t*>(&len), reinterpret_cast<uint8_t*>(&len) + 4);
      input.insert(input.end(), content.begin(), content.end());
      if (std::string(name) == "log" && content.size() >= format::kRecordFrameBytes) {
        write_file(root / "log_record" / ("seed" + std::to_string(variant)), content);
      }
      if (std::string(name) == "header") {
        if (auto slot = format::parse_slot(content)) write_file(root / "header" / ("seed" + std::to_string(variant)), slot->payload);
      }
    }
    write_file(root / "core_open" / ("seed" + std::to_string(variant)), input);
    write_file(root / "manifest" / ("seed" + std::to_string(variant)),
               Manifest::default_signer(KeyPair::from_seed(seed).public_key, variant % 2 ? 0 : 1).encode());
  }
  // Hyperbee blocks from the spec's worked examples (§9.2 split root, §9.3, §9.5 header).
  const char* bee_blocks[] = {
      "0a1b0a090a01051204090109020a060a04010203040a060a0406070809120230381a0169",
      "0a020a00120161",
      "0a050a030a01041201621a00",
      "0a08687970657262656512260a20cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd12020102",
  };
  // A whole bee for fuzz_bee_tree: spec §9.2's ten puts and two deletes (splits, merge),
  // then a batch, written by our writer.
  Bytes tree_input;
  {
    auto core = std::shared_ptr<Core>(std::move(*Core::create(make_memory_storage(), KeyPair::from_seed(Seed{}))));
    auto db = std::move(*bee::Bee::open(core));
    for (int i = 0; i < 10; i++) {
      std::string k = "0" + std::to_string(i), v(1, static_cast<char>('a' + i));
      (void)db->put(as_bytes(k), as_bytes(v));
    }
    (void)db->del(as_bytes("04"));
    (void)db->del(as_bytes("05"));
    auto batch = db->batch();
    for (int i = 0; i < 12; i++) (void)batch.put(as_bytes("k" + std::to_string(i)), as_bytes("v"));
    (void)batch.flush();
    for (uint64_t i = 0; i < core->length(); i++) {
      Bytes b = *core->get(i);
      tree_input.push_back(static_cast<uint8_t>(b.size()));
      tree_input.push_back(static_cast<uint8_t>(b.size() >> 8));
      tree_input.insert(tree_input.end(), b.begin(), b.end());
    }
  }
  write_file(root / "bee_tree" / "seed0", tree_input);
  int n = 0;
  for (const char* hex : bee_blocks) {
    write_file(root / "bee_node" / ("seed" + std::to_string(n++)), *from_hex(hex));
  }
  // Extension messages as hyperbee 2.27.3 encodes them (tests/interop/bee_trace_vectors.js).
  const char* extension_messages[] = {
      "120a080c12066b3030303432",
      "0a0d080310ac021a0603ab02118001",
      "1a0c08051201612a017a30003800",
      "1a1708f0a2041a0162220179301938014207090003ac020201",
  };
  n = 0;
  for (const char* hex : extension_messages) {
    write_file(root / "bee_extension" / ("seed" + std::to_string(n++)), *from_hex(hex));
  }
  // mDNS packets (docs/protocol/mdns.md): the spec's 69-byte subtype query, an uncompressed
  // announcement (subtype PTR, SRV, TXT, A) and a compressed PTR answer.
  const char* dns_packets[] = {
      "0000000000010000000000001c5f746a697276627162727168637278656f706865716334726a636875045f737562065f7032706462"
      "045f756470056c6f63616c00000c0001",
      "0000840000000004000000001c5f746a697276627162727168637278656f706865716334726a636875045f737562065f7032706462"
      "045f756470056c6f63616c00000c000100001194002a1670327064622d30343264656338303735636331353934065f7032706462045f"
      "756470056c6f63616c001670327064622d30343264656338303735636331353934065f7032706462045f756470056c6f63616c000021"
      "800100000078001c00000000c2490e70327064622d3034326465633830056c6f63616c001670327064622d3034326465633830373563"
      "6331353934065f7032706462045f756470056c6f63616c000010800100001194004803763d3143706b3d303432646563383037356363"
      "313539346162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261620e70"
      "327064622d3034326465633830056c6f63616c00000180010000007800040a4d0002",
      "000084000001000100000000065f7032706462045f756470056c6f63616c00000c0001c00c000c0001000011940009067032706462c00c",
  };
  n = 0;
  for (const char* hex : dns_packets) {
    write_file(root / "dns_packet" / ("seed" + std::to_string(n++)), *from_hex(hex));
  }
  // dht-rpc datagrams of ../shared/spec/dht.md §1.2 (PING, FIND_NODE request and response).
  const char* dht_messages[] = {
      "030434127f0000014ac200",
      "030c08007f0000014ac202abababababababababababababababababababababababababababababababab",
      ("130d09007f00000118baea50f55683100864aa622153cff29c6f99eea9e753f8e211d6b01e0a8af2ac6c"
       "047f0000014dc27f0000014cc27f00000135887f0000014bc201"),
  };
  n = 0;
  for (const char* hex : dht_messages) {
    write_file(root / "dht_message" / ("seed" + std::to_string(n++)), *from_hex(hex));
  }
  return 0;
}
