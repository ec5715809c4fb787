// Path MTU probing, as libudx does it (src/udx.c: mtu_probeify_packet, ack_packet,
// mtu_unprobeify_packet; RFC 8899's terms). Packets start at the base MTU, 1200 bytes of IP
// datagram. From the first acknowledgement on, one new data packet at a time is padded (the
// header's data offset) so that its datagram is the size being probed: 1200 first (which
// only confirms the base), then 32 bytes more after each probe is acknowledged, up to
// mtu_max. An acknowledged probe makes its size the MTU (packets carry more from then on); a
// probe declared lost is resent unpadded, and the third loss in a row ends the search.
// The MTU never shrinks, as in libudx.
#include <algorithm>

#include "net/udx/stream.hpp"

namespace net::udx {

namespace {
size_t overhead(const Address& a) { return a.v6 ? kIpv6Overhead : kIpv4Overhead; }
constexpr uint32_t kMaxProbes = 3;  // lost in a row (libudx UDX_MTU_MAX_PROBES)
}  // namespace

void Stream::start_mtu(const Address& remote) {
  mtu_ = kMtuBase;
  max_payload_ = mtu_ - overhead(remote);
  mtu_max_ = std::min({mtu_max_, static_cast<size_t>(options_.mtu_max), kMtuMax});
  mtu_probe_size_ = kMtuBase;
  mtu_probe_count_ = 0;
  mtu_probe_wanted_ = false;
  // libudx: a path MTU the OS knows to be at most the base disables probing.
  mtu_state_ = options_.mtu_probing && mtu_max_ > kMtuBase ? MtuState::base : MtuState::complete;
}

void Stream::limit_mtu(size_t path_mtu) {
  mtu_max_ = std::min(mtu_max_, path_mtu);
  if (mtu_max_ <= mtu_) {
    mtu_state_ = MtuState::complete;
    mtu_probe_wanted_ = false;
  } else {
    mtu_probe_size_ = std::min(mtu_probe_size_, mtu_max_);
  }
}

// A packet becomes a probe when padding can bring its datagram to the probe size: it carries
// data and needs no more than 255 bytes (the data offset is one byte). Otherwise the next
// packet is tried.
void Stream::maybe_probe(OutPacket& pkt) {
  if (pkt.payload.empty()) return;
  const size_t size = pkt.payload.size() + overhead(remote_);
  if (size > mtu_probe_size_ || mtu_probe_size_ - size > 255) return;
  pkt.mtu_probe = true;
  pkt.probe_padding = static_cast<uint8_t>(mtu_probe_size_ - size);
  mtu_probe_count_++;
  mtu_probe_wanted_ = false;
  stats_.mtu_probes_sent++;
}

void Stream::mtu_on_acked(const OutPacket& pkt) {
  if (mtu_state_ == MtuState::search && mtu_probe_count_ > 0 && pkt.mtu_probe) {
    mtu_probe_count_ = 0;
    mtu_ = mtu_probe_size_;
    max_payload_ = mtu_ - overhead(remote_);
    if (mtu_probe_size_ >= mtu_max_) {
      mtu_state_ = MtuState::complete;
    } else {
      mtu_probe_size_ = std::min(mtu_probe_size_ + kMtuStep, mtu_max_);
      mtu_probe_wanted_ = true;
    }
  }
  // The first acknowledgement of anything starts the search.
  if (mtu_state_ == MtuState::base) {
    mtu_state_ = MtuState::search;
    mtu_probe_wanted_ = true;
  }
}

bool Stream::mtu_on_lost(OutPacket& pkt) {
  if (!pkt.mtu_probe) return false;
  pkt.mtu_probe = false;
  pkt.probe_padding = 0;
  stats_.mtu_probes_lost++;
  if (mtu_state_ == MtuState::search) {
    if (mtu_probe_count_ >= kMaxProbes) {
      mtu_state_ = MtuState::complete;
    } else {
      mtu_probe_wanted_ = true;
    }
  }
  return true;
}

}  // namespace net::udx
