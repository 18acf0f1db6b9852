// What the demo's parent (demo.cc) and its workers (demo_worker.cc) share.
#ifndef OSPORT_TOOLS_OSPORT_DEMO_H_
#define OSPORT_TOOLS_OSPORT_DEMO_H_

namespace osport::tool {

// The one region of a demo run, in its own temporary home.
inline constexpr char kDemoRegionName[] = "demo";

}  // namespace osport::tool

#endif  // OSPORT_TOOLS_OSPORT_DEMO_H_
