#include "bounce/fftw_planning.h"

#include <fftw3.h>

#include <mutex>

namespace bounce {

void makeFftwPlannerThreadSafe() {
    static std::once_flag once;
    std::call_once(once, [] {
        fftwf_make_planner_thread_safe();
        fftw_make_planner_thread_safe();
    });
}

}  // namespace bounce
