// Attach, the pid namespace step: one pid namespace per region at a time
// (region/liveness.h, "Pid namespaces"; the protocol is written there).
#include <cstring>

#include "absl/strings/str_format.h"
#include "region/attacher.h"
#include "region/liveness.h"

namespace osport::region {
namespace {

std::string NamespaceName(std::uint64_t ns) {
  return ns == 0 ? std::string("none (a system with one pid space)") : absl::StrFormat("pid:[%u]", ns);
}

}  // namespace

absl::Status Attacher::CheckPidNamespace(Region& r, Found* found) {
  RegionHeader& h = r.header();
  // Written only under the exclusive liveness lock, which nobody holds while
  // we hold shared: stable for as long as we are attached.
  other_namespace_ = h.pid_namespace.load(std::memory_order_acquire);
  if (other_namespace_ == pid_namespace_) return absl::OkStatus();
  if (r.live_.held() != Liveness::Held::kExclusive) {
    // Others of that namespace may be attached, one of them holding the
    // region lock: its pid would be judged here, where it names another
    // process or none. Only a process alone with the region may adopt it.
    *found = Found::kOtherNamespace;
    return absl::OkStatus();
  }
  // Alone with it (the kernel says nobody else holds the liveness byte):
  // every process recorded was of the other namespace and is gone. Their
  // slots are cleared here rather than judged by pid; a lock word left by one
  // of them is judged by the mutex as any dead owner is (an owner death).
  std::memset(static_cast<void*>(h.attachments), 0, sizeof h.attachments);
  h.refcount = 0;
  h.pid_namespace.store(pid_namespace_, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Attacher::OtherNamespaceAttached() const {
  return RegionError(
      RegionErrc::kBusy,
      absl::StrFormat("region %s is attached by processes of another pid namespace (%s; this process "
                      "is in %s): their pids name other processes here, or none, so a live lock "
                      "holder among them would be taken for dead; not joined within the attach "
                      "timeout (%s). A region is shared within one pid namespace at a time: it can "
                      "be joined from here once all of them have detached",
                      o_.name, NamespaceName(other_namespace_), NamespaceName(pid_namespace_),
                      absl::FormatDuration(o_.attach_timeout)));
}

}  // namespace osport::region
