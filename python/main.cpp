// import bounce: the compiled part (bounce._bounce); bounce/__init__.py adds the processor
// classes. Errors: a ConfigError (what the user asked for is wrong) is a ValueError with
// the CLI's message, any other Bounce error a bounce.Error (a RuntimeError).
#include "bounce/error.h"
#include "common.h"

PYBIND11_MODULE(_bounce, m) {
    m.doc() = "Bounce: loudness, processing, mastering and checking, on numpy arrays and sound files";
    static py::exception<bounce::Error> error(m, "Error", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr thrown) {
        try {
            if (thrown) std::rethrow_exception(thrown);
        } catch (const bounce::ConfigError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const bounce::Error& e) {
            error(e.what());
        }
    });
    bounce::python::bindAnalysisAndProcessing(m);
    bounce::python::bindFilesAndJobs(m);
}
