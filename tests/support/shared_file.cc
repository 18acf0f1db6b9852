// The neutral half of tests/support/shared_file.h: create, size, own.
#include "tests/support/shared_file.h"

#include <utility>

namespace osport::testing {

absl::StatusOr<SharedFile> SharedFile::Create(const std::string& path, std::size_t size) {
  absl::StatusOr<os::File> f = os::Open(path, os::kOpenCreate | os::kOpenExclusive);
  if (!f.ok()) return f.status();
  if (absl::Status s = os::Truncate(*f, size); !s.ok()) return s;
  absl::StatusOr<void*> data = internal::MapShared(*f, size);
  if (!data.ok()) return data.status();
  SharedFile out;
  out.file_ = std::move(*f);
  out.data_ = *data;
  out.size_ = size;
  return out;
}

absl::StatusOr<SharedFile> SharedFile::Attach(const std::string& path) {
  absl::StatusOr<os::File> f = os::Open(path, 0);
  if (!f.ok()) return f.status();
  absl::StatusOr<os::IoInfo> info = os::GetIoInfo(*f);
  if (!info.ok()) return info.status();
  const auto size = static_cast<std::size_t>(info->size());
  absl::StatusOr<void*> data = internal::MapShared(*f, size);
  if (!data.ok()) return data.status();
  SharedFile out;
  out.file_ = std::move(*f);
  out.data_ = *data;
  out.size_ = size;
  return out;
}

SharedFile::~SharedFile() { Reset(); }

SharedFile::SharedFile(SharedFile&& other) noexcept
    : file_(std::move(other.file_)), data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedFile& SharedFile::operator=(SharedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    file_ = std::move(other.file_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SharedFile::Reset() {
  if (data_ != nullptr) internal::UnmapShared(data_, size_);
  data_ = nullptr;
  size_ = 0;
  (void)file_.Close();
}

}  // namespace osport::testing
