// Progress of a long job, for whoever shows it (the CLI's "mixing 42%" on a terminal, the
// service's job state): the library reports, it never prints.
#pragma once

#include <functional>

namespace bounce {

// Called with the fraction done, 0 .. 1, rising, from the thread doing the work; at most
// about once per percent. Empty: nobody is listening.
using ProgressCallback = std::function<void(double fraction)>;

}  // namespace bounce
