// The K-weighting filter of ITU-R BS.1770-4 (Annex 1), designed for any sample rate.
//
// BS.1770 tabulates the two stages (a high-shelf "pre-filter" modelling the head, and the
// RLB high-pass) only at 48 kHz. Both are bilinear transforms of analog prototypes whose
// parameters reproduce the 48 kHz table to 1e-9; evaluating the prototypes at the
// running rate gives the same filter at 44.1, 96, 8 or 384 kHz instead of a 48 kHz
// filter played at the wrong rate. (The prototype parameters are those used by
// libebur128, derived by fitting the standard's table.)
#pragma once

#include "bounce/biquad.h"

namespace bounce {

struct KWeighting {
    BiquadCoefficients shelf;     // stage 1: +4 dB high shelf around 1.7 kHz
    BiquadCoefficients highPass;  // stage 2: RLB high-pass around 38 Hz (b = 1, -2, 1)
    double sampleRate = 48000.0;

    static KWeighting design(double sampleRate);

    // The cascade's magnitude response in dB.
    double magnitudeDb(double freqHz) const noexcept {
        return shelf.magnitudeDb(freqHz, sampleRate) + highPass.magnitudeDb(freqHz, sampleRate);
    }
};

}  // namespace bounce
