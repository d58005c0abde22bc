// Writes the demo song as Standard MIDI Files: one file per part (drums, bass, keys,
// pad, lead, vox), each rendered by fluidsynth into a track of the demo session, and one
// with every part for the full arrangement. The song is generated here so that the project ships no audio.
//
// usage: bounce-demo-midi OUT_DIR
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr int kTicksPerQuarter = 480;
constexpr int kBeatsPerMinute = 100;
constexpr int kBars = 16;

struct Note {
    int tick, lengthTicks, key, velocity;
};

struct Part {
    std::string name;
    int channel;
    int program;  // General MIDI program (ignored on the drum channel 9)
    int volume;   // CC 7
    std::vector<Note> notes;
};

void writeVarLen(std::vector<std::uint8_t>& out, std::uint32_t value) {
    std::uint8_t bytes[5];
    int n = 0;
    do {
        bytes[n++] = value & 0x7f;
        value >>= 7;
    } while (value);
    while (n--) out.push_back(static_cast<std::uint8_t>(bytes[n] | (n ? 0x80 : 0)));
}

std::vector<std::uint8_t> trackChunk(const Part* part, bool tempoTrack) {
    struct Event {
        int tick;
        int order;  // note-offs before note-ons at the same tick
        std::vector<std::uint8_t> bytes;
    };
    std::vector<Event> events;
    if (tempoTrack) {
        const std::uint32_t usPerQuarter = 60000000 / kBeatsPerMinute;
        events.push_back({0,
                          0,
                          {0xff, 0x51, 0x03, static_cast<std::uint8_t>(usPerQuarter >> 16), static_cast<std::uint8_t>(usPerQuarter >> 8),
                           static_cast<std::uint8_t>(usPerQuarter)}});
        events.push_back({0, 0, {0xff, 0x58, 0x04, 4, 2, 24, 8}});  // 4/4
    }
    if (part) {
        const auto ch = static_cast<std::uint8_t>(part->channel);
        events.push_back({0, 0, {static_cast<std::uint8_t>(0xc0 | ch), static_cast<std::uint8_t>(part->program)}});
        events.push_back({0, 0, {static_cast<std::uint8_t>(0xb0 | ch), 7, static_cast<std::uint8_t>(part->volume)}});
        for (const auto& n : part->notes) {
            events.push_back(
                {n.tick,
                 1,
                 {static_cast<std::uint8_t>(0x90 | ch), static_cast<std::uint8_t>(n.key), static_cast<std::uint8_t>(n.velocity)}});
            events.push_back({n.tick + n.lengthTicks, 0, {static_cast<std::uint8_t>(0x80 | ch), static_cast<std::uint8_t>(n.key), 0}});
        }
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.tick != b.tick ? a.tick < b.tick : a.order < b.order; });
    std::vector<std::uint8_t> data;
    int now = 0;
    for (const auto& e : events) {
        writeVarLen(data, static_cast<std::uint32_t>(e.tick - now));
        now = e.tick;
        data.insert(data.end(), e.bytes.begin(), e.bytes.end());
    }
    // Two beats of tail so reverb-free instruments can ring out, then end of track.
    writeVarLen(data, static_cast<std::uint32_t>(tempoTrack ? kBars * 4 * kTicksPerQuarter + 2 * kTicksPerQuarter - now : 0));
    data.insert(data.end(), {0xff, 0x2f, 0x00});
    std::vector<std::uint8_t> chunk = {'M', 'T', 'r', 'k'};
    const auto size = static_cast<std::uint32_t>(data.size());
    for (int shift = 24; shift >= 0; shift -= 8) chunk.push_back(static_cast<std::uint8_t>(size >> shift));
    chunk.insert(chunk.end(), data.begin(), data.end());
    return chunk;
}

bool writeMidi(const std::string& path, const std::vector<const Part*>& parts) {
    std::vector<std::uint8_t> file = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1};
    const auto tracks = static_cast<std::uint16_t>(parts.size() + 1);
    file.push_back(static_cast<std::uint8_t>(tracks >> 8));
    file.push_back(static_cast<std::uint8_t>(tracks));
    file.push_back(kTicksPerQuarter >> 8);
    file.push_back(kTicksPerQuarter & 0xff);
    const auto tempo = trackChunk(nullptr, true);
    file.insert(file.end(), tempo.begin(), tempo.end());
    for (const Part* part : parts) {
        const auto chunk = trackChunk(part, false);
        file.insert(file.end(), chunk.begin(), chunk.end());
    }
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    return static_cast<bool>(out);
}

std::vector<Part> composeSong() {
    constexpr int q = kTicksPerQuarter, e = q / 2, bar = 4 * q;
    // A minor: Am F C G, twice; the second half adds the lead.
    const int roots[4] = {45, 41, 48, 43};  // A2 F2 C3 G2
    const int chords[4][3] = {{57, 60, 64}, {53, 57, 60}, {55, 60, 64}, {55, 59, 62}};
    Part drums{"drums", 9, 0, 110, {}}, bass{"bass", 0, 33, 100, {}}, keys{"keys", 1, 4, 90, {}}, lead{"lead", 2, 81, 85, {}};
    Part pad{"pad", 3, 89, 80, {}}, vox{"vox", 4, 53, 95, {}};  // warm pad; "voice oohs", the vocal-like line
    for (int b = 0; b < kBars; ++b) {
        const int t = b * bar, chord = b % 4;
        const bool second = b >= kBars / 2;
        // Drums: kick on 1 and 3 (and the "and" of 3 in the second half), snare on 2 and
        // 4, eighth hi-hats with an accent on the beat, a crash at each section start.
        for (int beat : {0, 2}) drums.notes.push_back({t + beat * q, e, 36, 112});
        if (second) drums.notes.push_back({t + 2 * q + e, e, 36, 90});
        for (int beat : {1, 3}) drums.notes.push_back({t + beat * q, e, 38, 105 + (b % 2) * 10});
        for (int i = 0; i < 8; ++i) drums.notes.push_back({t + i * e, e / 2, 42, i % 2 ? 60 : 85});
        if (b % 8 == 0) drums.notes.push_back({t, 2 * q, 49, 100});
        // Bass: driving eighths on the root, up an octave on the last two.
        for (int i = 0; i < 8; ++i) bass.notes.push_back({t + i * e, e - 20, roots[chord] + (i >= 6 ? 12 : 0), 95 + (i % 2 ? -15 : 0)});
        // Keys: the chord on beats 1 and 3.
        for (int beat : {0, 2})
            for (int key : chords[chord]) keys.notes.push_back({t + beat * q, 2 * q - 30, key, 70});
        // Pad: the chord held for the whole bar, an octave up.
        for (int key : chords[chord]) pad.notes.push_back({t, bar - 40, key + 12, 60});
        // Vox: a slow sung line through the first half (two notes a bar), answered later.
        if (!second || b % 2 == 1) {
            const int melody[4][2] = {{69, 72}, {69, 65}, {67, 72}, {71, 67}};
            for (int i = 0; i < 2; ++i) vox.notes.push_back({t + i * 2 * q, 2 * q - 60, melody[chord][i], 85});
        }
        // Lead: a phrase per bar in the second half.
        if (second) {
            const int phrase[4][4] = {{76, 74, 72, 69}, {72, 69, 67, 65}, {67, 72, 76, 79}, {74, 71, 67, 74}};
            for (int i = 0; i < 4; ++i) lead.notes.push_back({t + i * q, q - 40, phrase[chord][i], 80 + (i == 0 ? 15 : 0)});
        }
    }
    return {drums, bass, keys, pad, lead, vox};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: bounce-demo-midi OUT_DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const auto parts = composeSong();
    std::vector<const Part*> all;
    for (const auto& part : parts) {
        all.push_back(&part);
        if (!writeMidi(dir + "/" + part.name + ".mid", {&part})) {
            std::fprintf(stderr, "bounce-demo-midi: cannot write %s/%s.mid\n", dir.c_str(), part.name.c_str());
            return 1;
        }
    }
    if (!writeMidi(dir + "/song.mid", all)) {
        std::fprintf(stderr, "bounce-demo-midi: cannot write %s/song.mid\n", dir.c_str());
        return 1;
    }
    return 0;
}
