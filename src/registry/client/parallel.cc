#include "registry/client/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace quai::registry::client {

Status for_each_in_parallel(const Session& session, size_t count, int parallel,
                            const std::function<Status(Session&, size_t)>& job) {
  std::atomic<size_t> next = 0;
  std::mutex mutex;
  std::optional<Error> first_error;
  auto record = [&](Error error) {
    std::lock_guard lock(mutex);
    if (!first_error) first_error = std::move(error);
  };
  auto work = [&] {
    auto own = session.fork();
    if (!own) return record(own.error());
    for (size_t i = next++; i < count; i = next++) {
      if (Status done = job(*own, i); !done) return record(done.error());
    }
  };
  std::vector<std::thread> threads;
  size_t workers = std::min<size_t>(count, static_cast<size_t>(std::max(parallel, 1)));
  for (size_t t = 0; t < workers; ++t) threads.emplace_back(work);
  for (auto& thread : threads) thread.join();
  if (first_error) return fail(std::move(*first_error));
  return ok();
}

}  // namespace quai::registry::client
