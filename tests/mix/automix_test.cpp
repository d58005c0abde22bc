// bounce automix: labels from names and from sound, balance recovered from scrambled
// gains, the session renders through bounce mix without a warning, and twice is the same.
#include "bounce/automix.h"
#include "bounce/error.h"
#include "peers.h"
#include "signals.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>

namespace bounce::test {
namespace {

namespace fs = std::filesystem;
constexpr double kRate = 44100.0;

TEST(AutomixLabels, RolesFromFileNames) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Kick In.wav", "kick"},
        {"snare_top.wav", "snare"},
        {"OH_L.wav", "overhead"},
        {"BV 2.wav", "backing"},
        {"Lead Vox.wav", "vocal"},
        {"leadvox.wav", "vocal"},
        {"bass DI.wav", "bass"},
        {"808.wav", "bass"},
        {"Gtr Rhythm.wav", "guitar"},
        {"Piano.wav", "piano"},
        {"Strings.wav", "strings"},
        {"riser_fx.wav", "sound_effects"},
        {"bassdrum.wav", "kick"},
        {"HiHat.wav", "hat"},
        {"Drums.wav", "drums"},
        {"untitled 3.wav", ""},
        {"Synth.wav", "keys"},
        {"Pad 2.wav", "synth_pad"},
        {"Acoustic.wav", "guitar"},
        {"Acoustic Piano.wav", "piano"},
        // General MIDI program names (as the corpus's parts are named) say their family.
        {"ch03_acoustic_grand.wav", "piano"},
        {"ch01_acoustic_bass.wav", "bass"},
        {"ch05_alto_sax.wav", "reed"},
        {"ch04_electric_piano_1.wav", "piano"},
        {"ch02_nylon_guitar.wav", "guitar"},
        {"ch06_string_ensemble_1.wav", "ensemble"},
        {"ch07_choir_aahs.wav", "ensemble"},
        {"ch08_drawbar_organ.wav", "organ"},
        {"ch11_vibraphone.wav", "chromatic_percussion"},
        {"ch12_french_horn.wav", "brass"},
        {"ch13_pan_flute.wav", "pipe"},
        {"ch14_square_lead.wav", "synth_lead"},
        {"ch15_warm_pad.wav", "synth_pad"},
        {"ch00_banjo.wav", "ethnic"},
        {"ch01_steel_drums.wav", "percussive"},
        {"ch02_sci_fi_fx.wav", "synth_effects"},
        {"ch03_seashore.wav", "sound_effects"},
        {"Tenor Sax.wav", "reed"},
    };
    for (const auto& [name, role] : cases) EXPECT_EQ(roleFromName(name), role) << name;
}

// Synthesised sources without telling names.
AudioBuffer kickLike(double seconds) {  // a 55 Hz thump on every beat (120 bpm), decaying
    AudioBuffer b(1, static_cast<std::size_t>(seconds * kRate));
    for (std::size_t i = 0; i < b.frames(); ++i) {
        const double t = std::fmod(static_cast<double>(i) / kRate, 0.5);
        b.channel(0)[i] = static_cast<float>(0.8 * std::exp(-t * 18.0) * std::sin(2.0 * std::numbers::pi * 55.0 * t));
    }
    return b;
}
AudioBuffer bassLike(double seconds) {  // sustained notes, 55 and 73 Hz, with a few harmonics
    AudioBuffer b(1, static_cast<std::size_t>(seconds * kRate));
    for (std::size_t i = 0; i < b.frames(); ++i) {
        const double t = static_cast<double>(i) / kRate, f = std::fmod(t, 4.0) < 2.0 ? 55.0 : 73.4;
        double v = 0;
        for (int h = 1; h <= 3; ++h) v += std::sin(2.0 * std::numbers::pi * f * h * t) / (h * h);
        b.channel(0)[i] = static_cast<float>(0.4 * v);
    }
    return b;
}
AudioBuffer hatLike(double seconds) {  // short bursts of bright noise on every eighth
    AudioBuffer b = whiteNoise(kRate, seconds, 0.5, 1, 77);
    float previous = 0;
    for (std::size_t i = 0; i < b.frames(); ++i) {
        const double t = std::fmod(static_cast<double>(i) / kRate, 0.25);
        const float bright = b.channel(0)[i] - previous;  // a first difference: mostly highs
        previous = b.channel(0)[i];
        b.channel(0)[i] = static_cast<float>(std::exp(-t * 60.0)) * bright;
    }
    return b;
}
AudioBuffer padLike(double seconds) {  // a sustained chord, slow attack
    AudioBuffer b(2, static_cast<std::size_t>(seconds * kRate));
    for (std::size_t i = 0; i < b.frames(); ++i) {
        const double t = static_cast<double>(i) / kRate, attack = std::min(1.0, t / 1.5);
        double v = 0;
        for (double f : {220.0, 277.2, 329.6, 440.0}) v += std::sin(2.0 * std::numbers::pi * f * t);
        for (int c = 0; c < 2; ++c) b.channel(c)[i] = static_cast<float>(0.1 * attack * v);
    }
    return b;
}

class Automix : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = makeTempDir("automix");
        fs::create_directories(dir_ + "/tracks");
    }
    void TearDown() override {
        if (!std::getenv("BOUNCE_KEEP_TEST_FILES")) fs::remove_all(dir_);
    }
    std::string dir_;
};

// Synthesised single-drum stems, a bass and a pad under names that say nothing.
TEST_F(Automix, UnnamedKickBassHatAndPadAreToldApartBySound) {
    writeFile(dir_ + "/tracks/track01.wav", kickLike(8.0).view(), kRate);
    writeFile(dir_ + "/tracks/track02.wav", bassLike(8.0).view(), kRate);
    writeFile(dir_ + "/tracks/track03.wav", hatLike(8.0).view(), kRate);
    writeFile(dir_ + "/tracks/track04.wav", padLike(8.0).view(), kRate);
    const AutomixResult r = automix(dir_ + "/tracks", dir_);
    ASSERT_EQ(r.tracks.size(), 4u);
    EXPECT_EQ(r.tracks[0].role, "kick") << r.tracks[0].roleReason;
    EXPECT_EQ(r.tracks[1].role, "bass") << r.tracks[1].roleReason;
    EXPECT_EQ(r.tracks[2].role, "hat") << r.tracks[2].roleReason;
    // Four steady sines are no family of the corpus: the classifier may call them any music
    // role (brass, today), but it is music, not drums or bass.
    EXPECT_EQ(r.tracks[3].bus, "music") << r.tracks[3].role << ": " << r.tracks[3].roleReason;
    // Kick and bass are not high-passed; the others are, each from its own spectrum.
    EXPECT_FALSE(r.tracks[0].highpassHz);
    EXPECT_FALSE(r.tracks[1].highpassHz);
    ASSERT_TRUE(r.tracks[2].highpassHz);
    EXPECT_GT(*r.tracks[2].highpassHz, 150.0);
}

// The levels automix balances a track by, the power mean of its loudest `percent` of 100 ms
// blocks (10: its loud passages; 3: a drum's hits), read by libebur128 (each 100 ms
// window's loudness) and this test's own arithmetic.
double loudestBlocksByLibebur128(ConstAudioView audio, std::size_t percent) {
    std::vector<double> blocks = hopLoudnessWithLibebur128(audio, kRate);
    blocks.erase(std::remove_if(blocks.begin(), blocks.end(), [](double l) { return !(l > -70.0); }), blocks.end());
    std::sort(blocks.begin(), blocks.end(), std::greater<>());
    const std::size_t loudest = std::max<std::size_t>(1, blocks.size() * percent / 100);
    double power = 0;
    for (std::size_t i = 0; i < loudest; ++i) power += std::pow(10.0, blocks[i] / 10.0);
    return 10.0 * std::log10(power / static_cast<double>(loudest));
}

// A multitrack (the vocal silent for its first half), once as it is and once with each
// file scrambled by a random gain of up to +-12 dB: automix reads each file's loud passages
// and hits as libebur128 does (within 0.1 dB), and sets them (the drums' hits, the others'
// loud passages) to the same balance both times (within 0.2 dB, the song's overall level
// aside: the scramble comes back), the vocal, which leads, the loudest.
TEST_F(Automix, RecoversItsBalanceFromScrambledGains) {
    AudioBuffer vox = padLike(10.0);
    for (std::size_t i = 0; i < vox.frames() / 2; ++i)
        for (int c = 0; c < 2; ++c) vox.channel(c)[i] = 0.0f;
    std::vector<std::pair<std::string, AudioBuffer>> stems = {{"kick", kickLike(10.0)}, {"bass", bassLike(10.0)},
                                                              {"hihat", hatLike(10.0)}, {"keys", pinkishNoise(kRate, 10.0, -20.0, 2, 5)},
                                                              {"pad", padLike(10.0)},   {"vox", vox}};
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> scramble(-12.0, 12.0);
    std::map<std::string, double> balanced[2];  // each file's loud passages after its gain, relative to the vocal's
    for (int scrambled = 0; scrambled < 2; ++scrambled) {
        const std::string folder = dir_ + (scrambled ? "/scrambled" : "/tracks");
        fs::create_directories(folder);
        std::map<std::string, double> loud, hits;
        for (auto& [name, audio] : stems) {
            AudioBuffer file = audio;
            const auto gain = static_cast<float>(0.5 * std::pow(10.0, scrambled ? scramble(rng) / 20.0 : 0.0));
            for (int c = 0; c < file.channels(); ++c)
                for (std::size_t i = 0; i < file.frames(); ++i) file.channel(c)[i] *= gain;
            writeFile(folder + "/" + name + ".wav", file.view(), kRate);
            loud[name] = loudestBlocksByLibebur128(ConstAudioView(file.view()), 10);
            hits[name] = loudestBlocksByLibebur128(ConstAudioView(file.view()), 3);
        }
        const AutomixResult r = automix(folder, dir_);
        EXPECT_EQ(r.leadRole, "vocal");
        for (const auto& t : r.tracks) {
            ASSERT_TRUE(t.loudLufs && t.hitsLufs) << t.name;
            EXPECT_NEAR(*t.loudLufs, loud[t.name], 0.1) << t.name;
            EXPECT_NEAR(*t.hitsLufs, hits[t.name], 0.1) << t.name;
            balanced[scrambled][t.name] = (t.bus == "drums" ? hits[t.name] : loud[t.name]) + t.gainDb;
        }
        const double vox = balanced[scrambled].at("vox");
        for (auto& [name, level] : balanced[scrambled]) level -= vox;
    }
    for (const auto& [name, level] : balanced[0]) {
        EXPECT_NEAR(balanced[1][name], level, 0.2) << name;
        if (name != "vox") {
            EXPECT_LT(level, 0.0) << name;
        }
    }
}

// The project's own song (the demo's six parts, rendered from MIDI by fluidsynth): its
// reference balance is the one automix proposes for the parts as rendered; scrambled by up
// to +-12 dB and a pan of up to 22.5 degrees per part (and written under other names, so
// the labels must hold), automix comes back to it within 3 dB (median), the vocal line the
// loudest.
TEST_F(Automix, RecoversTheBalanceOfTheProjectsRenderedSong) {
    const std::string soundfont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
    if (!haveTool("fluidsynth") || !fs::exists(soundfont)) GTEST_SKIP() << "fluidsynth or its General MIDI soundfont is not installed";
    const std::string midi = (fs::path(BOUNCE_CLI).parent_path() / "bounce-demo-midi").string();
    fs::create_directories(dir_ + "/midi");
    const auto made = runCommand({midi, dir_ + "/midi"});
    ASSERT_EQ(made.exitCode, 0) << made.err;
    fs::create_directories(dir_ + "/scrambled");
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> scramble(-12.0, 12.0);
    std::map<std::string, double> applied;
    for (const char* part : {"drums", "bass", "keys", "pad", "lead", "vox"}) {
        const std::string wav = dir_ + "/tracks/" + part + ".wav";
        const auto r = runCommand({"fluidsynth", "-q", "-ni", "-R", "0", "-C", "0", "-g", "0.2", "-r", "44100", "-T", "wav", "-O", "s24",
                                   "-F", wav, soundfont, dir_ + "/midi/" + part + ".mid"});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        double rate = 0;
        AudioBuffer audio = readWholeFile(wav, &rate);
        applied[part] = scramble(rng);
        // Gain and pan: a constant-power balance of up to 22.5 degrees either way.
        const double angle = std::numbers::pi / 4.0 + (scramble(rng) / 12.0) * std::numbers::pi / 8.0;
        const double side[2] = {std::sqrt(2.0) * std::cos(angle), std::sqrt(2.0) * std::sin(angle)};
        for (int c = 0; c < audio.channels(); ++c) {
            const auto g = static_cast<float>(std::pow(10.0, applied[part] / 20.0) * (audio.channels() == 2 ? side[c] : 1.0));
            for (std::size_t i = 0; i < audio.frames(); ++i) audio.channel(c)[i] = std::clamp(audio.channel(c)[i] * g, -1.0f, 1.0f);
        }
        writeFile(dir_ + "/scrambled/" + std::string(part) + " take 3.wav", audio.view(), rate);
    }
    const AutomixResult reference = automix(dir_ + "/tracks", dir_);
    const AutomixResult scrambled = automix(dir_ + "/scrambled", dir_);
    ASSERT_EQ(reference.tracks.size(), 6u);
    ASSERT_EQ(scrambled.tracks.size(), 6u);
    std::vector<double> errors;
    std::map<std::string, double> level;
    for (std::size_t i = 0; i < 6; ++i) {
        const AutomixTrack& a = reference.tracks[i];
        const AutomixTrack& b = scrambled.tracks[i];
        EXPECT_EQ(a.role, b.role) << a.name;
        // The level each ends at: the part as rendered, plus the scramble (for b), plus its gain.
        const double levelA = a.gainDb, levelB = applied[a.name] + b.gainDb;
        errors.push_back(levelA - levelB);
        level[a.name] = levelB + *a.activeLufs;
    }
    // The balance, the mix's overall level aside (a track that would need more than +24 dB
    // brings the whole scrambled mix down: the session says so).
    std::vector<double> sorted = errors;
    std::sort(sorted.begin(), sorted.end());
    const double offset = sorted[sorted.size() / 2];
    for (auto& e : errors) e = std::fabs(e - offset);
    std::sort(errors.begin(), errors.end());
    EXPECT_LT(errors[errors.size() / 2], 3.0);
    for (const auto& [name, l] : level) {
        if (name != "vox") {
            EXPECT_LT(l, level["vox"]) << name;
        }
    }
}

TEST_F(Automix, SessionRendersWithoutWarningsAndIsDeterministic) {
    writeFile(dir_ + "/tracks/kick.wav", kickLike(6.0).view(), kRate);
    writeFile(dir_ + "/tracks/bass.wav", bassLike(6.0).view(), kRate);
    writeFile(dir_ + "/tracks/gtr_L.wav", pinkishNoise(kRate, 6.0, -24.0, 1, 8).view(), kRate);
    writeFile(dir_ + "/tracks/gtr_R.wav", pinkishNoise(kRate, 6.0, -24.0, 1, 9).view(), kRate);
    writeFile(dir_ + "/tracks/lead vox.wav", padLike(6.0).view(), kRate);
    const auto first = runCommand({BOUNCE_CLI, "automix", dir_ + "/tracks", "-o", dir_ + "/a.toml", "--json", dir_ + "/a.json"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    const auto second = runCommand({BOUNCE_CLI, "automix", dir_ + "/tracks", "-o", dir_ + "/b.toml"});
    ASSERT_EQ(second.exitCode, 0) << second.err;
    std::ifstream a(dir_ + "/a.toml"), b(dir_ + "/b.toml");
    const std::string textA((std::istreambuf_iterator<char>(a)), {}), textB((std::istreambuf_iterator<char>(b)), {});
    EXPECT_EQ(textA, textB);
    // The guitars go to opposite sides; kick, bass and vocal stay central.
    std::ifstream jsonIn(dir_ + "/a.json");
    const auto j = nlohmann::json::parse(jsonIn);
    std::map<std::string, double> pan;
    for (const auto& t : j["tracks"]) pan[t["name"].get<std::string>()] = t["pan"].get<double>();
    EXPECT_LT(pan["gtr_L"], -0.3);
    EXPECT_GT(pan["gtr_R"], 0.3);
    EXPECT_EQ(pan["kick"], 0.0);
    EXPECT_EQ(pan["bass"], 0.0);
    EXPECT_EQ(pan["lead vox"], 0.0);
    const auto mix = runCommand({BOUNCE_CLI, "mix", dir_ + "/a.toml", "-o", dir_ + "/mix.wav"});
    ASSERT_EQ(mix.exitCode, 0) << mix.err;
    EXPECT_EQ(mix.err.find("warning"), std::string::npos) << mix.err;
    double rate = 0;
    const AudioBuffer rendered = readWholeFile(dir_ + "/mix.wav", &rate);
    const double lufs = *measureWithLibebur128(ConstAudioView(rendered.view()), rate).integratedLufs;
    EXPECT_NEAR(lufs, -20.0, 4.0);  // near -20 LUFS, headroom left for the master
}

// Masking: keys whose energy sits in one band (1 kHz) are louder there than a vocal that is
// spread over the spectrum, though quieter overall: the keys get a cut at 1 kHz, at most
// 6 dB; the vocal (higher priority) gets none.
TEST_F(Automix, MaskingCutsGoToTheLowerPriorityTrack) {
    writeFile(dir_ + "/tracks/vox.wav", pinkishNoise(kRate, 8.0, -20.0, 1, 21).view(), kRate);
    AudioBuffer keys(1, static_cast<std::size_t>(8.0 * kRate));
    for (std::size_t i = 0; i < keys.frames(); ++i) {
        double v = 0;
        for (double f : {900.0, 1000.0, 1100.0}) v += std::sin(2.0 * std::numbers::pi * f * static_cast<double>(i) / kRate);
        keys.channel(0)[i] = static_cast<float>(0.1 * v);
    }
    writeFile(dir_ + "/tracks/keys.wav", keys.view(), kRate);
    const AutomixResult r = automix(dir_ + "/tracks", dir_);
    const auto& keysTrack = r.tracks[0].name == "keys" ? r.tracks[0] : r.tracks[1];
    const auto& voxTrack = r.tracks[0].name == "vox" ? r.tracks[0] : r.tracks[1];
    ASSERT_FALSE(keysTrack.cuts.empty());
    EXPECT_EQ(keysTrack.cuts.front().freqHz, 1000.0);
    EXPECT_LT(keysTrack.cuts.front().gainDb, 0.0);
    EXPECT_GE(keysTrack.cuts.front().gainDb, -6.0);
    EXPECT_TRUE(voxTrack.cuts.empty());
}

TEST_F(Automix, AnEmptyFolderIsAnError) {
    const auto r = runCommand({BOUNCE_CLI, "automix", dir_ + "/tracks", "-o", dir_ + "/s.toml"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("no audio files"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bounce::test
