// A library of the parent project that uses osport (so installing it with
// install(EXPORT) needs osport's libraries in an export set too).
#include "region/region.h"

bool ConsumerCanAttach(const osport::region::RegionOptions& o) {
  return osport::region::Region::Attach(o).ok();
}
