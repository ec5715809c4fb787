#include "net/udx/internal/udx_byte_stream.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstring>

namespace net::udx {

namespace asio = boost::asio;
using boost::system::error_code;

UdxResult<std::unique_ptr<UdxByteStream>> UdxByteStream::create(std::shared_ptr<UdxSocket> socket, uint32_t local_id,
                                                                uint32_t remote_id, std::optional<Address> remote,
                                                                StreamOptions options) {
  std::unique_ptr<UdxByteStream> out(new UdxByteStream(socket, local_id, options.send_high_water));
  UdxByteStream* raw = out.get();
  auto stream = socket->create_stream(local_id, options, [raw] { raw->wake(); });
  if (!stream) return std::unexpected(stream.error());
  out->stream_ = *stream;
  if (remote) {
    (*stream)->connect(remote_id, *remote, socket->now());
    out->remote_ = remote->to_string();
  } else {
    (*stream)->accept_first_packet(remote_id);
  }
  return out;
}

UdxByteStream::UdxByteStream(std::shared_ptr<UdxSocket> socket, uint32_t local_id, size_t high_water)
    : socket_(std::move(socket)),
      id_(local_id),
      high_water_(high_water),
      read_wait_(socket_->context()),
      write_wait_(socket_->context()) {}

UdxByteStream::~UdxByteStream() { close(); }

void UdxByteStream::wake() {
  read_wait_.cancel();
  write_wait_.cancel();
}

asio::awaitable<void> UdxByteStream::wait(asio::steady_timer& timer) {
  timer.expires_at(asio::steady_timer::time_point::max());
  error_code ignored;  // cancelled by wake() or close()
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

error_code UdxByteStream::closed_error() const {
  if (!close_error_) return asio::error::eof;
  switch (*close_error_) {
    case UdxErrc::reset_by_peer: return asio::error::connection_reset;
    case UdxErrc::timeout: return asio::error::timed_out;
    default: return asio::error::connection_aborted;
  }
}

bool UdxByteStream::poll_stream() {
  if (stream_ == nullptr) return false;
  bool any = false;
  while (auto e = stream_->poll_event()) {
    switch (e->kind) {
      case StreamEvent::Kind::data:
        inbox_.push_back(std::move(e->bytes));
        any = true;
        break;
      case StreamEvent::Kind::remote_end:
        remote_ended_ = true;
        return true;
      case StreamEvent::Kind::closed:
        stream_closed_ = true;
        if (e->error) close_error_ = e->error->code;
        return true;
      case StreamEvent::Kind::message:  // unreliable datagrams are not part of the byte stream
      case StreamEvent::Kind::drained:  // write() looks at queued_bytes() itself
        break;
    }
    // Several packets per read, but not the whole window: it reopens as we read.
    if (any && inbox_.size() >= 64) break;
  }
  // Reading may have reopened a window the peer saw closed: let the socket tell it.
  if (any) socket_->flush();
  return any;
}

asio::awaitable<void> UdxByteStream::open(error_code& ec) {
  for (;;) {
    if (closed_) {
      ec = asio::error::operation_aborted;
      co_return;
    }
    if (stream_->connected()) {
      remote_ = stream_->remote_address().to_string();
      co_return;
    }
    if (stream_->closed()) {
      ec = asio::error::not_connected;
      co_return;
    }
    co_await wait(read_wait_);
  }
}

asio::awaitable<size_t> UdxByteStream::read_some(asio::mutable_buffer buffer, error_code& ec) {
  for (;;) {
    if (closed_) {
      ec = asio::error::operation_aborted;
      co_return 0;
    }
    if (inbox_.empty() && !remote_ended_ && !stream_closed_) poll_stream();
    if (!inbox_.empty()) {
      auto* out = static_cast<uint8_t*>(buffer.data());
      size_t n = 0;
      while (n < buffer.size()) {
        if (inbox_.empty() && (remote_ended_ || stream_closed_ || !poll_stream())) break;
        if (inbox_.empty()) break;
        auto& front = inbox_.front();
        const size_t take = std::min(buffer.size() - n, front.size() - inbox_used_);
        std::memcpy(out + n, front.data() + inbox_used_, take);
        n += take;
        inbox_used_ += take;
        if (inbox_used_ == front.size()) {
          inbox_.pop_front();
          inbox_used_ = 0;
        }
      }
      co_return n;
    }
    if (remote_ended_ || stream_closed_) {
      ec = remote_ended_ ? error_code(asio::error::eof) : closed_error();
      co_return 0;
    }
    co_await wait(read_wait_);
  }
}

asio::awaitable<void> UdxByteStream::write(asio::const_buffer buffer, error_code& ec) {
  if (closed_) {
    ec = asio::error::operation_aborted;
    co_return;
  }
  if (stream_->closed()) {
    ec = asio::error::broken_pipe;
    co_return;
  }
  auto queued = stream_->write(hypercore::ByteSpan(static_cast<const uint8_t*>(buffer.data()), buffer.size()),
                               socket_->now());
  if (!queued) {
    ec = asio::error::broken_pipe;
    co_return;
  }
  socket_->flush();
  while (stream_ != nullptr && stream_->queued_bytes() > high_water_) {
    if (closed_) {
      ec = asio::error::operation_aborted;
      co_return;
    }
    if (stream_->closed()) {
      ec = asio::error::broken_pipe;
      co_return;
    }
    co_await wait(write_wait_);
  }
  if (closed_) ec = asio::error::operation_aborted;
}

void UdxByteStream::close() {
  if (closed_) return;
  closed_ = true;
  read_wait_.cancel();
  write_wait_.cancel();
  if (stream_ == nullptr) return;
  // Graceful, like close() on a TCP socket: what was written still goes, then END.
  if (!stream_->closed() && stream_->connected()) (void)stream_->end(socket_->now());
  if (!stream_->connected()) stream_->destroy(socket_->now());
  stream_ = nullptr;
  socket_->release(id_);
}

std::string UdxByteStream::remote() const { return remote_; }

}  // namespace net::udx
