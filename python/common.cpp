#include "common.h"

#include <cmath>
#include <string>

namespace bounce::python {

void checkInterrupt() {
    const py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw Interrupted{};
}

py::object toPython(const nlohmann::ordered_json& j) {
    switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
        py::list list;
        for (const auto& item : j) list.append(toPython(item));
        return std::move(list);
    }
    default: {
        py::dict dict;
        for (const auto& [key, value] : j.items()) dict[py::str(key)] = toPython(value);
        return std::move(dict);
    }
    }
}

AudioBuffer toBuffer(const py::array& array, const char* what) {
    const bool f32 = py::isinstance<py::array_t<float>>(array), f64 = py::isinstance<py::array_t<double>>(array);
    if (!f32 && !f64)
        throw py::type_error(std::string(what) + " must be a float32 or float64 array (got " + py::str(array.dtype()).cast<std::string>() +
                             ")");
    if (array.ndim() != 1 && array.ndim() != 2)
        throw py::value_error(std::string(what) + " must have shape (channels, frames) or (frames,), not " + std::to_string(array.ndim()) +
                              " dimensions");
    const auto channels = array.ndim() == 1 ? py::ssize_t{1} : array.shape(0);
    const auto frames = array.ndim() == 1 ? array.shape(0) : array.shape(1);
    if (channels < 1 || channels > 64)
        throw py::value_error(std::string(what) + " has " + std::to_string(channels) +
                              " channels: the shape is (channels, frames), channels first, as Pedalboard takes it" +
                              (array.ndim() == 2 && array.shape(1) <= 64 ? " (transpose it: array.T)" : ""));
    AudioBuffer buffer(static_cast<int>(channels), static_cast<std::size_t>(frames));
    const auto copy = [&](auto typed) {
        for (py::ssize_t c = 0; c < channels; ++c)
            for (py::ssize_t i = 0; i < frames; ++i) {
                const double x = array.ndim() == 1 ? typed.template unchecked<1>()(i) : typed.template unchecked<2>()(c, i);
                if (!std::isfinite(x))
                    throw py::value_error(std::string(what) + " holds a non-finite sample (NaN or infinity) at frame " + std::to_string(i) +
                                          " in channel " + std::to_string(c + 1));
                buffer.channel(static_cast<int>(c))[i] = static_cast<float>(x);
            }
    };
    if (f32)
        copy(py::array_t<float>::ensure(array));
    else
        copy(py::array_t<double>::ensure(array));
    return buffer;
}

py::array_t<float> toArray(const AudioBuffer& buffer, bool mono1d) {
    if (mono1d && buffer.channels() == 1) {
        py::array_t<float> out(static_cast<py::ssize_t>(buffer.frames()));
        std::copy_n(buffer.channel(0), buffer.frames(), out.mutable_data());
        return out;
    }
    py::array_t<float> out({static_cast<py::ssize_t>(buffer.channels()), static_cast<py::ssize_t>(buffer.frames())});
    for (int c = 0; c < buffer.channels(); ++c) std::copy_n(buffer.channel(c), buffer.frames(), out.mutable_data(c, 0));
    return out;
}

double checkedRate(double sampleRate) {
    if (!(sampleRate >= 1000.0 && sampleRate <= 768000.0))
        throw py::value_error("sample_rate must be from 1000 to 768000 Hz (got " + std::to_string(sampleRate) + ")");
    return sampleRate;
}

}  // namespace bounce::python
