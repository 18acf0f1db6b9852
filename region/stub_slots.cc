// The attachment slots of a stub (region/stub_slots.h).
#include "region/stub_slots.h"

#include <cstddef>

#include "gsl/span"

namespace osport::region {

int FindSlot(const RegionHeader& h, const os::ProcessIdentity& who) {
  for (std::size_t i = 0; i < kMaxAttachments; ++i) {
    const Attachment& a = h.attachments[i];
    if (a.pid == who.pid && a.start == who.start) return static_cast<int>(i);
  }
  return -1;
}

absl::Status CopySlotToStub(os::File& stub, const RegionHeader& h, int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= kMaxAttachments) return absl::OkStatus();
  const std::uint64_t at =
      offsetof(RegionHeader, attachments) + static_cast<std::uint64_t>(index) * sizeof(Attachment);
  const auto* bytes = reinterpret_cast<const std::byte*>(&h.attachments[index]);
  return os::WriteAt(stub, at, gsl::span<const std::byte>(bytes, sizeof(Attachment)));
}

std::vector<std::uint32_t> LiveStubAttachers(os::File& stub, const os::ProcessIdentity& self) {
  std::vector<std::uint32_t> pids;
  alignas(8) std::byte buf[kHeaderSize];
  absl::StatusOr<std::size_t> n = os::ReadAt(stub, 0, buf);
  if (!n.ok() || *n != kHeaderSize) return pids;
  const auto* h = reinterpret_cast<const RegionHeader*>(buf);
  for (const Attachment& a : h->attachments) {
    if (a.pid == 0 || (a.pid == self.pid && a.start == self.start)) continue;
    absl::StatusOr<bool> alive = os::IsAlive(os::ProcessIdentity{a.pid, a.start});
    if (alive.ok() && *alive) pids.push_back(a.pid);
  }
  return pids;
}

}  // namespace osport::region
