// Stand-in for the one CoreFoundation header Abseil includes on macOS
// (absl/time/internal/cctz/src/time_zone_lookup.cc, local_time_zone()), for
// cross builds whose SDK has no frameworks: Zig 0.11 ships the macOS libc
// headers and libSystem stubs only. Used by ci/zig.sh when it builds Abseil
// for a macOS target, never by osport itself.
//
// The default zone is "none", so Abseil keeps its ":localtime" fallback
// (/etc/localtime, which macOS has) instead of asking CoreFoundation; no
// CoreFoundation symbol is referenced, so nothing needs the framework at
// link time. The types mirror Apple's public declarations.
#ifndef OSPORT_ZIG_MACOS_SHIM_CFTIMEZONE_H_
#define OSPORT_ZIG_MACOS_SHIM_CFTIMEZONE_H_

typedef const struct __CFTimeZone* CFTimeZoneRef;
typedef const struct __CFString* CFStringRef;
typedef long CFIndex;
typedef unsigned int CFStringEncoding;
enum { kCFStringEncodingUTF8 = 0x08000100 };

static inline CFTimeZoneRef CFTimeZoneCopyDefault(void) { return 0; }
static inline CFStringRef CFTimeZoneGetName(CFTimeZoneRef) { return 0; }
static inline CFIndex CFStringGetLength(CFStringRef) { return 0; }
static inline CFIndex CFStringGetMaximumSizeForEncoding(CFIndex, CFStringEncoding) { return 0; }
static inline bool CFStringGetCString(CFStringRef, char*, CFIndex, CFStringEncoding) { return false; }
static inline void CFRelease(const void*) {}

#endif  // OSPORT_ZIG_MACOS_SHIM_CFTIMEZONE_H_
