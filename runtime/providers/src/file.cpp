// The file provider: one NDJSON line per message appended to a file, for dry runs and for
// other tools to pick up. A message counts as sent once its line is written and fsync'd.
//
// Lines are written by one worker thread, in submission order. Whatever is waiting when the
// worker comes round is written with one write() and one fdatasync() (a group commit), so a
// burst costs one sync, not one per message. A line is never left half-written: when a write
// falls short or fails, the file is cut back to where it was; a torn tail left by a crash
// (the file does not end in a newline) is cut off when the provider opens the file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

#include "core.hpp"

namespace cascade::providers::detail {
namespace {

namespace asio = boost::asio;

std::string iso_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

struct Sink {
  int fd = -1;
  std::string path;
  std::mutex mutex;  // guards pending and flushing
  struct Pending {
    std::string line;
    AttemptDone done;
  };
  std::vector<Pending> pending;
  bool flushing = false;

  ~Sink() {
    if (fd >= 0) ::close(fd);
  }

  // Runs on the worker: writes everything pending, then answers each message.
  void flush() {
    for (;;) {
      std::vector<Pending> batch;
      {
        std::lock_guard lock(mutex);
        if (pending.empty()) {
          flushing = false;
          return;
        }
        batch.swap(pending);
      }
      std::string data;
      for (const auto& p : batch) data += p.line;
      const off_t start = ::lseek(fd, 0, SEEK_END);
      std::string error;
      std::size_t written = 0;
      while (start >= 0 && written < data.size()) {
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          error = std::string("writing ") + path + ": " + std::strerror(n < 0 ? errno : ENOSPC);
          break;
        }
        written += static_cast<std::size_t>(n);
      }
      if (start < 0) error = std::string("seeking in ") + path + ": " + std::strerror(errno);
      if (error.empty() && ::fdatasync(fd) != 0)
        error = std::string("syncing ") + path + ": " + std::strerror(errno);
      if (!error.empty() && start >= 0 && ::ftruncate(fd, start) != 0) {
        error += std::string("; cutting back the partial write failed too: ") + std::strerror(errno);
      }
      off_t at = start;
      for (auto& p : batch) {
        AttemptOutcome o;
        if (error.empty()) {
          o.kind = AttemptOutcome::Kind::accepted;
          o.provider_message_id = path + "@" + std::to_string(at);
        } else {
          o.kind = AttemptOutcome::Kind::retry;
          o.detail = error;
        }
        at += static_cast<off_t>(p.line.size());
        p.done(std::move(o));
      }
    }
  }
};

class File final : public Transport {
 public:
  File(std::string name, std::shared_ptr<Sink> sink)
      : name_(std::move(name)), sink_(std::move(sink)), worker_(1) {}
  ~File() override { worker_.join(); }

  bool limited() const override { return false; }

  void attempt(const OutboundMessage& m, int, AttemptDone done) override {
    boost::json::object o;
    o["at"] = iso_now();
    o["provider"] = name_;
    for (auto& [k, v] : message_json(m)) o[k] = v;
    std::string line = boost::json::serialize(o);
    line += '\n';
    bool start = false;
    {
      std::lock_guard lock(sink_->mutex);
      sink_->pending.push_back({std::move(line), std::move(done)});
      start = !sink_->flushing;
      sink_->flushing = true;
    }
    if (start) asio::post(worker_, [s = sink_] { s->flush(); });
  }

 private:
  std::string name_;
  std::shared_ptr<Sink> sink_;
  asio::thread_pool worker_;
};

}  // namespace

std::variant<std::unique_ptr<Transport>, StartError> make_file(const ProviderConfig& c) {
  if (c.path.empty()) return StartError{prefix(c) + "`path` is empty"};
  auto sink = std::make_shared<Sink>();
  sink->path = c.path;
  sink->fd = ::open(c.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (sink->fd < 0)
    return StartError{prefix(c) + "cannot open " + c.path + " for appending: " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(sink->fd, &st) != 0 || !S_ISREG(st.st_mode))
    return StartError{prefix(c) + c.path + " is not a regular file"};
  if (st.st_size > 0) {
    // Cut a torn last line (a crash in the middle of a write) back to the last newline.
    const int rfd = ::open(c.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return StartError{prefix(c) + "cannot read " + c.path + ": " + std::strerror(errno)};
    off_t end = st.st_size;
    char buf[4096];
    bool found = false;
    while (end > 0 && !found) {
      const off_t from = std::max<off_t>(0, end - static_cast<off_t>(sizeof buf));
      const ssize_t n = ::pread(rfd, buf, static_cast<std::size_t>(end - from), from);
      if (n <= 0) break;
      for (ssize_t i = n - 1; i >= 0; --i) {
        if (buf[i] == '\n') {
          end = from + i + 1;
          found = true;
          break;
        }
      }
      if (!found) end = from;
    }
    ::close(rfd);
    if (end != st.st_size && ::ftruncate(sink->fd, end) != 0)
      return StartError{prefix(c) + "cannot cut the torn last line of " + c.path + ": " +
                        std::strerror(errno)};
  }
  return std::unique_ptr<Transport>(std::make_unique<File>(c.name, std::move(sink)));
}

}  // namespace cascade::providers::detail
