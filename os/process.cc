// The neutral half of os/process.h: Child ownership (moves, destruction).
#include "os/process.h"

#include <utility>

namespace osport::os {

Child::~Child() { Reset(); }

Child::Child(Child&& other) noexcept
    : pid_(other.pid_), handle_(other.handle_), in_(other.in_), out_(other.out_),
      buffer_(std::move(other.buffer_)) {
  other.pid_ = 0;
  other.handle_ = other.in_ = other.out_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = other.pid_;
    handle_ = other.handle_;
    in_ = other.in_;
    out_ = other.out_;
    buffer_ = std::move(other.buffer_);
    other.pid_ = 0;
    other.handle_ = other.in_ = other.out_ = -1;
  }
  return *this;
}

}  // namespace osport::os
