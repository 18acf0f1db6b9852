// The attachment slots of a stub: who is attached to a region in system
// memory, kept where it survives the memory. Internal to region/.
//
// The kernel's liveness locks say THAT someone is attached, not who: Linux
// F_OFD_GETLK reports l_pid -1 for open-file-description locks, and Win32
// has no query at all. So a joiner of a region in system memory also copies
// its slot into the stub (one seek + one write, under the region lock), and
// its last detach clears it. When the memory vanishes under live attachers
// (ipcrm, systemd RemoveIPC), the stub still names them: Attach refuses to
// create over them and names their pids (region/liveness.h, step 5). The
// copy is diagnostic only: a process killed before clearing its slot leaves
// a dead pid there, which is filtered by os::IsAlive.
#ifndef OSPORT_REGION_STUB_SLOTS_H_
#define OSPORT_REGION_STUB_SLOTS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "os/file.h"
#include "os/process.h"
#include "region/header.h"

namespace osport::region {

// The index of `who`'s slot in `h`, or -1.
[[nodiscard]] int FindSlot(const RegionHeader& h, const os::ProcessIdentity& who);

// Copies slot `index` of `h` (as it is now: used, or freed) into the stub.
[[nodiscard]] absl::Status CopySlotToStub(os::File& stub, const RegionHeader& h, int index);

// The live processes the stub's slots name, other than `self`: best effort,
// empty when the stub cannot be read.
[[nodiscard]] std::vector<std::uint32_t> LiveStubAttachers(os::File& stub,
                                                           const os::ProcessIdentity& self);

}  // namespace osport::region

#endif  // OSPORT_REGION_STUB_SLOTS_H_
