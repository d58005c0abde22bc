#include "bounce/dither.h"
#include "signals.h"
#include "spectrum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace bounce::test {
namespace {

std::vector<double> quantise(const AudioBuffer& input, DitherType type, int bits, double rate) {
    Dither d;
    d.setParams({bits, type});
    d.prepare({rate, 4096, 1});
    AudioBuffer out = input;
    d.process(out.view());
    return std::vector<double>(out.channel(0), out.channel(0) + out.frames());
}

TEST(Dither, TpdfErrorHasTheTheoreticalPowerAndAFlatSpectrum) {
    // Total error = TPDF dither (LSB^2/6) + rounding (LSB^2/12) = LSB^2/4, independent of
    // the signal, white.
    const double rate = 48000;
    const auto input = pinkishNoise(rate, 4.0, -30.0, 1, 9);
    const auto output = quantise(input, DitherType::Tpdf, 16, rate);
    const double lsb = 1.0 / 32768.0;
    std::vector<double> error(output.size());
    double power = 0, mean = 0;
    for (std::size_t i = 0; i < output.size(); ++i) {
        error[i] = output[i] - input.channel(0)[i];
        power += error[i] * error[i];
        mean += error[i];
    }
    power /= static_cast<double>(error.size());
    mean /= static_cast<double>(error.size());
    EXPECT_NEAR(power / (lsb * lsb), 0.25, 0.25 * 0.03);
    EXPECT_NEAR(mean / lsb, 0.0, 0.01);
    // On the grid: every output is a whole number of LSBs.
    for (double v : output) ASSERT_DOUBLE_EQ(v / lsb, std::round(v / lsb));
    // Flat: each of 8 equal bands holds 1/8 of the power within 5 %.
    MagnitudeSpectrum spectrum(error, rate);
    const double total = spectrum.bandPower(0, rate / 2);
    for (int b = 0; b < 8; ++b) {
        const double share = spectrum.bandPower(b * rate / 16, (b + 1) * rate / 16) / total;
        EXPECT_NEAR(share, 1.0 / 8, 0.05 / 8) << "band " << b;
    }
}

TEST(Dither, WithoutDitherAQuietSineDistortsWithDitherItBecomesNoise) {
    // A -100 dBFS 1 kHz sine is about 0.33 LSB at 16 bits. Truncated to 16 bits (what a
    // converter without dither does) it becomes a pulse train full of harmonics; with
    // TPDF dither the tone survives above a noise floor and the harmonics are gone.
    const double rate = 48000, f = 1000;
    const auto input = sine(rate, 2.0, f, -100.0, 1);
    std::vector<double> rounded(input.frames());
    for (std::size_t i = 0; i < input.frames(); ++i) rounded[i] = std::floor(input.channel(0)[i] * 32768.0) / 32768.0;
    const auto dithered = quantise(input, DitherType::Tpdf, 16, rate);
    // Bin-centred analysis over an exact number of periods (2 s of 1 kHz).
    MagnitudeSpectrum plain(rounded, rate, rounded.size());
    MagnitudeSpectrum noisy(dithered, rate, dithered.size());
    const auto harmonicToNoiseDb = [&](const MagnitudeSpectrum& s, double harmonic) {
        const auto bin = static_cast<std::size_t>(harmonic / s.binHz());
        double floor = 0;
        int count = 0;
        for (std::size_t k = bin + 20; k < bin + 220; ++k) {
            floor += s.power(k);
            ++count;
        }
        return 10 * std::log10(s.power(bin) / (floor / count));
    };
    // Truncation: the 3rd harmonic stands far above everything between the harmonics.
    EXPECT_GT(harmonicToNoiseDb(plain, 3 * f), 30.0);
    // Dither: no harmonic rises above the floor (within the spread of noise bins), but
    // the tone itself still does.
    EXPECT_LT(harmonicToNoiseDb(noisy, 3 * f), 10.0);
    EXPECT_LT(harmonicToNoiseDb(noisy, 5 * f), 10.0);
    EXPECT_GT(harmonicToNoiseDb(noisy, f), 20.0);
}

TEST(Dither, NoiseShapingMovesTheNoiseUpwards) {
    const double rate = 44100;
    const auto input = pinkishNoise(rate, 4.0, -40.0, 1, 4);
    const auto flat = quantise(input, DitherType::Tpdf, 16, rate);
    const auto shaped = quantise(input, DitherType::NoiseShaped, 16, rate);
    std::vector<double> flatError(flat.size()), shapedError(shaped.size());
    for (std::size_t i = 0; i < flat.size(); ++i) {
        flatError[i] = flat[i] - input.channel(0)[i];
        shapedError[i] = shaped[i] - input.channel(0)[i];
    }
    MagnitudeSpectrum f(flatError, rate), s(shapedError, rate);
    // Less noise where the ear is most sensitive (2-5 kHz), more near Nyquist.
    EXPECT_LT(s.bandPower(2000, 5000), f.bandPower(2000, 5000) / 3);
    EXPECT_GT(s.bandPower(17000, 22000), f.bandPower(17000, 22000) * 3);
}

TEST(Dither, TwentyFourBitAndClipping) {
    const auto input = sine(48000, 0.1, 100.0, 3.0, 1);  // above full scale
    const auto out = quantise(input, DitherType::Tpdf, 24, 48000);
    double peak = 0, lowest = 0;
    for (double v : out) {
        peak = std::max(peak, v);
        lowest = std::min(lowest, v);
    }
    EXPECT_DOUBLE_EQ(peak, 8388607.0 / 8388608.0);
    EXPECT_DOUBLE_EQ(lowest, -1.0);
}

}  // namespace
}  // namespace bounce::test
