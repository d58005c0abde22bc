// FFTW's planner is not thread-safe (FFTW manual, 5.4 "Thread safety": only fftw_execute
// is), and plans are made on many threads here: bounce serve's jobs, a batch's masters,
// the true-peak meter's second thread. Call this before making or destroying a plan: the
// first call makes the float and double planners thread-safe
// (fftw{f}_make_planner_thread_safe, FFTW 3.3.5), every later one returns at once.
#pragma once

namespace bounce {

void makeFftwPlannerThreadSafe();

}  // namespace bounce
