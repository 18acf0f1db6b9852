// Binding a stub to its system memory (issue 12, F1): a random region token
// and the stub's identity (device, inode) are written into both the stub and
// the live header when a region is made. Memory is used or removed only
// after it has been attached and its header matches the stub that names it,
// so a stub whose id was changed (by mistake or by someone) -- naming another
// region's memory, or memory osport never made -- is refused, never joined
// and never removed. Internal to region/: create.cc writes the binding,
// join.cc, stat.cc and remove.cc check it.
#ifndef OSPORT_REGION_TOKEN_H_
#define OSPORT_REGION_TOKEN_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "os/file.h"
#include "os/map.h"
#include "region/header.h"
#include "region/options.h"

namespace osport::region {

// What binds a stub and its memory.
struct Binding {
  std::uint8_t token[16] = {};
  std::uint64_t stub_device = 0;
  std::uint64_t stub_inode = 0;
};

// A new random token and the identity of `stub` (nullptr: private memory,
// no stub: identity 0).
[[nodiscard]] absl::StatusOr<Binding> NewBinding(os::File* stub);
// Writes the binding into a header (the stub's or the memory's).
void WriteBinding(const Binding& b, RegionHeader& h);

// Whether the memory header `memory` (of `backend` memory `id`) belongs to
// the stub file `stub` whose header is `stub_header`: the same token, and the
// identity it records is the stub's. Memory whose header was never written
// (magic and token 0: its creator died first) matches when it lies under a
// name derived from the stub (SysV, POSIX shm; os::DerivedSystemMemoryIds),
// and is otherwise another program's memory that took a stale or edited id:
// Unavailable + EAGAIN, as memory that is gone (AttachSystemMemory), so
// nothing uses or removes it. kCorrupt naming the field and the memory when
// a written header does not match.
[[nodiscard]] absl::Status CheckBinding(const RegionHeader& stub_header, const RegionHeader& memory,
                                        os::File& stub, absl::string_view name, os::Backend backend,
                                        std::uint64_t id);

// Maps the memory the stub `stub_header` names (`size` bytes) for use: its
// owner checked (CheckRegionMemory, with `mode`), then attached READ-ONLY
// and its header matched against the stub (CheckBinding) -- nothing is
// mapped writable before the memory is known to be this stub's. With
// kReadWrite it is then attached again writable (SysV, POSIX and Win32
// cannot widen a read-only view in place) and matched once more, since the
// name may have been reused between the two. Errors as AttachRegionMemory
// and CheckBinding.
[[nodiscard]] absl::StatusOr<os::Mapping> AttachBoundMemory(os::File& stub,
                                                            const RegionHeader& stub_header,
                                                            std::uint64_t size,
                                                            const RegionOptions& options,
                                                            std::uint32_t mode, os::MapAccess access);

// Removes the memory `stub_header` names, only if it is the caller's (or a
// trusted owner's: trust_checks.h) and its header matches the stub
// (CheckBinding), attached read-only and detached again to look. Memory already gone
// is OK. Otherwise the memory is left and the error says which, and why.
[[nodiscard]] absl::Status RemoveBoundMemory(os::File& stub, const RegionHeader& stub_header,
                                             const RegionOptions& options);

// Whether an error from RemoveBoundMemory means the memory is not provably
// the stub's (another owner's, another token, a damaged record): the stub
// may go all the same. Any other error is a removal that failed (the system
// call): the stub must stay, as the only way back to that memory.
[[nodiscard]] bool NotProvablyTheStubs(const absl::Status& s);

// Memory found under the names derived from a stub (os::DerivedSystemMemoryIds)
// whose header is bound to that stub: the same (non-zero) token, and the
// stub's identity.
struct BoundMemory {
  os::Backend backend = os::Backend::kFile;
  std::uint64_t id = 0;
  std::uint64_t size = 0;  // as its own header says
  bool token_matches = true;  // false: found by the stub's identity and creation alone
};

// Every piece of memory of a supported named backend bound to `stub`,
// looked at read-only, whatever backend, id or size `stub_header` records:
// how a stub whose fields are damaged still finds the memory it was made
// with (issue 12: a stub mismatch is not "memory gone"). Memory another
// user owns is not looked at. Best effort: errors looking count as none.
// With `identity_only`, also written memory whose header records the
// stub's identity (device, inode) and its creation (time in seconds,
// creator pid and start stamp) under another token -- the stub's or the
// memory's token damaged: not provably the stub's, so never removed for it,
// but never taken for "gone" either (token_matches false). Memory whose
// token matches comes first.
[[nodiscard]] std::vector<BoundMemory> FindBoundMemory(os::File& stub, const RegionHeader& stub_header,
                                                       const RegionOptions& options,
                                                       bool identity_only = false);

// For a stub whose recorded memory was not found (gone, or smaller than the
// stub says): OK if no memory bound to the stub exists (it is really gone);
// else kCorrupt naming the stub's wrong fields (backend, system_id, size)
// and the memory that is the region's. The memory is left as it is.
[[nodiscard]] absl::Status CheckMemoryGone(os::File& stub, const RegionHeader& stub_header,
                                           const RegionOptions& options);

}  // namespace osport::region

#endif  // OSPORT_REGION_TOKEN_H_
