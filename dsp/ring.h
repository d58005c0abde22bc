// Ring-buffer index arithmetic without integer division (a `%` per sample costs more than
// the filter it serves).
#pragma once

#include <cstddef>

namespace bounce {

// (i + 1) mod size, for i < size.
inline std::size_t ringNext(std::size_t i, std::size_t size) noexcept { return ++i == size ? 0 : i; }

// i mod size, for i < 2 size.
inline std::size_t ringWrap(std::size_t i, std::size_t size) noexcept { return i >= size ? i - size : i; }

}  // namespace bounce
