// A mix session: tracks, buses, effect returns and the master bus, as plain structs.
// mix/session_file.cpp turns a TOML session file into this, validating everything in one
// place (docs/session.md is the format); the renderer (mix_renderer.h) takes it from
// there and never sees TOML.
#pragma once

#include "bounce/insert_spec.h"
#include "bounce/stereo.h"

#include <optional>
#include <string>
#include <vector>

namespace bounce {

enum class AutomationCurve { Linear, Exponential, Hold };

// A parameter over time: points (seconds on the session timeline, value) and how to go
// from one to the next. Before the first point the first value holds, after the last
// the last.
struct AutomationLane {
    // "gain_db", "pan", "send.<return>.level_db", or an insert's parameter:
    // "insert.<n>.<key>" (n counts the node's inserts from 1), or for an equaliser band
    // "insert.<n>.band.<m>.<key>".
    std::string parameter;
    AutomationCurve curve = AutomationCurve::Linear;
    std::vector<std::pair<double, double>> points;
    int line = 0;

    double valueAt(double seconds) const noexcept;
};

struct SendSpec {
    std::string to;  // a return's name
    double levelDb = 0.0;
    bool preFader = false;
    int line = 0;
};

enum class FadeShape { Linear, EqualPower, Exponential };

// A fade's gain at x (0: silent .. 1: full). Equal power is sin(x pi/2): a fade-in and the
// matching fade-out (x and 1 - x) keep the power of uncorrelated signals constant.
double fadeGain(FadeShape shape, double x) noexcept;
enum class NormalizeMode { None, Peak, Loudness };

struct TrackSpec {
    std::string name;
    std::string file;                        // resolved path
    std::string role;                        // vocal, drums, kick, snare, bass, guitar, keys, synth, fx, ...
    double startSeconds = 0.0;               // where the region starts on the session timeline
    double regionStartSeconds = 0.0;         // where in the file the region starts
    std::optional<double> regionEndSeconds;  // where in the file it ends (end of file by default)
    double gainDb = 0.0;
    double pan = 0.0;
    PanLaw panLaw = PanLaw::ConstantPower3dB;
    double width = 1.0;  // stereo files only
    bool invertPolarity = false;
    bool mute = false;
    bool solo = false;
    double fadeInSeconds = 0.0;
    double fadeOutSeconds = 0.0;
    FadeShape fadeShape = FadeShape::EqualPower;
    NormalizeMode normalize = NormalizeMode::None;
    double normalizeTargetDb = -18.0;  // dBFS sample peak, or LUFS
    std::string bus;                   // "" = master
    // Pitch and time (Rubber Band R3, offline): the region is changed before it is mixed.
    double pitchSemitones = 0.0;  // semitones plus cents / 100
    double timeRatio = 1.0;       // output length / input length
    bool preserveFormants = false;
    std::vector<InsertSpec> inserts;
    std::vector<SendSpec> sends;
    std::vector<AutomationLane> automation;
    int line = 0;

    bool changesPitchOrTime() const noexcept { return pitchSemitones != 0.0 || timeRatio != 1.0; }
};

// What a bus, a return and the master share: a name, a fader, a pan (or balance), a mute,
// inserts and the automation of all these. Read by one function and built into the graph
// by one function.
struct StripSpec {
    std::string name;
    double gainDb = 0.0;
    double pan = 0.0;
    PanLaw panLaw = PanLaw::ConstantPower3dB;
    bool mute = false;
    std::vector<InsertSpec> inserts;
    std::vector<AutomationLane> automation;
    int line = 0;
};

struct BusSpec : StripSpec {
    std::string output;  // another bus, or "" for master
    std::vector<SendSpec> sends;
};

// An effect return: fed by sends, runs its inserts (usually one reverb or delay at
// mix = 1), and goes to master.
struct ReturnSpec : StripSpec {};

// The master strip has no pan or mute (a session file cannot set them), and its name.
struct MasterSpec : StripSpec {
    MasterSpec() { name = "master"; }
    double outputSampleRate = 0.0;  // 0: the session's
    std::string bits = "24";        // "16", "24" or "32f"
};

struct Session {
    std::string path;
    double sampleRate = 48000.0;
    double tempoBpm = 120.0;
    int beatsPerBar = 4;
    double tailSeconds = 2.0;  // rendered after the last region ends, for reverb and delay tails
    std::vector<TrackSpec> tracks;
    std::vector<BusSpec> buses;
    std::vector<ReturnSpec> returns;
    MasterSpec master;
};

// Sets the number at `path` (e.g. {"band", "2", "gain_db"}) in an insert's parameters,
// adding the key if it was left at its default. Returns false if the path is not there.
bool setInsertParameter(InsertSpec& insert, const std::vector<std::string>& path, double value);

// "insert.2.band.1.gain_db" -> insert index 1 (0-based) and {"band", "1", "gain_db"};
// nullopt for any other parameter.
std::optional<std::pair<std::size_t, std::vector<std::string>>> insertParameterPath(const std::string& parameter);

// Reads and validates a session file. Throws ConfigError "session.toml:LINE: message" for
// an unknown key, a wrong type, a missing audio file, an unknown bus or return, a cycle
// between buses, or a sample rate that cannot be used.
Session readSessionFile(const std::string& path);

}  // namespace bounce
