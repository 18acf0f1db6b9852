// A scratch file mapped shared into memory, so tests can place mutexes and
// counters that several processes see, until the region module's os/map.h is
// in. Each platform maps it its own way (shared_file_<platform>.cc).
#ifndef OSPORT_TESTS_SUPPORT_SHARED_FILE_H_
#define OSPORT_TESTS_SUPPORT_SHARED_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "os/file.h"

namespace osport::testing {

class SharedFile {
 public:
  // Creates `path` (it must not exist), `size` zero bytes, and maps it.
  static absl::StatusOr<SharedFile> Create(const std::string& path, std::size_t size);
  // Opens and maps an existing file whole.
  static absl::StatusOr<SharedFile> Attach(const std::string& path);

  SharedFile() = default;
  ~SharedFile();
  SharedFile(SharedFile&& other) noexcept;
  SharedFile& operator=(SharedFile&& other) noexcept;
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;

  [[nodiscard]] void* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  // The open file behind the mapping (what a file-lock mutex locks).
  [[nodiscard]] os::File& file() { return file_; }

  template <typename T>
  T* At(std::size_t offset) const {
    return reinterpret_cast<T*>(static_cast<char*>(data_) + offset);
  }

 private:
  void Reset();
  os::File file_;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

namespace internal {
// The platform half: map `size` bytes of `file` shared, read-write; unmap.
absl::StatusOr<void*> MapShared(os::File& file, std::size_t size);
void UnmapShared(void* data, std::size_t size);
}  // namespace internal

}  // namespace osport::testing

#endif  // OSPORT_TESTS_SUPPORT_SHARED_FILE_H_
